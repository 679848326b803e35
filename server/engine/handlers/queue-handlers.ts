import type { CommandOf } from '../commands.js';
import { compileExpression, type CompileResult } from '../expression/index.js';
import type { TaskQueueRecord, WorkflowRecord } from '../model.js';
import { checkName, checkNameFree, err, ok, type Outcome } from '../outcome.js';
import { timerKey, type StepContext } from '../step-context.js';
import { advanceTarget, enterWorkflow } from '../task-ops.js';
import { compileWorkflow } from '../workflow-config.js';
import type { WorkspaceState } from '../workspace-state.js';
import { emitResource } from './workspace-handlers.js';

/** TaskRouter's bounds on `MaxReservedWorkers` and `TaskReservationTimeout`. */
export const MAX_RESERVED_WORKERS = 50;
export const MAX_RESERVATION_TIMEOUT_S = 86_400;

type QueueFields = Omit<CommandOf<'taskQueue.update'>, 'type' | 'sid'>;

/**
 * Compiles a queue's `TargetWorkers`. Empty text admits no worker: the queue's tasks wait until
 * they are moved or deleted, as TaskRouter documents for an empty `TargetWorkers`.
 */
export function compileTargetWorkers(source: string): CompileResult {
  return compileExpression(source.trim() === '' ? '1==2' : source);
}

function checkQueueFields(state: WorkspaceState, cmd: QueueFields): Outcome<ReturnType<typeof compileExpression> | null> {
  if (cmd.friendlyName !== undefined) {
    const bad = checkName(cmd.friendlyName);
    if (bad) return bad;
  }
  if (cmd.maxReservedWorkers !== undefined) {
    const n = cmd.maxReservedWorkers;
    if (!Number.isInteger(n) || n < 1 || n > MAX_RESERVED_WORKERS) {
      return err('BAD_REQUEST', `MaxReservedWorkers must be an integer from 1 to ${MAX_RESERVED_WORKERS}`);
    }
  }
  for (const [param, sid] of [['ReservationActivitySid', cmd.reservationActivitySid], ['AssignmentActivitySid', cmd.assignmentActivitySid]] as const) {
    if (sid && !state.activities.has(sid)) return err('BAD_REQUEST', `${param} ${sid} is not an Activity of this workspace`);
  }
  if (cmd.targetWorkers === undefined) return ok(null);
  const compiled = compileTargetWorkers(cmd.targetWorkers);
  if (!compiled.ok) return err('BAD_REQUEST', `TargetWorkers is not a valid expression: ${compiled.error.message}`);
  return ok(compiled);
}

/** Applies `taskQueue.create`: its members are computed once, here. */
export function createTaskQueue(state: WorkspaceState, cmd: CommandOf<'taskQueue.create'>, ctx: StepContext): Outcome {
  const bad = checkName(cmd.friendlyName);
  if (bad) return bad;
  const checked = checkQueueFields(state, { ...cmd, targetWorkers: cmd.targetWorkers ?? '1==1' });
  if (!checked.ok) return checked;
  const taken = checkNameFree(state.taskQueues.values(), cmd.friendlyName, 'A TaskQueue');
  if (taken) return taken;
  const queue: TaskQueueRecord = {
    sid: ctx.ids('WQ'),
    workspaceSid: state.workspace.sid,
    friendlyName: cmd.friendlyName,
    targetWorkers: cmd.targetWorkers ?? '1==1',
    maxReservedWorkers: cmd.maxReservedWorkers ?? 1,
    taskOrder: cmd.taskOrder ?? 'FIFO',
    reservationActivitySid: cmd.reservationActivitySid ?? null,
    assignmentActivitySid: cmd.assignmentActivitySid ?? null,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
  };
  state.taskQueues.set(queue.sid, queue);
  if (checked.value?.ok) state.queueExpressions.set(queue.sid, checked.value.expression);
  state.routing.rebuildQueue(queue.sid);
  ctx.save('taskQueue', queue);
  emitResource(ctx, 'task-queue.created', 'task_queue', queue.sid, `TaskQueue ${queue.friendlyName} created`);
  return ok(queue);
}

