import type { EventRecord } from '../engine/model.js';
import type { EventQuery } from './store.js';

/** True when an event passes every filter of a query (the cursor included). */
export function matchesEventQuery(e: EventRecord, q: EventQuery): boolean {
  if (e.workspaceSid !== q.workspaceSid) return false;
  if (q.startDate !== undefined && e.date < q.startDate) return false;
  if (q.endDate !== undefined && e.date > q.endDate) return false;
  if (q.eventType !== undefined && e.eventType !== q.eventType) return false;
  if (q.sid !== undefined && e.sid !== q.sid) return false;
  if (q.resourceSid !== undefined && e.resourceSid !== q.resourceSid) return false;
  const d = e.data;
  if (q.workerSid !== undefined && d['worker_sid'] !== q.workerSid) return false;
  if (q.taskSid !== undefined && d['task_sid'] !== q.taskSid) return false;
  if (q.reservationSid !== undefined && d['reservation_sid'] !== q.reservationSid) return false;
  if (q.taskQueueSid !== undefined && d['task_queue_sid'] !== q.taskQueueSid) return false;
  if (q.workflowSid !== undefined && d['workflow_sid'] !== q.workflowSid) return false;
  if (q.taskChannel !== undefined && d['task_channel_unique_name'] !== q.taskChannel && d['task_channel_sid'] !== q.taskChannel) return false;
  if (q.before && (e.date > q.before.date || (e.date === q.before.date && e.sid >= q.before.sid))) return false;
  return true;
}
