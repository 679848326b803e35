import {
  ReservationPayloadSchema,
  WorkerPayloadSchema,
  type ServerMessage,
  type ServerMessageType,
} from '../../shared/protocol.js';
import { Activity } from './activity.js';
import { Channel } from './channel.js';
import { Connection, type Command, type ConnectionTimings, type WebSocketConstructor } from './connection.js';
import { Emitter } from './emitter.js';
import { date, parseAttributes, str, tokenGrant, type Json } from './payloads.js';
import { FINAL_STATUSES, reconcile, transitions, type ReservationStatus, type Transition } from './reconcile.js';
import { Reservation, type ReservationEventName, type ReservationHost } from './reservation.js';
import { SwitchboardError } from './sdk-error.js';
import { socketUrl } from './socket-url.js';
import type { WorkerEvents } from './worker-events.js';

/** How to reach the hub, and session choices. */
export interface WorkerOptions extends ConnectionTimings {
  /** The hub: `http(s)://host:port` (the SDK adds `/v1/sockets`) or the full `ws(s)://` socket URL. */
  url: string;
  /** Close this worker's other sessions (other tabs) when this one connects. */
  closeExistingSessions?: boolean;
  /** Move the worker to Offline when its last session drops (the hub's default applies when unset). */
  setWorkerOfflineIfDisconnected?: boolean;
  /** A WebSocket implementation, for runtimes without a global one (Node < 22: the `ws` package). */
  WebSocket?: WebSocketConstructor;
}

/** Where the connection stands. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** Changes `update()` may make. */
export interface WorkerUpdate {
  activitySid?: string;
  /** The new attributes (they replace the old ones). */
  attributes?: Record<string, unknown>;
  /** With an unavailable `activitySid`: reject every pending reservation at the same time. */
  rejectPendingReservations?: boolean;
}

type MessageOf<K extends ServerMessageType> = ServerMessage & { type: K };
type Handlers = { [K in ServerMessageType]: (message: MessageOf<K>) => void };
type ReservationPayload = Json & { sid: string; task: Json };

/**
 * Ended reservations remembered (by SID only: nothing moves a reservation out of a final status),
 * so a late frame about one is not taken for a new offer.
 */
const MAX_ENDED = 200;

/**
 * One worker (agent) connected to the hub. Construct it with a worker token; it connects at once,
 * emits `ready` when in sync, keeps itself connected (reconnecting with backoff and catching up
 * from the hub's snapshot), and exposes the worker's activity, attributes, channels and
 * reservations as plain properties kept up to date.
 */
export class Worker {
  /** The worker's SID (`WK...`), known from the token at once. */
  sid: string;
  workspaceSid: string;
  friendlyName = '';
  activitySid = '';
  activityName = '';
  /** Whether the current activity lets the worker receive offers. */
  available = false;
  /** The worker's attributes, parsed. */
  attributes: Record<string, unknown> = {};
  /** The workspace's activities by SID. */
  readonly activities = new Map<string, Activity>();
  /** The worker's channels by SID. */
  readonly channels = new Map<string, Channel>();
  /** Live reservations (pending, accepted, wrapping) by SID. */
  readonly reservations = new Map<string, Reservation>();
  connectionState: ConnectionState = 'connecting';
  /** When the current token expires. */
  tokenExpiresAt: Date | null;