/** Applies `taskQueue.update`: re-indexes members, order and offer limits as needed, then routes. */
export function updateTaskQueue(state: WorkspaceState, cmd: CommandOf<'taskQueue.update'>, ctx: StepContext): Outcome {
  const queue = state.taskQueues.get(cmd.sid);
  if (!queue) return err('NOT_FOUND', `TaskQueue ${cmd.sid} not found`);
  const checked = checkQueueFields(state, cmd);
  if (!checked.ok) return checked;
  const taken = cmd.friendlyName === undefined ? null : checkNameFree(state.taskQueues.values(), cmd.friendlyName, 'A TaskQueue', queue);
  if (taken) return taken;
  const expressionChanged = cmd.targetWorkers !== undefined && cmd.targetWorkers !== queue.targetWorkers;
  const orderChanged = cmd.taskOrder !== undefined && cmd.taskOrder !== queue.taskOrder;
  if (cmd.friendlyName !== undefined) queue.friendlyName = cmd.friendlyName;
  if (cmd.targetWorkers !== undefined) queue.targetWorkers = cmd.targetWorkers;
  if (cmd.maxReservedWorkers !== undefined) queue.maxReservedWorkers = cmd.maxReservedWorkers;
  if (cmd.taskOrder !== undefined) queue.taskOrder = cmd.taskOrder;
  if (cmd.reservationActivitySid !== undefined) queue.reservationActivitySid = cmd.reservationActivitySid;
  if (cmd.assignmentActivitySid !== undefined) queue.assignmentActivitySid = cmd.assignmentActivitySid;
  queue.dateUpdated = ctx.now;
  if (expressionChanged && checked.value?.ok) {
    state.queueExpressions.set(queue.sid, checked.value.expression);
    state.routing.rebuildQueue(queue.sid);
  }
  if (orderChanged) state.routing.relistQueue(queue.sid);
  // A new offer limit changes which tasks may take more offers.
  for (const task of state.tasks.values()) {
    if (task.taskQueueSid !== queue.sid || (task.assignmentStatus !== 'pending' && task.assignmentStatus !== 'reserved')) continue;
    const room = state.pendingCount(task.sid) < queue.maxReservedWorkers;
    if (room && !state.routing.isListed(task.sid)) state.routing.list(task);
    if (!room) state.routing.unlist(task);
    ctx.tasksToRoute.add(task);
  }
  ctx.save('taskQueue', queue);
  emitResource(ctx, expressionChanged ? 'task-queue.expression.updated' : 'task-queue.updated', 'task_queue', queue.sid, `TaskQueue ${queue.friendlyName} updated`);
  return ok(queue);
}

/** Applies `taskQueue.delete`; a queue that a workflow routes to, or that holds tasks, stays. */
export function deleteTaskQueue(state: WorkspaceState, cmd: CommandOf<'taskQueue.delete'>, ctx: StepContext): Outcome {
  const queue = state.taskQueues.get(cmd.sid);
  if (!queue) return err('NOT_FOUND', `TaskQueue ${cmd.sid} not found`);
  for (const [sid, workflow] of state.compiledWorkflows) {
    if (workflow.queueSids.has(queue.sid)) return err('BAD_REQUEST', `TaskQueue ${queue.sid} is used by Workflow ${sid}`);
  }
  for (const task of state.tasks.values()) {
    if (task.taskQueueSid === queue.sid && task.assignmentStatus !== 'completed' && task.assignmentStatus !== 'canceled') {
      return err('BAD_REQUEST', `TaskQueue ${queue.sid} still holds tasks`);
    }
  }
  state.routing.dropQueue(queue.sid);
  state.queueExpressions.delete(queue.sid);
  state.taskQueues.delete(queue.sid);
  ctx.remove('taskQueue', queue.sid);
  emitResource(ctx, 'task-queue.deleted', 'task_queue', queue.sid, `TaskQueue ${queue.friendlyName} deleted`);
  return ok(queue);
}

type WorkflowFields = Omit<CommandOf<'workflow.update'>, 'type' | 'sid' | 'reEvaluateTasks'>;

function checkWorkflowFields(state: WorkspaceState, cmd: WorkflowFields) {
  if (cmd.friendlyName !== undefined) {
    const bad = checkName(cmd.friendlyName);
    if (bad) return bad;
  }
  const t = cmd.taskReservationTimeout;
  if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > MAX_RESERVATION_TIMEOUT_S)) {
    return err('BAD_REQUEST', `TaskReservationTimeout must be an integer from 1 to ${MAX_RESERVATION_TIMEOUT_S}`);
  }
  for (const [param, url] of [['AssignmentCallbackUrl', cmd.assignmentCallbackUrl], ['FallbackAssignmentCallbackUrl', cmd.fallbackAssignmentCallbackUrl]] as const) {
    if (url && !/^https?:\/\/[^\s]+$/i.test(url)) return err('BAD_REQUEST', `${param} must be an http or https URL`);
  }
  if (cmd.configuration === undefined) return ok(null);
  const compiled = compileWorkflow(cmd.configuration, (sid) => state.taskQueues.has(sid));
  if (!compiled.ok) return err('BAD_REQUEST', `Configuration is invalid: ${compiled.message}`);
  return ok(compiled.workflow);
}

/** Applies `workflow.create`. */
export function createWorkflow(state: WorkspaceState, cmd: CommandOf<'workflow.create'>, ctx: StepContext): Outcome {
  const bad = checkName(cmd.friendlyName);
  if (bad) return bad;
  const checked = checkWorkflowFields(state, cmd);
  if (!checked.ok) return checked;
  const workflow: WorkflowRecord = {
    sid: ctx.ids('WW'),
    workspaceSid: state.workspace.sid,
    friendlyName: cmd.friendlyName,
    configuration: cmd.configuration,
    assignmentCallbackUrl: cmd.assignmentCallbackUrl ?? null,
    fallbackAssignmentCallbackUrl: cmd.fallbackAssignmentCallbackUrl ?? null,
    taskReservationTimeout: cmd.taskReservationTimeout ?? 120,
    dateCreated: ctx.now,
    dateUpdated: ctx.now,
  };
  state.workflows.set(workflow.sid, workflow);
  state.compiledWorkflows.set(workflow.sid, checked.value!);
  ctx.save('workflow', workflow);
  emitResource(ctx, 'workflow.created', 'workflow', workflow.sid, `Workflow ${workflow.friendlyName} created`);
  return ok(workflow);
}

