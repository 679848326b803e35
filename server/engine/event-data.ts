import type { ReservationRecord, TaskRecord, WorkerRecord } from './model.js';
import type { WorkspaceState } from './workspace-state.js';

/** TaskRouter's task fields of `event_data`. */
export function taskEventData(state: WorkspaceState, task: TaskRecord, now: number): Record<string, unknown> {
  const queue = task.taskQueueSid ? state.taskQueues.get(task.taskQueueSid) : undefined;
  const workflow = task.workflowSid ? state.workflows.get(task.workflowSid) : undefined;
  const channel = state.taskChannels.get(task.taskChannelSid);
  return {
    task_sid: task.sid,
    task_attributes: task.attributes,
    task_age: Math.max(0, Math.floor((now - task.dateCreated) / 1000)),
    task_priority: task.priority,
    task_assignment_status: task.assignmentStatus,
    task_channel_sid: task.taskChannelSid,
    task_channel_unique_name: channel?.uniqueName ?? null,
    task_queue_sid: queue?.sid ?? null,
    task_queue_name: queue?.friendlyName ?? null,
    workflow_sid: workflow?.sid ?? null,
    workflow_name: workflow?.friendlyName ?? null,
    ...(task.assignmentStatus === 'canceled' ? { task_canceled_reason: task.reason } : {}),
    ...(task.assignmentStatus === 'completed' ? { task_completed_reason: task.reason } : {}),
  };
}

/** TaskRouter's worker fields of `event_data`. */
export function workerEventData(state: WorkspaceState, worker: WorkerRecord): Record<string, unknown> {
  return {
    worker_sid: worker.sid,
    worker_name: worker.friendlyName,
    worker_attributes: worker.attributes,
    worker_activity_sid: worker.activitySid,
    worker_activity_name: state.activities.get(worker.activitySid)?.friendlyName ?? null,
    worker_version: worker.version,
  };
}

/** The fields of a reservation event: task, worker and reservation together. */
export function reservationEventData(state: WorkspaceState, reservation: ReservationRecord, now: number): Record<string, unknown> {
  const task = state.tasks.get(reservation.taskSid);
  const worker = state.workers.get(reservation.workerSid);
  return {
    ...(task ? taskEventData(state, task, now) : {}),
    ...(worker ? workerEventData(state, worker) : {}),
    reservation_sid: reservation.sid,
    reservation_status: reservation.status,
    task_queue_sid: reservation.taskQueueSid,
  };
}
