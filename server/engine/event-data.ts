import type { ReservationRecord, TaskRecord, WorkerRecord } from './model.js';
import type { WorkspaceState } from './workspace-state.js';

/** TaskRouter's task fields of `event_data`. */
export function taskEventData(state: WorkspaceState, task: TaskRecord, now: number): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  addTaskFields(data, state, task, now);
  return data;
}

/** TaskRouter's worker fields of `event_data`. */
export function workerEventData(state: WorkspaceState, worker: WorkerRecord): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  addWorkerFields(data, state, worker);
  return data;
}

/** The fields of a reservation event: task, worker and reservation together. */
export function reservationEventData(state: WorkspaceState, reservation: ReservationRecord, now: number): Record<string, unknown> {
  // Filled in place, not spread from the parts: this runs for every offer, and each copy was garbage.
  const data: Record<string, unknown> = {};
  const task = state.tasks.get(reservation.taskSid);
  const worker = state.workers.get(reservation.workerSid);
  if (task) addTaskFields(data, state, task, now);
  if (worker) addWorkerFields(data, state, worker);
  data['reservation_sid'] = reservation.sid;
  data['reservation_status'] = reservation.status;
  data['task_queue_sid'] = reservation.taskQueueSid;
  return data;
}

function addTaskFields(data: Record<string, unknown>, state: WorkspaceState, task: TaskRecord, now: number): void {
  const queue = task.taskQueueSid ? state.taskQueues.get(task.taskQueueSid) : undefined;
  const workflow = task.workflowSid ? state.workflows.get(task.workflowSid) : undefined;
  data['task_sid'] = task.sid;
  data['task_attributes'] = task.attributes;
  data['task_age'] = Math.max(0, Math.floor((now - task.dateCreated) / 1000));
  data['task_priority'] = task.priority;
  data['task_assignment_status'] = task.assignmentStatus;
  data['task_channel_sid'] = task.taskChannelSid;
  data['task_channel_unique_name'] = state.taskChannels.get(task.taskChannelSid)?.uniqueName ?? null;
  data['task_queue_sid'] = queue?.sid ?? null;
  data['task_queue_name'] = queue?.friendlyName ?? null;
  data['workflow_sid'] = workflow?.sid ?? null;
  data['workflow_name'] = workflow?.friendlyName ?? null;
  if (task.assignmentStatus === 'canceled') data['task_canceled_reason'] = task.reason;
  if (task.assignmentStatus === 'completed') data['task_completed_reason'] = task.reason;
}

function addWorkerFields(data: Record<string, unknown>, state: WorkspaceState, worker: WorkerRecord): void {
  data['worker_sid'] = worker.sid;
  data['worker_name'] = worker.friendlyName;
  data['worker_attributes'] = worker.attributes;
  data['worker_activity_sid'] = worker.activitySid;
  data['worker_activity_name'] = state.activities.get(worker.activitySid)?.friendlyName ?? null;
  data['worker_version'] = worker.version;
}
