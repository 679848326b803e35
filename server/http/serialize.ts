/**
 * Resource JSON exactly as TaskRouter v1 returns it: snake_case, ISO dates without milliseconds,
 * attributes and configuration as JSON text, absolute `url` and `links` on the hub's own host.
 * The REST API and the WebSocket protocol both send resources in this shape; the socket leaves
 * the addresses out (`NO_ADDRESSES`): a page has no use for REST URLs, and they were 40% of a frame.
 */
import type {
  ActivityRecord,
  EventRecord,
  ReservationRecord,
  TaskChannelRecord,
  TaskQueueRecord,
  TaskRecord,
  WorkerChannelRecord,
  WorkerRecord,
  WorkflowRecord,
} from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';

/** Where URLs point: the hub's public origin, e.g. `http://127.0.0.1:3000`; `accountSid` fills events' `account_sid`. */
export interface UrlBase {
  baseUrl: string;
  accountSid?: string;
}

/**
 * In place of a `UrlBase`: the resource without its `url` and `links` (left undefined, so JSON
 * omits them; the object keeps its shape).
 */
export const NO_ADDRESSES = null;

/** Where a resource's addresses point, or `NO_ADDRESSES`. */
export type Addresses = UrlBase | typeof NO_ADDRESSES;

/**
 * Seconds formatted lately, and their text. A payload's times fall on a few seconds (now, when its
 * records were made, a deadline two minutes ahead), so one remembered second was not enough: a
 * reservation's creation and deadline alternated and every call formatted a new date.
 */
const formatted = new Map<number, string>();
const FORMATTED_KEPT = 64;

/** An epoch-ms time as TaskRouter prints it, to the second: `2015-07-31T01:09:51Z`. */
export function isoDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  let text = formatted.get(second);
  if (text === undefined) {
    if (formatted.size >= FORMATTED_KEPT) formatted.clear();
    text = new Date(second * 1000).toISOString().slice(0, 19) + 'Z';
    formatted.set(second, text);
  }
  return text;
}

/** The absolute URL of a workspace, the prefix of every resource URL in it. */
export function workspaceUrl(base: UrlBase, workspaceSid: string): string {
  return `${base.baseUrl}/v1/Workspaces/${workspaceSid}`;
}

function statLinks(url: string): Record<string, string> {
  return { statistics: `${url}/Statistics`, real_time_statistics: `${url}/RealTimeStatistics`, cumulative_statistics: `${url}/CumulativeStatistics` };
}

/** Workspace JSON. */
export function serializeWorkspace(s: WorkspaceState, base: UrlBase): Record<string, unknown> {
  const w = s.workspace;
  const url = workspaceUrl(base, w.sid);
  return {
    account_sid: w.accountSid,
    date_created: isoDate(w.dateCreated),
    date_updated: isoDate(w.dateUpdated),
    default_activity_name: s.activities.get(w.defaultActivitySid)?.friendlyName ?? null,
    default_activity_sid: w.defaultActivitySid,
    event_callback_url: w.eventCallbackUrl,
    events_filter: w.eventsFilter,
    friendly_name: w.friendlyName,
    multi_task_enabled: w.multiTaskEnabled,
    sid: w.sid,
    timeout_activity_name: s.activities.get(w.timeoutActivitySid)?.friendlyName ?? null,
    timeout_activity_sid: w.timeoutActivitySid,
    prioritize_queue_order: w.prioritizeQueueOrder,
    url,
    links: {
      activities: `${url}/Activities`,
      workers: `${url}/Workers`,
      task_queues: `${url}/TaskQueues`,
      workflows: `${url}/Workflows`,
      tasks: `${url}/Tasks`,
      task_channels: `${url}/TaskChannels`,
      events: `${url}/Events`,
      ...statLinks(url),
    },
  };
}

/** Activity JSON. */
export function serializeActivity(s: WorkspaceState, a: ActivityRecord, base: Addresses): Record<string, unknown> {
  const ws = base && workspaceUrl(base, a.workspaceSid);
  return {
    account_sid: s.workspace.accountSid,
    available: a.available,
    date_created: isoDate(a.dateCreated),
    date_updated: isoDate(a.dateUpdated),
    friendly_name: a.friendlyName,
    sid: a.sid,
    workspace_sid: a.workspaceSid,
    url: ws ? `${ws}/Activities/${a.sid}` : undefined,
    links: ws ? { workspace: ws } : undefined,
  };
}

