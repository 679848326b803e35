/**
 * Cumulative statistics, counted from the events of a time window: reservations by outcome,
 * tasks by fate, wait durations, and time spent per activity.
 */
import type { EventRecord } from '../../engine/model.js';
import type { WorkspaceState } from '../../engine/workspace-state.js';
import { isoDate } from '../serialize.js';
import type { TimeWindow } from '../time-window.js';

/** Min, max, average and total of a series of durations in seconds. */
export function durations(values: number[]): { avg: number; min: number; max: number; total: number } {
  if (values.length === 0) return { avg: 0, min: 0, max: 0, total: 0 };
  // A loop, not Math.min(...values): spreading a day's hundreds of thousands of values overflows the stack.
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    total += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { avg: Math.round(total / values.length), min, max, total };
}

const RESERVATION_COUNTS: Record<string, string> = {
  'reservation.created': 'reservations_created',
  'reservation.accepted': 'reservations_accepted',
  'reservation.rejected': 'reservations_rejected',
  'reservation.timeout': 'reservations_timed_out',
  'reservation.canceled': 'reservations_canceled',
  'reservation.rescinded': 'reservations_rescinded',
};

const TASK_COUNTS: Record<string, string> = {
  'task.created': 'tasks_created',
  'task.canceled': 'tasks_canceled',
  'task.completed': 'tasks_completed',
  'task.deleted': 'tasks_deleted',
  'task-queue.moved': 'tasks_moved',
  'workflow.timeout': 'tasks_timed_out_in_workflow',
};

function age(e: EventRecord): number {
  const value = e.data['task_age'];
  return typeof value === 'number' ? value : 0;
}

/** Reservation counts of a set of events. */
export function reservationCounts(events: readonly EventRecord[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(Object.values(RESERVATION_COUNTS).map((k) => [k, 0]));
  for (const e of events) {
    const key = RESERVATION_COUNTS[e.eventType];
    if (key) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * TaskRouter's cumulative set for events already narrowed to a workspace, queue or workflow.
 * `entered` counts `task-queue.entered` (queues) or `task.created` (workflows) as `tasks_entered`.
 */
export function cumulative(events: readonly EventRecord[], window: TimeWindow, splits: number[], entered?: 'task-queue.entered' | 'task.created'): Record<string, unknown> {
  const tasks: Record<string, number> = Object.fromEntries(Object.values(TASK_COUNTS).map((k) => [k, 0]));
  const accepted: number[] = [];
  const canceled: number[] = [];
  let enteredCount = 0;
  for (const e of events) {
    const key = TASK_COUNTS[e.eventType];
    if (key) tasks[key] = (tasks[key] ?? 0) + 1;
    if (e.eventType === 'reservation.accepted') accepted.push(age(e));
    if (e.eventType === 'task.canceled') canceled.push(age(e));
    if (entered && e.eventType === entered) enteredCount += 1;
  }
  const acceptedWait = durations(accepted);
  const split = splits.length === 0 ? null : splitByWaitTime(accepted, canceled, splits);
  const out: Record<string, unknown> = {
    avg_task_acceptance_time: acceptedWait.avg,
    start_time: isoDate(window.start),
    end_time: isoDate(window.end),
    ...reservationCounts(events),
    split_by_wait_time: split,
    wait_duration_until_accepted: acceptedWait,
    wait_duration_until_canceled: durations(canceled),
    ...tasks,
  };
  if (entered) {
    out['tasks_entered'] = enteredCount;
    delete out['tasks_created'];
  }
  if (entered === 'task-queue.entered') {
    out['wait_duration_in_queue_until_accepted'] = acceptedWait;
    delete out['tasks_timed_out_in_workflow'];
  }
  return out;
}

/** Workers' cumulative statistics: time per activity (from activity changes) and reservation counts. */
export function workersCumulative(s: WorkspaceState, events: readonly EventRecord[], window: TimeWindow): Record<string, unknown> {
  const spent = new Map<string, number[]>();
  for (const e of events) {
    if (e.eventType !== 'worker.activity.update') continue;
    const previous = e.data['worker_previous_activity_sid'];
    const seconds = e.data['worker_time_in_previous_activity'];
    if (typeof previous !== 'string' || typeof seconds !== 'number') continue;
    let list = spent.get(previous);
    if (!list) spent.set(previous, (list = []));
    list.push(seconds);
  }
  return {
    activity_durations: [...s.activities.values()].map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, ...durations(spent.get(a.sid) ?? []) })),
    start_time: isoDate(window.start),
    end_time: isoDate(window.end),
    ...reservationCounts(events),
  };
}

/**
 * TaskRouter's `split_by_wait_time`: per threshold, the waits above and at-or-below it. Sorted
 * once, each threshold is two binary searches: a URL's worth of thresholds (some 3,000) over a
 * day of tasks stays milliseconds, where a scan per threshold took seconds.
 */
function splitByWaitTime(accepted: number[], canceled: number[], splits: number[]): Record<string, unknown> {
  const acceptedSorted = Float64Array.from(accepted).sort();
  const canceledSorted = Float64Array.from(canceled).sort();
  return Object.fromEntries(
    splits.map((t) => {
      const canceledBelow = countAtMost(canceledSorted, t);
      const acceptedBelow = countAtMost(acceptedSorted, t);
      return [
        String(t),
        {
          above: { tasks_canceled: canceled.length - canceledBelow, reservations_accepted: accepted.length - acceptedBelow },
          below: { tasks_canceled: canceledBelow, reservations_accepted: acceptedBelow },
        },
      ];
    }),
  );
}

/** How many values of ascending `sorted` are <= `limit`. */
function countAtMost(sorted: Float64Array, limit: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= limit) low = mid + 1;
    else high = mid;
  }
  return low;
}
