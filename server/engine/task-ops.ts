import type { TaskRecord } from './model.js';
import { queueArchive } from './archive.js';
import { taskEventData } from './event-data.js';
import { emitReservationEvent, endReservation, keepOfferMarks, releaseCapacity, settleReservation } from './reservation-ops.js';
import { currentTarget, routeTask } from './route.js';
import { RECORDS_PER_SLICE, timerKey, wholeSecondFrom, type StepContext } from './step-context.js';
import type { WorkspaceState } from './workspace-state.js';

/** How long a completed or canceled task stays readable before it is dropped (TaskRouter: ~5 minutes). */
export const TERMINAL_TASK_RETENTION_MS = 5 * 60_000;

/** Emits a `task.*` event. */
export function emitTaskEvent(
  state: WorkspaceState,
  task: TaskRecord,
  eventType: string,
  description: string,
  ctx: StepContext,
  extra?: Record<string, unknown>,
): void {
  const data = taskEventData(state, task, ctx.now);
  if (extra) Object.assign(data, extra);
  ctx.emit({ eventType, description, resourceType: 'task', resourceSid: task.sid, workerSid: null, data });
}

/**
 * Runs a task through its workflow's filters from `fromFilter`: the first match sends it to that
 * filter's first live target; with none, the default filter (first evaluation only), or cancellation
 * with `workflow.skipped` (every target skipped) or, after a timeout, `workflow.timeout`.
 */
export function enterWorkflow(state: WorkspaceState, task: TaskRecord, ctx: StepContext, fromFilter = 0): void {
  const workflow = task.workflowSid ? state.compiledWorkflows.get(task.workflowSid) : undefined;
  if (!workflow) return;
  const attributes = state.attributesOf(task);
  let matched = false;
  for (let fi = fromFilter; fi < workflow.filters.length; fi += 1) {
    const filter = workflow.filters[fi]!;
    if (filter.expression.alwaysTrue || filter.expression.evaluate(attributes)) {
      matched = true;
      if (enterTarget(state, task, fi, 0, ctx)) return;
    }
  }
  if (fromFilter === 0 && workflow.defaultQueueSid) {
    moveToQueue(state, task, workflow.defaultQueueSid, { filter: -1, target: 0 }, ctx);
    routeTask(state, task, ctx);
    return;
  }
  if (fromFilter === 0 && matched) {
    // Every target of every matching filter was skipped and there is no default filter.
    ctx.emit({
      eventType: 'workflow.skipped',
      description: `Task ${task.sid} skipped every target of its workflow`,
      resourceType: 'workflow',
      resourceSid: task.workflowSid!,
      workerSid: null,
      data: taskEventData(state, task, ctx.now),
    });
    cancelTask(state, task, 'Workflow Skipped', ctx);
    return;
  }
  if (fromFilter > 0) {
    ctx.emit({
      eventType: 'workflow.timeout',
      description: `Task ${task.sid} timed out of its workflow`,
      resourceType: 'workflow',
      resourceSid: task.workflowSid!,
      workerSid: null,
      data: taskEventData(state, task, ctx.now),
    });
    cancelTask(state, task, 'Workflow Timeout', ctx);
  }
}

/**
 * Puts a task on target `ti` of filter `fi`, skipping targets whose cumulative deadline has passed
 * or whose `skip_if` holds when no offer could be made at once. False when the filter is exhausted.
 */
function enterTarget(state: WorkspaceState, task: TaskRecord, fi: number, ti: number, ctx: StepContext): boolean {
  const filter = state.compiledWorkflows.get(task.workflowSid!)!.filters[fi]!;
  for (let i = ti; i < filter.targets.length; i += 1) {
    const target = filter.targets[i]!;
    const deadline = target.deadlineOffsetMs === null ? null : task.workflowEnteredAt + target.deadlineOffsetMs;
    if (deadline !== null && deadline <= ctx.now) continue;
    if (target.priority !== null && target.priority !== task.priority) {
      state.routing.unlist(task);
      task.priority = target.priority;
    }
    moveToQueue(state, task, target.queueSid, { filter: fi, target: i }, ctx);
    ctx.emit({
      eventType: 'workflow.target-matched',
      description: `Task ${task.sid} matched target ${i} of filter ${filter.name}`,
      resourceType: 'workflow',
      resourceSid: task.workflowSid!,
      workerSid: null,
      data: { ...taskEventData(state, task, ctx.now), workflow_filter_name: filter.name, workflow_target_index: i },
    });
    const made = routeTask(state, task, ctx);
    if (made === 0 && target.skipIf && target.skipIf.evaluate({ workers: workerCounts(state, target.queueSid) })) continue;
    if (deadline !== null) ctx.setTimer(timerKey.target(task.sid), deadline);
    else ctx.clearTimer(timerKey.target(task.sid));
    return true;
  }
  return false;
}

