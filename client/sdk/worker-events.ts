import type { Channel } from './channel.js';
import type { DownInfo } from './connection.js';
import type { Reservation } from './reservation.js';
import type { SwitchboardError } from './sdk-error.js';
import type { Worker } from './worker.js';

/** Why the connection dropped, and whether (and when) the SDK retries. */
export type DisconnectInfo = DownInfo;

/** Every event a `Worker` emits, with its payload. */
export interface WorkerEvents {
  /** First sync with the hub: properties, `activities`, `channels` and `reservations` are filled in. */
  ready: Worker;
  /** Connected and in sync: after the first connect and after every reconnect (after the catch-up events). */
  connected: Worker;
  /** The connection dropped, or a retry failed; `willReconnect`/`retryInMs` say what happens next. */
  disconnected: DisconnectInfo;
  /** The worker's activity changed (this page, another session, the REST API, or the hub on a timeout). */
  'activity.update': Worker;
  /** The worker's attributes changed. */
  'attributes.update': Worker;
  /** One of the worker's channels changed (capacity, availability or load). */
  'channel.update': Channel;
  /** A task is offered to this worker: accept or reject it before `reservation.timeoutAt`. */
  'reservation.created': Reservation;
  /** A reservation was accepted: its task is this worker's now. */
  'reservation.accepted': Reservation;
  /** A reservation was rejected. */
  'reservation.rejected': Reservation;
  /** A reservation was not answered in time; the hub moves the worker to the workspace's timeout activity. */
  'reservation.timeout': Reservation;
  /** The task was canceled before anyone accepted it. */
  'reservation.canceled': Reservation;
  /** Another worker accepted the same task first: this offer is withdrawn ("taken by another agent"). */
  'reservation.rescinded': Reservation;
  /** An accepted task moved to wrap-up. */
  'reservation.wrapup': Reservation;
  /** An accepted task was completed. */
  'reservation.completed': Reservation;
  /** The token is about to expire (or has): fetch a new one and pass it to `updateToken()`. */
  'token.expired': { expiresAt: Date | null };
  /** A problem outside any command: a refused token, a replaced session, a frame the SDK cannot read, a hub error. */
  error: SwitchboardError;
}

/** The name of a worker event. */
export type WorkerEventName = keyof WorkerEvents;
