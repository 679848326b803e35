/**
 * The `Worker` SDK's own routes: its worker, the workspace's activities, its channels and its
 * reservations. Each decodes the envelope's params with the REST parameter blocks, checks the
 * token's reach, and runs the same engine command the REST API and the native socket run.
 */
import { z } from 'zod';
import { fail } from '../../shared/errors.js';
import type { ReservationRecord, WorkerRecord } from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import { bool, jsonText, oneOf, parseParams, sid, text } from '../http/params.js';
import { oversees, ownWorker, reachableWorker, read, run, workspaceOf, type EdgeHandler, type EdgeRequest } from './edge-request.js';
import { activityShape, channelShape, contentsPage, reservationShape, workerShape } from './internal-shapes.js';

const WorkerUpdate = z.object({
  ActivitySid: sid('WA').optional(),
  RejectPendingReservations: bool().optional(),
  Attributes: jsonText().optional(),
});
const STATUSES = ['pending', 'accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'wrapping', 'completed'] as const;
const ReservationList = z.object({ ReservationStatus: oneOf(STATUSES).optional() });
const ReservationUpdate = z.object({
  ReservationStatus: oneOf(['accepted', 'rejected', 'wrapping', 'completed']).optional(),
  WorkerActivitySid: sid('WA').optional(),
  Instruction: text(64).optional(),
});

/** Reservations the SDK keeps (its `Active=true` list): those still holding the worker. */
const ACTIVE: ReadonlySet<string> = new Set(['pending', 'accepted', 'wrapping']);

function worker(s: WorkspaceState, sid: string): WorkerRecord {
  const w = s.workers.get(sid);
  if (!w) throw fail('NOT_FOUND', `Worker ${sid} not found`);
  return w;
}

function reservationOf(s: WorkspaceState, req: EdgeRequest, workerSid: string): ReservationRecord {
  const r = s.findReservation(req.path['wr'] ?? '');
  if (!r || r.workerSid !== workerSid) throw fail('NOT_FOUND', `Reservation ${req.path['wr']} not found`);
  return r;
}

/** `GET Workspaces/{WS}/Workers/{WK}`: the worker (the SDK's init, `fetchLatestVersion`, `Workspace.fetchWorker`). */
export const fetchWorker: EdgeHandler = (req) => read(req, (s) => workerShape(s, worker(s, reachableWorker(req))));

/**
 * `POST Workspaces/{WS}/Workers/{WK}`: activity (optionally rejecting pending offers) or attributes.
 * A supervisor's `setWorkerActivity` sends its own version as `If-Match`, so it binds only the token's own worker.
 */
export const updateWorker: EdgeHandler = (req) => {
  workspaceOf(req);
  const sid = reachableWorker(req);
  const p = parseParams(WorkerUpdate, req.params);
  return run<WorkerRecord>(
    req,
    {
      type: 'worker.update',
      sid,
      activitySid: p.ActivitySid,
      attributes: p.Attributes,
      rejectPendingReservations: p.RejectPendingReservations,
      ifMatch: sid === req.grant.workerSid ? req.ifMatch : undefined,
    },
    (state, w) => workerShape(state, w),
  );
};

/** `GET Workspaces/{WS}/Activities`: every activity of the workspace. */
export const listActivities: EdgeHandler = (req) =>
  read(req, (s) => contentsPage([...s.activities.values()], req.params, (a) => activityShape(s, a)));

/** `GET Workspaces/{WS}/Workers/{WK}/WorkerChannels`: the worker's channels with their capacity and load. */
export const listChannels: EdgeHandler = (req) =>
  read(req, (s) => {
    const w = worker(s, reachableWorker(req));
    return contentsPage([...(s.channelsOfWorker.get(w.sid)?.values() ?? [])], req.params, (c) => channelShape(s, c));
  });

/** `GET Workspaces/{WS}/Workers/{WK}/Reservations`: the active ones (or those of one `ReservationStatus`), oldest first. */
export const listReservations: EdgeHandler = (req) =>
  read(req, (s) => {
    const w = worker(s, reachableWorker(req));
    const status = parseParams(ReservationList, req.params).ReservationStatus;
    const now = req.hub.now();
    // Active ones (the default) are all live; an ended one may be of an archived task.
    const all = status === undefined || ACTIVE.has(status) ? [...(s.reservationsOfWorker.get(w.sid) ?? [])] : s.allReservationsOfWorker(w.sid);
    const rows = all
      .filter((r) => (status === undefined ? ACTIVE.has(r.status) : r.status === status))
      .sort((a, b) => a.dateCreated - b.dateCreated);
    return contentsPage(rows, req.params, (r) => reservationShape(s, r, now));
  });

/** `GET Workspaces/{WS}/Workers/{WK}/Reservations/{WR}`: one reservation (`fetchLatestVersion`). */
export const fetchReservation: EdgeHandler = (req) =>
  read(req, (s) => reservationShape(s, reservationOf(s, req, reachableWorker(req)), req.hub.now()));

/**
 * `POST Workspaces/{WS}/Workers/{WK}/Reservations/{WR}`: accept, reject (with an activity), wrap up,
 * complete, or an instruction; only the reservation's own worker may answer it. A late accept is 410.
 */
export const updateReservation: EdgeHandler = (req) => {
  workspaceOf(req);
  const workerSid = ownWorker(req);
  const p = parseParams(ReservationUpdate, req.params);
  const now = req.hub.now();
  return run<ReservationRecord>(
    req,
    {
      type: 'reservation.update',
      sid: req.path['wr'] ?? '',
      workerSid,
      status: p.ReservationStatus,
      workerActivitySid: p.WorkerActivitySid,
      instruction: p.Instruction,
      ifMatch: req.ifMatch,
    },
    (s, r) => reservationShape(s, r, now),
  );
};

/** Refuses the Workspace class's worker lists to a plain worker token. */
export function mayListWorkers(req: EdgeRequest): void {
  if (!oversees(req.grant)) throw fail('FORBIDDEN', 'Listing workers needs a supervisor or admin token');
}
