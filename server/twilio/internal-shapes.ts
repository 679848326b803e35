/**
 * Resources in the event bridge's *internal* shapes, which `twilio-taskrouter` 2.x builds its
 * objects from: dates in epoch seconds (a worker channel's `last_reserved_time` in ms), attributes
 * as JSON text, `version` as text (the SDK's type; it sends it back as `If-Match`), no `url`/`links`,
 * and every key its constructors require. The REST serializers compute the fields; this file only
 * reshapes them. Lists are `{contents, after_sid}`: `after_sid` is the `AfterSid` of the next page
 * (null on the last); lists read with `Ordering` page by `NextToken` and answer `meta.next_token`.
 */
import type { ActivityRecord, ReservationRecord, TaskQueueRecord, TaskRecord, WorkerChannelRecord, WorkerRecord } from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import { z } from 'zod';
import { int, parseParams, text as textParam } from '../http/params.js';
import { NO_ADDRESSES, serializeTask, serializeTaskQueue, serializeWorkerChannel } from '../http/serialize.js';

/** A payload object as it goes on the wire. */
export type Payload = Record<string, unknown>;


/** An epoch-ms time as the SDK reads it: whole epoch seconds. */
export function epoch(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Activity: `account_sid, available, date_created, date_updated, friendly_name, sid, workspace_sid`. */
export function activityShape(s: WorkspaceState, a: ActivityRecord): Payload {
  return {
    account_sid: s.workspace.accountSid,
    available: a.available,
    date_created: epoch(a.dateCreated),
    date_updated: epoch(a.dateUpdated),
    friendly_name: a.friendlyName,
    sid: a.sid,
    workspace_sid: a.workspaceSid,
  };
}

/** Worker, with `version`; `activitySid` and `attributes` may be given as an event saw them. */
export function workerShape(s: WorkspaceState, w: WorkerRecord, seen: { activitySid?: string; attributes?: string; version?: number } = {}): Payload {
  const activitySid = seen.activitySid ?? w.activitySid;
  const activity = s.activities.get(activitySid);
  return {
    account_sid: s.workspace.accountSid,
    activity_name: activity?.friendlyName ?? '',
    activity_sid: activitySid,
    attributes: seen.attributes ?? w.attributes,
    available: activity?.available ?? false,
    date_created: epoch(w.dateCreated),
    date_status_changed: epoch(w.dateStatusChanged),
    date_updated: epoch(w.dateUpdated),
    friendly_name: w.friendlyName,
    sid: w.sid,
    workspace_sid: w.workspaceSid,
    version: String(seen.version ?? w.version),
  };
}

/** Worker channel; its load figures come from the REST serializer. */
export function channelShape(s: WorkspaceState, c: WorkerChannelRecord): Payload {
  return {
    ...serializeWorkerChannel(s, c, NO_ADDRESSES),
    date_created: epoch(c.dateCreated),
    date_updated: epoch(c.dateUpdated),
    last_reserved_time: c.lastReservedAt,
  };
}

/** Task at time `now`; `status` overrides the assignment status with the one an event saw. */
export function taskShape(s: WorkspaceState, t: TaskRecord, now: number, status?: string): Payload {
  const json = serializeTask(s, t, NO_ADDRESSES, now);
  return {
    account_sid: json['account_sid'],
    addons: '{}',
    age: json['age'],
    assignment_status: status ?? t.assignmentStatus,
    attributes: t.attributes,
    date_created: epoch(t.dateCreated),
    date_updated: epoch(t.dateUpdated),
    priority: t.priority,
    queue_name: json['task_queue_friendly_name'] ?? null,
    queue_sid: t.taskQueueSid,
    reason: t.reason,
    routing_target: t.routingTarget,
    sid: t.sid,
    task_channel_sid: t.taskChannelSid,
    task_channel_unique_name: json['task_channel_unique_name'],
    timeout: t.timeout,
    version: String(t.version),
    virtual_start_time: epoch(t.virtualStartTime),
    workflow_name: json['workflow_friendly_name'] ?? null,
    workflow_sid: t.workflowSid,
    workspace_sid: t.workspaceSid,
  };
}

function text(value: unknown, fallback: string | null): string | null {
  return typeof value === 'string' ? value : fallback;
}

/** A task rebuilt from an event's `task_*` data, for an event whose task was dropped in the same step. */
export function taskFromEventData(data: Record<string, unknown>, accountSid: string, workspaceSid: string, at: number): Payload {
  return {
    account_sid: accountSid,
    addons: '{}',
    age: typeof data['task_age'] === 'number' ? data['task_age'] : 0,
    assignment_status: text(data['task_assignment_status'], 'canceled'),
    attributes: text(data['task_attributes'], '{}'),
    date_created: epoch(at),
    date_updated: epoch(at),
    priority: typeof data['task_priority'] === 'number' ? data['task_priority'] : 0,
    queue_name: text(data['task_queue_name'], null),
    queue_sid: text(data['task_queue_sid'], null),
    reason: text(data['task_canceled_reason'] ?? data['task_completed_reason'], null),
    routing_target: null,
    sid: text(data['task_sid'], ''),
    task_channel_sid: text(data['task_channel_sid'], null),
    task_channel_unique_name: text(data['task_channel_unique_name'], null),
    timeout: 0,
    version: '0',
    virtual_start_time: epoch(at),
    workflow_name: text(data['workflow_name'], null),
    workflow_sid: text(data['workflow_sid'], null),
    workspace_sid: workspaceSid,
  };
}

/** Seconds a reservation had (or, while pending, still has) to be answered. */
function timeoutSeconds(r: ReservationRecord, now: number): number {
  const until = r.status === 'pending' ? r.timeoutAt - now : r.timeoutAt - r.dateCreated;
  return Math.max(0, Math.ceil(until / 1000));
}

/** Reservation with its task (`task` given when the task record is gone). */
export function reservationShape(s: WorkspaceState, r: ReservationRecord, now: number, task?: Payload): Payload {
  const record = s.findTask(r.taskSid);
  return {
    account_sid: s.workspace.accountSid,
    date_created: epoch(r.dateCreated),
    date_updated: epoch(r.dateUpdated),
    reservation_status: r.status,
    reservation_timeout: timeoutSeconds(r, now),
    sid: r.sid,
    task: task ?? (record ? taskShape(s, record, now) : taskFromEventData({ task_sid: r.taskSid }, s.workspace.accountSid, r.workspaceSid, r.dateUpdated)),
    task_sid: r.taskSid,
    worker_name: s.workers.get(r.workerSid)?.friendlyName ?? null,
    worker_sid: r.workerSid,
    workspace_sid: r.workspaceSid,
    version: String(r.version),
  };
}

/** Task queue, with the `lifo_queue` key the SDK's descriptor requires. */
export function taskQueueShape(s: WorkspaceState, q: TaskQueueRecord): Payload {
  return {
    ...serializeTaskQueue(s, q, NO_ADDRESSES),
    date_created: epoch(q.dateCreated),
    date_updated: epoch(q.dateUpdated),
    lifo_queue: q.taskOrder === 'LIFO',
  };
}

/** Largest and default page: the SDK always asks for 1000. */
export const MAX_CONTENTS_PAGE = 1000;

/** The paging parameters of every list. */
export const ContentsPageSchema = z.object({
  PageSize: int(1, MAX_CONTENTS_PAGE).optional(),
  AfterSid: textParam(64).optional(),
  NextToken: textParam(64).optional(),
});

/** One page of `items` (already filtered and ordered) as the SDK reads it. */
export function contentsPage<T extends { sid: string }>(
  items: readonly T[],
  params: Record<string, unknown>,
  shape: (item: T) => Payload,
  ordered = false,
): Payload {
  const p = parseParams(ContentsPageSchema, params);
  const size = p.PageSize ?? MAX_CONTENTS_PAGE;
  let start = 0;
  if (ordered && p.NextToken !== undefined) {
    start = /^\d+$/.test(p.NextToken) ? Number(p.NextToken) : items.length;
  } else if (p.AfterSid !== undefined) {
    const at = items.findIndex((item) => item.sid === p.AfterSid);
    // An AfterSid that is gone (deleted meanwhile) ends the list rather than restarting it.
    start = at < 0 ? items.length : at + 1;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  const contents = page.map(shape);
  if (ordered) return { contents, after_sid: null, meta: { next_token: more ? String(start + size) : null } };
  return { contents, after_sid: more ? (page[page.length - 1]?.sid ?? null) : null };
}
