import type { ReservationEventType } from '../../shared/protocol.js';
import { Emitter } from './emitter.js';
import { date, num, parseAttributes, str, strOrNull, type Json } from './payloads.js';
import { asStatus, type ReservationStatus } from './reconcile.js';

/** A reservation event's name on the reservation itself: `accepted` for `reservation.accepted`. */
export type ReservationEventName = ReservationEventType extends `reservation.${infer N}` ? Exclude<N, 'created'> : never;

/** Events of one reservation; each carries the reservation. */
export interface ReservationEvents {
  /** This reservation was accepted: its task is now the worker's. */
  accepted: Reservation;
  /** This reservation was rejected (by this page, another session or the REST API). */
  rejected: Reservation;
  /** Nobody answered before `timeoutAt`. */
  timeout: Reservation;
  /** The task was canceled before it was accepted. */
  canceled: Reservation;
  /** Another worker accepted the same task first: this offer is withdrawn. */
  rescinded: Reservation;
  /** The task moved to wrap-up. */
  wrapup: Reservation;
  /** The task is completed. */
  completed: Reservation;
}

/** A reservation's task status. */
export type TaskAssignmentStatus = 'pending' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled';

/** @internal What reservations and tasks need from their worker. */
export interface ReservationHost {
  accept(reservation: Reservation): Promise<Reservation>;
  reject(reservation: Reservation, activitySid: string | undefined): Promise<Reservation>;
  settle(reservation: Reservation, status: 'wrapping' | 'completed', reason: string | undefined): Promise<Reservation>;
}

/** The task of a reservation. */
export class Task {
  /** The task's SID (`WT...`). */
  readonly sid: string;
  /** The task's attributes, parsed. */
  attributes: Record<string, unknown> = {};
  priority = 0;
  assignmentStatus: TaskAssignmentStatus | string = 'pending';
  /** Friendly name of the task queue it was routed through. */
  queueName: string | null = null;
  queueSid: string | null = null;
  /** Unique name of its task channel (`default`, `voice`, `chat`, ...). */
  channel: string | null = null;
  workflowSid: string | null = null;
  /** Age in seconds when last received from the hub. */
  age = 0;
  dateCreated: Date | null = null;
  /** The task JSON as the hub sent it last. */
  raw: Json = {};

  /** @internal */
  constructor(
    private readonly reservation: Reservation,
    private readonly host: ReservationHost,
    payload: Json,
  ) {
    this.sid = str(payload, 'sid');
    this.absorb(payload);
  }

  /** @internal Takes the fields of a fresh task payload (text unchanged since the last one is not parsed again). */
  absorb(payload: Json): void {
    const last = this.raw;
    this.raw = payload;
    if (payload['attributes'] !== last['attributes']) this.attributes = parseAttributes(payload['attributes']);
    this.priority = num(payload, 'priority', this.priority);
    this.assignmentStatus = str(payload, 'assignment_status', this.assignmentStatus);
    this.queueName = strOrNull(payload, 'task_queue_friendly_name') ?? this.queueName;
    this.queueSid = strOrNull(payload, 'task_queue_sid') ?? this.queueSid;
    this.channel = strOrNull(payload, 'task_channel_unique_name') ?? this.channel;
    this.workflowSid = strOrNull(payload, 'workflow_sid') ?? this.workflowSid;
    this.age = num(payload, 'age', this.age);
    if (payload['date_created'] !== last['date_created']) this.dateCreated = date(payload, 'date_created') ?? this.dateCreated;
  }

  /** Moves the accepted task to wrap-up; resolves with its reservation. */
  wrapUp(reason?: string): Promise<Reservation> {
    return this.host.settle(this.reservation, 'wrapping', reason);
  }

  /** Completes the accepted (or wrapping) task, freeing the worker's capacity; resolves with its reservation. */
  complete(reason?: string): Promise<Reservation> {
    return this.host.settle(this.reservation, 'completed', reason);
  }
}

/**
 * An offer of a task to this worker. While `pending` it can be accepted or rejected until
 * `timeoutAt`; the first of several workers to accept wins, the others' offers are rescinded and
 * a late `accept()` rejects with a `SwitchboardError` of status 410.
 */
export class Reservation {
  /** The reservation's SID (`WR...`). */
  readonly sid: string;
  status: ReservationStatus = 'pending';
  readonly task: Task;
  workerSid: string;
  /** When a pending reservation times out. */
  timeoutAt: Date = new Date(0);
  dateCreated: Date | null = null;
  dateUpdated: Date | null = null;
  private readonly events = new Emitter<ReservationEvents>();
  /** The date texts taken last, so an unchanged one is not parsed again. */
  private readonly dateTexts: { timeout_at?: unknown; date_created?: unknown; date_updated?: unknown } = {};

  /** @internal */
  constructor(
    payload: Json & { task: Json },
    private readonly host: ReservationHost,
  ) {
    this.sid = str(payload, 'sid');
    this.workerSid = str(payload, 'worker_sid');
    this.task = new Task(this, host, payload.task);
    this.absorbOwn(payload);
  }

  /** @internal Takes the fields of a fresh payload; the status moves only through the worker's transitions. */
  absorb(payload: Json & { task: Json }): void {
    this.absorbOwn(payload);
    this.task.absorb(payload.task);
  }

  /** The reservation's own fields; a date whose text has not changed is not parsed again. */
  private absorbOwn(payload: Json): void {
    const texts = this.dateTexts;
    this.workerSid = str(payload, 'worker_sid', this.workerSid);
    if (payload['timeout_at'] !== texts.timeout_at) this.timeoutAt = date(payload, 'timeout_at') ?? this.timeoutAt;
    if (payload['date_created'] !== texts.date_created) this.dateCreated = date(payload, 'date_created') ?? this.dateCreated;
    if (payload['date_updated'] !== texts.date_updated) this.dateUpdated = date(payload, 'date_updated') ?? this.dateUpdated;
    texts.timeout_at = payload['timeout_at'];
    texts.date_created = payload['date_created'];
    texts.date_updated = payload['date_updated'];
  }

  /** @internal The payload's status, if it is one the SDK knows. */
  static statusOf(payload: Json): ReservationStatus | null {
    return asStatus(str(payload, 'reservation_status'));
  }

  /** Subscribes to one of this reservation's events; returns the unsubscribe function. */
  on<K extends keyof ReservationEvents>(name: K, listener: (reservation: ReservationEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /** Subscribes to the next occurrence of an event. */
  once<K extends keyof ReservationEvents>(name: K, listener: (reservation: ReservationEvents[K]) => void): () => void {
    return this.events.once(name, listener);
  }

  /** @internal */
  emit(name: ReservationEventName): void {
    this.events.emit(name, this);
  }

  /** Accepts the offer. Rejects with status 410 when it is no longer pending (taken by another worker, timed out, ...). */
  accept(): Promise<Reservation> {
    return this.host.accept(this);
  }

  /** Declines the offer, optionally moving the worker to another activity at the same time. */
  reject(options: { activitySid?: string } = {}): Promise<Reservation> {
    return this.host.reject(this, options.activitySid);
  }

  /** Completes the accepted task (shorthand for `task.complete()`). */
  complete(reason?: string): Promise<Reservation> {
    return this.task.complete(reason);
  }

  /** Milliseconds left before a pending reservation times out (0 when past or not pending). */
  timeLeft(now: number = Date.now()): number {
    return this.status === 'pending' ? Math.max(0, this.timeoutAt.getTime() - now) : 0;
  }
}
