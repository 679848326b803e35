import type { CommandOf } from '../commands.js';
import { workerEventData } from '../event-data.js';
import type { WorkerRecord } from '../model.js';
import { checkAttributes, checkName, checkVersion, err, ok, type Outcome } from '../outcome.js';
import { endReservation, resyncReadiness } from '../reservation-ops.js';
import type { StepContext } from '../step-context.js';
import { setWorkerActivity } from '../worker-activity.js';
import type { WorkspaceState } from '../workspace-state.js';
import { addWorkerChannel, emitResource } from './workspace-handlers.js';

/** TaskRouter's limit on a worker channel's capacity. */
export const MAX_CHANNEL_CAPACITY = 50;

/** Applies `worker.create`: the worker gets a channel per task channel and joins matching queues. */
export function createWorker(state: WorkspaceState, cmd: CommandOf<'worker.create'>, ctx: StepContext): Outcome {
  const bad = checkName(cmd.friendlyName) ?? (cmd.attributes !== undefined ? checkAttributes(cmd.attributes) : null);
  if (bad) return bad;
  if (state.workerByName.has(cmd.friendlyName)) return err('CONFLICT', `A Worker named ${cmd.friendlyName} already exists`);
  const activitySid = cmd.activitySid ?? state.workspace.defaultActivitySid;
  if (!state.activities.has(activitySid)) return err('BAD_REQUEST', `ActivitySid ${activitySid} is not an Activity of this workspace`);
  const worker: WorkerRecord = {
    sid: ctx.ids('WK'),
    workspaceSid: state.workspace.sid,
    friendlyName: cmd.friendlyName,
    attributes: cmd.attributes ?? '{}',
    activitySid,
    dateStatusChanged: ctx.now,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
    version: 0,
  };
  state.workers.set(worker.sid, worker);
  state.workerByName.set(worker.friendlyName, worker.sid);
  state.refreshWorkerView(worker);
  for (const channel of state.taskChannels.values()) addWorkerChannel(state, worker.sid, channel.sid, ctx);
  state.routing.syncMembership(worker);
  state.routing.syncReadiness(worker, ctx.now, true);
  ctx.save('worker', worker);
  ctx.emit({
    eventType: 'worker.created',
    description: `Worker ${worker.friendlyName} created`,
    resourceType: 'worker',
    resourceSid: worker.sid,
    workerSid: worker.sid,
    data: workerEventData(state, worker),
  });
  ctx.workersToRoute.add(worker.sid);
  return ok(worker);
}

/** Applies `worker.update`: name, attributes (full replace), activity, optionally rejecting pending offers. */
export function updateWorker(state: WorkspaceState, cmd: CommandOf<'worker.update'>, ctx: StepContext): Outcome {
  const worker = state.workers.get(cmd.sid);
  if (!worker) return err('NOT_FOUND', `Worker ${cmd.sid} not found`);
  const bad =
    checkVersion(cmd.ifMatch, worker.version) ??
    (cmd.friendlyName !== undefined ? checkName(cmd.friendlyName) : null) ??
    (cmd.attributes !== undefined ? checkAttributes(cmd.attributes) : null);
  if (bad) return bad;
  const activity = cmd.activitySid !== undefined ? state.activities.get(cmd.activitySid) : undefined;
  if (cmd.activitySid !== undefined && !activity) return err('BAD_REQUEST', `ActivitySid ${cmd.activitySid} is not an Activity of this workspace`);
  if (cmd.rejectPendingReservations && (!activity || activity.available)) {
    return err('BAD_REQUEST', 'RejectPendingReservations is only valid with an ActivitySid whose Available is false');
  }
  if (cmd.friendlyName !== undefined && cmd.friendlyName !== worker.friendlyName && state.workerByName.has(cmd.friendlyName)) {
    return err('CONFLICT', `A Worker named ${cmd.friendlyName} already exists`);
  }

  if (cmd.friendlyName !== undefined || cmd.attributes !== undefined) {
    const name = cmd.friendlyName;
    const renamed = name !== undefined && name !== worker.friendlyName;
    if (renamed) {
      state.workerByName.delete(worker.friendlyName);
      state.workerByName.set(name, worker.sid);
      worker.friendlyName = name;
    }
    const attributesChanged = cmd.attributes !== undefined && cmd.attributes !== worker.attributes;
    if (cmd.attributes !== undefined) worker.attributes = cmd.attributes;
    worker.dateUpdated = ctx.now;
    worker.version += 1;
    state.refreshWorkerView(worker);
    if (state.routing.syncMembership(worker)) ctx.workersToRoute.add(worker.sid);
    ctx.save('worker', worker);
    if (attributesChanged) {
      ctx.emit({
        eventType: 'worker.attributes.update',
        description: `Worker ${worker.friendlyName} attributes updated`,
        resourceType: 'worker',
        resourceSid: worker.sid,
        workerSid: worker.sid,
        data: workerEventData(state, worker),
      });
      // Target expressions may read worker attributes: a ready worker looks again.
      ctx.workersToRoute.add(worker.sid);
    }
    // A waiting task may name the new name (`known_worker_friendly_name`, `worker.friendly_name` in a target).
    if (renamed) ctx.workersToRoute.add(worker.sid);
  }
  if (activity) {
    if (cmd.rejectPendingReservations) {
      for (const reservation of [...(state.reservationsOfWorker.get(worker.sid) ?? [])]) {
        if (reservation.status !== 'pending') continue;
        const task = state.tasks.get(reservation.taskSid);
        if (task && !task.rejectedWorkerSids.includes(worker.sid)) {
          task.rejectedWorkerSids.push(worker.sid);
          ctx.save('task', task);
        }
        endReservation(state, reservation, 'rejected', ctx);
      }
    }
    setWorkerActivity(state, worker, activity.sid, ctx);
  }
  return ok(worker);
}

