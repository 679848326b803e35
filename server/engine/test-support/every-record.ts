import type { FinishedTask, FinishedTasks } from '../finished-tasks.js';
import type { ReservationRecord, TaskRecord } from '../model.js';
import type { WorkspaceState } from '../workspace-state.js';

/** The archive decoded, kept until it changes: checks read it after every step. Not to be mutated. */
const decoded = new WeakMap<FinishedTasks, { changes: number; entries: FinishedTask[] }>();

/** Every archived task with its reservations, in the order archived (decoded once per change of the archive). */
export function archivedTasks(state: WorkspaceState): readonly FinishedTask[] {
  const archive = state.finished;
  let cached = decoded.get(archive);
  if (!cached || cached.changes !== archive.changes) {
    cached = { changes: archive.changes, entries: [...archive.places()].map((place) => archive.at(place)) };
    decoded.set(archive, cached);
  }
  return cached.entries;
}

/** Every task a workspace keeps: the live ones, then the archived ones (decoded). */
export function everyTask(state: WorkspaceState): TaskRecord[] {
  return [...state.tasks.values(), ...archivedTasks(state).map((entry) => entry.task)];
}

/** Every reservation a workspace keeps: those of live tasks, then those of archived ones (decoded). */
export function everyReservation(state: WorkspaceState): ReservationRecord[] {
  return [...state.reservations.values(), ...archivedTasks(state).flatMap((entry) => entry.reservations)];
}

/** What is wrong with the archive: a task both live and archived, one not finished, an index that points elsewhere. */
export function checkArchive(state: WorkspaceState): string[] {
  const problems: string[] = [];
  const archive = state.finished;
  const places = [...archive.places()];
  const tasksOf = new Map<string, Set<string>>();
  const tasksOfWorker = (workerSid: string) => {
    let sids = tasksOf.get(workerSid);
    if (!sids) tasksOf.set(workerSid, (sids = new Set(archive.tasksOfWorker(workerSid))));
    return sids;
  };
  for (const [i, { task, reservations }] of archivedTasks(state).entries()) {
    const place = places[i]!;
    if (state.tasks.has(task.sid)) problems.push(`task ${task.sid} is both live and archived`);
    if (task.assignmentStatus !== 'completed' && task.assignmentStatus !== 'canceled') problems.push(`archived task ${task.sid} is ${task.assignmentStatus}`);
    if (archive.statusAt(place) !== task.assignmentStatus) problems.push(`archived task ${task.sid}: status column ${archive.statusAt(place)}`);
    if (archive.purgeAt(task.sid) !== task.purgeAt) problems.push(`archived task ${task.sid}: purgeAt column ${archive.purgeAt(task.sid)}`);
    for (const r of reservations) {
      if (state.reservations.has(r.sid)) problems.push(`reservation ${r.sid} is both live and archived`);
      if (archive.taskSidOf(r.sid) !== task.sid) problems.push(`archived reservation ${r.sid} is indexed to ${archive.taskSidOf(r.sid)}`);
      if (!tasksOfWorker(r.workerSid).has(task.sid)) problems.push(`archived task ${task.sid} is missing from worker ${r.workerSid}'s`);
    }
  }
  return problems;
}
