/**
 * Real-time statistics, read from the engine's state at one instant: tasks by status and priority,
 * the longest waiting task, and workers per activity. Task counts come from the engine's task
 * tally; only a scope's waiting tasks are looked at, never every task the workspace retains.
 */
import type { TaskRecord, WorkerRecord } from '../../engine/model.js';
import { countsByStatus, type TaskScope } from '../../engine/task-tally.js';
import { countByActivity, type WorkspaceState } from '../../engine/workspace-state.js';

/** Task counts and the longest waiting task of a scope, at time `now`. */
export function taskStatistics(scope: TaskScope | undefined, now: number): Record<string, unknown> {
  const byPriority: Record<string, number> = {};
  let oldest: TaskRecord | undefined;
  for (const t of scope?.waiting ?? []) {
    byPriority[t.priority] = (byPriority[t.priority] ?? 0) + 1;
    if (!oldest || t.dateCreated < oldest.dateCreated) oldest = t;
  }
  return {
    longest_task_waiting_age: oldest ? Math.max(0, Math.floor((now - oldest.dateCreated) / 1000)) : 0,
    longest_task_waiting_sid: oldest?.sid ?? null,
    tasks_by_priority: byPriority,
    tasks_by_status: countsByStatus(scope),
    total_tasks: scope?.total ?? 0,
  };
}

/** How many of `workers` are in each activity of the workspace. */
export function activityStatistics(s: WorkspaceState, workers: Iterable<WorkerRecord>): Array<Record<string, unknown>> {
  return activityCounts(s, countByActivity(workers));
}

/** Every activity of the workspace with its count of workers (by activity SID). */
function activityCounts(s: WorkspaceState, counts: ReadonlyMap<string, number>): Array<Record<string, unknown>> {
  return [...s.activities.values()].map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, workers: counts.get(a.sid) ?? 0 }));
}

/** The channel a `TaskChannel` filter names (SID or unique name): `undefined` for every channel, `''` for none. */
function channelOf(s: WorkspaceState, taskChannel: string | undefined): string | undefined {
  return taskChannel === undefined ? undefined : (s.findTaskChannel(taskChannel)?.sid ?? '');
}

/** The workspace's real-time statistics. */
export function workspaceRealtime(s: WorkspaceState, now: number, taskChannel?: string): Record<string, unknown> {
  return {
    activity_statistics: activityStatistics(s, s.workers.values()),
    ...taskStatistics(s.taskTally.workspace(channelOf(s, taskChannel)), now),
    total_workers: s.workers.size,
  };
}

/** A task queue's real-time statistics: its tasks and its eligible workers. */
export function queueRealtime(s: WorkspaceState, queueSid: string, now: number, taskChannel?: string): Record<string, unknown> {
  const tasks = s.taskTally.scope(queueSid, channelOf(s, taskChannel));
  let inQueue: TaskRecord | undefined;
  for (const t of tasks?.waiting ?? []) {
    if (t.taskQueueEnteredAt !== null && (!inQueue || t.taskQueueEnteredAt < inQueue.taskQueueEnteredAt!)) inQueue = t;
  }
  // The members in one pass, counted per activity: a wallboard reads every queue of a floor of thousands, often.
  const byActivity = new Map<string, number>();
  let eligible = 0;
  for (const sid of s.routing.members.get(queueSid) ?? []) {
    const worker = s.workers.get(sid);
    if (!worker) continue;
    eligible += 1;
    byActivity.set(worker.activitySid, (byActivity.get(worker.activitySid) ?? 0) + 1);
  }
  let available = 0;
  for (const [activitySid, n] of byActivity) if (s.activities.get(activitySid)?.available) available += n;
  return {
    activity_statistics: activityCounts(s, byActivity),
    ...taskStatistics(tasks, now),
    longest_relative_task_age_in_queue: inQueue ? Math.max(0, Math.floor((now - inQueue.taskQueueEnteredAt!) / 1000)) : 0,
    longest_relative_task_sid_in_queue: inQueue?.sid ?? null,
    total_available_workers: available,
    total_eligible_workers: eligible,
  };
}

/** A workflow's real-time statistics. */
export function workflowRealtime(s: WorkspaceState, workflowSid: string, now: number, taskChannel?: string): Record<string, unknown> {
  return taskStatistics(s.taskTally.scope(workflowSid, channelOf(s, taskChannel)), now);
}

/** Real-time statistics of a set of workers. */
export function workersRealtime(s: WorkspaceState, workers: WorkerRecord[]): Record<string, unknown> {
  return { activity_statistics: activityStatistics(s, workers), total_workers: workers.length };
}
