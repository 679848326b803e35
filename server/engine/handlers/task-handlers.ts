import type { CommandOf } from '../commands.js';
import { liveTask } from '../archive.js';
import { TERMINAL_TASK_STATUSES, type TaskRecord } from '../model.js';
import { checkAttributes, checkVersion, err, ok, readAttributes, type Outcome } from '../outcome.js';
import { endReservation } from '../reservation-ops.js';
import { routeTask } from '../route.js';
import { timerKey, type StepContext } from '../step-context.js';
import { cancelTask, dropTask, emitTaskEvent, enterWorkflow, moveToQueue, settleTask } from '../task-ops.js';
import { parseAttributes, type WorkspaceState } from '../workspace-state.js';

/** TaskRouter's bounds on task fields. */
export const MAX_PRIORITY = 2_147_483_647;
export const DEFAULT_TASK_TIMEOUT_S = 86_400;
export const MAX_TASK_TIMEOUT_S = 1_209_600;

function checkPriority(priority: number | undefined) {
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY)) {
    return err('BAD_REQUEST', `Priority must be an integer from 0 to ${MAX_PRIORITY}`);
  }
  return null;
}

function checkVirtualStartTime(vst: number | undefined, now: number) {
  if (vst === undefined) return null;
  if (!Number.isFinite(vst) || vst > now) return err('BAD_REQUEST', 'VirtualStartTime must not be in the future');
  if (vst < Date.UTC(1900, 0, 1)) return err('BAD_REQUEST', 'VirtualStartTime must not be before 1900');
  return null;
}

/** Applies `task.create`: the task enters its workflow (or a queue given directly) and is routed at once. */
export function createTask(state: WorkspaceState, cmd: CommandOf<'task.create'>, ctx: StepContext): Outcome {
  const attributes = cmd.attributes ?? '{}';
  const parsed = readAttributes(attributes);
  if (!parsed.ok) return parsed;
  const bad = checkPriority(cmd.priority) ?? checkVirtualStartTime(cmd.virtualStartTime, ctx.now);
  if (bad) return bad;
  const timeout = cmd.timeout ?? DEFAULT_TASK_TIMEOUT_S;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TASK_TIMEOUT_S) {
    return err('BAD_REQUEST', `Timeout must be an integer from 1 to ${MAX_TASK_TIMEOUT_S}`);
  }
  const channel = state.findTaskChannel(cmd.taskChannel ?? 'default');
  if (!channel) return err('BAD_REQUEST', `TaskChannel ${cmd.taskChannel ?? 'default'} is not a TaskChannel of this workspace`);

  let workflowSid = cmd.workflowSid ?? null;
  if (workflowSid !== null && !state.workflows.has(workflowSid)) return err('BAD_REQUEST', `WorkflowSid ${workflowSid} is not a Workflow of this workspace`);
  const queueSid = cmd.taskQueueSid ?? null;
  if (queueSid !== null && !state.taskQueues.has(queueSid)) return err('BAD_REQUEST', `TaskQueueSid ${queueSid} is not a TaskQueue of this workspace`);
  if (cmd.routingTarget !== undefined) {
    const target = cmd.routingTarget;
    const known = state.workers.has(target) || state.taskQueues.has(target) || state.workflows.has(target);
    if (!known) return err('BAD_REQUEST', `RoutingTarget ${target} is not a Worker, TaskQueue or Workflow of this workspace`);
    if (target.startsWith('WW')) workflowSid = target;
  }
  const directQueue = queueSid ?? (cmd.routingTarget?.startsWith('WQ') ? cmd.routingTarget : null);
  if (workflowSid === null && directQueue === null) {
    if (state.workflows.size !== 1) return err('BAD_REQUEST', 'WorkflowSid is required when the workspace does not have exactly one Workflow');
    workflowSid = state.workflows.keys().next().value!;
  }
  if (cmd.routingTarget?.startsWith('WK') && directQueue === null && workflowSid === null) {
    return err('BAD_REQUEST', 'A Worker RoutingTarget needs a TaskQueueSid or a Workflow');
  }

  const task: TaskRecord = {
    sid: ctx.ids('WT'),
    workspaceSid: state.workspace.sid,
    workflowSid: directQueue !== null && cmd.workflowSid === undefined ? null : workflowSid,
    taskQueueSid: null,
    taskChannelSid: channel.sid,
    attributes,
    priority: cmd.priority ?? 0,
    timeout,
    assignmentStatus: 'pending',
    reason: null,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
    virtualStartTime: cmd.virtualStartTime ?? ctx.now,
    workflowEnteredAt: ctx.now,
    taskQueueEnteredAt: null,
    step: null,
    assignmentCount: 0,
    rejectedWorkerSids: [],
    routingTarget: cmd.routingTarget ?? null,
    ignoreCapacity: cmd.ignoreCapacity ?? (cmd.routingTarget?.startsWith('WK') ?? false),
    purgeAt: null,
    version: 0,
  };
  state.tasks.set(task.sid, task);
  state.taskAttributes.set(task.sid, parsed.value);
  ctx.save('task', task);
  ctx.setTimer(timerKey.ttl(task.sid), task.dateCreated + timeout * 1000);
  emitTaskEvent(state, task, 'task.created', `Task ${task.sid} created`, ctx);
  if (directQueue !== null) {
    moveToQueue(state, task, directQueue, null, ctx);
    routeTask(state, task, ctx);
  } else {
    enterWorkflow(state, task, ctx);
  }
  return ok(task);
}