/** Worker JSON. */
export function serializeWorker(s: WorkspaceState, w: WorkerRecord, base: Addresses): Record<string, unknown> {
  const ws = base && workspaceUrl(base, w.workspaceSid);
  const url = ws && `${ws}/Workers/${w.sid}`;
  const activity = s.activities.get(w.activitySid);
  return {
    account_sid: s.workspace.accountSid,
    activity_name: activity?.friendlyName ?? null,
    activity_sid: w.activitySid,
    attributes: w.attributes,
    available: activity?.available ?? false,
    date_created: isoDate(w.dateCreated),
    date_status_changed: isoDate(w.dateStatusChanged),
    date_updated: isoDate(w.dateUpdated),
    friendly_name: w.friendlyName,
    sid: w.sid,
    workspace_sid: w.workspaceSid,
    url: url ?? undefined,
    links: ws
      ? {
          channels: `${url}/Channels`,
          reservations: `${url}/Reservations`,
          statistics: `${url}/Statistics`,
          activity: `${ws}/Activities/${w.activitySid}`,
          workspace: ws,
        }
      : undefined,
  };
}

/** Worker channel JSON; `assigned_tasks` counts the reservations holding its capacity. */
export function serializeWorkerChannel(s: WorkspaceState, c: WorkerChannelRecord, base: Addresses): Record<string, unknown> {
  const ws = base && workspaceUrl(base, c.workspaceSid);
  const assigned = s.channelLoad.get(c.sid) ?? 0;
  const free = c.available && c.capacity > 0 ? Math.max(0, c.capacity - assigned) : 0;
  return {
    account_sid: s.workspace.accountSid,
    assigned_tasks: assigned,
    available: c.available,
    available_capacity_percentage: c.capacity > 0 ? Math.floor((free * 100) / c.capacity) : 0,
    configured_capacity: c.capacity,
    date_created: isoDate(c.dateCreated),
    date_updated: isoDate(c.dateUpdated),
    sid: c.sid,
    task_channel_sid: c.taskChannelSid,
    task_channel_unique_name: s.taskChannels.get(c.taskChannelSid)?.uniqueName ?? null,
    worker_sid: c.workerSid,
    workspace_sid: c.workspaceSid,
    url: ws ? `${ws}/Workers/${c.workerSid}/Channels/${c.sid}` : undefined,
  };
}

/** Task channel JSON. */
export function serializeTaskChannel(s: WorkspaceState, c: TaskChannelRecord, base: UrlBase): Record<string, unknown> {
  const ws = workspaceUrl(base, c.workspaceSid);
  return {
    account_sid: s.workspace.accountSid,
    date_created: isoDate(c.dateCreated),
    date_updated: isoDate(c.dateUpdated),
    friendly_name: c.friendlyName,
    sid: c.sid,
    unique_name: c.uniqueName,
    workspace_sid: c.workspaceSid,
    channel_optimized_routing: c.channelOptimizedRouting,
    url: `${ws}/TaskChannels/${c.sid}`,
    links: { workspace: ws },
  };
}

/** Task queue JSON. */
export function serializeTaskQueue(s: WorkspaceState, q: TaskQueueRecord, base: Addresses): Record<string, unknown> {
  const ws = base && workspaceUrl(base, q.workspaceSid);
  const url = ws && `${ws}/TaskQueues/${q.sid}`;
  const activityLink = (sid: string | null) => (sid ? `${ws}/Activities/${sid}` : null);
  return {
    account_sid: s.workspace.accountSid,
    assignment_activity_sid: q.assignmentActivitySid,
    assignment_activity_name: q.assignmentActivitySid ? (s.activities.get(q.assignmentActivitySid)?.friendlyName ?? null) : null,
    date_created: isoDate(q.dateCreated),
    date_updated: isoDate(q.dateUpdated),
    friendly_name: q.friendlyName,
    max_reserved_workers: q.maxReservedWorkers,
    reservation_activity_sid: q.reservationActivitySid,
    reservation_activity_name: q.reservationActivitySid ? (s.activities.get(q.reservationActivitySid)?.friendlyName ?? null) : null,
    sid: q.sid,
    target_workers: q.targetWorkers,
    task_order: q.taskOrder,
    url: url ?? undefined,
    workspace_sid: q.workspaceSid,
    links: url
      ? {
          assignment_activity: activityLink(q.assignmentActivitySid),
          reservation_activity: activityLink(q.reservationActivitySid),
          workspace: ws,
          ...statLinks(url),
          list_statistics: `${ws}/TaskQueues/Statistics`,
          bulk_real_time_statistics: `${ws}/TaskQueues/RealTimeStatistics`,
        }
      : undefined,
  };
}

/** Workflow JSON. */
export function serializeWorkflow(s: WorkspaceState, w: WorkflowRecord, base: UrlBase): Record<string, unknown> {
  const ws = workspaceUrl(base, w.workspaceSid);
  const url = `${ws}/Workflows/${w.sid}`;
  return {
    account_sid: s.workspace.accountSid,
    assignment_callback_url: w.assignmentCallbackUrl,
    configuration: w.configuration,
    date_created: isoDate(w.dateCreated),
    date_updated: isoDate(w.dateUpdated),
    document_content_type: 'application/json',
    fallback_assignment_callback_url: w.fallbackAssignmentCallbackUrl,
    friendly_name: w.friendlyName,
    sid: w.sid,
    task_reservation_timeout: w.taskReservationTimeout,
    workspace_sid: w.workspaceSid,
    url,
    links: { ...statLinks(url), workspace: ws },
  };
}