  private token: string;
  private attributesText = '';
  private synced = false;
  private readonly events = new Emitter<WorkerEvents>();
  private readonly ended = new Set<string>();
  private readonly connection: Connection;
  private readonly host: ReservationHost = {
    accept: (r) => this.answer(r, { type: 'reservation.accept', reservationSid: r.sid }, 'accepted'),
    reject: (r, activitySid) =>
      this.answer(r, { type: 'reservation.reject', reservationSid: r.sid, ...(activitySid ? { activitySid } : {}) }, 'rejected'),
    settle: (r, status, reason) =>
      this.answer(r, { type: status === 'wrapping' ? 'task.wrap' : 'task.complete', taskSid: r.task.sid, ...(reason !== undefined ? { reason } : {}) }, status),
  };
  private readonly handlers = {
    reply: () => {}, // matched to their commands by the connection
    snapshot: (m) => this.sync(m),
    'reservation.created': (m) => this.receive(m.reservation),
    'reservation.accepted': (m) => this.receive(m.reservation),
    'reservation.rejected': (m) => this.receive(m.reservation),
    'reservation.timeout': (m) => this.receive(m.reservation),
    'reservation.canceled': (m) => this.receive(m.reservation),
    'reservation.rescinded': (m) => this.receive(m.reservation),
    'reservation.wrapup': (m) => this.receive(m.reservation),
    'reservation.completed': (m) => this.receive(m.reservation),
    'activity.update': (m) => this.absorbWorker(m.worker, true),
    'attributes.update': (m) => this.absorbWorker(m.worker, true),
    'channel.update': (m) => this.absorbChannel(m.channel, true),
    'token.expiring': (m) => this.events.emit('token.expired', { expiresAt: date(m, 'expires_at') }),
    error: (m) => this.events.emit('error', SwitchboardError.from(m.error)),
  } satisfies Handlers;

