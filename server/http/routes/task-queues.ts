/** Routes of `/Workspaces/{WS}/TaskQueues`. */
import { z } from 'zod';
import { fail } from '../../../shared/errors.js';
import type { TaskQueueRecord } from '../../engine/model.js';
import { parseAttributes } from '../../engine/workspace-state.js';
import { dispatch, found, stateOf, type Api } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { int, oneOf, optionalSid, text } from '../params.js';
import { serializeTaskQueue } from '../serialize.js';

const Fields = {
  TargetWorkers: text(4096).optional(),
  MaxReservedWorkers: int().optional(),
  TaskOrder: oneOf(['FIFO', 'LIFO']).optional(),
  ReservationActivitySid: optionalSid('WA').optional(),
  AssignmentActivitySid: optionalSid('WA').optional(),
};
const Create = z.object({ FriendlyName: text(), ...Fields });
const Update = z.object({ FriendlyName: text().optional(), ...Fields });
const List = z.object({
  FriendlyName: text().optional(),
  EvaluateWorkerAttributes: text(4096).optional(),
  WorkerSid: text().optional(),
  Ordering: oneOf(['DateUpdated:asc', 'DateUpdated:desc']).optional(),
});

function evaluateAttributes(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return parseAttributes(text);
  } catch {
    // reported below
  }
  throw fail('BAD_REQUEST', 'EvaluateWorkerAttributes must be a JSON object');
}

/** Registers the task queue routes. */
export function taskQueueRoutes(api: Api): void {
  const Q = '/Workspaces/:ws/TaskQueues';
  api.get(Q, { summary: 'List task queues', params: List, alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    const q = call.params();
    const view = q.EvaluateWorkerAttributes === undefined ? undefined : evaluateAttributes(q.EvaluateWorkerAttributes);
    const ofWorker = q.WorkerSid === undefined ? undefined : (s.routing.queuesOfWorker.get(q.WorkerSid) ?? new Set<string>());
    const all = [...s.taskQueues.values()].filter((tq) => {
      if (q.FriendlyName !== undefined && tq.friendlyName !== q.FriendlyName) return false;
      if (ofWorker && !ofWorker.has(tq.sid)) return false;
      if (view) {
        const expression = s.queueExpressions.get(tq.sid);
        if (!expression || !(expression.alwaysTrue || expression.evaluate(view))) return false;
      }
      return true;
    });
    if (q.Ordering === 'DateUpdated:asc') all.sort((a, b) => a.dateUpdated - b.dateUpdated);
    if (q.Ordering === 'DateUpdated:desc') all.sort((a, b) => b.dateUpdated - a.dateUpdated);
    return { status: 200, body: pageOf(call, 'task_queues', all, (tq) => serializeTaskQueue(s, tq, call.base)) };
  });
  api.post(Q, { summary: 'Create a task queue', params: Create, errors: [409] }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const tq = await dispatch<TaskQueueRecord>(call, {
      type: 'taskQueue.create',
      friendlyName: p.FriendlyName,
      targetWorkers: p.TargetWorkers,
      maxReservedWorkers: p.MaxReservedWorkers,
      taskOrder: p.TaskOrder,
      reservationActivitySid: p.ReservationActivitySid,
      assignmentActivitySid: p.AssignmentActivitySid,
    });
    return { status: 201, body: serializeTaskQueue(s, tq, call.base) };
  });
  api.get(`${Q}/:wq`, { summary: 'Fetch a task queue' }, (call) => {
    const s = stateOf(call);
    return { status: 200, body: serializeTaskQueue(s, found(s.taskQueues, call.path['wq'], 'TaskQueue'), call.base) };
  });
  api.post(`${Q}/:wq`, { summary: 'Update a task queue', params: Update, errors: [409] }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const tq = await dispatch<TaskQueueRecord>(call, {
      type: 'taskQueue.update',
      sid: call.path['wq']!,
      friendlyName: p.FriendlyName,
      targetWorkers: p.TargetWorkers,
      maxReservedWorkers: p.MaxReservedWorkers,
      taskOrder: p.TaskOrder,
      reservationActivitySid: p.ReservationActivitySid,
      assignmentActivitySid: p.AssignmentActivitySid,
    });
    return { status: 200, body: serializeTaskQueue(s, tq, call.base) };
  });
  api.delete(`${Q}/:wq`, { summary: 'Delete a task queue', description: 'A queue that a workflow routes to, or that holds tasks, is not deleted: 400.', errors: [400] }, async (call) => {
    stateOf(call);
    await dispatch(call, { type: 'taskQueue.delete', sid: call.path['wq']! });
    return { status: 204 };
  });
}
