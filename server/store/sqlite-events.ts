/**
 * The events tables in SQLite (`events`, indexed, and `recent_events`, where commits append; see
 * migration 4): an event as a row and back, and the SQL of an Events query and of a statistics
 * window over both tables.
 */
import type { EventRecord } from '../engine/model.js';
import { storedEventJson, type JsonStrings } from './event-json.js';
import { addWait, emptyTally, type EventSummary, type EventSummaryQuery } from './event-summary.js';
import type { ReadParams } from './sqlite-reader.js';
import type { EventRow } from './sqlite-writer.js';
import type { EventQuery } from './store.js';

/**
 * The columns of both events tables, in the order `eventRow` gives them and `eventOfRow` reads them:
 * the event's own, the fields of its data in `DATA_COLUMNS`, then the JSON of the rest.
 */
export const EVENT_COLUMNS =
  'sid, workspace_sid, date, event_type, resource_sid, worker_sid, task_sid, reservation_sid, task_queue_sid, workflow_sid, task_channel, task_channel_sid, json';
export const EVENT_VALUES = EVENT_COLUMNS.split(', ').map(() => '?').join(', ');

/**
 * The fields of an event's data that the `events` table keeps in columns of their own (after the
 * event's SID, workspace, date, type and resource), in column order: filters, and the most repeated
 * text of an event's JSON.
 */
const DATA_COLUMNS = ['worker_sid', 'task_sid', 'reservation_sid', 'task_queue_sid', 'workflow_sid', 'task_channel_unique_name', 'task_channel_sid'] as const;
const IN_COLUMNS: ReadonlySet<string> = new Set(DATA_COLUMNS);

/** Whether an event's data field has a column of its own, so its JSON leaves the field out. */
export const inColumn = (key: string, value: unknown): boolean => typeof value === 'string' && IN_COLUMNS.has(key);

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * An event as the `events` table's columns: the filters pulled out of it, then the rest as JSON.
 * What a column holds is not written again in the JSON: some 40% of an event's bytes, which the
 * writer wrote twice and the loop serialized twice.
 */
export function eventRow(e: EventRecord, strings: JsonStrings): EventRow {
  const d = e.data;
  return [
    e.sid,
    e.workspaceSid,
    e.date,
    e.eventType,
    e.resourceSid,
    text(d['worker_sid']),
    text(d['task_sid']),
    text(d['reservation_sid']),
    text(d['task_queue_sid']),
    text(d['workflow_sid']),
    text(d['task_channel_unique_name']),
    text(d['task_channel_sid']),
    storedEventJson(e, inColumn, strings),
  ];
}

/**
 * An event read back from `EVENT_COLUMNS`: its JSON with the columns' values put back. Rows written
 * before the JSON left them out hold them in both, alike.
 */
export function eventOfRow(row: unknown[]): EventRecord {
  const [sid, workspaceSid, date, eventType, resourceSid, ...columns] = row;
  const event = JSON.parse(columns[DATA_COLUMNS.length] as string) as EventRecord;
  for (let i = 0; i < DATA_COLUMNS.length; i += 1) {
    const value = columns[i];
    if (typeof value === 'string') event.data[DATA_COLUMNS[i]!] = value;
  }
  return Object.assign(event, { sid, workspaceSid, date, eventType, resourceSid });
}

/** Query filters that are one equality on one column. */
const EQUALITY_FILTERS = [
  ['eventType', 'event_type'],
  ['sid', 'sid'],
  ['resourceSid', 'resource_sid'],
  ['workerSid', 'worker_sid'],
  ['taskSid', 'task_sid'],
  ['reservationSid', 'reservation_sid'],
  ['taskQueueSid', 'task_queue_sid'],
  ['workflowSid', 'workflow_sid'],
] as const satisfies ReadonlyArray<readonly [keyof EventQuery, string]>;

/** Filters on one task, reservation or worker: their events are few, so their own index wins. */
const NARROW_FILTERS = ['taskSid', 'reservationSid', 'workerSid'] as const;

