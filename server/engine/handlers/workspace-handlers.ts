import type { CommandOf } from '../commands.js';
import type { ActivityRecord, TaskChannelRecord, WorkerChannelRecord } from '../model.js';
import { checkName, checkNameFree, err, ok, type Outcome } from '../outcome.js';
import { resyncReadiness } from '../reservation-ops.js';
import type { StepContext } from '../step-context.js';
import type { WorkspaceState } from '../workspace-state.js';

/** TaskRouter's limit on task channels per workspace. */
export const MAX_TASK_CHANNELS = 15;

/** Applies `workspace.update`. */
export function updateWorkspace(state: WorkspaceState, cmd: CommandOf<'workspace.update'>, ctx: StepContext): Outcome {
  const ws = state.workspace;
  if (cmd.friendlyName !== undefined) {
    const bad = checkName(cmd.friendlyName);
    if (bad) return bad;
  }
  for (const [param, sid] of [['DefaultActivitySid', cmd.defaultActivitySid], ['TimeoutActivitySid', cmd.timeoutActivitySid]] as const) {
    if (sid !== undefined && !state.activities.has(sid)) return err('BAD_REQUEST', `${param} ${sid} is not an Activity of this workspace`);
  }
  const modeChanged = cmd.multiTaskEnabled !== undefined && cmd.multiTaskEnabled !== ws.multiTaskEnabled;
  Object.assign(ws, definedOnly({
    friendlyName: cmd.friendlyName,
    eventCallbackUrl: cmd.eventCallbackUrl,
    eventsFilter: cmd.eventsFilter,
    defaultActivitySid: cmd.defaultActivitySid,
    timeoutActivitySid: cmd.timeoutActivitySid,
    multiTaskEnabled: cmd.multiTaskEnabled,
    prioritizeQueueOrder: cmd.prioritizeQueueOrder,
  }));
  ws.dateUpdated = ctx.now;
  if (modeChanged) {
    for (const worker of state.workers.values()) {
      resyncReadiness(state, worker, ctx);
      ctx.workersToRoute.add(worker.sid);
    }
  }
  ctx.save('workspace', ws);
  ctx.emit({ eventType: 'workspace.updated', description: `Workspace ${ws.friendlyName} updated`, resourceType: 'workspace', resourceSid: ws.sid, workerSid: null, data: {} });
  return ok(ws);
}

/** Keeps only the keys whose value is not undefined, for partial updates. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Applies `activity.create`. */
export function createActivity(state: WorkspaceState, cmd: CommandOf<'activity.create'>, ctx: StepContext): Outcome {
  const bad = checkName(cmd.friendlyName);
  if (bad) return bad;
  const taken = checkNameFree(state.activities.values(), cmd.friendlyName, 'An Activity');
  if (taken) return taken;
  const activity: ActivityRecord = {
    sid: ctx.ids('WA'),
    workspaceSid: state.workspace.sid,
    friendlyName: cmd.friendlyName,
    available: cmd.available ?? true,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
  };
  state.activities.set(activity.sid, activity);
  ctx.save('activity', activity);
  emitResource(ctx, 'activity.created', 'activity', activity.sid, `Activity ${activity.friendlyName} created`);
  return ok(activity);
}

/** Applies `activity.update` (only the name: availability never changes after create). */
export function updateActivity(state: WorkspaceState, cmd: CommandOf<'activity.update'>, ctx: StepContext): Outcome {
  const activity = state.activities.get(cmd.sid);
  if (!activity) return err('NOT_FOUND', `Activity ${cmd.sid} not found`);
  if (cmd.friendlyName !== undefined) {
    const bad = checkName(cmd.friendlyName);
    if (bad) return bad;
    const taken = checkNameFree(state.activities.values(), cmd.friendlyName, 'An Activity', activity);
    if (taken) return taken;
    activity.friendlyName = cmd.friendlyName;
  }
  activity.dateUpdated = ctx.now;
  for (const worker of state.workers.values()) {
    if (worker.activitySid !== activity.sid) continue;
    state.refreshWorkerView(worker);
    // Queue and target expressions may read `activity_name`.
    state.routing.syncMembership(worker);
    ctx.workersToRoute.add(worker.sid);
  }
  ctx.save('activity', activity);
  emitResource(ctx, 'activity.updated', 'activity', activity.sid, `Activity ${activity.friendlyName} updated`);
  return ok(activity);
}

/** Applies `activity.delete`; an activity in use stays. */
export function deleteActivity(state: WorkspaceState, cmd: CommandOf<'activity.delete'>, ctx: StepContext): Outcome {
  const activity = state.activities.get(cmd.sid);
  if (!activity) return err('NOT_FOUND', `Activity ${cmd.sid} not found`);
  const ws = state.workspace;
  if (ws.defaultActivitySid === activity.sid || ws.timeoutActivitySid === activity.sid) {
    return err('BAD_REQUEST', `Activity ${activity.sid} is the workspace's default or timeout activity`);
  }
  for (const worker of state.workers.values()) {
    if (worker.activitySid === activity.sid) return err('BAD_REQUEST', `Activity ${activity.sid} is the current activity of worker ${worker.sid}`);
  }
  for (const queue of state.taskQueues.values()) {
    if (queue.reservationActivitySid === activity.sid || queue.assignmentActivitySid === activity.sid) {
      return err('BAD_REQUEST', `Activity ${activity.sid} is used by TaskQueue ${queue.sid}`);
    }
  }
  state.activities.delete(activity.sid);
  ctx.remove('activity', activity.sid);
  emitResource(ctx, 'activity.deleted', 'activity', activity.sid, `Activity ${activity.friendlyName} deleted`);
  return ok(activity);
}

