/**
 * The SDK's `Workspace` class: workers (with the REST list's filters) and task queues, one or
 * all. Listing workers needs a supervisor or admin token; task queues are readable by any token
 * of the workspace (they hold nobody's data).
 */
import { z } from 'zod';
import { fail } from '../../shared/errors.js';
import { oneOf, parseParams, text } from '../http/params.js';
import { filterWorkers } from '../http/routes/workers.js';
import { read, type EdgeHandler } from './edge-request.js';
import { contentsPage, taskQueueShape, workerShape } from './internal-shapes.js';
import { mayListWorkers } from './worker-routes.js';

const WorkerList = z.object({
  FriendlyName: text().optional(),
  ActivitySid: text().optional(),
  ActivityName: text().optional(),
  TargetWorkersExpression: text(4096).optional(),
  Ordering: oneOf(['DateStatusChanged:asc', 'DateStatusChanged:desc']).optional(),
});
const TaskQueueList = z.object({
  FriendlyName: text().optional(),
  WorkerSid: text().optional(),
  Ordering: oneOf(['DateUpdated:asc', 'DateUpdated:desc']).optional(),
});

/** The REST list's filter reads only `params()`: hand it this request's, decoded the same way. */
type WorkerListCall = Parameters<typeof filterWorkers>[1];

/** `GET Workspaces/{WS}/Workers`: `Workspace.fetchWorkers`, filtered as the REST list filters. */
export const listWorkers: EdgeHandler = (req) => {
  mayListWorkers(req);
  return read(req, (s) => {
    const q = parseParams(WorkerList, req.params);
    const rows = filterWorkers(s, { params: () => q } as unknown as WorkerListCall);
    return contentsPage(rows, req.params, (w) => workerShape(s, w), q.Ordering !== undefined);
  });
};

/** `GET Workspaces/{WS}/TaskQueues`: `Workspace.fetchTaskQueues` (by name, or those a worker belongs to). */
export const listTaskQueues: EdgeHandler = (req) =>
  read(req, (s) => {
    const q = parseParams(TaskQueueList, req.params);
    const ofWorker = q.WorkerSid === undefined ? undefined : (s.routing.queuesOfWorker.get(q.WorkerSid) ?? new Set<string>());
    const rows = [...s.taskQueues.values()].filter(
      (tq) => (q.FriendlyName === undefined || tq.friendlyName === q.FriendlyName) && (!ofWorker || ofWorker.has(tq.sid)),
    );
    if (q.Ordering === 'DateUpdated:asc') rows.sort((a, b) => a.dateUpdated - b.dateUpdated);
    if (q.Ordering === 'DateUpdated:desc') rows.sort((a, b) => b.dateUpdated - a.dateUpdated);
    return contentsPage(rows, req.params, (tq) => taskQueueShape(s, tq), q.Ordering !== undefined);
  });

/** `GET Workspaces/{WS}/TaskQueues/{WQ}`: `Workspace.fetchTaskQueue`. */
export const fetchTaskQueue: EdgeHandler = (req) =>
  read(req, (s) => {
    const tq = s.taskQueues.get(req.path['wq'] ?? '');
    if (!tq) throw fail('NOT_FOUND', `TaskQueue ${req.path['wq']} not found`);
    return taskQueueShape(s, tq);
  });
