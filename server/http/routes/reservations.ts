/** Routes of reservations, in both views: `/Tasks/{WT}/Reservations` and `/Workers/{WK}/Reservations`. */
import { z } from 'zod';
import { fail } from '../../../shared/errors.js';
import type { WorkerGrant } from '../../auth/tokens.js';
import type { ReservationRecord } from '../../engine/model.js';
import type { WorkspaceState } from '../../engine/workspace-state.js';
import { dispatch, found, stateOf, type Api, type Call } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { oneOf, sid, text } from '../params.js';
import { serializeReservation } from '../serialize.js';

const STATUSES = ['pending', 'accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'wrapping', 'completed'] as const;
const List = z.object({ ReservationStatus: oneOf(STATUSES).optional(), WorkerSid: text().optional() });
const Update = z.object({
  ReservationStatus: oneOf(['accepted', 'rejected', 'wrapping', 'completed']).optional(),
  WorkerActivitySid: sid('WA').optional(),
  Instruction: text(64).optional(),
});

/** A reservation in the call's path scope, or 404. */
function scoped(s: WorkspaceState, call: Call): ReservationRecord {
  const r = s.findReservation(call.path['wr']!);
  const inScope = r && (call.path['wt'] === undefined || r.taskSid === call.path['wt']) && (call.path['wk'] === undefined || r.workerSid === call.path['wk']);
  if (!r || !inScope) throw fail('NOT_FOUND', `Reservation ${call.path['wr']} not found`);
  return r;
}

/** A worker token reaches its own reservations (an unknown one is left to the handler's 404). */
function ownReservation(call: Call, grant: WorkerGrant, s: WorkspaceState): boolean {
  if (call.path['wk'] !== undefined && call.path['wk'] !== grant.workerSid) return false;
  const r = s.findReservation(call.path['wr'] ?? '');
  return !r || r.workerSid === grant.workerSid;
}

function list(s: WorkspaceState, call: Call<typeof List>, all: Iterable<ReservationRecord>, onlyWorker?: string) {
  const q = call.params();
  const workerSid = onlyWorker ?? q.WorkerSid;
  const rows = [...all].filter((r) => (q.ReservationStatus === undefined || r.status === q.ReservationStatus) && (workerSid === undefined || r.workerSid === workerSid));
  if (onlyWorker !== undefined && q.WorkerSid !== undefined && q.WorkerSid !== onlyWorker) rows.length = 0;
  return { status: 200, body: pageOf(call, 'reservations', rows, (r) => serializeReservation(s, r, call.base)) };
}

async function update(call: Call<typeof Update>) {
  const s = stateOf(call);
  const p = call.params();
  const r = await dispatch<ReservationRecord>(call, {
    type: 'reservation.update',
    sid: call.path['wr']!,
    taskSid: call.path['wt'],
    workerSid: call.path['wk'],
    status: p.ReservationStatus,
    workerActivitySid: p.WorkerActivitySid,
    instruction: p.Instruction,
    ifMatch: call.ifMatch,
  });
  return { status: 200, body: serializeReservation(s, r, call.base), etag: r.version };
}

function fetch(call: Call) {
  const s = stateOf(call);
  const r = scoped(s, call);
  return { status: 200, body: serializeReservation(s, r, call.base), etag: r.version };
}

const UPDATE_SPEC = {
  summary: 'Accept, reject, wrap up or complete a reservation',
  description: 'An accept that arrives after another worker accepted the task (its reservation was rescinded) answers 410 Gone.',
  params: Update,
  errors: [409, 410, 412],
};

/** Registers both reservation views. */
export function reservationRoutes(api: Api): void {
  const T = '/Workspaces/:ws/Tasks/:wt/Reservations';
  api.get(T, { summary: "List a task's reservations (a worker token: its own)", params: List, alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    const task = found((sid) => s.findTask(sid), call.path['wt'], 'Task');
    const only = call.principal.type === 'worker' ? call.principal.grant.workerSid : undefined;
    return list(s, call, s.reservationsOf(task.sid), only);
  }, () => true);
  api.get(`${T}/:wr`, { summary: 'Fetch a reservation of a task' }, fetch, ownReservation);
  api.post(`${T}/:wr`, UPDATE_SPEC, update, ownReservation);

  const W = '/Workspaces/:ws/Workers/:wk/Reservations';
  api.get(W, { summary: "List a worker's reservations", params: List, alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    const worker = found(s.workers, call.path['wk'], 'Worker');
    return list(s, call, s.allReservationsOfWorker(worker.sid));
  }, ownReservation);
  api.get(`${W}/:wr`, { summary: 'Fetch a reservation of a worker' }, fetch, ownReservation);
  api.post(`${W}/:wr`, UPDATE_SPEC, update, ownReservation);
}
