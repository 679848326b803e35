import type { WorkerRecord } from './model.js';
import type { StepContext } from './step-context.js';
import { workerEventData } from './event-data.js';
import type { WorkspaceState } from './workspace-state.js';

/**
 * Moves a worker to another activity: resets its idle clock, re-indexes it, emits
 * `worker.activity.update`, and queues it for routing when it became available.
 */
export function setWorkerActivity(state: WorkspaceState, worker: WorkerRecord, activitySid: string, ctx: StepContext): void {
  if (worker.activitySid === activitySid) return;
  const previous = state.activities.get(worker.activitySid);
  const previousSince = worker.dateStatusChanged;
  worker.activitySid = activitySid;
  worker.dateStatusChanged = ctx.now;
  worker.dateUpdated = ctx.now;
  worker.version += 1;
  state.refreshWorkerView(worker);
  // Activity names may appear in queue expressions (`activity_name IN [...]`).
  state.routing.syncMembership(worker);
  state.routing.syncReadiness(worker, ctx.now, true);
  ctx.save('worker', worker);
  const timeInPrevious = ctx.now - previousSince;
  ctx.emit({
    eventType: 'worker.activity.update',
    description: `Worker ${worker.friendlyName} updated to ${state.activityOf(worker).friendlyName} Activity`,
    resourceType: 'worker',
    resourceSid: worker.sid,
    workerSid: worker.sid,
    data: {
      ...workerEventData(state, worker),
      worker_previous_activity_sid: previous?.sid ?? null,
      worker_previous_activity_name: previous?.friendlyName ?? null,
      worker_time_in_previous_activity: Math.floor(timeInPrevious / 1000),
      worker_time_in_previous_activity_ms: timeInPrevious,
    },
  });
  if (state.activityOf(worker).available) ctx.workersToRoute.add(worker.sid);
}