/** The WHERE terms and parameters of an event query's filters. */
function eventWhere(q: Omit<EventQuery, 'limit'>): { where: string[]; params: ReadParams } {
  // Left to itself the planner walks the paging index (it is in the ORDER BY's order) even when a
  // narrow filter's index holds a handful of rows: `+` keeps the other terms off any index then.
  const narrow = NARROW_FILTERS.some((key) => q[key] !== undefined);
  const where = [narrow ? '+workspace_sid = @workspaceSid' : 'workspace_sid = @workspaceSid'];
  const params: ReadParams = { workspaceSid: q.workspaceSid };
  for (const [key, column] of EQUALITY_FILTERS) {
    const value = q[key];
    if (value === undefined) continue;
    const steer = narrow && !(NARROW_FILTERS as readonly string[]).includes(key) ? '+' : '';
    where.push(`${steer}${column} = @${key}`);
    params[key] = value;
  }
  if (q.taskChannel !== undefined) {
    // As matchesEventQuery: a channel is named by its unique name or its SID.
    where.push('(task_channel = @taskChannel OR task_channel_sid = @taskChannel)');
    params['taskChannel'] = q.taskChannel;
  }
  if (q.startDate !== undefined) {
    where.push('date >= @startDate');
    params['startDate'] = q.startDate;
  }
  if (q.endDate !== undefined) {
    where.push('date <= @endDate');
    params['endDate'] = q.endDate;
  }
  if (q.before) {
    where.push('(date < @beforeDate OR (date = @beforeDate AND sid < @beforeSid))');
    params['beforeDate'] = q.before.date;
    params['beforeSid'] = q.before.sid;
  }
  return { where, params };
}

/**
 * The SQL and parameters of an event query: its filters, newest first, from the cursor on, over
 * both events tables. SQLite merges the two: the indexed table's rows come in its index's order
 * (stopping at the limit), the few recent ones sorted.
 */
export function eventQuerySql(q: EventQuery): { sql: string; params: ReadParams } {
  const { where, params } = eventWhere(q);
  params['limit'] = q.limit;
  const filter = where.join(' AND ');
  return {
    sql: `SELECT ${EVENT_COLUMNS} FROM events WHERE ${filter} UNION ALL SELECT ${EVENT_COLUMNS} FROM recent_events WHERE ${filter} ORDER BY date DESC, sid DESC LIMIT @limit`,
    params,
  };
}

/** A number in an event's data, as `tallyEvents` reads it: 0 where it is missing or not a number. */
const dataNumber = (field: string) => `CASE WHEN json_type(json, '$.data.${field}') IN ('integer', 'real') THEN json_extract(json, '$.data.${field}') ELSE 0 END`;

/**
 * The three queries of an event summary (see event-summary.ts), each row led by its group: counts
 * by event type; how many accepted reservations and canceled tasks waited each number of seconds;
 * time per previous activity.
 */
export function eventSummarySql(q: EventSummaryQuery): { queries: [string, string, string]; params: ReadParams } {
  const { where, params } = eventWhere(q);
  if (q.workerSids) {
    // `+`: a statistics window is scanned by date; one index lookup per worker would cost more.
    where.push('+worker_sid IN (SELECT value FROM json_each(@workerSids))');
    params['workerSids'] = JSON.stringify(q.workerSids);
  }
  if (q.byTaskQueue) where.push('task_queue_sid IS NOT NULL');
  const group = q.byTaskQueue ? 'task_queue_sid' : "''";
  // The window's events in both tables: each filtered on its own, so the indexed one keeps its plan.
  const events = (...more: string[]) => {
    const both = [...where, ...more].join(' AND ');
    return `(SELECT task_queue_sid, event_type, json FROM events WHERE ${both} UNION ALL SELECT task_queue_sid, event_type, json FROM recent_events WHERE ${both})`;
  };
  return {
    queries: [
      `SELECT ${group}, event_type, COUNT(*) FROM ${events()} GROUP BY 1, 2`,
      `SELECT ${group}, event_type, ${dataNumber('task_age')}, COUNT(*) FROM ${events("event_type IN ('reservation.accepted', 'task.canceled')")} GROUP BY 1, 2, 3`,
      `SELECT ${group}, json_extract(json, '$.data.worker_previous_activity_sid') AS previous, COUNT(*), SUM(seconds), MIN(seconds), MAX(seconds)
        FROM (SELECT *, json_extract(json, '$.data.worker_time_in_previous_activity') AS seconds FROM ${events(`event_type = 'worker.activity.update'
          AND json_type(json, '$.data.worker_previous_activity_sid') = 'text' AND json_type(json, '$.data.worker_time_in_previous_activity') IN ('integer', 'real')`)})
        GROUP BY 1, 2`,
    ],
    params,
  };
}

/** Rows of `eventSummarySql`'s queries as a summary. */
export function summaryOf([counts, waits, activity]: unknown[][][]): EventSummary {
  const out: EventSummary = new Map();
  const tally = (group: unknown) => {
    const key = String(group);
    let t = out.get(key);
    if (!t) out.set(key, (t = emptyTally()));
    return t;
  };
  for (const [group, type, count] of counts ?? []) tally(group).counts[String(type)] = Number(count);
  for (const [group, type, age, count] of waits ?? []) {
    const t = tally(group);
    addWait(type === 'reservation.accepted' ? t.acceptedWaits : t.canceledWaits, Number(age), Number(count));
  }
  for (const [group, previous, count, total, min, max] of activity ?? []) {
    tally(group).activityTime[String(previous)] = { count: Number(count), total: Number(total), min: Number(min), max: Number(max) };
  }
  return out;
}
