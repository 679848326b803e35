import { compileExpression, type CompiledExpression } from '../expression/index.js';
import type { TaskRecord, WorkerRecord } from '../model.js';
import type { WorkspaceState } from '../workspace-state.js';

/*
 * Routing facts recomputed from the records alone, without the engine's indexes or compiled forms,
 * for the invariant checker to hold the engine's own answers against.
 */

const compiled = new Map<string, CompiledExpression>();
/** A fixture's expression, compiled once. */
export function expression(source: string): CompiledExpression {
  let e = compiled.get(source);
  if (!e) {
    const result = compileExpression(source);
    if (!result.ok) throw new Error(`Invalid expression in a fixture: ${source}`);
    compiled.set(source, (e = result.expression));
  }
  return e;
}

/** A worker as expressions see it, rebuilt from its record alone. */
export function bruteWorkerView(state: WorkspaceState, worker: WorkerRecord): Record<string, unknown> {
  let attributes: Record<string, unknown> = {};
  try {
    attributes = JSON.parse(worker.attributes) as Record<string, unknown>;
  } catch {
    // invalid attributes read as none
  }
  return {
    ...attributes,
    sid: worker.sid,
    friendly_name: worker.friendlyName,
    activity_sid: worker.activitySid,
    activity_name: state.activities.get(worker.activitySid)?.friendlyName ?? null,
  };
}

type WorkflowJson = { task_routing: { filters: { targets: Record<string, unknown>[] }[] } };
const parsedConfigurations = new Map<string, WorkflowJson>();

/** The target a task is routed by, read from the workflow's JSON text (not the compiled form). */
export function bruteTarget(state: WorkspaceState, task: TaskRecord): Record<string, unknown> | null {
  if (!task.step || !task.workflowSid || task.step.filter < 0) return null;
  const workflow = state.workflows.get(task.workflowSid);
  if (!workflow) return null;
  let config = parsedConfigurations.get(workflow.configuration);
  if (!config) parsedConfigurations.set(workflow.configuration, (config = JSON.parse(workflow.configuration) as WorkflowJson));
  return config.task_routing.filters[task.step.filter]?.targets[task.step.target] ?? null;
}

/** True for a task routed to a worker (RoutingTarget) with IgnoreCapacity: the only work that may go beyond a capacity. */
export function ignoresCapacity(task: TaskRecord | undefined): boolean {
  return task !== undefined && task.ignoreCapacity && task.routingTarget?.startsWith('WK') === true;
}

/**
 * The one worker a waiting task may go to, read from its RoutingTarget or its target's
 * `known_worker_sid` / `known_worker_friendly_name`: null when any worker may take it, undefined
 * when it names a worker that does not exist.
 */
export function bruteKnownWorker(
  state: WorkspaceState,
  task: TaskRecord,
  attributes: Record<string, unknown>,
  target: Record<string, unknown> | null,
): WorkerRecord | null | undefined {
  const read = (ref: unknown): unknown => (typeof ref === 'string' && ref.startsWith('task.') ? ref.slice(5).split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), attributes) : ref);
  if (task.routingTarget?.startsWith('WK')) return state.workers.get(task.routingTarget);
  if (target?.['known_worker_sid'] !== undefined) {
    const sid = read(target['known_worker_sid']);
    return typeof sid === 'string' ? state.workers.get(sid) : undefined;
  }
  if (target?.['known_worker_friendly_name'] !== undefined) {
    const name = read(target['known_worker_friendly_name']);
    return [...state.workers.values()].find((w) => w.friendlyName === name);
  }
  return null;
}
