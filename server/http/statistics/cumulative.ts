/**
 * Cumulative statistics, from the counts of a time window's events (see store/event-summary.ts):
 * reservations by outcome, tasks by fate, wait durations, and time spent per activity.
 */
import type { WorkspaceState } from '../../engine/workspace-state.js';
import type { DurationTally, EventTally } from '../../store/event-summary.js';
import { isoDate } from '../serialize.js';
import type { TimeWindow } from '../time-window.js';

/** TaskRouter's shape of a duration tally: zeros when it is empty. */
function summarized(d: DurationTally | undefined): { avg: number; min: number; max: number; total: number } {
  if (!d || d.count === 0) return { avg: 0, min: 0, max: 0, total: 0 };
  return { avg: Math.round(d.total / d.count), min: d.min, max: d.max, total: d.total };
}

/** Min, max, average and total of waits counted by seconds. */
export function durations(waits: ReadonlyMap<number, number>): { avg: number; min: number; max: number; total: number } {
  let count = 0;
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const [seconds, n] of waits) {
    count += n;
    total += seconds * n;
    if (seconds < min) min = seconds;
    if (seconds > max) max = seconds;
  }
  return summarized({ count, total, min, max });
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

/** TaskRouter's names for the counts of some event types. */
function named(t: EventTally, names: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(names).map(([type, name]) => [name, t.counts[type] ?? 0]));
}

/**
 * TaskRouter's cumulative set for a tally of a workspace's, queue's or workflow's events.
 * `entered` counts `task-queue.entered` (queues) or `task.created` (workflows) as `tasks_entered`.
 */
export function cumulative(t: EventTally, window: TimeWindow, splits: number[], entered?: 'task-queue.entered' | 'task.created'): Record<string, unknown> {
  const acceptedWait = durations(t.acceptedWaits);
  const out: Record<string, unknown> = {
    avg_task_acceptance_time: acceptedWait.avg,
    start_time: isoDate(window.start),
    end_time: isoDate(window.end),
    ...named(t, RESERVATION_COUNTS),
    split_by_wait_time: splits.length === 0 ? null : splitByWaitTime(t.acceptedWaits, t.canceledWaits, splits),
    wait_duration_until_accepted: acceptedWait,
    wait_duration_until_canceled: durations(t.canceledWaits),
    ...named(t, TASK_COUNTS),
  };
  if (entered) {
    out['tasks_entered'] = t.counts[entered] ?? 0;
    delete out['tasks_created'];
  }
  if (entered === 'task-queue.entered') {
    out['wait_duration_in_queue_until_accepted'] = acceptedWait;
    delete out['tasks_timed_out_in_workflow'];
  }
  return out;
}

/** Workers' cumulative statistics: time per activity (from activity changes) and reservation counts. */
export function workersCumulative(s: WorkspaceState, t: EventTally, window: TimeWindow): Record<string, unknown> {
  return {
    activity_durations: [...s.activities.values()].map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, ...summarized(t.activityTime[a.sid]) })),
    start_time: isoDate(window.start),
    end_time: isoDate(window.end),
    ...named(t, RESERVATION_COUNTS),
  };
}

/**
 * TaskRouter's `split_by_wait_time`: per threshold, the waits above and at-or-below it. The
 * distinct waits sorted once with running totals, each threshold is a binary search: a URL's worth
 * of thresholds (some 3,000) over a day of tasks stays milliseconds, where a scan per threshold took seconds.
 */
function splitByWaitTime(accepted: ReadonlyMap<number, number>, canceled: ReadonlyMap<number, number>, splits: number[]): Record<string, unknown> {
  const acceptedBelow = cumulativeCounts(accepted);
  const canceledBelow = cumulativeCounts(canceled);
  return Object.fromEntries(
    splits.map((t) => {
      const c = canceledBelow(t);
      const a = acceptedBelow(t);
      return [
        String(t),
        {
          above: { tasks_canceled: canceledBelow.total - c, reservations_accepted: acceptedBelow.total - a },
          below: { tasks_canceled: c, reservations_accepted: a },
        },
      ];
    }),
  );
}

/** For waits counted by seconds: how many are <= a limit, and how many there are in all. */
function cumulativeCounts(waits: ReadonlyMap<number, number>): ((limit: number) => number) & { total: number } {
  const seconds = Float64Array.from(waits.keys()).sort();
  // atMost[i]: how many waits are <= seconds[i].
  const atMost = new Float64Array(seconds.length);
  let running = 0;
  seconds.forEach((s, i) => (atMost[i] = running += waits.get(s)!));
  const below = (limit: number) => {
    let low = 0;
    let high = seconds.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (seconds[mid]! <= limit) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? 0 : atMost[low - 1]!;
  };
  return Object.assign(below, { total: running });
}
