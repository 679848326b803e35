/**
 * The Switchboard Worker SDK: connect an agent's page to a Switchboard hub, receive task offers
 * (reservations) and answer them. `new Worker(token, { url })`, then `worker.on('reservation.created', ...)`.
 */
export { Worker, type WorkerOptions, type WorkerUpdate, type ConnectionState } from './worker.js';
export type { WorkerEvents, WorkerEventName, DisconnectInfo } from './worker-events.js';
export { Reservation, Task, type ReservationEvents, type ReservationEventName, type TaskAssignmentStatus } from './reservation.js';
export { Activity } from './activity.js';
export { Channel } from './channel.js';
export { SwitchboardError, type ErrorPayload } from './sdk-error.js';
export type { ReservationStatus } from './reconcile.js';
export type { SocketLike, WebSocketConstructor, ConnectionTimings } from './connection.js';
export { LOCAL_CLOSE } from './connection.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';

/** The SDK's version. */
export const version = '0.1.0';
