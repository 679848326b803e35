import { archiveDue } from '../archive.js';
import type { CommandOf } from '../commands.js';
import { checkVersion, err, ok, type Outcome } from '../outcome.js';
import type { ReservationRecord } from '../model.js';
import { acceptReservation, endReservation } from '../reservation-ops.js';
import { passedTaskDeadline } from '../route.js';
import { timerKey, type StepContext } from '../step-context.js';
import { advanceTarget, cancelTask, purgeDue, settleTask } from '../task-ops.js';
import { setWorkerActivity } from '../worker-activity.js';
import type { WorkspaceState } from '../workspace-state.js';

/** Instructions that need telephony, which the hub does not have. */
const VOICE_INSTRUCTIONS = new Set(['dequeue', 'call', 'redirect', 'conference', 'supervise']);

/**
 * Applies `reservation.update`. Accept and reject need a pending reservation; wrapping and
 * completed an accepted one. Any update of a reservation that has ended is 410 Gone.
 */
export function updateReservation(state: WorkspaceState, cmd: CommandOf<'reservation.update'>, ctx: StepContext): Outcome {
  // An archived task's reservations have all ended: each answer below for one is 410, and changes nothing.
  const reservation = state.findReservation(cmd.sid);
  const outOfScope =
    !reservation ||
    (cmd.taskSid !== undefined && reservation.taskSid !== cmd.taskSid) ||
    (cmd.workerSid !== undefined && reservation.workerSid !== cmd.workerSid);
  if (!reservation || outOfScope) return err('NOT_FOUND', `Reservation ${cmd.sid} not found`);
  const bad = checkVersion(cmd.ifMatch, reservation.version);
  if (bad) return bad;
  const status = cmd.status ?? instructionStatus(cmd.instruction);
  const ended = reservation.status !== 'pending' && reservation.status !== 'accepted' && reservation.status !== 'wrapping';
  // Built only when needed: an error captures a stack trace, which would cost every successful update.
  const gone = () => err('GONE', `Reservation ${reservation.sid} is no longer pending: it was ${reservation.status}`);
  // An offer answered at or after a deadline that ends it (its own, its task's TTL, its workflow target's) has
  // ended, though the timer due now has not fired yet: the answer is the one it gets a moment later, when
  // that timer ends the offer as it would have anyway.
  const overdue = reservation.status === 'pending' ? passedDeadline(state, reservation, ctx.now) : null;
  const timedOut = () => err('GONE', `Reservation ${reservation.sid} is no longer pending: ${overdue}`);
  if (cmd.instruction !== undefined && VOICE_INSTRUCTIONS.has(cmd.instruction)) {
    if (reservation.status !== 'pending') return gone();
    if (overdue) return timedOut();
    return err('BAD_REQUEST', `Instruction ${cmd.instruction} needs telephony, which this hub does not provide`);
  }
  if (status === undefined) {
    if (cmd.instruction === undefined) return err('BAD_REQUEST', 'ReservationStatus or Instruction is required');
    return err('BAD_REQUEST', `Instruction ${cmd.instruction} must be accept or reject`);
  }
  switch (status) {
    case 'accepted':
      if (reservation.status !== 'pending') return gone();
      if (overdue) return timedOut();
      acceptReservation(state, reservation, ctx);
      return ok(reservation);
    case 'rejected': {
      if (reservation.status !== 'pending') return gone();
      if (overdue) return timedOut();
      const activity = cmd.workerActivitySid !== undefined ? state.activities.get(cmd.workerActivitySid) : undefined;
      if (cmd.workerActivitySid !== undefined && !activity) {
        return err('BAD_REQUEST', `WorkerActivitySid ${cmd.workerActivitySid} is not an Activity of this workspace`);
      }
      const task = state.tasks.get(reservation.taskSid)!;
      if (!task.rejectedWorkerSids.includes(reservation.workerSid)) task.rejectedWorkerSids.push(reservation.workerSid);
      ctx.save('task', task);
      endReservation(state, reservation, 'rejected', ctx);
      const worker = state.workers.get(reservation.workerSid);
      if (worker && activity) setWorkerActivity(state, worker, activity.sid, ctx);
      return ok(reservation);
    }
    case 'wrapping':
    case 'completed':
      if (ended) return gone();
      if (reservation.status === 'pending') return err('CONFLICT', `Reservation ${reservation.sid} is pending; accept it first`);
      if (status === 'wrapping' && reservation.status === 'wrapping') return ok(reservation);
      settleTask(state, state.tasks.get(reservation.taskSid)!, status, null, ctx);
      return ok(reservation);
  }
}