/** Applies `task.update`: status moves, attributes (re-routing a waiting task), priority, channel, start time. */
export function updateTask(state: WorkspaceState, cmd: CommandOf<'task.update'>, ctx: StepContext): Outcome {
  const found = state.findTask(cmd.sid);
  if (!found) return err('NOT_FOUND', `Task ${cmd.sid} not found`);
  const bad =
    checkVersion(cmd.ifMatch, found.version) ??
    (cmd.attributes !== undefined ? checkAttributes(cmd.attributes) : null) ??
    checkPriority(cmd.priority) ??
    checkVirtualStartTime(cmd.virtualStartTime, ctx.now);
  if (bad) return bad;
  const waiting = found.assignmentStatus === 'pending' || found.assignmentStatus === 'reserved';
  const status = cmd.assignmentStatus;
  if (ctx.actor.type === 'worker' && !state.settlesTask(ctx.actor.sid, found.sid)) {
    return err('FORBIDDEN', `Task ${found.sid} is not held by worker ${ctx.actor.sid}`);
  }
  if (status === 'canceled' && !waiting) return err('CONFLICT', `Task ${found.sid} is ${found.assignmentStatus} and cannot be canceled`);
  if (status === 'wrapping' && found.assignmentStatus !== 'assigned') return err('CONFLICT', `Task ${found.sid} is ${found.assignmentStatus}, not assigned`);
  if (status === 'completed' && found.assignmentStatus !== 'assigned' && found.assignmentStatus !== 'wrapping') {
    return err('CONFLICT', `Task ${found.sid} is ${found.assignmentStatus}, not assigned or wrapping`);
  }
  const channel = cmd.taskChannel !== undefined ? state.findTaskChannel(cmd.taskChannel) : undefined;
  if (cmd.taskChannel !== undefined) {
    if (!channel) return err('BAD_REQUEST', `TaskChannel ${cmd.taskChannel} is not a TaskChannel of this workspace`);
    if (channel.sid !== found.taskChannelSid && found.assignmentStatus !== 'pending') {
      return err('CONFLICT', 'TaskChannel can change only while the task is pending');
    }
  }
  const finished = found.assignmentStatus === 'completed' || found.assignmentStatus === 'canceled';
  if (finished && (cmd.attributes !== undefined || cmd.priority !== undefined || cmd.virtualStartTime !== undefined || channel)) {
    return err('CONFLICT', `Task ${found.sid} is ${found.assignmentStatus} and cannot change`);
  }

  // Checked: a finished task comes back from the archive to change (see archive.ts).
  const task = liveTask(state, found.sid, ctx)!;

  if (status !== undefined) {
    // Attributes sent with the move are kept, whichever end it is.
    if (cmd.attributes !== undefined) applyAttributes(state, task, cmd.attributes);
    if (status === 'canceled') cancelTask(state, task, cmd.reason ?? 'Task canceled', ctx);
    else settleTask(state, task, status, cmd.reason ?? null, ctx);
    return ok(task);
  }

  const resort = cmd.priority !== undefined || cmd.virtualStartTime !== undefined || (channel && channel.sid !== task.taskChannelSid);
  if (resort && waiting) state.routing.unlist(task);
  if (cmd.priority !== undefined) task.priority = cmd.priority;
  if (cmd.virtualStartTime !== undefined) task.virtualStartTime = cmd.virtualStartTime;
  if (channel) task.taskChannelSid = channel.sid;
  const attributesChanged = cmd.attributes !== undefined && cmd.attributes !== task.attributes;
  if (cmd.attributes !== undefined) applyAttributes(state, task, cmd.attributes);
  task.dateUpdated = ctx.now;
  task.version += 1;
  ctx.save('task', task);
  emitTaskEvent(state, task, 'task.updated', `Task ${task.sid} updated`, ctx);
  if (waiting && attributesChanged && task.workflowSid) {
    // New attributes may match another filter: offers made under the old ones are withdrawn.
    for (const reservation of [...(state.pendingOfTask.get(task.sid) ?? [])]) endReservation(state, reservation, 'canceled', ctx);
    ctx.tasksToRoute.delete(task);
    enterWorkflow(state, task, ctx);
  }
  // Listed again where it waits, under its new sort keys; matching no filter leaves it where it was, where
  // its new attributes may suit other workers.
  if (task.assignmentStatus === 'pending' || task.assignmentStatus === 'reserved') {
    const queue = task.taskQueueSid ? state.taskQueues.get(task.taskQueueSid) : undefined;
    if (queue && state.pendingCount(task.sid) < queue.maxReservedWorkers) state.routing.list(task);
    if (state.routing.isListed(task.sid)) ctx.tasksToRoute.add(task);
  }
  return ok(task);
}

function applyAttributes(state: WorkspaceState, task: TaskRecord, attributes: string): void {
  task.attributes = attributes;
  if (TERMINAL_TASK_STATUSES.has(task.assignmentStatus)) state.taskAttributes.delete(task.sid);
  else state.taskAttributes.set(task.sid, parseAttributes(attributes));
}

/** Applies `task.delete`: the task and its reservations are gone, any held capacity freed. */
export function deleteTask(state: WorkspaceState, cmd: CommandOf<'task.delete'>, ctx: StepContext): Outcome {
  const found = state.findTask(cmd.sid);
  if (!found) return err('NOT_FOUND', `Task ${cmd.sid} not found`);
  const bad = checkVersion(cmd.ifMatch, found.version);
  if (bad) return bad;
  const task = liveTask(state, found.sid, ctx)!;
  emitTaskEvent(state, task, 'task.deleted', `Task ${task.sid} deleted`, ctx);
  dropTask(state, task, ctx);
  return ok(task);
}