/** Applies `worker.delete`; a worker holding an accepted task stays. */
export function deleteWorker(state: WorkspaceState, cmd: CommandOf<'worker.delete'>, ctx: StepContext): Outcome {
  const worker = state.workers.get(cmd.sid);
  if (!worker) return err('NOT_FOUND', `Worker ${cmd.sid} not found`);
  const bad = checkVersion(cmd.ifMatch, worker.version);
  if (bad) return bad;
  const reservations = [...(state.reservationsOfWorker.get(worker.sid) ?? [])];
  if (reservations.some((r) => r.status === 'accepted' || r.status === 'wrapping')) {
    return err('CONFLICT', `Worker ${worker.sid} has an assigned task; complete it first`);
  }
  for (const reservation of reservations) if (reservation.status === 'pending') endReservation(state, reservation, 'canceled', ctx);
  state.routing.dropWorker(worker.sid);
  for (const wc of state.channelsOfWorker.get(worker.sid)?.values() ?? []) {
    state.workerChannels.delete(wc.sid);
    state.channelLoad.delete(wc.sid);
    ctx.remove('workerChannel', wc.sid);
  }
  state.channelsOfWorker.delete(worker.sid);
  state.workers.delete(worker.sid);
  state.workerByName.delete(worker.friendlyName);
  state.workerViews.delete(worker.sid);
  state.workerLoad.delete(worker.sid);
  ctx.workersToRoute.delete(worker.sid);
  ctx.remove('worker', worker.sid);
  emitResource(ctx, 'worker.deleted', 'worker', worker.sid, `Worker ${worker.friendlyName} deleted`);
  return ok(worker);
}

/** Applies `workerChannel.update`: capacity (0..50) and availability of one channel. */
export function updateWorkerChannel(state: WorkspaceState, cmd: CommandOf<'workerChannel.update'>, ctx: StepContext): Outcome {
  const worker = state.workers.get(cmd.workerSid);
  if (!worker) return err('NOT_FOUND', `Worker ${cmd.workerSid} not found`);
  const byChannel = state.channelsOfWorker.get(worker.sid);
  let wc = state.workerChannels.get(cmd.sid);
  if (!wc || wc.workerSid !== worker.sid) {
    const taskChannel = state.findTaskChannel(cmd.sid);
    wc = taskChannel ? byChannel?.get(taskChannel.sid) : undefined;
  }
  if (!wc) return err('NOT_FOUND', `WorkerChannel ${cmd.sid} not found`);
  if (cmd.capacity !== undefined && (!Number.isInteger(cmd.capacity) || cmd.capacity < 0 || cmd.capacity > MAX_CHANNEL_CAPACITY)) {
    return err('BAD_REQUEST', `Capacity must be an integer from 0 to ${MAX_CHANNEL_CAPACITY}`);
  }
  const previousCapacity = wc.capacity;
  if (cmd.capacity !== undefined) wc.capacity = cmd.capacity;
  if (cmd.available !== undefined) wc.available = cmd.available;
  wc.dateUpdated = ctx.now;
  worker.version += 1;
  ctx.save('worker', worker);
  resyncReadiness(state, worker, ctx);
  ctx.workersToRoute.add(worker.sid);
  ctx.save('workerChannel', wc);
  const channel = state.taskChannels.get(wc.taskChannelSid);
  ctx.emit({
    eventType: cmd.capacity !== undefined ? 'worker.capacity.update' : 'worker.channel.availability.update',
    description: `Worker ${worker.friendlyName} channel ${channel?.uniqueName} updated`,
    resourceType: 'worker',
    resourceSid: worker.sid,
    workerSid: worker.sid,
    data: {
      ...workerEventData(state, worker),
      task_channel_sid: wc.taskChannelSid,
      task_channel_unique_name: channel?.uniqueName ?? null,
      worker_channel_available: wc.available,
      worker_channel_available_capacity: state.freeCapacity(worker, wc),
      worker_channel_previous_capacity: previousCapacity,
      worker_channel_task_count: state.channelLoad.get(wc.sid) ?? 0,
      worker_channel_sid: wc.sid,
    },
  });
  return ok(wc);
}
