import type { ReservationRecord, ReservationStatus, TaskRecord, WorkerRecord } from './model.js';
import { reservationEventData } from './event-data.js';
import { timerKey, type StepContext } from './step-context.js';
import { setWorkerActivity } from './worker-activity.js';
import { addTo, type WorkspaceState } from './workspace-state.js';

/** The reservation timeout used when a task has no workflow. */
export const DEFAULT_RESERVATION_TIMEOUT_S = 120;

/** A multi-reservation round is counted once; past this many rounds a task is canceled. */
export const MAX_ASSIGNMENT_COUNT = 1000;

const DESCRIPTIONS: Record<ReservationStatus, string> = {
  pending: 'created',
  accepted: 'accepted',
  rejected: 'rejected',
  timeout: 'timed out',
  canceled: 'canceled',
  rescinded: 'rescinded',
  wrapping: 'wrapping up',
  completed: 'completed',
};

/** Emits `reservation.<event>` for a reservation, pushed to its worker. */
export function emitReservationEvent(
  state: WorkspaceState,
  reservation: ReservationRecord,
  eventType: string,
  ctx: StepContext,
  extra?: Record<string, unknown>,
): void {
  const worker = state.workers.get(reservation.workerSid);
  // The extra fields go into the event's data in place: a copy of it per offer and per rescind was garbage.
  const data = reservationEventData(state, reservation, ctx.now);
  if (extra) Object.assign(data, extra);
  ctx.emit({
    eventType,
    description: `Reservation ${reservation.sid} for worker ${worker?.friendlyName ?? reservation.workerSid} ${DESCRIPTIONS[reservation.status]}`,
    resourceType: 'reservation',
    resourceSid: reservation.sid,
    workerSid: reservation.workerSid,
    data,
  });
}

/** Offers a task to a worker: a pending reservation with a deadline, holding one unit of capacity. */
export function createReservation(state: WorkspaceState, task: TaskRecord, worker: WorkerRecord, ctx: StepContext): ReservationRecord {
  const workflow = task.workflowSid ? state.workflows.get(task.workflowSid) : undefined;
  const timeoutS = workflow?.taskReservationTimeout ?? DEFAULT_RESERVATION_TIMEOUT_S;
  // TaskRouter versions a worker on each offer; Twilio's SDK counts on it for If-Match.
  worker.version += 1;
  const reservation: ReservationRecord = {
    sid: ctx.ids('WR'),
    workspaceSid: state.workspace.sid,
    taskSid: task.sid,
    workerSid: worker.sid,
    taskQueueSid: task.taskQueueSid!,
    workflowSid: task.workflowSid,
    taskChannelSid: task.taskChannelSid,
    status: 'pending',
    timeoutAt: ctx.now + timeoutS * 1000,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
    version: 0,
    workerVersion: worker.version,
  };
  state.reservations.set(reservation.sid, reservation);
  state.indexReservation(reservation);
  addTo(state.pendingOfTask, task.sid, reservation);
  state.adjustLoad(reservation, 1);

  // The new version and offer time are durable in the reservation: no worker or channel record to write per offer.
  const channel = state.channelsOfWorker.get(worker.sid)?.get(task.taskChannelSid);
  if (channel) channel.lastReservedAt = ctx.now;
  state.routing.syncReadiness(worker, ctx.now, task.taskChannelSid);

  if (task.assignmentStatus === 'pending') {
    task.assignmentStatus = 'reserved';
    task.assignmentCount += 1;
    task.dateUpdated = ctx.now;
    task.version += 1;
  }
  const queue = state.taskQueues.get(reservation.taskQueueSid);
  if (state.pendingCount(task.sid) >= (queue?.maxReservedWorkers ?? 1)) state.routing.unlist(task);
  ctx.save('task', task);
  ctx.save('reservation', reservation);
  ctx.setTimer(timerKey.reservation(reservation.sid), reservation.timeoutAt);
  emitReservationEvent(state, reservation, 'reservation.created', ctx);
  if (workflow?.assignmentCallbackUrl) {
    ctx.push({
      type: 'assignment.callback',
      reservationSid: reservation.sid,
      url: workflow.assignmentCallbackUrl,
      fallbackUrl: workflow.fallbackAssignmentCallbackUrl,
    });
  }
  if (queue?.reservationActivitySid && state.activities.has(queue.reservationActivitySid)) {
    setWorkerActivity(state, worker, queue.reservationActivitySid, ctx);
  }
  return reservation;
}

/**
 * Ends a pending reservation without an accept (rejected, timeout, canceled, rescinded): frees the
 * worker's capacity and, when it was the task's last pending offer, returns the task to pending.
 */
export function endReservation(
  state: WorkspaceState,
  reservation: ReservationRecord,
  status: 'rejected' | 'timeout' | 'canceled' | 'rescinded',
  ctx: StepContext,
  extra?: Record<string, unknown>,
): void {
  reservation.status = status;
  reservation.dateUpdated = ctx.now;
  reservation.version += 1;
  state.unlistPending(reservation);
  releaseCapacity(state, reservation, ctx);
  ctx.clearTimer(timerKey.reservation(reservation.sid));
  ctx.save('reservation', reservation);

  const task = state.tasks.get(reservation.taskSid);
  if (task && (task.assignmentStatus === 'reserved' || task.assignmentStatus === 'pending')) {
    if (state.pendingCount(task.sid) === 0) {
      task.assignmentStatus = 'pending';
      task.dateUpdated = ctx.now;
      task.version += 1;
      ctx.save('task', task);
    }
    // A full task listed again may now take another worker, unless its queue's limit was lowered below its offers.
    const queue = task.taskQueueSid ? state.taskQueues.get(task.taskQueueSid) : undefined;
    if (queue && state.pendingCount(task.sid) < queue.maxReservedWorkers) state.routing.list(task);
    ctx.tasksToRoute.add(task);
  }
  emitReservationEvent(state, reservation, `reservation.${status}`, ctx, extra);
}

