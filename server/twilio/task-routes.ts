/**
 * The SDK's task routes: fetch a task, settle or update one the worker holds (`complete`,
 * `wrapUp`, `setAttributes`, `setVirtualStartTime`), create an outbound task routed to the worker
 * itself (`createTask`), and the voice-only supervisor instruction, refused with a clear 400.
 */
import { z } from 'zod';
import { fail } from '../../shared/errors.js';
import type { TaskRecord } from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import { date, jsonText, oneOf, parseParams, sid, text } from '../http/params.js';
import { holdsTask, oversees, read, run, workspaceOf, type EdgeHandler, type EdgeRequest } from './edge-request.js';
import { taskShape } from './internal-shapes.js';

const TaskUpdate = z.object({
  AssignmentStatus: oneOf(['wrapping', 'completed']).optional(),
  Reason: text(1024).optional(),
  Attributes: jsonText().optional(),
  VirtualStartTime: date().optional(),
});
const TaskCreate = z.object({
  WorkflowSid: sid('WW').optional(),
  TaskQueueSid: sid('WQ').optional(),
  Attributes: jsonText().optional(),
  TaskChannelUniqueName: text(64).optional(),
  TaskChannelSid: sid('TC').optional(),
  VirtualStartTime: date().optional(),
});

/** Reservations through which a worker holds its task. */

function task(s: WorkspaceState, req: EdgeRequest): TaskRecord {
  const t = s.findTask(req.path['wt'] ?? '');
  if (!t) throw fail('NOT_FOUND', `Task ${req.path['wt']} not found`);
  return t;
}

/** `GET Workspaces/{WS}/Tasks/{WT}`: a task the worker has a reservation for (any task for a supervisor or admin). */
export const fetchTask: EdgeHandler = (req) =>
  read(req, (s) => {
    const t = task(s, req);
    if (!oversees(req.grant) && !holdsTask(s, t.sid, req.grant.workerSid)) {
      throw fail('FORBIDDEN', `Worker ${req.grant.workerSid} has no reservation for task ${t.sid}`);
    }
    return taskShape(s, t, req.hub.now());
  });

/** `POST Workspaces/{WS}/Tasks/{WT}`: wrap up, complete (with a reason), attributes or virtual start time of a task the worker holds. */
export const updateTask: EdgeHandler = (req) => {
  const s = workspaceOf(req);
  const t = task(s, req);
  if (!s.settlesTask(req.grant.workerSid, t.sid)) {
    throw fail('FORBIDDEN', `Task ${t.sid} is not assigned to worker ${req.grant.workerSid}`);
  }
  const p = parseParams(TaskUpdate, req.params);
  const now = req.hub.now();
  return run<TaskRecord>(
    req,
    {
      type: 'task.update',
      sid: t.sid,
      assignmentStatus: p.AssignmentStatus,
      reason: p.Reason,
      attributes: p.Attributes,
      virtualStartTime: p.VirtualStartTime,
      ifMatch: req.ifMatch,
    },
    (state, updated) => taskShape(state, updated, now),
  );
};

/** `POST Workspaces/{WS}/Tasks`: `Worker.createTask`, always routed to the token's own worker. */
export const createTask: EdgeHandler = (req) => {
  workspaceOf(req);
  const p = parseParams(TaskCreate, req.params);
  const now = req.hub.now();
  return run<TaskRecord>(
    req,
    {
      type: 'task.create',
      workflowSid: p.WorkflowSid,
      taskQueueSid: p.TaskQueueSid,
      attributes: p.Attributes,
      taskChannel: p.TaskChannelSid ?? p.TaskChannelUniqueName,
      virtualStartTime: p.VirtualStartTime,
      routingTarget: req.grant.workerSid,
    },
    (s, t) => taskShape(s, t, now),
  );
};

/** `POST Workspaces/{WS}/Tasks/{WT}/Reservations/{WR}` (`Supervisor.monitor`): needs a conference, which the hub does not have. */
export const superviseReservation: EdgeHandler = async (req) => {
  workspaceOf(req);
  const instruction = typeof req.params['Instruction'] === 'string' ? req.params['Instruction'] : 'none';
  throw fail('BAD_REQUEST', `Instruction ${instruction} needs telephony (a conference to join), which this hub does not provide`);
};

/** The v2 transfer and participant routes: the hub has no transfers or calls. */
export const unsupported: EdgeHandler = async (req) => {
  workspaceOf(req);
  throw fail('BAD_REQUEST', 'Transfers and call participants need telephony, which this hub does not provide');
};