/** Task JSON at time `now` (for `age`). */
export function serializeTask(s: WorkspaceState, t: TaskRecord, base: Addresses, now: number): Record<string, unknown> {
  const ws = base && workspaceUrl(base, t.workspaceSid);
  const url = ws && `${ws}/Tasks/${t.sid}`;
  const queue = t.taskQueueSid ? s.taskQueues.get(t.taskQueueSid) : undefined;
  const workflow = t.workflowSid ? s.workflows.get(t.workflowSid) : undefined;
  return {
    account_sid: s.workspace.accountSid,
    age: Math.max(0, Math.floor((now - t.dateCreated) / 1000)),
    assignment_status: t.assignmentStatus,
    attributes: t.attributes,
    addons: '{}',
    date_created: isoDate(t.dateCreated),
    date_updated: isoDate(t.dateUpdated),
    task_queue_entered_date: t.taskQueueEnteredAt === null ? null : isoDate(t.taskQueueEnteredAt),
    priority: t.priority,
    reason: t.reason,
    sid: t.sid,
    task_queue_sid: t.taskQueueSid,
    task_queue_friendly_name: queue?.friendlyName ?? null,
    task_channel_sid: t.taskChannelSid,
    task_channel_unique_name: s.taskChannels.get(t.taskChannelSid)?.uniqueName ?? null,
    timeout: t.timeout,
    workflow_sid: t.workflowSid,
    workflow_friendly_name: workflow?.friendlyName ?? null,
    workspace_sid: t.workspaceSid,
    url: url ?? undefined,
    links: ws
      ? {
          task_queue: t.taskQueueSid ? `${ws}/TaskQueues/${t.taskQueueSid}` : null,
          workflow: t.workflowSid ? `${ws}/Workflows/${t.workflowSid}` : null,
          workspace: ws,
          reservations: `${url}/Reservations`,
        }
      : undefined,
    virtual_start_time: isoDate(t.virtualStartTime),
    ignore_capacity: t.ignoreCapacity,
    routing_target: t.routingTarget,
  };
}

/** Reservation JSON (the task view's URL, as TaskRouter prints it). */
export function serializeReservation(s: WorkspaceState, r: ReservationRecord, base: Addresses): Record<string, unknown> {
  const ws = base && workspaceUrl(base, r.workspaceSid);
  return {
    account_sid: s.workspace.accountSid,
    date_created: isoDate(r.dateCreated),
    date_updated: isoDate(r.dateUpdated),
    reservation_status: r.status,
    sid: r.sid,
    task_sid: r.taskSid,
    worker_name: s.workers.get(r.workerSid)?.friendlyName ?? null,
    worker_sid: r.workerSid,
    workspace_sid: r.workspaceSid,
    url: ws ? `${ws}/Tasks/${r.taskSid}/Reservations/${r.sid}` : undefined,
    links: ws ? { task: `${ws}/Tasks/${r.taskSid}`, worker: `${ws}/Workers/${r.workerSid}`, workspace: ws } : undefined,
  };
}

const RESOURCE_PATHS: Record<EventRecord['resourceType'], string> = {
  task: 'Tasks', reservation: 'Reservations', worker: 'Workers', activity: 'Activities',
  workflow: 'Workflows', task_queue: 'TaskQueues', task_channel: 'TaskChannels', workspace: '',
};

function resourceUrl(e: EventRecord, ws: string): string {
  if (e.resourceType === 'workspace') return ws;
  const taskSid = e.data['task_sid'];
  if (e.resourceType === 'reservation' && typeof taskSid === 'string') return `${ws}/Tasks/${taskSid}/Reservations/${e.resourceSid}`;
  return `${ws}/${RESOURCE_PATHS[e.resourceType]}/${e.resourceSid}`;
}

/** Event JSON; `account_sid` comes from `base.accountSid`. */
export function serializeEvent(e: EventRecord, base: UrlBase): Record<string, unknown> {
  const ws = workspaceUrl(base, e.workspaceSid);
  return {
    account_sid: base.accountSid ?? null,
    actor_sid: e.actorSid,
    actor_type: e.actorType,
    actor_url: e.actorType === 'worker' && e.actorSid ? `${ws}/Workers/${e.actorSid}` : null,
    description: e.description,
    event_data: e.data,
    event_date: isoDate(e.date),
    event_date_ms: e.date,
    event_type: e.eventType,
    resource_sid: e.resourceSid,
    resource_type: e.resourceType,
    resource_url: resourceUrl(e, ws),
    sid: e.sid,
    source: 'switchboard',
    source_ip_address: null,
    url: `${ws}/Events/${e.sid}`,
    workspace_sid: e.workspaceSid,
  };
}