/** Applies `taskChannel.create`: every worker gets a channel of capacity 1 for it. */
export function createTaskChannel(state: WorkspaceState, cmd: CommandOf<'taskChannel.create'>, ctx: StepContext): Outcome {
  const bad = checkName(cmd.friendlyName) ?? checkName(cmd.uniqueName, 'UniqueName');
  if (bad) return bad;
  if (!/^[A-Za-z0-9_.]+$/.test(cmd.uniqueName)) return err('BAD_REQUEST', 'UniqueName may contain only letters, digits, _ and .');
  if (state.findTaskChannel(cmd.uniqueName)) return err('CONFLICT', `A TaskChannel with UniqueName ${cmd.uniqueName} already exists`);
  if (state.taskChannels.size >= MAX_TASK_CHANNELS) return err('BAD_REQUEST', `A workspace has at most ${MAX_TASK_CHANNELS} TaskChannels`);
  const channel: TaskChannelRecord = {
    sid: ctx.ids('TC'),
    workspaceSid: state.workspace.sid,
    uniqueName: cmd.uniqueName,
    friendlyName: cmd.friendlyName,
    channelOptimizedRouting: cmd.channelOptimizedRouting ?? false,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
  };
  state.taskChannels.set(channel.sid, channel);
  ctx.save('taskChannel', channel);
  for (const worker of state.workers.values()) {
    addWorkerChannel(state, worker.sid, channel.sid, ctx);
    state.routing.syncReadiness(worker, ctx.now, channel.sid);
  }
  emitResource(ctx, 'task-channel.created', 'task_channel', channel.sid, `TaskChannel ${channel.uniqueName} created`);
  return ok(channel);
}

/** Creates a worker's channel for a task channel, capacity 1 and available. */
export function addWorkerChannel(state: WorkspaceState, workerSid: string, taskChannelSid: string, ctx: StepContext): WorkerChannelRecord {
  const wc: WorkerChannelRecord = {
    sid: ctx.ids('WC'),
    workspaceSid: state.workspace.sid,
    workerSid,
    taskChannelSid,
    capacity: 1,
    available: true,
    lastReservedAt: 0,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
  };
  indexWorkerChannel(state, wc);
  ctx.save('workerChannel', wc);
  return wc;
}

/** Adds a worker channel to the state's maps. */
export function indexWorkerChannel(state: WorkspaceState, wc: WorkerChannelRecord): void {
  state.workerChannels.set(wc.sid, wc);
  let byChannel = state.channelsOfWorker.get(wc.workerSid);
  if (!byChannel) state.channelsOfWorker.set(wc.workerSid, (byChannel = new Map()));
  byChannel.set(wc.taskChannelSid, wc);
}

/** Applies `taskChannel.update`. */
export function updateTaskChannel(state: WorkspaceState, cmd: CommandOf<'taskChannel.update'>, ctx: StepContext): Outcome {
  const channel = state.taskChannels.get(cmd.sid);
  if (!channel) return err('NOT_FOUND', `TaskChannel ${cmd.sid} not found`);
  if (cmd.friendlyName !== undefined) {
    const bad = checkName(cmd.friendlyName);
    if (bad) return bad;
    channel.friendlyName = cmd.friendlyName;
  }
  if (cmd.channelOptimizedRouting !== undefined) channel.channelOptimizedRouting = cmd.channelOptimizedRouting;
  channel.dateUpdated = ctx.now;
  ctx.save('taskChannel', channel);
  emitResource(ctx, 'task-channel.updated', 'task_channel', channel.sid, `TaskChannel ${channel.uniqueName} updated`);
  return ok(channel);
}

/** Applies `taskChannel.delete`; a channel with live tasks stays. */
export function deleteTaskChannel(state: WorkspaceState, cmd: CommandOf<'taskChannel.delete'>, ctx: StepContext): Outcome {
  const channel = state.taskChannels.get(cmd.sid);
  if (!channel) return err('NOT_FOUND', `TaskChannel ${cmd.sid} not found`);
  // Counted finished ones included (kept for their retention, most of them archived).
  if ((state.taskTally.workspace(channel.sid)?.total ?? 0) > 0) return err('BAD_REQUEST', `TaskChannel ${channel.uniqueName} still has tasks`);
  state.taskChannels.delete(channel.sid);
  ctx.remove('taskChannel', channel.sid);
  for (const [workerSid, byChannel] of state.channelsOfWorker) {
    const wc = byChannel.get(channel.sid);
    if (!wc) continue;
    byChannel.delete(channel.sid);
    state.workerChannels.delete(wc.sid);
    ctx.remove('workerChannel', wc.sid);
    const worker = state.workers.get(workerSid);
    if (worker) resyncReadiness(state, worker, ctx);
  }
  emitResource(ctx, 'task-channel.deleted', 'task_channel', channel.sid, `TaskChannel ${channel.uniqueName} deleted`);
  return ok(channel);
}

/** Emits a plain resource lifecycle event. */
export function emitResource(
  ctx: StepContext,
  eventType: string,
  resourceType: 'activity' | 'task_channel' | 'task_queue' | 'workflow' | 'worker',
  resourceSid: string,
  description: string,
): void {
  ctx.emit({ eventType, description, resourceType, resourceSid, workerSid: resourceType === 'worker' ? resourceSid : null, data: {} });
}
