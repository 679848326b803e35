/**
 * Finished tasks go into the workspace's archive (finished-tasks.ts) a little after they finish,
 * in batches, and come back out when a command changes or drops one. The delay keeps the archive
 * off the path of what follows a task's end: its events, pushes and callbacks read it live.
 */
import type { FinishedTask } from './finished-tasks.js';
import { TERMINAL_TASK_STATUSES, type TaskRecord } from './model.js';
import { RECORDS_PER_SLICE, timerKey, wholeSecondFrom, type StepContext } from './step-context.js';
import type { WorkspaceState } from './workspace-state.js';

/** How long a finished task stays live (unchanged) before it is archived. */
export const ARCHIVE_DELAY_MS = 2_000;

/** When the archive timer fires for a task finished or changed at `at`: the whole second after the delay, so a second's tasks go in one batch. */
export function archiveDeadline(at: number): number {
  return wholeSecondFrom(at + ARCHIVE_DELAY_MS);
}

/** Queues a finished task for the archive; the first one queued arms the archive timer. */
export function queueArchive(state: WorkspaceState, task: TaskRecord, ctx: StepContext): void {
  const idle = state.archiveQueue.first() === undefined;
  state.archiveQueue.push(task.sid);
  if (idle) ctx.setTimer(timerKey.archive, archiveDeadline(ctx.now));
}

/**
 * Applies the archive timer: archives the finished tasks left unchanged for the delay, in one batch
 * of about `RECORDS_PER_SLICE` records, and re-arms it: for now if more are due, else for the next
 * task to come.
 */
export function archiveDue(state: WorkspaceState, ctx: StepContext): void {
  const due: FinishedTask[] = [];
  const queue = state.archiveQueue;
  let next: number | undefined;
  let records = 0;
  for (let sid = queue.first(); sid !== undefined; sid = queue.first()) {
    const task = state.tasks.get(sid);
    // Gone (dropped, or archived from an earlier place in the queue) or not finished: nothing to do.
    if (task && TERMINAL_TASK_STATUSES.has(task.assignmentStatus)) {
      const at = archiveDeadline(task.dateUpdated);
      if (at > ctx.now || records >= RECORDS_PER_SLICE) {
        next = at > ctx.now ? at : ctx.now;
        break;
      }
      const entry = detach(state, task);
      records += 1 + entry.reservations.length;
      due.push(entry);
    }
    queue.shift();
  }
  state.finished.add(due);
  // The timer fired: it is armed again only for tasks still due (at once, for the next slice) or still to come.
  if (next !== undefined) ctx.setTimer(timerKey.archive, next);
}

/** Archives every finished task at once (a restore), in the order given. */
export function archiveAll(state: WorkspaceState, tasks: readonly TaskRecord[]): void {
  state.finished.add(tasks.map((task) => detach(state, task)));
}

/**
 * A task to change or drop: the live record, or the archived one brought back (queued for the
 * archive again, which takes it once it has been left unchanged for the delay). A handler calls
 * this once its checks have passed: a step that fails changes nothing, and its timers are dropped.
 */
export function liveTask(state: WorkspaceState, sid: string, ctx: StepContext): TaskRecord | undefined {
  const live = state.tasks.get(sid);
  if (live) return live;
  const entry = state.finished.take(sid);
  if (!entry) return undefined;
  state.tasks.set(sid, entry.task);
  for (const reservation of entry.reservations) {
    state.reservations.set(reservation.sid, reservation);
    state.indexReservation(reservation);
  }
  queueArchive(state, entry.task, ctx);
  return entry.task;
}

/** Takes a finished task and its reservations out of the live maps. */
function detach(state: WorkspaceState, task: TaskRecord): FinishedTask {
  const reservations = state.reservationsOfTask.get(task.sid) ?? [];
  for (const reservation of reservations) {
    state.reservations.delete(reservation.sid);
    const ofWorker = state.reservationsOfWorker.get(reservation.workerSid);
    if (ofWorker?.delete(reservation) && ofWorker.size === 0) state.reservationsOfWorker.delete(reservation.workerSid);
  }
  state.reservationsOfTask.delete(task.sid);
  state.tasks.delete(task.sid);
  return { task, reservations };
}
