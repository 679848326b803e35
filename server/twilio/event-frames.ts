/**
 * The event-bridge frame for an engine event, and the workers it goes to. Built inside the step
 * (the state is the one right after it), encoded once, sent after the commit. A step may move a
 * record past what one of its events saw, so statuses, activity and attributes come from the
 * event's data. Task events go to every worker whose SDK holds a reservation of the task,
 * including one that ended in this very step (its `reservation.canceled` arrives first).
 */
import { RESERVATION_EVENTS } from '../../shared/protocol.js';
import type { EventRecord } from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import { channelShape, epoch, reservationShape, taskFromEventData, taskShape, workerShape, type Payload } from './internal-shapes.js';

/** One encoded frame and whom it is for; `end` closes those workers' sockets instead. */
export interface EventPush {
  workerSids: string[];
  frame?: Buffer;
  end?: true;
}

/** Reservation events the SDK consumes: the same the native protocol pushes. */
const RESERVATION_EVENT_TYPES: ReadonlySet<string> = new Set(RESERVATION_EVENTS);
/** Task events the SDK consumes. */
const TASK_EVENTS: ReadonlySet<string> = new Set(['task.updated', 'task.canceled', 'task.completed', 'task.wrapup']);
const ACTIVE: ReadonlySet<string> = new Set(['pending', 'accepted', 'wrapping']);

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** An event-bridge frame: `{event_type, payload}`. */
export function encodeFrame(eventType: string, payload: Payload): Buffer {
  return Buffer.from(JSON.stringify({ event_type: eventType, payload }));
}

function taskOf(event: EventRecord, s: WorkspaceState, now: number): Payload {
  const d = event.data;
  const task = s.findTask(str(d['task_sid']) ?? (event.resourceType === 'task' ? event.resourceSid : ''));
  if (!task) return taskFromEventData(d, s.workspace.accountSid, event.workspaceSid, event.date);
  return taskShape(s, task, now, str(d['task_assignment_status']));
}

function reservationPayload(event: EventRecord, s: WorkspaceState, now: number): Payload {
  const status = str(event.data['reservation_status']);
  const task = taskOf(event, s, now);
  const r = s.findReservation(event.resourceSid);
  if (r) return { ...reservationShape(s, r, now, task), ...(status ? { reservation_status: status } : {}) };
  // The task and its reservations were dropped in this step: rebuilt from what the event saw.
  return {
    account_sid: s.workspace.accountSid,
    date_created: epoch(event.date),
    date_updated: epoch(event.date),
    reservation_status: status ?? event.eventType.slice('reservation.'.length),
    reservation_timeout: 0,
    sid: event.resourceSid,
    task,
    task_sid: task['sid'],
    worker_sid: event.workerSid,
    workspace_sid: event.workspaceSid,
    version: '0',
  };
}

/** Workers whose SDK knows the task: an active reservation, or one that ended in this step. */
function holdersOf(s: WorkspaceState, taskSid: string, at: number): string[] {
  const out = new Set<string>();
  for (const r of s.reservationsOf(taskSid)) if (ACTIVE.has(r.status) || r.dateUpdated === at) out.add(r.workerSid);
  return [...out];
}

/** The push for an event, or undefined when no SDK has a use for it. */
export function eventPush(event: EventRecord, s: WorkspaceState, now: number): EventPush | undefined {
  const type = event.eventType;
  const workerSid = event.workerSid;
  if (RESERVATION_EVENT_TYPES.has(type) && workerSid) {
    return { workerSids: [workerSid], frame: encodeFrame(type, reservationPayload(event, s, now)) };
  }
  if (TASK_EVENTS.has(type)) {
    const workerSids = holdersOf(s, event.resourceSid, event.date);
    return workerSids.length > 0 ? { workerSids, frame: encodeFrame(type, taskOf(event, s, now)) } : undefined;
  }
  if (!workerSid) return undefined;
  if (type === 'worker.deleted') return { workerSids: [workerSid], end: true };
  const worker = s.workers.get(workerSid);
  if (!worker) return undefined;
  if (type === 'worker.activity.update' || type === 'worker.attributes.update') {
    const d = event.data;
    const version = typeof d['worker_version'] === 'number' ? d['worker_version'] : undefined;
    const seen = { activitySid: str(d['worker_activity_sid']), attributes: str(d['worker_attributes']), version };
    return { workerSids: [workerSid], frame: encodeFrame(type, workerShape(s, worker, seen)) };
  }
  if (type === 'worker.capacity.update' || type === 'worker.channel.availability.update') {
    const channel = s.workerChannels.get(str(event.data['worker_channel_sid']) ?? '');
    return channel ? { workerSids: [workerSid], frame: encodeFrame(type, channelShape(s, channel)) } : undefined;
  }
  return undefined;
}

/** Whether an event could concern an SDK at all (cheap check before looking at sessions). */
export function mayPush(event: EventRecord): boolean {
  return event.workerSid !== null || TASK_EVENTS.has(event.eventType);
}