/** `workers.available`, `workers.unavailable` and per-activity counts of a queue, for `skip_if`. */
function workerCounts(state: WorkspaceState, queueSid: string): Record<string, number> {
  const counts: Record<string, number> = { available: 0, unavailable: 0 };
  for (const workerSid of state.routing.members.get(queueSid) ?? []) {
    const worker = state.workers.get(workerSid)!;
    const activity = state.activityOf(worker);
    counts[activity.available ? 'available' : 'unavailable']! += 1;
    counts[activity.sid] = (counts[activity.sid] ?? 0) + 1;
  }
  return counts;
}

/** Places a task in a queue (canceling offers made from another one) and lists it for routing. */
export function moveToQueue(state: WorkspaceState, task: TaskRecord, queueSid: string, step: TaskRecord['step'], ctx: StepContext): void {
  const moved = task.taskQueueSid !== queueSid;
  if (moved) {
    for (const reservation of [...(state.pendingOfTask.get(task.sid) ?? [])]) endReservation(state, reservation, 'canceled', ctx);
  }
  state.routing.unlist(task);
  task.step = step;
  task.dateUpdated = ctx.now;
  if (moved) {
    task.taskQueueSid = queueSid;
    task.taskQueueEnteredAt = ctx.now;
  }
  const queue = state.taskQueues.get(queueSid)!;
  if (state.pendingCount(task.sid) < queue.maxReservedWorkers) state.routing.list(task);
  ctx.save('task', task);
  if (moved) {
    emitTaskEvent(state, task, 'task-queue.entered', `Task ${task.sid} entered TaskQueue ${queue.friendlyName}`, ctx, {
      task_queue_target_expression: queue.targetWorkers,
    });
  }
}

/** Moves a task past its current target after that target's timeout. */
export function advanceTarget(state: WorkspaceState, task: TaskRecord, ctx: StepContext): void {
  if (!task.step || (task.assignmentStatus !== 'pending' && task.assignmentStatus !== 'reserved')) return;
  const current = currentTarget(state, task);
  if (current?.deadlineOffsetMs == null || task.workflowEnteredAt + current.deadlineOffsetMs > ctx.now) return;
  const { filter, target } = task.step;
  for (const reservation of [...(state.pendingOfTask.get(task.sid) ?? [])]) endReservation(state, reservation, 'canceled', ctx);
  ctx.tasksToRoute.delete(task);
  if (filter >= 0 && enterTarget(state, task, filter, target + 1, ctx)) return;
  enterWorkflow(state, task, ctx, filter + 1);
}

/** Cancels a pending or reserved task: its offers are canceled and it leaves routing. */
export function cancelTask(state: WorkspaceState, task: TaskRecord, reason: string, ctx: StepContext): void {
  task.assignmentStatus = 'canceled';
  task.reason = reason;
  for (const reservation of [...(state.pendingOfTask.get(task.sid) ?? [])]) endReservation(state, reservation, 'canceled', ctx);
  closeTask(state, task, ctx);
  emitTaskEvent(state, task, 'task.canceled', `Task ${task.sid} canceled: ${reason}`, ctx);
}

/** Wraps up or completes an assigned task together with its accepted reservation. */
export function settleTask(state: WorkspaceState, task: TaskRecord, status: 'wrapping' | 'completed', reason: string | null, ctx: StepContext): void {
  task.assignmentStatus = status;
  if (reason !== null) task.reason = reason;
  for (const reservation of state.reservationsOfTask.get(task.sid) ?? []) {
    if (reservation.status === 'accepted' || (status === 'completed' && reservation.status === 'wrapping')) {
      settleReservation(state, reservation, status, ctx);
    }
  }
  if (status === 'completed') closeTask(state, task, ctx);
  else {
    task.dateUpdated = ctx.now;
    task.version += 1;
    ctx.save('task', task);
  }
  emitTaskEvent(state, task, status === 'completed' ? 'task.completed' : 'task.wrapup', `Task ${task.sid} ${status === 'completed' ? 'completed' : 'wrapping up'}`, ctx);
}

/** Takes a terminal task out of routing and schedules when it is dropped. */
function closeTask(state: WorkspaceState, task: TaskRecord, ctx: StepContext): void {
  state.routing.unlist(task);
  ctx.tasksToRoute.delete(task);
  task.dateUpdated = ctx.now;
  task.version += 1;
  task.purgeAt = ctx.now + TERMINAL_TASK_RETENTION_MS;
  // Nothing routes a finished task again: its parsed attributes would only weigh on the heap.
  state.taskAttributes.delete(task.sid);
  ctx.clearTimer(timerKey.ttl(task.sid));
  ctx.clearTimer(timerKey.target(task.sid));
  // Queued behind every task that finished before it; the first one queued arms the purge timer.
  const idle = state.purgeQueue.first() === undefined;
  state.purgeQueue.push(task.sid);
  if (idle) ctx.setTimer(timerKey.purge, purgeDeadline(task.purgeAt));
  queueArchive(state, task, ctx);
  ctx.save('task', task);
}

