/**
 * Real-time statistics, read from the engine's state at one instant: tasks by status and priority,
 * the longest waiting task, and workers per activity.
 */
import type { TaskRecord, TaskStatus, WorkerRecord } from '../../engine/model.js';
import type { WorkspaceState } from '../../engine/workspace-state.js';

const STATUSES: TaskStatus[] = ['pending', 'reserved', 'assigned', 'wrapping', 'completed', 'canceled'];

function waiting(t: TaskRecord): boolean {
  return t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved';
}

/** Task counts and the longest waiting task among `tasks`, at time `now`. */
export function taskStatistics(tasks: Iterable<TaskRecord>, now: number): Record<string, unknown> {
  const byStatus: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  const byPriority: Record<string, number> = {};
  let total = 0;
  let oldest: TaskRecord | undefined;
  for (const t of tasks) {
    total += 1;
    byStatus[t.assignmentStatus] = (byStatus[t.assignmentStatus] ?? 0) + 1;
    if (!waiting(t)) continue;
    byPriority[t.priority] = (byPriority[t.priority] ?? 0) + 1;
    if (!oldest || t.dateCreated < oldest.dateCreated) oldest = t;
  }
  return {
    longest_task_waiting_age: oldest ? Math.max(0, Math.floor((now - oldest.dateCreated) / 1000)) : 0,
    longest_task_waiting_sid: oldest?.sid ?? null,
    tasks_by_priority: byPriority,
    tasks_by_status: byStatus,
    total_tasks: total,
  };
}

/** How many of `workers` are in each activity of the workspace. */
export function activityStatistics(s: WorkspaceState, workers: Iterable<WorkerRecord>): Array<Record<string, unknown>> {
  const counts = new Map<string, number>();
  for (const w of workers) counts.set(w.activitySid, (counts.get(w.activitySid) ?? 0) + 1);
  return [...s.activities.values()].map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, workers: counts.get(a.sid) ?? 0 }));
}

/** Tasks of the workspace, optionally only those on one task channel (SID or unique name). */
export function tasksOn(s: WorkspaceState, taskChannel: string | undefined, where: (t: TaskRecord) => boolean = () => true): TaskRecord[] {
  const channelSid = taskChannel === undefined ? undefined : (s.findTaskChannel(taskChannel)?.sid ?? '');
  return [...s.tasks.values()].filter((t) => (channelSid === undefined || t.taskChannelSid === channelSid) && where(t));
}

/** The workspace's real-time statistics. */
export function workspaceRealtime(s: WorkspaceState, now: number, taskChannel?: string): Record<string, unknown> {
  return {
    activity_statistics: activityStatistics(s, s.workers.values()),
    ...taskStatistics(tasksOn(s, taskChannel), now),
    total_workers: s.workers.size,
  };
}

/** Tasks of the workspace (on one task channel, when given) by task queue: one pass for a page of queues. */
export function tasksByQueue(s: WorkspaceState, taskChannel: string | undefined): Map<string, TaskRecord[]> {
  const out = new Map<string, TaskRecord[]>();
  for (const t of tasksOn(s, taskChannel)) {
    if (t.taskQueueSid === null) continue;
    const list = out.get(t.taskQueueSid);
    if (list) list.push(t);
    else out.set(t.taskQueueSid, [t]);
  }
  return out;
}

/**
 * A task queue's real-time statistics: its tasks and its eligible workers. `tasks` are the queue's
 * (of the channel asked for), when the caller has them grouped already.
 */
export function queueRealtime(
  s: WorkspaceState,
  queueSid: string,
  now: number,
  taskChannel?: string,
  tasks: TaskRecord[] = tasksOn(s, taskChannel, (t) => t.taskQueueSid === queueSid),
): Record<string, unknown> {
  const members = [...(s.routing.members.get(queueSid) ?? [])].map((sid) => s.workers.get(sid)).filter((w): w is WorkerRecord => w !== undefined);
  let inQueue: TaskRecord | undefined;
  for (const t of tasks) {
    if (waiting(t) && t.taskQueueEnteredAt !== null && (!inQueue || t.taskQueueEnteredAt < inQueue.taskQueueEnteredAt!)) inQueue = t;
  }
  return {
    activity_statistics: activityStatistics(s, members),
    ...taskStatistics(tasks, now),
    longest_relative_task_age_in_queue: inQueue ? Math.max(0, Math.floor((now - inQueue.taskQueueEnteredAt!) / 1000)) : 0,
    longest_relative_task_sid_in_queue: inQueue?.sid ?? null,
    total_available_workers: members.filter((w) => s.activities.get(w.activitySid)?.available).length,
    total_eligible_workers: members.length,
  };
}

/** A workflow's real-time statistics. */
export function workflowRealtime(s: WorkspaceState, workflowSid: string, now: number, taskChannel?: string): Record<string, unknown> {
  return taskStatistics(tasksOn(s, taskChannel, (t) => t.workflowSid === workflowSid), now);
}

/** Real-time statistics of a set of workers. */
export function workersRealtime(s: WorkspaceState, workers: WorkerRecord[]): Record<string, unknown> {
  return { activity_statistics: activityStatistics(s, workers), total_workers: workers.length };
}
