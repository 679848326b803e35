/**
 * Engine commands: what any transport asks the engine to do, already decoded at the edge.
 * Domain rules (existence, limits, lifecycles) are checked by the engine, not by transports.
 */

/** Who asked: the account (REST with account credentials), a worker token, or the hub itself. */
export type Actor = { type: 'account' } | { type: 'worker'; sid: string } | { type: 'system' };

/** Fields shared by updates that honour an `If-Match` version. */
interface Versioned {
  ifMatch?: string | undefined;
}

/** Update the workspace itself. */
export interface WorkspaceUpdate {
  type: 'workspace.update';
  friendlyName?: string;
  eventCallbackUrl?: string | null;
  eventsFilter?: string | null;
  defaultActivitySid?: string;
  timeoutActivitySid?: string;
  multiTaskEnabled?: boolean;
  prioritizeQueueOrder?: 'FIFO' | 'LIFO';
}

/** Every command the engine understands. */
export type Command =
  | WorkspaceUpdate
  | { type: 'activity.create'; friendlyName: string; available?: boolean }
  | { type: 'activity.update'; sid: string; friendlyName?: string }
  | { type: 'activity.delete'; sid: string }
  | { type: 'taskChannel.create'; friendlyName: string; uniqueName: string; channelOptimizedRouting?: boolean }
  | { type: 'taskChannel.update'; sid: string; friendlyName?: string; channelOptimizedRouting?: boolean }
  | { type: 'taskChannel.delete'; sid: string }
  | { type: 'worker.create'; friendlyName: string; activitySid?: string; attributes?: string }
  | ({
      type: 'worker.update';
      sid: string;
      friendlyName?: string;
      activitySid?: string;
      attributes?: string;
      rejectPendingReservations?: boolean;
    } & Versioned)
  | ({ type: 'worker.delete'; sid: string } & Versioned)
  | { type: 'workerChannel.update'; workerSid: string; sid: string; capacity?: number; available?: boolean }
  | {
      type: 'taskQueue.create';
      friendlyName: string;
      targetWorkers?: string;
      maxReservedWorkers?: number;
      taskOrder?: 'FIFO' | 'LIFO';
      reservationActivitySid?: string | null;
      assignmentActivitySid?: string | null;
    }
  | {
      type: 'taskQueue.update';
      sid: string;
      friendlyName?: string;
      targetWorkers?: string;
      maxReservedWorkers?: number;
      taskOrder?: 'FIFO' | 'LIFO';
      reservationActivitySid?: string | null;
      assignmentActivitySid?: string | null;
    }
  | { type: 'taskQueue.delete'; sid: string }
  | {
      type: 'workflow.create';
      friendlyName: string;
      configuration: string;
      assignmentCallbackUrl?: string | null;
      fallbackAssignmentCallbackUrl?: string | null;
      taskReservationTimeout?: number;
    }
  | {
      type: 'workflow.update';
      sid: string;
      friendlyName?: string;
      configuration?: string;
      assignmentCallbackUrl?: string | null;
      fallbackAssignmentCallbackUrl?: string | null;
      taskReservationTimeout?: number;
      reEvaluateTasks?: boolean;
    }
  | { type: 'workflow.delete'; sid: string }
  | {
      type: 'task.create';
      attributes?: string;
      workflowSid?: string;
      taskQueueSid?: string;
      timeout?: number;
      priority?: number;
      /** A task channel unique name or TC sid. */
      taskChannel?: string;
      virtualStartTime?: number;
      routingTarget?: string;
      ignoreCapacity?: boolean;
    }
  | ({
      type: 'task.update';
      sid: string;
      attributes?: string;
      assignmentStatus?: 'canceled' | 'wrapping' | 'completed';
      reason?: string;
      priority?: number;
      taskChannel?: string;
      virtualStartTime?: number;
    } & Versioned)
  | ({ type: 'task.delete'; sid: string } & Versioned)
  | ({
      type: 'reservation.update';
      sid: string;
      /** The path scope the request came through: a reservation outside it is not found. */
      taskSid?: string;
      workerSid?: string;
      status?: 'accepted' | 'rejected' | 'wrapping' | 'completed';
      workerActivitySid?: string;
      instruction?: string;
    } & Versioned)
  | { type: 'timer.fired'; key: string }
  /** An assignment callback failed or asked for what the hub cannot do: recorded as a `callback.error` event. */
  | { type: 'callback.report'; reservationSid: string; url: string; code: number; message: string };

/** The `type` of every command. */
export type CommandType = Command['type'];

/** The command of a given type. */
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;
