import type { TaskRecord, WorkerRecord } from './model.js';
import { createReservation, MAX_ASSIGNMENT_COUNT } from './reservation-ops.js';
import { cancelTask } from './task-ops.js';
import type { StepContext } from './step-context.js';
import type { CompiledTarget } from './workflow-config.js';
import type { WorkspaceState } from './workspace-state.js';

/** The workflow target a task is currently routed by, if any. */
export function currentTarget(state: WorkspaceState, task: TaskRecord): CompiledTarget | null {
  if (!task.step || !task.workflowSid) return null;
  const workflow = state.compiledWorkflows.get(task.workflowSid);
  if (!workflow || task.step.filter < 0) return null;
  return workflow.filters[task.step.filter]?.targets[task.step.target] ?? null;
}

/**
 * Which deadline of a waiting task has passed at `now`: its TTL, or its workflow target's timeout. Its timer,
 * due already, will cancel the task or move it on; until it fires (late, or in a catch-up after a restart)
 * the task is offered to nobody, and an offer of it can no longer be answered.
 */
export function passedTaskDeadline(state: WorkspaceState, task: TaskRecord, now: number, target = currentTarget(state, task)): 'ttl' | 'target' | null {
  if (task.dateCreated + task.timeout * 1000 <= now) return 'ttl';
  if (target?.deadlineOffsetMs != null && task.workflowEnteredAt + target.deadlineOffsetMs <= now) return 'target';
  return null;
}

/** The one worker a task must go to (`known_worker_*` or a worker `RoutingTarget`), or null for any. */
export function knownWorkerOf(state: WorkspaceState, task: TaskRecord, target: CompiledTarget | null): string | null | undefined {
  if (task.routingTarget?.startsWith('WK')) return task.routingTarget;
  if (target?.knownWorkerSid) {
    const ref = target.knownWorkerSid;
    if (!ref.startsWith('task.')) return ref;
    const value = readPath(state.taskAttributes.get(task.sid), ref.slice(5));
    return typeof value === 'string' ? value : undefined;
  }
  if (target?.knownWorkerFriendlyName) {
    const ref = target.knownWorkerFriendlyName;
    const name = ref.startsWith('task.') ? readPath(state.taskAttributes.get(task.sid), ref.slice(5)) : ref;
    return typeof name === 'string' ? state.workerByName.get(name) : undefined;
  }
  return null;
}