/** Accepts a pending reservation: the task is assigned and every other pending offer is rescinded. */
export function acceptReservation(state: WorkspaceState, reservation: ReservationRecord, ctx: StepContext): void {
  const task = state.tasks.get(reservation.taskSid)!;
  reservation.status = 'accepted';
  reservation.dateUpdated = ctx.now;
  reservation.version += 1;
  state.unlistPending(reservation);
  ctx.clearTimer(timerKey.reservation(reservation.sid));
  ctx.save('reservation', reservation);

  task.assignmentStatus = 'assigned';
  task.dateUpdated = ctx.now;
  task.version += 1;
  state.routing.unlist(task);
  ctx.clearTimer(timerKey.ttl(task.sid));
  ctx.clearTimer(timerKey.target(task.sid));
  ctx.save('task', task);
  emitReservationEvent(state, reservation, 'reservation.accepted', ctx);

  for (const other of [...(state.pendingOfTask.get(task.sid) ?? [])]) {
    endReservation(state, other, 'rescinded', ctx, {
      description_detail: 'Multi-reservation was used for a task and another worker has accepted one of the created reservations',
    });
  }
  const queue = state.taskQueues.get(reservation.taskQueueSid);
  const worker = state.workers.get(reservation.workerSid);
  if (worker && queue?.assignmentActivitySid && state.activities.has(queue.assignmentActivitySid)) {
    setWorkerActivity(state, worker, queue.assignmentActivitySid, ctx);
  }
}

/** Moves an accepted reservation to wrapping or completed, mirroring its task. */
export function settleReservation(
  state: WorkspaceState,
  reservation: ReservationRecord,
  status: 'wrapping' | 'completed',
  ctx: StepContext,
): void {
  reservation.status = status;
  reservation.dateUpdated = ctx.now;
  reservation.version += 1;
  if (status === 'completed') releaseCapacity(state, reservation, ctx);
  ctx.save('reservation', reservation);
  emitReservationEvent(state, reservation, status === 'wrapping' ? 'reservation.wrapup' : 'reservation.completed', ctx);
}

/**
 * Gives a reservation's unit of capacity back and lets its worker look for work. A channel that
 * became ready again by it is marked (`lastFreedAt`): the reservation carries the mark of its own
 * channel (`readied`); another channel (single-tasking frees them all) is saved with its mark.
 */
export function releaseCapacity(state: WorkspaceState, reservation: ReservationRecord, ctx: StepContext): void {
  state.adjustLoad(reservation, -1);
  const worker = state.workers.get(reservation.workerSid);
  if (!worker) return;
  ctx.workersToRoute.add(worker.sid);
  for (const channel of state.routing.syncReadiness(worker, ctx.now)) {
    if (channel.taskChannelSid === reservation.taskChannelSid) reservation.readied = true;
    else ctx.save('workerChannel', channel);
  }
}

/**
 * Puts a worker in or out of its queues' ready sets after its capacity, its channels or the
 * workspace's multitasking changed: a channel that became ready again by it is saved with its mark.
 */
export function resyncReadiness(state: WorkspaceState, worker: WorkerRecord, ctx: StepContext): void {
  for (const channel of state.routing.syncReadiness(worker, ctx.now)) ctx.save('workerChannel', channel);
}

/**
 * Before a reservation is dropped for good: if it is what makes its worker's version or its
 * channel's last offer time durable (the newest offer, see `ReservationRecord.workerVersion`), the
 * worker or channel record is saved with it. Any older offer is covered by a newer one, kept or saved.
 */
export function keepOfferMarks(state: WorkspaceState, reservation: ReservationRecord, ctx: StepContext): void {
  const worker = state.workers.get(reservation.workerSid);
  if (!worker) return;
  if (reservation.workerVersion === worker.version) ctx.save('worker', worker);
  const channel = state.channelsOfWorker.get(worker.sid)?.get(reservation.taskChannelSid);
  if (!channel) return;
  const freedMark = reservation.readied === true && channel.lastFreedAt === reservation.dateUpdated;
  if (channel.lastReservedAt === reservation.dateCreated || freedMark) ctx.save('workerChannel', channel);
}

/**
 * At restore, each worker's version and each channel's last offer time and last time it became
 * ready again as the newest of their saved records and their reservations (see
 * `ReservationRecord.workerVersion` and `readied`).
 */
export function restoreOfferMarks(state: WorkspaceState): void {
  for (const reservation of state.reservations.values()) {
    const worker = state.workers.get(reservation.workerSid);
    if (!worker) continue;
    if (reservation.workerVersion !== undefined && reservation.workerVersion > worker.version) worker.version = reservation.workerVersion;
    const channel = state.channelsOfWorker.get(worker.sid)?.get(reservation.taskChannelSid);
    if (channel && reservation.dateCreated > channel.lastReservedAt) channel.lastReservedAt = reservation.dateCreated;
    if (channel && reservation.readied && reservation.dateUpdated > (channel.lastFreedAt ?? 0)) channel.lastFreedAt = reservation.dateUpdated;
  }
}
