/**
 * What cumulative statistics need of a time window's events, counted where the events are: the
 * SQLite store counts them in SQL on a thread of its own (sqlite-reader.ts), the memory store with
 * `tallyEvents` below, which is also the contract both are tested against. A statistics request
 * then never loads its window's events into the hub's loop (a day of them is millions).
 */
import type { EventRecord } from '../engine/model.js';
import { matchesEventQuery } from './event-query.js';
import type { EventQuery } from './store.js';

/** A series of durations in seconds, summarized. */
export interface DurationTally {
  count: number;
  total: number;
  min: number;
  max: number;
}

/** One group's counts. */
export interface EventTally {
  /** Events by type. */
  counts: Record<string, number>;
  /** How many `reservation.accepted` events have each `task_age` (0 where it is not a number), by seconds. */
  acceptedWaits: Map<number, number>;
  /** The same of `task.canceled` events. */
  canceledWaits: Map<number, number>;
  /** By previous activity SID, the seconds of `worker.activity.update` events that name both. */
  activityTime: Record<string, DurationTally>;
}

/** The events to summarize: an event query's filters, and how to group them. */
export interface EventSummaryQuery extends Omit<EventQuery, 'limit' | 'before'> {
  /** Only events whose `worker_sid` is one of these. */
  workerSids?: string[];
  /** One tally per task queue, of the events that name one, instead of one tally of all under ''. */
  byTaskQueue?: boolean;
}

/** A query's tallies, by task queue SID (or '' for all); a group without events is absent. */
export type EventSummary = Map<string, EventTally>;

/** An empty tally. */
export function emptyTally(): EventTally {
  return { counts: {}, acceptedWaits: new Map(), canceledWaits: new Map(), activityTime: {} };
}

const isNumber = (v: unknown): v is number => typeof v === 'number';

/** Counts `n` waits of `seconds`. */
export function addWait(waits: Map<number, number>, seconds: number, n = 1): void {
  waits.set(seconds, (waits.get(seconds) ?? 0) + n);
}

/** Adds one duration to a tally of durations. */
export function addDuration(tally: Record<string, DurationTally>, key: string, seconds: number): void {
  const d = tally[key];
  if (!d) tally[key] = { count: 1, total: seconds, min: seconds, max: seconds };
  else {
    d.count += 1;
    d.total += seconds;
    if (seconds < d.min) d.min = seconds;
    if (seconds > d.max) d.max = seconds;
  }
}

/** The summary of `events` matching `q`, in JavaScript: the memory store's, and the SQL's reference. */
export function tallyEvents(events: Iterable<EventRecord>, q: EventSummaryQuery): EventSummary {
  const out: EventSummary = new Map();
  const query = { ...q, limit: Infinity };
  const workers = q.workerSids ? new Set(q.workerSids) : undefined;
  for (const e of events) {
    if (!matchesEventQuery(e, query)) continue;
    const d = e.data;
    const worker = d['worker_sid'];
    if (workers && !(typeof worker === 'string' && workers.has(worker))) continue;
    let key = '';
    if (q.byTaskQueue) {
      const queue = d['task_queue_sid'];
      if (typeof queue !== 'string') continue;
      key = queue;
    }
    let t = out.get(key);
    if (!t) out.set(key, (t = emptyTally()));
    t.counts[e.eventType] = (t.counts[e.eventType] ?? 0) + 1;
    const age = isNumber(d['task_age']) ? d['task_age'] : 0;
    if (e.eventType === 'reservation.accepted') addWait(t.acceptedWaits, age);
    else if (e.eventType === 'task.canceled') addWait(t.canceledWaits, age);
    else if (e.eventType === 'worker.activity.update') {
      const previous = d['worker_previous_activity_sid'];
      const seconds = d['worker_time_in_previous_activity'];
      if (typeof previous === 'string' && isNumber(seconds)) addDuration(t.activityTime, previous, seconds);
    }
  }
  return out;
}
