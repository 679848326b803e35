/**
 * The records the engine owns, in the shape they are persisted: plain JSON values, camelCase,
 * times as epoch milliseconds. Derived data (parsed attributes, indexes) lives beside them in state.
 */

/** A task's `assignment_status`. */
export type TaskStatus = 'pending' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled';

/** A reservation's `reservation_status`. */
export type ReservationStatus =
  | 'pending'
  | 'accepted'
  | 'rejected'
  | 'timeout'
  | 'canceled'
  | 'rescinded'
  | 'wrapping'
  | 'completed';

/** Queue task order. */
export type TaskOrder = 'FIFO' | 'LIFO';

/** The unit of isolation; one engine owns one workspace. */
export interface WorkspaceRecord {
  sid: string;
  accountSid: string;
  friendlyName: string;
  eventCallbackUrl: string | null;
  eventsFilter: string | null;
  defaultActivitySid: string;
  timeoutActivitySid: string;
  multiTaskEnabled: boolean;
  prioritizeQueueOrder: TaskOrder;
  dateCreated: number;
  dateUpdated: number;
}

/** A named presence state; `available` never changes after create. */
export interface ActivityRecord {
  sid: string;
  workspaceSid: string;
  friendlyName: string;
  available: boolean;
  dateCreated: number;
  dateUpdated: number;
}

/** A kind of work (`voice`, `chat`, ...); a task belongs to one. */
export interface TaskChannelRecord {
  sid: string;
  workspaceSid: string;
  uniqueName: string;
  friendlyName: string;
  channelOptimizedRouting: boolean;
  dateCreated: number;
  dateUpdated: number;
}

/** An agent. `attributes` is the JSON text as given. */
export interface WorkerRecord {
  sid: string;
  workspaceSid: string;
  friendlyName: string;
  attributes: string;
  activitySid: string;
  dateStatusChanged: number;
  dateCreated: number;
  dateUpdated: number;
  version: number;
}

/** A worker's capacity on one task channel. */
export interface WorkerChannelRecord {
  sid: string;
  workspaceSid: string;
  workerSid: string;
  taskChannelSid: string;
  capacity: number;
  available: boolean;
  /** When the worker last got a reservation on this channel; orders longest-idle selection. */
  lastReservedAt: number;
  /**
   * When this channel last became ready for work again (a task or an offer left it full, or it was
   * given room): orders longest-idle selection with `lastReservedAt`. A reservation whose end did it
   * carries the mark (`ReservationRecord.readied`), as an offer carries `lastReservedAt`. Absent: never.
   */
  lastFreedAt?: number;
  dateCreated: number;
  dateUpdated: number;
}

/** A queue of tasks waiting for workers matching `targetWorkers`. */
export interface TaskQueueRecord {
  sid: string;
  workspaceSid: string;
  friendlyName: string;
  targetWorkers: string;
  maxReservedWorkers: number;
  taskOrder: TaskOrder;
  reservationActivitySid: string | null;
  assignmentActivitySid: string | null;
  dateCreated: number;
  dateUpdated: number;
}

/** Routing rules: `configuration` is the workflow JSON text as given. */
export interface WorkflowRecord {
  sid: string;
  workspaceSid: string;
  friendlyName: string;
  configuration: string;
  assignmentCallbackUrl: string | null;
  fallbackAssignmentCallbackUrl: string | null;
  taskReservationTimeout: number;
  dateCreated: number;
  dateUpdated: number;
}

/** Where a task stands in its workflow: filter index (-1 = default filter) and target index. */
export interface RoutingStep {
  filter: number;
  target: number;
}

/** A unit of work. */
export interface TaskRecord {
  sid: string;
  workspaceSid: string;
  workflowSid: string | null;
  taskQueueSid: string | null;
  taskChannelSid: string;
  attributes: string;
  priority: number;
  /** TTL in seconds while pending or reserved. */
  timeout: number;
  assignmentStatus: TaskStatus;
  reason: string | null;
  dateCreated: number;
  dateUpdated: number;
  virtualStartTime: number;
  /** When the task entered its workflow; target timeouts are cumulative from here. */
  workflowEnteredAt: number;
  taskQueueEnteredAt: number | null;
  step: RoutingStep | null;
  /** Reservation rounds so far (a multi-reservation round counts once). */
  assignmentCount: number;
  /** Workers who rejected this task; they are not offered it again. */
  rejectedWorkerSids: string[];
  routingTarget: string | null;
  ignoreCapacity: boolean;
  /** When a terminal task is dropped from the workspace. */
  purgeAt: number | null;
  version: number;
}

/** An offer of one task to one worker. */
export interface ReservationRecord {
  sid: string;
  workspaceSid: string;
  taskSid: string;
  workerSid: string;
  taskQueueSid: string;
  workflowSid: string | null;
  taskChannelSid: string;
  status: ReservationStatus;
  /** Deadline of a pending reservation. */
  timeoutAt: number;
  dateCreated: number;
  dateUpdated: number;
  version: number;
  /**
   * The worker's version once this offer was made. An offer saves neither the worker nor its
   * channel: restore takes the worker's version and the channel's last offer time from its
   * reservations (see `restoreOfferMarks`), and a reservation that goes hands them back (see
   * `keepOfferMarks`). Absent in reservations written before it existed.
   */
  workerVersion?: number;
  /** True when this reservation's end made its worker channel ready again, at `dateUpdated` (see `WorkerChannelRecord.lastFreedAt`). */
  readied?: true;
}

/** A fact for the Events resource, the event callback and the SDK. */
export interface EventRecord {
  sid: string;
  workspaceSid: string;
  eventType: string;
  description: string;
  resourceType: 'task' | 'reservation' | 'worker' | 'activity' | 'workflow' | 'task_queue' | 'task_channel' | 'workspace';
  resourceSid: string;
  actorType: 'account' | 'worker' | 'system';
  actorSid: string | null;
  date: number;
  /** TaskRouter's `event_data`, snake_case keys. */
  data: Record<string, unknown>;
  /** The worker this event concerns, so the hub can push it to that worker's sessions. */
  workerSid: string | null;
}

/** Every persisted kind, keyed by its name in the store. */
export interface RecordKinds {
  workspace: WorkspaceRecord;
  activity: ActivityRecord;
  taskChannel: TaskChannelRecord;
  worker: WorkerRecord;
  workerChannel: WorkerChannelRecord;
  taskQueue: TaskQueueRecord;
  workflow: WorkflowRecord;
  task: TaskRecord;
  reservation: ReservationRecord;
}

/** The name of a persisted kind. */
export type RecordKind = keyof RecordKinds;

/** Statuses after which a task never changes again. */
/** Every task status, from waiting to final. */
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'reserved', 'assigned', 'wrapping', 'completed', 'canceled'];
export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'canceled']);