/** When the purge timer fires for a task due at `at`: the whole second at or after, so a second's finished tasks go in one firing. */
export function purgeDeadline(at: number): number {
  return wholeSecondFrom(at);
}

/** Applies the purge timer: drops the finished tasks that are due, first due first, about `RECORDS_PER_SLICE` records, and re-arms it for the next (at once if more are due). */
export function purgeDue(state: WorkspaceState, ctx: StepContext): void {
  for (let records = 0, sid = state.purgeQueue.first(); sid !== undefined && records < RECORDS_PER_SLICE; sid = state.purgeQueue.first()) {
    const purgeAt = purgeAtOf(state, sid);
    if (purgeAt !== undefined && purgeAt > ctx.now) break;
    state.purgeQueue.shift();
    if (purgeAt === undefined) continue;
    const live = state.tasks.get(sid);
    if (live) {
      records += 1 + (state.reservationsOfTask.get(sid)?.length ?? 0);
      dropTask(state, live, ctx);
    } else records += 1 + dropArchived(state, sid, ctx);
  }
  armPurge(state, ctx);
}

/** When a finished task (live or archived) is due for its purge; undefined for a task gone or not finished. */
function purgeAtOf(state: WorkspaceState, sid: string): number | undefined {
  const live = state.tasks.get(sid);
  return live ? (live.purgeAt ?? undefined) : state.finished.purgeAt(sid);
}

/** Arms the purge timer for the first finished task still kept (skipping those dropped early), or clears it when none is. */
function armPurge(state: WorkspaceState, ctx: StepContext): void {
  for (let sid = state.purgeQueue.first(); sid !== undefined; sid = state.purgeQueue.first()) {
    const purgeAt = purgeAtOf(state, sid);
    if (purgeAt !== undefined) return ctx.setTimer(timerKey.purge, purgeDeadline(purgeAt));
    state.purgeQueue.shift();
  }
  ctx.clearTimer(timerKey.purge);
}

/**
 * Drops an archived task at its purge, straight from the archive: a finished task holds no capacity,
 * no offer and no timer, so what is left is what `dropTask` does last (its records' removal, and the
 * offer marks its reservations carried). Returns how many reservations it had.
 */
function dropArchived(state: WorkspaceState, sid: string, ctx: StepContext): number {
  const { reservations } = state.finished.take(sid)!;
  for (const reservation of reservations) {
    keepOfferMarks(state, reservation, ctx);
    ctx.remove('reservation', reservation.sid);
  }
  ctx.remove('task', sid);
  return reservations.length;
}

/** Drops a task and its reservations from the workspace (API delete or retention). */
export function dropTask(state: WorkspaceState, task: TaskRecord, ctx: StepContext): void {
  for (const reservation of [...(state.pendingOfTask.get(task.sid) ?? [])]) endReservation(state, reservation, 'canceled', ctx);
  for (const reservation of state.reservationsOfTask.get(task.sid) ?? []) {
    if (reservation.status === 'accepted' || reservation.status === 'wrapping') {
      // The worker holds this task: tell it, or its page keeps a task that no longer exists.
      emitReservationEvent(state, reservation, 'reservation.canceled', ctx, { reservation_status: 'canceled', reason: 'task deleted' });
      releaseCapacity(state, reservation, ctx);
      // The reservation goes: its channel keeps the mark of being ready again itself.
      const channel = state.channelsOfWorker.get(reservation.workerSid)?.get(reservation.taskChannelSid);
      if (channel && reservation.readied) ctx.save('workerChannel', channel);
    }
    keepOfferMarks(state, reservation, ctx);
    state.reservations.delete(reservation.sid);
    state.reservationsOfWorker.get(reservation.workerSid)?.delete(reservation);
    ctx.remove('reservation', reservation.sid);
  }
  state.routing.unlist(task);
  ctx.tasksToRoute.delete(task);
  state.tasks.delete(task.sid);
  state.taskAttributes.delete(task.sid);
  state.reservationsOfTask.delete(task.sid);
  state.pendingOfTask.delete(task.sid);
  for (const key of [timerKey.ttl, timerKey.target]) ctx.clearTimer(key(task.sid));
  // A finished task deleted before its purge: the timer moves on to the next one.
  if (state.purgeQueue.first() === task.sid) armPurge(state, ctx);
  ctx.remove('task', task.sid);
}
