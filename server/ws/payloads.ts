/**
 * What the socket sends about the world: the snapshot after `auth`, and the push frame for an event
 * that concerns a worker. Resources use the REST serializers, so both transports show one shape.
 */
import { RESERVATION_EVENTS, type ReservationEventType, type ServerMessage } from '../../shared/protocol.js';
import type { EventRecord, ReservationRecord } from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import {
  isoDate,
  serializeActivity,
  serializeReservation,
  serializeTask,
  serializeWorker,
  serializeWorkerChannel,
  type UrlBase,
} from '../http/serialize.js';

type ReservationPayload = Extract<ServerMessage, { type: 'snapshot' }>['reservations'][number];
type WorkerPayload = Extract<ServerMessage, { type: 'snapshot' }>['worker'];

const RESERVATION_EVENT_SET: ReadonlySet<string> = new Set(RESERVATION_EVENTS);

/** Reservation JSON with its task and its deadline, as the SDK's `Reservation` wraps it. */
export function reservationPayload(s: WorkspaceState, r: ReservationRecord, base: UrlBase, now: number): ReservationPayload {
  const task = s.tasks.get(r.taskSid);
  return {
    ...serializeReservation(s, r, base),
    sid: r.sid,
    reservation_status: r.status,
    task_sid: r.taskSid,
    worker_sid: r.workerSid,
    timeout_at: isoDate(r.timeoutAt),
    task: task ? { ...serializeTask(s, task, base, now), sid: task.sid, attributes: task.attributes, assignment_status: task.assignmentStatus } : taskStub(r.taskSid, '{}', 'canceled'),
  };
}

function taskStub(sid: string, attributes: string, assignmentStatus: string): ReservationPayload['task'] {
  return { sid, attributes, assignment_status: assignmentStatus };
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * The reservation of an event whose record is already gone (its task was deleted in the same
 * step): rebuilt from the event's data, which the engine captured when it happened.
 */
function reservationFromEvent(event: EventRecord): ReservationPayload {
  const d = event.data;
  const taskSid = text(d['task_sid'], '');
  return {
    sid: event.resourceSid,
    reservation_status: text(d['reservation_status'], event.eventType.slice('reservation.'.length)),
    task_sid: taskSid,
    worker_sid: event.workerSid ?? '',
    workspace_sid: event.workspaceSid,
    timeout_at: isoDate(event.date),
    task: taskStub(taskSid, text(d['task_attributes'], '{}'), text(d['task_assignment_status'], 'canceled')),
  };
}

function workerPayload(s: WorkspaceState, workerSid: string, base: UrlBase): WorkerPayload | undefined {
  const worker = s.workers.get(workerSid);
  if (!worker) return undefined;
  const json = serializeWorker(s, worker, base);
  const activity = s.activities.get(worker.activitySid);
  return { ...json, sid: worker.sid, friendly_name: worker.friendlyName, activity_sid: worker.activitySid, activity_name: activity?.friendlyName ?? '', available: activity?.available ?? false, attributes: worker.attributes };
}

/** The worker's whole state, or undefined when the worker does not exist. */
export function buildSnapshot(s: WorkspaceState, workerSid: string, base: UrlBase, now: number, tokenExpiresAt: number): ServerMessage | undefined {
  const worker = workerPayload(s, workerSid, base);
  if (!worker) return undefined;
  const reservations: ReservationPayload[] = [];
  for (const r of s.reservationsOfWorker.get(workerSid) ?? []) {
    if (r.status === 'pending' || r.status === 'accepted' || r.status === 'wrapping') reservations.push(reservationPayload(s, r, base, now));
  }
  reservations.sort((a, b) => String(a['date_created']).localeCompare(String(b['date_created'])));
  return {
    type: 'snapshot',
    worker,
    activities: [...s.activities.values()].map((a) => serializeActivity(s, a, base)),
    channels: [...(s.channelsOfWorker.get(workerSid)?.values() ?? [])].map((c) => serializeWorkerChannel(s, c, base)),
    reservations,
    token_expires_at: isoDate(tokenExpiresAt),
  };
}

/**
 * The frame that tells a worker about an event, built from the state the event left behind;
 * undefined for events the SDK has no use for.
 */
export function pushFrame(event: EventRecord, s: WorkspaceState, base: UrlBase, now: number): ServerMessage | undefined {
  const workerSid = event.workerSid;
  if (workerSid === null) return undefined;
  if (RESERVATION_EVENT_SET.has(event.eventType)) {
    const r = s.reservations.get(event.resourceSid);
    const reservation = r ? reservationPayload(s, r, base, now) : reservationFromEvent(event);
    // The state is read after the whole step; the statuses are those the event saw when it happened.
    reservation.reservation_status = text(event.data['reservation_status'], reservation.reservation_status);
    reservation.task.assignment_status = text(event.data['task_assignment_status'], reservation.task.assignment_status);
    return { type: event.eventType as ReservationEventType, reservation };
  }
  switch (event.eventType) {
    case 'worker.activity.update':
    case 'worker.attributes.update': {
      const worker = workerPayload(s, workerSid, base);
      if (!worker) return undefined;
      return { type: event.eventType === 'worker.activity.update' ? 'activity.update' : 'attributes.update', worker };
    }
    case 'worker.capacity.update':
    case 'worker.channel.availability.update': {
      const channel = s.workerChannels.get(text(event.data['worker_channel_sid'], ''));
      return channel ? { type: 'channel.update', channel: serializeWorkerChannel(s, channel, base) } : undefined;
    }
    default:
      return undefined;
  }
}