  constructor(token: string, options: WorkerOptions) {
    this.token = token;
    const grant = tokenGrant(token);
    this.sid = grant.workerSid;
    this.workspaceSid = grant.workspaceSid;
    this.tokenExpiresAt = grant.expiresAt;
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) throw new TypeError('No global WebSocket: pass options.WebSocket (for example the `ws` package)');
    const flags = {
      ...(options.closeExistingSessions !== undefined ? { closeExistingSessions: options.closeExistingSessions } : {}),
      ...(options.setWorkerOfflineIfDisconnected !== undefined ? { setWorkerOfflineIfDisconnected: options.setWorkerOfflineIfDisconnected } : {}),
    };
    this.connection = new Connection(socketUrl(options.url), WebSocketImpl, () => ({ type: 'auth', token: this.token, ...flags }), options);
    this.connection.on('message', (message) => (this.handlers[message.type] as (m: ServerMessage) => void)(message));
    this.connection.on('down', (info) => {
      this.connectionState = info.willReconnect ? 'reconnecting' : 'disconnected';
      this.events.emit('disconnected', info);
    });
    this.connection.on('refused', (error) => {
      if (/expired/i.test(error.message)) this.events.emit('token.expired', { expiresAt: this.tokenExpiresAt });
      this.events.emit('error', error);
    });
    this.connection.on('error', (error) => this.events.emit('error', error));
    // An answer that came too late for its promise: a reservation it carries is still the truth.
    this.connection.on('late', (data) => {
      const parsed = ReservationPayloadSchema.safeParse(data);
      if (parsed.success) this.receive(parsed.data);
    });
    // Connect on a later tick, so listeners added right after `new Worker()` miss nothing.
    queueMicrotask(() => this.connection.start());
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof WorkerEvents>(name: K, listener: (payload: WorkerEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /** Subscribes to the next occurrence of an event; returns the unsubscribe function. */
  once<K extends keyof WorkerEvents>(name: K, listener: (payload: WorkerEvents[K]) => void): () => void {
    return this.events.once(name, listener);
  }

  /** Removes the listeners of one event, or of all. */
  removeAllListeners(name?: keyof WorkerEvents): void {
    this.events.removeAllListeners(name);
  }

  /** Changes the worker's activity and/or attributes; resolves once the hub has applied it. */
  async update(changes: WorkerUpdate): Promise<this> {
    const data = await this.connection.request({
      type: 'worker.update',
      ...(changes.activitySid !== undefined ? { activitySid: changes.activitySid } : {}),
      ...(changes.attributes !== undefined ? { attributes: changes.attributes } : {}),
      ...(changes.rejectPendingReservations !== undefined ? { rejectPendingReservations: changes.rejectPendingReservations } : {}),
    });
    const parsed = WorkerPayloadSchema.safeParse(data);
    if (parsed.success) this.absorbWorker(parsed.data, true);
    else this.absorbWorker(this.implied(changes), true);
    return this;
  }

  /** Changes the capacity or availability of one of the worker's channels (by unique name, e.g. `chat`). */
  async updateChannel(channel: string, changes: { capacity?: number; available?: boolean }): Promise<this> {
    const data = await this.connection.request({ type: 'channel.update', channel, ...changes });
    if (typeof data === 'object' && data !== null && typeof (data as Json)['sid'] === 'string') this.absorbChannel(data as Json, true);
    return this;
  }

  /**
   * Gives the SDK a fresh token for the same worker (after `token.expired`); reconnects if the old
   * one was refused. A token for another worker rejects with status 403, and one the hub refuses
   * rejects with its error: either way the SDK keeps the token it had.
   */
  async updateToken(token: string): Promise<void> {
    const grant = tokenGrant(token);
    // One Worker speaks for one worker: the next reconnect must not authenticate as another.
    if (this.sid !== '' && (grant.workerSid !== this.sid || grant.workspaceSid !== this.workspaceSid)) {
      throw SwitchboardError.local('FORBIDDEN', `The token is not for worker ${this.sid}: create a new Worker for another worker`);
    }
    if (this.connection.isOpen) {
      try {
        await this.connection.request({ type: 'token.update', token });
      } catch (error) {
        // Only a token the hub answered about is kept out; one it never saw is for the reconnect.
        if (!(error instanceof SwitchboardError) || error.status !== 503) throw error;
      }
    }
    this.token = token;
    this.tokenExpiresAt = grant.expiresAt ?? this.tokenExpiresAt;
    this.connection.tokenChanged();
  }

  /** Closes the connection for good (no reconnect); pending commands fail. */
  disconnect(): void {
    this.connection.stop();
    this.connectionState = 'disconnected';
  }

  private async answer(r: Reservation, command: Command, implied: ReservationStatus): Promise<Reservation> {
    const data = await this.connection.request(command);
    const parsed = ReservationPayloadSchema.safeParse(data);
    if (parsed.success && parsed.data.sid === r.sid) this.receive(parsed.data);
    else {
      // The hub said yes without sending the reservation back: the status it implies is the truth.
      r.task.assignmentStatus = implied === 'accepted' ? 'assigned' : implied === 'rejected' ? r.task.assignmentStatus : implied;
      this.move(r, transitions(r.status, implied));
    }
    return r;
  }

  /** A reservation frame (push or reply): absorb it and announce the statuses it moved through. */
  private receive(payload: ReservationPayload): void {
    const status = Reservation.statusOf(payload);
    if (!status) return;
    if (this.ended.has(payload.sid)) return;
    const known = this.reservations.get(payload.sid);
    known?.absorb(payload);
    const moves = transitions(known?.status ?? null, status);
    if (moves.length > 0) this.move(known ?? new Reservation(payload, this.host), moves);
  }

  private move(r: Reservation, moves: Transition[]): void {
    const held = this.reservations.has(r.sid);
    for (const t of moves) {
      r.status = t.status;
      if (FINAL_STATUSES.has(t.status)) {
        this.reservations.delete(r.sid);
        this.ended.add(r.sid);
        if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.values().next().value!);
      } else {
        this.reservations.set(r.sid, r);
      }
      if (t.event !== 'reservation.created') r.emit(t.event.slice('reservation.'.length) as ReservationEventName);
      this.events.emit(t.event, r);
    }
    if (held !== this.reservations.has(r.sid)) this.followLoad(r.task.channel);
  }

  /**
   * An offer takes a unit of its channel's capacity until it ends or its task is completed: the
   * channel's load follows the worker's reservations there, as the hub counts it, with no frame of
   * its own per offer.
   */
  private followLoad(channel: string | null): void {
    if (channel === null) return;
    for (const c of this.channels.values()) {
      if (c.taskChannelUniqueName !== channel) continue;
      let assigned = 0;
      for (const r of this.reservations.values()) if (r.task.channel === channel) assigned += 1;
      if (c.follow(assigned)) this.events.emit('channel.update', c);
    }
  }

  /** Applies a snapshot: all of it on the first connect; on a reconnect, announcing what changed meanwhile. */
  private sync(m: MessageOf<'snapshot'>): void {
    const first = !this.synced;
    this.synced = true;
    this.tokenExpiresAt = date(m, 'token_expires_at') ?? this.tokenExpiresAt;
    this.activities.clear();
    for (const a of m.activities) {
      const activity = new Activity(a, () => this.activitySid, (sid) => this.update({ activitySid: sid }));
      this.activities.set(activity.sid, activity);
    }
    this.absorbWorker(m.worker, !first);
    const listed = new Set<string>();
    for (const c of m.channels) listed.add(this.absorbChannel(c, !first));
    for (const sid of [...this.channels.keys()]) if (!listed.has(sid)) this.channels.delete(sid);

    if (first) {
      for (const payload of m.reservations) {
        const status = Reservation.statusOf(payload);
        if (!status || FINAL_STATUSES.has(status)) continue;
        const r = new Reservation(payload, this.host);
        r.status = status;
        this.reservations.set(r.sid, r);
      }
    } else {
      const fresh = new Map(m.reservations.map((p) => [p.sid, p]));
      const snapshot = m.reservations.flatMap((p) => {
        const status = Reservation.statusOf(p);
        return status ? [{ sid: p.sid, status }] : [];
      });
      const known = [...this.reservations.values()].map((r) => ({ sid: r.sid, status: r.status, timeoutAt: r.timeoutAt.getTime() }));
      for (const [sid, payload] of fresh) this.reservations.get(sid)?.absorb(payload);
      for (const step of reconcile(known, snapshot, Date.now())) {
        const payload = fresh.get(step.sid);
        const r = this.reservations.get(step.sid) ?? (payload ? new Reservation(payload, this.host) : undefined);
        if (r) this.move(r, step.transitions);
      }
    }
    this.connectionState = 'connected';
    this.events.emit('connected', this);
    if (first) this.events.emit('ready', this);
  }

  private absorbWorker(payload: Json, announce: boolean): void {
    const activitySid = str(payload, 'activity_sid', this.activitySid);
    const attributesText = str(payload, 'attributes', this.attributesText);
    const activityChanged = activitySid !== this.activitySid;
    const attributesChanged = attributesText !== this.attributesText;
    this.sid = str(payload, 'sid', this.sid);
    this.friendlyName = str(payload, 'friendly_name', this.friendlyName);
    this.activitySid = activitySid;
    const activity = this.activities.get(activitySid);
    this.activityName = str(payload, 'activity_name', activity?.friendlyName ?? this.activityName);
    this.available = typeof payload['available'] === 'boolean' ? payload['available'] : (activity?.available ?? this.available);
    this.attributesText = attributesText;
    if (attributesChanged) this.attributes = parseAttributes(attributesText);
    if (announce && activityChanged) this.events.emit('activity.update', this);
    if (announce && attributesChanged) this.events.emit('attributes.update', this);
  }

  /** The worker JSON an accepted update implies, when the hub's reply does not carry it. */
  private implied(changes: WorkerUpdate): Json {
    const out: Json = {};
    if (changes.activitySid !== undefined) out['activity_sid'] = changes.activitySid;
    if (changes.attributes !== undefined) out['attributes'] = JSON.stringify(changes.attributes);
    return out;
  }

  private absorbChannel(payload: Json, announce: boolean): string {
    const sid = str(payload, 'sid');
    const existing = this.channels.get(sid);
    if (!existing) {
      const channel = new Channel(payload);
      this.channels.set(sid, channel);
      if (announce) this.events.emit('channel.update', channel);
    } else if (existing.absorb(payload) && announce) {
      this.events.emit('channel.update', existing);
    }
    return sid;
  }
}
