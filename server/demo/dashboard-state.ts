/**
 * What the demo dashboard shows, computed from a workspace's engine state: queues with their
 * waiting tasks and longest wait, workers by activity, recent tasks; plus the recent-events ring.
 */
import type { EventRecord } from '../engine/model.js';
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
  activities: Array<{ sid: string; friendly_name: string; available: boolean }>;
  channels: string[];
  queues: QueueView[];
  workers: WorkerView[];
  tasks: TaskView[];
  events: EventView[];
}

/** How many recent tasks and events the dashboard lists. */
export const RECENT_TASKS = 12;
export const RECENT_EVENTS = 40;

/** A copy of an event for the dashboard (engine records must not be kept past the step). */
export function eventView(event: EventRecord): EventView {
  return { sid: event.sid, event_type: event.eventType, description: event.description, date: event.date, resource_sid: event.resourceSid };
}

/** Computes the dashboard's view of a workspace. */
export function dashboardState(s: WorkspaceState, now: number, events: EventView[]): DashboardState {
  const queues = new Map<string, QueueView>();
  for (const q of s.taskQueues.values()) {
    queues.set(q.sid, {
      sid: q.sid,
      friendly_name: q.friendlyName,
      max_reserved_workers: q.maxReservedWorkers,
      target_workers: q.targetWorkers,
      waiting: 0,
      reserved: 0,
      assigned: 0,
      longest_waiting_since: null,
    });
  }
  for (const t of s.tasks.values()) {
    const view = t.taskQueueSid ? queues.get(t.taskQueueSid) : undefined;
    if (!view) continue;
    if (t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved') {
      view.waiting += 1;
      if (t.assignmentStatus === 'reserved') view.reserved += 1;
      const since = t.taskQueueEnteredAt ?? t.dateCreated;
      if (view.longest_waiting_since === null || since < view.longest_waiting_since) view.longest_waiting_since = since;
    } else if (t.assignmentStatus === 'assigned' || t.assignmentStatus === 'wrapping') {
      view.assigned += 1;
    }
  }
  const workers: WorkerView[] = [...s.workers.values()].map((w) => {
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
  workers.sort((a, b) => a.friendly_name.localeCompare(b.friendly_name));
  const tasks: TaskView[] = [...s.tasks.values()]
    .sort((a, b) => b.dateCreated - a.dateCreated)
    .slice(0, RECENT_TASKS)
    .map((t) => {
      let worker: string | null = null;
      for (const r of s.reservationsOfTask.get(t.sid) ?? []) {
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
    activities: [...s.activities.values()].map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, available: a.available })),
    channels: [...s.taskChannels.values()].map((c) => c.uniqueName),
    queues: [...queues.values()],
    workers,
    tasks,
    events: events.slice(0, RECENT_EVENTS),
  };
}
