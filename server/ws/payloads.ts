/**
 * What the socket sends about the world: the snapshot after `auth`, and the push frame for an event
 * that concerns a worker. Resources use the REST serializers, so both transports show one shape,
 * without the REST addresses (`url`, `links`): a page has no use for them, so a frame is the same
 * for every session whatever host it connected through.
 */
import { RESERVATION_EVENTS, type ReservationEventType, type ServerMessage } from '../../shared/protocol.js';
import type { EventRecord, ReservationRecord } from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import {
  isoDate,
  NO_ADDRESSES,
  serializeActivity,
  serializeReservation,
  serializeTask,
  serializeWorker,
  serializeWorkerChannel,
} from '../http/serialize.js';

type ReservationPayload = Extract<ServerMessage, { type: 'snapshot' }>['reservations'][number];
type WorkerPayload = Extract<ServerMessage, { type: 'snapshot' }>['worker'];

const RESERVATION_EVENT_SET: ReadonlySet<string> = new Set(RESERVATION_EVENTS);

type TaskPayload = ReservationPayload['task'];
/** A reservation's payload without its task. */
type ReservationFields = { [field: string]: unknown; sid: string; reservation_status: string; task_sid: string; worker_sid: string; timeout_at: string };

/** Reservation JSON with its task and its deadline, as the SDK's `Reservation` wraps it. */
export function reservationPayload(s: WorkspaceState, r: ReservationRecord, now: number): ReservationPayload {
  const json = reservationFields(s, r) as ReservationPayload;
  json.task = taskPayload(s, r.taskSid, now);
  return json;
}

/**
 * A reservation's own fields, its task left out. (The REST serializer's JSON has every field the
 * type names; it is extended in place, not copied: this runs for every offer and rescind.)
 */
function reservationFields(s: WorkspaceState, r: ReservationRecord): ReservationFields {
  const json = serializeReservation(s, r, NO_ADDRESSES) as ReservationFields;
  json.timeout_at = isoDate(r.timeoutAt);
  return json;
}

/** The task of a reservation; a stub once the task is gone. */
function taskPayload(s: WorkspaceState, taskSid: string, now: number): TaskPayload {
  const task = s.findTask(taskSid);
  return task ? (serializeTask(s, task, NO_ADDRESSES, now) as TaskPayload) : taskStub(taskSid, '{}', 'canceled');
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

function workerPayload(s: WorkspaceState, workerSid: string): WorkerPayload | undefined {
  const worker = s.workers.get(workerSid);
  if (!worker) return undefined;
  const json = serializeWorker(s, worker, NO_ADDRESSES) as WorkerPayload;
  // The REST JSON has a null activity name for a missing activity; the SDK's is a string.
  json.activity_name ??= '';
  return json;
}

/** The worker's whole state, or undefined when the worker does not exist. */
export function buildSnapshot(s: WorkspaceState, workerSid: string, now: number, tokenExpiresAt: number): ServerMessage | undefined {
  const worker = workerPayload(s, workerSid);
  if (!worker) return undefined;
  const reservations: ReservationPayload[] = [];
  for (const r of s.reservationsOfWorker.get(workerSid) ?? []) {
    if (r.status === 'pending' || r.status === 'accepted' || r.status === 'wrapping') reservations.push(reservationPayload(s, r, now));
  }
  reservations.sort((a, b) => String(a['date_created']).localeCompare(String(b['date_created'])));
  return {
    type: 'snapshot',
    worker,
    activities: [...s.activities.values()].map((a) => serializeActivity(s, a, NO_ADDRESSES)),
    channels: [...(s.channelsOfWorker.get(workerSid)?.values() ?? [])].map((c) => serializeWorkerChannel(s, c, NO_ADDRESSES)),
    reservations,
    token_expires_at: isoDate(tokenExpiresAt),
  };
}

/**
 * Push frames as bytes. A multi-reservation round offers one task to up to 50 workers in one
 * step: the task's JSON is made once for the round and spliced into each offer's frame, so the
 * per-offer work is the reservation's own few fields. Give it the step each event came from
 * (the hub's `onEvent` numbers them): within a step the task does not change.
 */
export class PushEncoder {
  private step = -1;
  /** The task JSON of this step, by task and the status the event saw. */
  private readonly tasks = new Map<string, string>();

  /** The encoded frame of `event`; undefined for events the SDK has no use for. */
  encode(event: EventRecord, s: WorkspaceState, now: number, step: number): Buffer | undefined {
    if (!RESERVATION_EVENT_SET.has(event.eventType) || event.workerSid === null) {
      const frame = pushFrame(event, s, now);
      return frame && Buffer.from(JSON.stringify(frame));
    }
    if (step !== this.step) {
      this.step = step;
      this.tasks.clear();
    }
    const r = s.findReservation(event.resourceSid);
    // A reservation whose record went with its task (deleted in the same step) is rebuilt from the event.
    const gone = r ? undefined : reservationFromEvent(event);
    let fields: ReservationFields;
    if (r) fields = reservationFields(s, r);
    else {
      const { task: _task, ...rest } = gone!;
      fields = rest;
    }
    fields.reservation_status = text(event.data['reservation_status'], fields.reservation_status);
    const seen = text(event.data['task_assignment_status'], '');
    const key = `${fields.task_sid} ${seen}`;
    let task = this.tasks.get(key);
    if (task === undefined) {
      const payload = gone ? gone.task : taskPayload(s, fields.task_sid, now);
      payload.assignment_status = seen || payload.assignment_status;
      this.tasks.set(key, (task = JSON.stringify(payload)));
    }
    // `{"type":…,"reservation":{…}}` with the task appended as the reservation's last field, as in `pushFrame`.
    const head = JSON.stringify({ type: event.eventType, reservation: fields });
    return Buffer.from(`${head.slice(0, -2)},"task":${task}}}`);
  }
}

/**
 * The frame that tells a worker about an event, built from the state the event left behind;
 * undefined for events the SDK has no use for.
 */
export function pushFrame(event: EventRecord, s: WorkspaceState, now: number): ServerMessage | undefined {
  const workerSid = event.workerSid;
  if (workerSid === null) return undefined;
  if (RESERVATION_EVENT_SET.has(event.eventType)) {
    const r = s.findReservation(event.resourceSid);
    const reservation = r ? reservationPayload(s, r, now) : reservationFromEvent(event);
    // The state is read after the whole step; the statuses are those the event saw when it happened.
    reservation.reservation_status = text(event.data['reservation_status'], reservation.reservation_status);
    reservation.task.assignment_status = text(event.data['task_assignment_status'], reservation.task.assignment_status);
    return { type: event.eventType as ReservationEventType, reservation };
  }
  switch (event.eventType) {
    case 'worker.activity.update':
    case 'worker.attributes.update': {
      const worker = workerPayload(s, workerSid);
      if (!worker) return undefined;
      return { type: event.eventType === 'worker.activity.update' ? 'activity.update' : 'attributes.update', worker };
    }
    case 'worker.capacity.update':
    case 'worker.channel.availability.update': {
      const channel = s.workerChannels.get(text(event.data['worker_channel_sid'], ''));
      return channel ? { type: 'channel.update', channel: serializeWorkerChannel(s, channel, NO_ADDRESSES) } : undefined;
    }
    default:
      return undefined;
  }
}
