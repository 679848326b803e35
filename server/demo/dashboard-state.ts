/**
 * What the demo dashboard shows, computed from a workspace's engine state: queues with their
 * waiting tasks and longest wait, workers by activity (each activity's count, and its first
 * workers by name), recent tasks; plus the recent-events ring.
 */
import type { EventRecord, TaskRecord, WorkerRecord } from '../engine/model.js';
import { countsByStatus } from '../engine/task-tally.js';
import type { WorkspaceState } from '../engine/workspace-state.js';

/** One queue's line on the dashboard. */
export interface QueueView {
  sid: string;
  friendly_name: string;
  max_reserved_workers: number;
  target_workers: string;
  /** Tasks waiting for an accept (pending or reserved). */
  waiting: number;
  reserved: number;
  assigned: number;
  /** When the longest-waiting task entered the queue, epoch ms (null when none waits). */
  longest_waiting_since: number | null;
}

/** One worker's line on the dashboard. */
export interface WorkerView {
  sid: string;
  friendly_name: string;
  activity_sid: string;
  activity_name: string;
  available: boolean;
  date_status_changed: number;
  pending_reservations: number;
  assigned_tasks: number;
}

/** A recent task. */
export interface TaskView {
  sid: string;
  attributes: string;
  priority: number;
  assignment_status: string;
  channel: string | null;
  queue: string | null;
  worker: string | null;
  date_created: number;
}

/** A recent event, copied out of the engine's record. */
export interface EventView {
  sid: string;
  event_type: string;
  description: string;
  date: number;
  resource_sid: string;
}

/** Everything the dashboard renders. */
export interface DashboardState {
  workspace: { sid: string; friendly_name: string };
  now: number;
  /** Each activity with how many workers are in it. */
  activities: Array<{ sid: string; friendly_name: string; available: boolean; workers: number }>;
  channels: string[];
  queues: QueueView[];
  /** The first `WORKERS_PER_ACTIVITY` workers of each activity by name, in name order. */
  workers: WorkerView[];
  tasks: TaskView[];
  events: EventView[];
}

/** How many recent tasks and events the dashboard lists. */
export const RECENT_TASKS = 12;
export const RECENT_EVENTS = 40;
/**
 * How many workers of each activity the dashboard lists (it counts them all). The state goes to
 * every open dashboard after each burst of changes: with every worker of a workspace of 10,000 in
 * it, it was 2.5 MB, and making it held the hub's loop about 13 ms each time.
 */
export const WORKERS_PER_ACTIVITY = 50;

/** A copy of an event for the dashboard (engine records must not be kept past the step). */
export function eventView(event: EventRecord): EventView {
  return { sid: event.sid, event_type: event.eventType, description: event.description, date: event.date, resource_sid: event.resourceSid };
}

/** The `count` newest items by `dateOf` (tasks by creation), newest first, in one pass (a workspace retains many finished tasks). */
export function newest<T>(items: Iterable<T>, count: number, dateOf: (item: T) => number): T[] {
  return first(items, count, (a, b) => dateOf(b) - dateOf(a));
}

/** The `count` first of `items` in `compare` order, in that order, in one pass; ties keep the order the items came in. */
export function first<T>(items: Iterable<T>, count: number, compare: (a: T, b: T) => number): T[] {
  const out: T[] = [];
  if (count <= 0) return out;
  for (const item of items) {
    if (out.length === count && compare(item, out[count - 1]!) >= 0) continue;
    let i = out.length;
    while (i > 0 && compare(out[i - 1]!, item) > 0) i -= 1;
    out.splice(i, 0, item);
    if (out.length > count) out.pop();
  }
  return out;
}

const collator = new Intl.Collator();
const byName = (a: WorkerRecord, b: WorkerRecord) => collator.compare(a.friendlyName, b.friendlyName);

/** The workers of each activity, by activity SID. */
function workersByActivity(s: WorkspaceState): Map<string, WorkerRecord[]> {
  const byActivity = new Map<string, WorkerRecord[]>();
  for (const w of s.workers.values()) {
    let list = byActivity.get(w.activitySid);
    if (!list) byActivity.set(w.activitySid, (list = []));
    list.push(w);
  }
  return byActivity;
}

/** The `count` newest tasks, live or archived (only those chosen are decoded), newest first. */
function newestTasks(s: WorkspaceState, count: number): TaskRecord[] {
  const archived = newest(s.finished.places(), count, (place) => s.finished.numberAt(place, 'dateCreated')).map((place) => s.finished.at(place).task);
  return newest([...archived, ...s.tasks.values()], count, (t) => t.dateCreated);
}

/** Computes the dashboard's view of a workspace. */
export function dashboardState(s: WorkspaceState, now: number, events: EventView[]): DashboardState {
  // Counted from the engine's task tally: only waiting tasks are looked at, never every retained one.
  const queues: QueueView[] = [...s.taskQueues.values()].map((q) => {
    const tally = s.taskTally.scope(q.sid);
    const counts = countsByStatus(tally);
    let since: number | null = null;
    for (const t of tally?.waiting ?? []) {
      const entered = t.taskQueueEnteredAt ?? t.dateCreated;
      if (since === null || entered < since) since = entered;
    }
    return {
      sid: q.sid,
      friendly_name: q.friendlyName,
      max_reserved_workers: q.maxReservedWorkers,
      target_workers: q.targetWorkers,
      waiting: counts.pending + counts.reserved,
      reserved: counts.reserved,
      assigned: counts.assigned + counts.wrapping,
      longest_waiting_since: since,
    };
  });
  const byActivity = workersByActivity(s);
  const listed = [...byActivity.values()].flatMap((list) => first(list, WORKERS_PER_ACTIVITY, byName)).sort(byName);
  const workers: WorkerView[] = listed.map((w) => {
    const activity = s.activities.get(w.activitySid);
    let pending = 0;
    let assigned = 0;
    for (const r of s.reservationsOfWorker.get(w.sid) ?? []) {
      if (r.status === 'pending') pending += 1;
      else if (r.status === 'accepted' || r.status === 'wrapping') assigned += 1;
    }
    return {
      sid: w.sid,
      friendly_name: w.friendlyName,
      activity_sid: w.activitySid,
      activity_name: activity?.friendlyName ?? '',
      available: activity?.available ?? false,
      date_status_changed: w.dateStatusChanged,
      pending_reservations: pending,
      assigned_tasks: assigned,
    };
  });
  const tasks: TaskView[] = newestTasks(s, RECENT_TASKS)
    .map((t) => {
      let worker: string | null = null;
      for (const r of s.reservationsOf(t.sid)) {
        if (r.status === 'accepted' || r.status === 'wrapping' || r.status === 'completed') worker = s.workers.get(r.workerSid)?.friendlyName ?? null;
      }
      return {
        sid: t.sid,
        attributes: t.attributes,
        priority: t.priority,
        assignment_status: t.assignmentStatus,
        channel: s.taskChannels.get(t.taskChannelSid)?.uniqueName ?? null,
        queue: t.taskQueueSid ? (s.taskQueues.get(t.taskQueueSid)?.friendlyName ?? null) : null,
        worker,
        date_created: t.dateCreated,
      };
    });
  return {
    workspace: { sid: s.workspace.sid, friendly_name: s.workspace.friendlyName },
    now,
    activities: [...s.activities.values()].map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, available: a.available, workers: byActivity.get(a.sid)?.length ?? 0 })),
    channels: [...s.taskChannels.values()].map((c) => c.uniqueName),
    queues,
    workers,
    tasks,
    events: events.slice(0, RECENT_EVENTS),
  };
}
