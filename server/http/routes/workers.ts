/** Routes of `/Workspaces/{WS}/Workers` and each worker's `/Channels`. */
import { z } from 'zod';
import { fail } from '../../../shared/errors.js';
import { compileExpression } from '../../engine/expression/index.js';
import type { WorkerChannelRecord, WorkerRecord } from '../../engine/model.js';
import type { WorkspaceState } from '../../engine/workspace-state.js';
import { dispatch, found, stateOf, type Api, type Call } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { bool, int, jsonText, oneOf, sid, text } from '../params.js';
import { serializeWorker, serializeWorkerChannel } from '../serialize.js';

const Create = z.object({ FriendlyName: text(), ActivitySid: sid('WA').optional(), Attributes: jsonText().optional() });
const Update = z.object({
  FriendlyName: text().optional(),
  ActivitySid: sid('WA').optional(),
  Attributes: jsonText().optional(),
  RejectPendingReservations: bool().optional(),
});
const List = z.object({
  ActivityName: text().optional(),
  ActivitySid: text().optional(),
  Available: bool().optional(),
  FriendlyName: text().optional(),
  TargetWorkersExpression: text(4096).optional(),
  TaskQueueName: text().optional(),
  TaskQueueSid: text().optional(),
  Ordering: oneOf(['DateStatusChanged:asc', 'DateStatusChanged:desc']).optional(),
});
const ChannelUpdate = z.object({ Capacity: int().optional(), Available: bool().optional() });

/** A worker token reaches only its own worker. */
const ownWorker = (call: Call, grant: { workerSid: string }) => call.path['wk'] === grant.workerSid;
/** ...and may change its activity and attributes, not its name. */
const ownWorkerUpdate = (call: Call, grant: { workerSid: string }) => ownWorker(call, grant) && !('FriendlyName' in call.input);

/** Workers matching a list call's filters, in creation or status-change order. */
export function filterWorkers(s: WorkspaceState, call: Call<typeof List>): WorkerRecord[] {
  const q = call.params();
  let expression: ((view: Record<string, unknown>) => boolean) | undefined;
  if (q.TargetWorkersExpression !== undefined) {
    const compiled = compileExpression(q.TargetWorkersExpression);
    if (!compiled.ok) {
      throw fail('BAD_REQUEST', `TargetWorkersExpression is invalid at position ${compiled.error.position}: ${compiled.error.message}`);
    }
    expression = (view) => compiled.expression.alwaysTrue || compiled.expression.evaluate(view);
  }
  let queueSid = q.TaskQueueSid;
  if (q.TaskQueueName !== undefined) {
    queueSid = [...s.taskQueues.values()].find((tq) => tq.friendlyName === q.TaskQueueName)?.sid ?? '';
  }
  const members = queueSid === undefined ? undefined : (s.routing.members.get(queueSid) ?? new Set<string>());
  const out = [...s.workers.values()].filter((w) => {
    const activity = s.activities.get(w.activitySid);
    if (q.ActivitySid !== undefined && w.activitySid !== q.ActivitySid) return false;
    if (q.ActivityName !== undefined && activity?.friendlyName !== q.ActivityName) return false;
    if (q.Available !== undefined && (activity?.available ?? false) !== q.Available) return false;
    if (q.FriendlyName !== undefined && w.friendlyName !== q.FriendlyName) return false;
    if (members && !members.has(w.sid)) return false;
    return !expression || expression(s.workerViews.get(w.sid) ?? {});
  });
  if (q.Ordering === 'DateStatusChanged:asc') out.sort((a, b) => a.dateStatusChanged - b.dateStatusChanged);
  if (q.Ordering === 'DateStatusChanged:desc') out.sort((a, b) => b.dateStatusChanged - a.dateStatusChanged);
  return out;
}

function channelOf(s: WorkspaceState, workerSid: string, ref: string): WorkerChannelRecord {
  const channels = s.channelsOfWorker.get(workerSid);
  const bySid = s.workerChannels.get(ref);
  if (bySid && bySid.workerSid === workerSid) return bySid;
  const taskChannel = s.findTaskChannel(ref);
  const wc = taskChannel ? channels?.get(taskChannel.sid) : undefined;
  if (!wc) throw fail('NOT_FOUND', `WorkerChannel ${ref} not found`);
  return wc;
}

/** Registers the worker and worker channel routes. */
export function workerRoutes(api: Api): void {
  const W = '/Workspaces/:ws/Workers';
  api.get(W, { summary: 'List workers', params: List, alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    return { status: 200, body: pageOf(call, 'workers', filterWorkers(s, call), (w) => serializeWorker(s, w, call.base)) };
  });
  api.post(W, { summary: 'Create a worker', params: Create, errors: [409] }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const w = await dispatch<WorkerRecord>(call, { type: 'worker.create', friendlyName: p.FriendlyName, activitySid: p.ActivitySid, attributes: p.Attributes });
    return { status: 201, body: serializeWorker(s, w, call.base), etag: w.version };
  });
  api.get(`${W}/:wk`, { summary: 'Fetch a worker' }, (call) => {
    const s = stateOf(call);
    const w = found(s.workers, call.path['wk'], 'Worker');
    return { status: 200, body: serializeWorker(s, w, call.base), etag: w.version };
  }, ownWorker);
  api.post(`${W}/:wk`, { summary: "Update a worker (a worker token: its own activity and attributes)", params: Update, errors: [409, 412] }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const w = await dispatch<WorkerRecord>(call, {
      type: 'worker.update',
      sid: call.path['wk']!,
      friendlyName: p.FriendlyName,
      activitySid: p.ActivitySid,
      attributes: p.Attributes,
      rejectPendingReservations: p.RejectPendingReservations,
      ifMatch: call.ifMatch,
    });
    return { status: 200, body: serializeWorker(s, w, call.base), etag: w.version };
  }, ownWorkerUpdate);
  api.delete(`${W}/:wk`, { summary: 'Delete a worker', errors: [409, 412] }, async (call) => {
    stateOf(call);
    await dispatch(call, { type: 'worker.delete', sid: call.path['wk']!, ifMatch: call.ifMatch });
    return { status: 204 };
  });

  const C = `${W}/:wk/Channels`;
  api.get(C, { summary: "List a worker's channels", alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    const w = found(s.workers, call.path['wk'], 'Worker');
    const all = [...(s.channelsOfWorker.get(w.sid)?.values() ?? [])];
    return { status: 200, body: pageOf(call, 'channels', all, (c) => serializeWorkerChannel(s, c, call.base)) };
  }, ownWorker);
  api.get(`${C}/:wc`, { summary: "Fetch a worker's channel by SID or task channel unique name" }, (call) => {
    const s = stateOf(call);
    const w = found(s.workers, call.path['wk'], 'Worker');
    return { status: 200, body: serializeWorkerChannel(s, channelOf(s, w.sid, call.path['wc']!), call.base) };
  }, ownWorker);
  api.post(`${C}/:wc`, { summary: "Update a worker's channel capacity or availability", params: ChannelUpdate }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const wc = await dispatch<WorkerChannelRecord>(call, {
      type: 'workerChannel.update',
      workerSid: call.path['wk']!,
      sid: call.path['wc']!,
      capacity: p.Capacity,
      available: p.Available,
    });
    return { status: 200, body: serializeWorkerChannel(s, wc, call.base) };
  }, ownWorker);
}