function readPath(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** True when `worker` may get an offer of `task` now (beyond being in the queue's ready set). */
function accepts(state: WorkspaceState, task: TaskRecord, worker: WorkerRecord, target: CompiledTarget | null): boolean {
  if (task.rejectedWorkerSids.includes(worker.sid)) return false;
  for (const r of state.pendingOfTask.get(task.sid) ?? []) if (r.workerSid === worker.sid) return false;
  if (!target?.expression || target.expression.alwaysTrue) return true;
  return target.expression.evaluate({ task: state.taskAttributes.get(task.sid), worker: state.workerViews.get(worker.sid) });
}

/** True when a task may take more offers. */
function routable(state: WorkspaceState, task: TaskRecord): boolean {
  if (task.assignmentStatus !== 'pending' && task.assignmentStatus !== 'reserved') return false;
  return state.routing.isListed(task.sid);
}

/** Offers a task to as many eligible workers as its queue allows; returns how many offers were made. */
export function routeTask(state: WorkspaceState, task: TaskRecord, ctx: StepContext): number {
  if (!routable(state, task) || !task.taskQueueSid) return 0;
  const queue = state.taskQueues.get(task.taskQueueSid);
  if (!queue) return 0;
  const need = queue.maxReservedWorkers - state.pendingCount(task.sid);
  if (need <= 0) return 0;
  const target = currentTarget(state, task);
  if (passedTaskDeadline(state, task, ctx.now, target)) return 0;
  const known = knownWorkerOf(state, task, target);
  if (known === undefined) return 0;

  const chosen: WorkerRecord[] = [];
  if (known !== null) {
    const worker = state.workers.get(known);
    if (worker && knownWorkerEligible(state, task, worker) && accepts(state, task, worker, target)) chosen.push(worker);
  } else {
    for (const workerSid of state.routing.readyWorkers(queue.sid, task.taskChannelSid)) {
      const worker = state.workers.get(workerSid)!;
      if (!accepts(state, task, worker, target)) continue;
      chosen.push(worker);
      // order_by must see every candidate; without it the ready set is already in idle order.
      if (!target?.compareWorkers && chosen.length === need) break;
    }
    if (target?.compareWorkers) {
      const compare = target.compareWorkers;
      const rootOf = (w: WorkerRecord) => ({ worker: state.workerViews.get(w.sid) });
      chosen.sort((a, b) => compare(rootOf(a), rootOf(b)));
      chosen.length = Math.min(chosen.length, need);
    }
  }
  let made = 0;
  for (const worker of chosen) {
    if (!routable(state, task)) break;
    if (!reserveOrExhaust(state, task, worker, ctx)) break;
    made += 1;
  }
  return made;
}

function knownWorkerEligible(state: WorkspaceState, task: TaskRecord, worker: WorkerRecord): boolean {
  // A RoutingTarget naming the worker reaches it outside its queues, and its IgnoreCapacity applies; a known
  // worker named by a workflow target (whether the task named the workflow as WorkflowSid or RoutingTarget) must be in the queue.
  const routedToIt = task.routingTarget === worker.sid;
  if (!routedToIt && !state.routing.members.get(task.taskQueueSid!)?.has(worker.sid)) return false;
  if (!state.activityOf(worker).available) return false;
  const channel = state.channelsOfWorker.get(worker.sid)?.get(task.taskChannelSid);
  if (!channel) return false;
  return routedToIt && task.ignoreCapacity ? channel.available : state.freeCapacity(worker, channel) > 0;
}

/** Creates the offer, or cancels the task when a new round would pass the assignment limit. */
function reserveOrExhaust(state: WorkspaceState, task: TaskRecord, worker: WorkerRecord, ctx: StepContext): boolean {
  if (task.assignmentStatus === 'pending' && task.assignmentCount >= MAX_ASSIGNMENT_COUNT) {
    cancelTask(state, task, 'Task TTL Exceeded or Max assignment count exceeded', ctx);
    return false;
  }
  createReservation(state, task, worker, ctx);
  return true;
}

/** Finds the best waiting tasks for a worker that gained capacity or became available, until it is full or none fit. */
export function routeWorker(state: WorkspaceState, worker: WorkerRecord, ctx: StepContext): void {
  const lifo = state.workspace.prioritizeQueueOrder === 'LIFO';
  for (;;) {
    let best: TaskRecord | null = null;
    for (const queueSid of state.routing.queuesOfWorker.get(worker.sid) ?? []) {
      for (const [channelSid, list] of state.routing.waitingLists(queueSid)) {
        const channel = state.channelsOfWorker.get(worker.sid)?.get(channelSid);
        if (!channel || state.freeCapacity(worker, channel) <= 0) continue;
        for (const task of list) {
          if (best && task.priority < best.priority) break;
          const target = currentTarget(state, task);
          const known = knownWorkerOf(state, task, target);
          if (known !== null && known !== worker.sid) continue;
          if (!accepts(state, task, worker, target) || passedTaskDeadline(state, task, ctx.now, target)) continue;
          if (!best || better(task, best, lifo)) best = task;
          break;
        }
      }
    }
    // Tasks routed to this worker by RoutingTarget wait in any queue, and with IgnoreCapacity reach it even when it is full.
    for (const task of state.routing.tasksTargeting(worker.sid)) {
      if (best && !better(task, best, lifo)) continue;
      const target = currentTarget(state, task);
      if (knownWorkerEligible(state, task, worker) && accepts(state, task, worker, target) && !passedTaskDeadline(state, task, ctx.now, target)) best = task;
    }
    if (!best || !reserveOrExhaust(state, best, worker, ctx)) return;
  }
}

function better(a: TaskRecord, b: TaskRecord, lifo: boolean): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.virtualStartTime !== b.virtualStartTime) return lifo ? a.virtualStartTime > b.virtualStartTime : a.virtualStartTime < b.virtualStartTime;
  return a.sid < b.sid;
}

/** Runs the routing a step queued: tasks that entered queues, then workers that gained capacity. */
export function drainRouting(state: WorkspaceState, ctx: StepContext): void {
  while (ctx.tasksToRoute.size > 0 || ctx.workersToRoute.size > 0) {
    for (const task of ctx.tasksToRoute) {
      ctx.tasksToRoute.delete(task);
      if (state.tasks.get(task.sid) === task) routeTask(state, task, ctx);
    }
    for (const workerSid of ctx.workersToRoute) {
      ctx.workersToRoute.delete(workerSid);
      const worker = state.workers.get(workerSid);
      if (worker) routeWorker(state, worker, ctx);
    }
  }
}