/** Applies `workflow.update`; with `ReEvaluateTasks`, waiting tasks run through the new configuration. */
export function updateWorkflow(state: WorkspaceState, cmd: CommandOf<'workflow.update'>, ctx: StepContext): Outcome {
  const workflow = state.workflows.get(cmd.sid);
  if (!workflow) return err('NOT_FOUND', `Workflow ${cmd.sid} not found`);
  const checked = checkWorkflowFields(state, cmd);
  if (!checked.ok) return checked;
  if (cmd.friendlyName !== undefined) workflow.friendlyName = cmd.friendlyName;
  if (cmd.assignmentCallbackUrl !== undefined) workflow.assignmentCallbackUrl = cmd.assignmentCallbackUrl;
  if (cmd.fallbackAssignmentCallbackUrl !== undefined) workflow.fallbackAssignmentCallbackUrl = cmd.fallbackAssignmentCallbackUrl;
  if (cmd.taskReservationTimeout !== undefined) workflow.taskReservationTimeout = cmd.taskReservationTimeout;
  const reconfigured = cmd.configuration !== undefined && checked.value !== null && cmd.configuration !== workflow.configuration;
  if (cmd.configuration !== undefined && checked.value) {
    workflow.configuration = cmd.configuration;
    state.compiledWorkflows.set(workflow.sid, checked.value);
  }
  workflow.dateUpdated = ctx.now;
  ctx.save('workflow', workflow);
  emitResource(ctx, 'workflow.updated', 'workflow', workflow.sid, `Workflow ${workflow.friendlyName} updated`);
  if (cmd.reEvaluateTasks) {
    for (const task of [...state.tasks.values()]) {
      if (task.workflowSid !== workflow.sid || task.assignmentStatus !== 'pending') continue;
      enterWorkflow(state, task, ctx);
    }
  }
  if (reconfigured) keepPlaces(state, workflow.sid, ctx);
  return ok(workflow);
}

/**
 * After a new configuration, the waiting tasks it did not run through again (TaskRouter's default:
 * no `ReEvaluateTasks`, or a task already reserved) stay in their queues. A task keeps its place
 * where the new configuration has a target at the same filter and index in the same queue, and
 * goes on by that target's rules (its expression, its timeout); elsewhere its place means nothing
 * in the new configuration, and it is routed by its queue alone until it is assigned or times out.
 * Either way it is offered at once to workers the change made eligible.
 */
function keepPlaces(state: WorkspaceState, workflowSid: string, ctx: StepContext): void {
  const workflow = state.compiledWorkflows.get(workflowSid)!;
  for (const task of state.tasks.values()) {
    if (task.workflowSid !== workflowSid || (task.assignmentStatus !== 'pending' && task.assignmentStatus !== 'reserved')) continue;
    const step = task.step;
    if (!step || step.filter < 0) continue;
    const target = workflow.filters[step.filter]?.targets[step.target];
    if (target && target.queueSid === task.taskQueueSid) {
      const deadline = target.deadlineOffsetMs === null ? null : task.workflowEnteredAt + target.deadlineOffsetMs;
      if (deadline === null) ctx.clearTimer(timerKey.target(task.sid));
      else if (deadline > ctx.now) ctx.setTimer(timerKey.target(task.sid), deadline);
      else {
        // Its place's new timeout has passed already: it moves on now, not after offers its timer would withdraw.
        advanceTarget(state, task, ctx);
        continue;
      }
    } else {
      task.step = { filter: -1, target: 0 };
      ctx.clearTimer(timerKey.target(task.sid));
      ctx.save('task', task);
    }
    ctx.tasksToRoute.add(task);
  }
}

/** Applies `workflow.delete`; a workflow with live tasks stays. */
export function deleteWorkflow(state: WorkspaceState, cmd: CommandOf<'workflow.delete'>, ctx: StepContext): Outcome {
  const workflow = state.workflows.get(cmd.sid);
  if (!workflow) return err('NOT_FOUND', `Workflow ${cmd.sid} not found`);
  for (const task of state.tasks.values()) {
    if (task.workflowSid === workflow.sid && task.assignmentStatus !== 'completed' && task.assignmentStatus !== 'canceled') {
      return err('BAD_REQUEST', `Workflow ${workflow.sid} still has active tasks`);
    }
  }
  state.workflows.delete(workflow.sid);
  state.compiledWorkflows.delete(workflow.sid);
  ctx.remove('workflow', workflow.sid);
  emitResource(ctx, 'workflow.deleted', 'workflow', workflow.sid, `Workflow ${workflow.friendlyName} deleted`);
  return ok(workflow);
}