/** Which deadline ending a pending offer has passed at `now`, if any: its own, its task's TTL, its workflow target's timeout. */
function passedDeadline(state: WorkspaceState, reservation: ReservationRecord, now: number): string | null {
  if (reservation.timeoutAt <= now) return 'it timed out';
  const task = state.tasks.get(reservation.taskSid);
  const passed = task ? passedTaskDeadline(state, task, now) : null;
  if (passed === 'ttl') return 'its task timed out';
  if (passed === 'target') return "its task's workflow target timed out";
  return null;
}

function instructionStatus(instruction: string | undefined): 'accepted' | 'rejected' | undefined {
  if (instruction === 'accept') return 'accepted';
  if (instruction === 'reject') return 'rejected';
  return undefined;
}

/** Applies `timer.fired`; a timer whose deadline moved or whose subject ended is ignored. */
export function fireTimer(state: WorkspaceState, cmd: CommandOf<'timer.fired'>, ctx: StepContext): Outcome {
  if (cmd.key === timerKey.purge) {
    purgeDue(state, ctx);
    return ok(null);
  }
  if (cmd.key === timerKey.archive) {
    archiveDue(state, ctx);
    return ok(null);
  }
  const [kind, sid = ''] = cmd.key.split(':');
  if (kind === 'reservation') {
    const reservation = state.reservations.get(sid);
    if (!reservation || reservation.status !== 'pending' || reservation.timeoutAt > ctx.now) return ok(null);
    endReservation(state, reservation, 'timeout', ctx);
    const worker = state.workers.get(reservation.workerSid);
    const timeoutActivity = state.workspace.timeoutActivitySid;
    if (worker && state.activities.has(timeoutActivity)) setWorkerActivity(state, worker, timeoutActivity, ctx);
    return ok(reservation);
  }
  const task = state.tasks.get(sid);
  if (!task) return ok(null);
  const waiting = task.assignmentStatus === 'pending' || task.assignmentStatus === 'reserved';
  if (kind === 'ttl' && waiting && task.dateCreated + task.timeout * 1000 <= ctx.now) {
    cancelTask(state, task, 'Task TTL Exceeded', ctx);
  } else if (kind === 'target' && waiting) {
    advanceTarget(state, task, ctx);
  }
  return ok(task);
}

/** Applies `callback.report`: no state changes, one `callback.error` event for the operator. */
export function reportCallback(state: WorkspaceState, cmd: CommandOf<'callback.report'>, ctx: StepContext): Outcome {
  const reservation = state.findReservation(cmd.reservationSid);
  if (!reservation) return err('NOT_FOUND', `Reservation ${cmd.reservationSid} not found`);
  ctx.emit({
    eventType: 'callback.error',
    description: `Assignment callback for reservation ${reservation.sid}: ${cmd.message}`,
    resourceType: 'reservation',
    resourceSid: reservation.sid,
    workerSid: null,
    data: {
      reservation_sid: reservation.sid,
      task_sid: reservation.taskSid,
      worker_sid: reservation.workerSid,
      callback_url: cmd.url,
      error_code: cmd.code,
      error_message: cmd.message,
    },
  });
  return ok(reservation);
}
