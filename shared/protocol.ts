/**
 * The native WebSocket protocol between the hub and the Switchboard SDK. Both ends decode every
 * frame with these schemas (`safeParse`); zod/mini keeps the browser bundle small.
 *
 * Client commands are `noun.verb` and carry a `ref`; the hub answers each with a `reply` of the
 * same `ref`. Server facts are past-tense dotted names that the SDK emits unchanged.
 */
import * as z from 'zod/mini';

/** Largest frame either side accepts, in bytes. */
export const MAX_FRAME_BYTES = 64 * 1024;

const ref = z.string().check(z.minLength(1), z.maxLength(64));
const sid = z.string().check(z.length(34));

/** Hello: the first frame on a socket. The token travels here, never in the URL (access logs). */
export const AuthMessageSchema = z.strictObject({
  type: z.literal('auth'),
  ref,
  token: z.string().check(z.maxLength(8192)),
  /** Close this worker's other sessions, as TaskRouter's `closeExistingSessions`. */
  closeExistingSessions: z.optional(z.boolean()),
  /** Move the worker to Offline when its last session drops. */
  setWorkerOfflineIfDisconnected: z.optional(z.boolean()),
});

/** Every command a client may send. Unknown fields are refused, so a typo is an error, not a silent no-op. */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  AuthMessageSchema,
  z.strictObject({ type: z.literal('token.update'), ref, token: z.string().check(z.maxLength(8192)) }),
  z.strictObject({
    type: z.literal('worker.update'),
    ref,
    activitySid: z.optional(sid),
    attributes: z.optional(z.record(z.string(), z.unknown())),
    rejectPendingReservations: z.optional(z.boolean()),
  }),
  z.strictObject({ type: z.literal('channel.update'), ref, channel: z.string().check(z.maxLength(64)), capacity: z.optional(z.number()), available: z.optional(z.boolean()) }),
  z.strictObject({ type: z.literal('reservation.accept'), ref, reservationSid: sid }),
  z.strictObject({ type: z.literal('reservation.reject'), ref, reservationSid: sid, activitySid: z.optional(sid) }),
  z.strictObject({ type: z.literal('task.wrap'), ref, taskSid: sid, reason: z.optional(z.string().check(z.maxLength(1024))) }),
  z.strictObject({ type: z.literal('task.complete'), ref, taskSid: sid, reason: z.optional(z.string().check(z.maxLength(1024))) }),
  z.strictObject({ type: z.literal('ping'), ref }),
]);

/** A command from a client. */
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
/** The `type` of a client command. */
export type ClientMessageType = ClientMessage['type'];

/** Resource JSON as the REST API returns it (snake_case), without its REST addresses (`url`, `links`); the SDK wraps it. */
const Resource = z.record(z.string(), z.unknown());

/** Worker JSON (REST shape). */
export const WorkerPayloadSchema = z.looseObject({
  sid,
  friendly_name: z.string(),
  activity_sid: z.string(),
  activity_name: z.string(),
  available: z.boolean(),
  attributes: z.string(),
});
/** Reservation JSON (REST shape) with its task and its deadline. */
export const ReservationPayloadSchema = z.looseObject({
  sid,
  reservation_status: z.string(),
  task_sid: sid,
  worker_sid: sid,
  /** ISO time at which a pending reservation times out. */
  timeout_at: z.string(),
  task: z.looseObject({ sid, attributes: z.string(), assignment_status: z.string() }),
});

/** The worker's whole state: sent after `auth` and after every reconnect, so nothing is missed. */
const SnapshotSchema = z.object({
  type: z.literal('snapshot'),
  worker: WorkerPayloadSchema,
  activities: z.array(Resource),
  channels: z.array(Resource),
  reservations: z.array(ReservationPayloadSchema),
  /** Token expiry, ISO. */
  token_expires_at: z.string(),
});

/**
 * Reservation facts the hub pushes to the reservation's worker: to each of its sessions, except
 * that `reservation.accepted`, `.rejected`, `.wrapup` and `.completed` skip the session whose own
 * command caused them (its reply to `reservation.accept`, `.reject`, `task.wrap` or `task.complete`
 * carries the same reservation).
 */
export const RESERVATION_EVENTS = [
  'reservation.created',
  'reservation.accepted',
  'reservation.rejected',
  'reservation.timeout',
  'reservation.canceled',
  'reservation.rescinded',
  'reservation.wrapup',
  'reservation.completed',
] as const;

/** One reservation fact's name. */
export type ReservationEventType = (typeof RESERVATION_EVENTS)[number];

const ErrorSchema = z.object({ code: z.number(), message: z.string(), status: z.number() });

/** Every frame the hub sends. */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.discriminatedUnion('ok', [
    z.object({ type: z.literal('reply'), ref, ok: z.literal(true), data: z.optional(z.unknown()) }),
    z.object({ type: z.literal('reply'), ref, ok: z.literal(false), error: ErrorSchema }),
  ]),
  SnapshotSchema,
  ...RESERVATION_EVENTS.map((name) => z.object({ type: z.literal(name), reservation: ReservationPayloadSchema })),
  z.object({ type: z.literal('activity.update'), worker: WorkerPayloadSchema }),
  z.object({ type: z.literal('attributes.update'), worker: WorkerPayloadSchema }),
  z.object({ type: z.literal('channel.update'), channel: Resource }),
  /** The token expires soon: present a new one with `token.update`. */
  z.object({ type: z.literal('token.expiring'), expires_at: z.string() }),
  /** A frame that could not be answered by a reply (no valid `ref`). */
  z.object({ type: z.literal('error'), error: ErrorSchema }),
]);

/** A frame from the hub. */
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
/** The `type` of a server frame. */
export type ServerMessageType = ServerMessage['type'];
