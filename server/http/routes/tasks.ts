/** Routes of `/Workspaces/{WS}/Tasks`. */
import { z } from 'zod';
import { fail } from '../../../shared/errors.js';
import type { WorkerGrant } from '../../auth/tokens.js';
import { compileExpression } from '../../engine/expression/index.js';
import type { Place } from '../../engine/finished-tasks.js';
import { TASK_STATUSES, TERMINAL_TASK_STATUSES, type TaskRecord, type TaskStatus } from '../../engine/model.js';
import type { WorkspaceState } from '../../engine/workspace-state.js';
import { dispatch, found, stateOf, type Api, type Call } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { bool, date, int, jsonText, list, oneOf, sid, text } from '../params.js';
import { serializeTask } from '../serialize.js';

const Create = z.object({
  Attributes: jsonText().optional(),
  WorkflowSid: sid('WW').optional(),
  TaskQueueSid: sid('WQ').optional(),
  Timeout: int().optional(),
  Priority: int().optional(),
  TaskChannel: text(64).optional(),
  VirtualStartTime: date().optional(),
  RoutingTarget: sid('WK', 'WQ', 'WW').optional(),
  IgnoreCapacity: bool().optional(),
});
const Update = z.object({
  Attributes: jsonText().optional(),
  AssignmentStatus: oneOf(['canceled', 'wrapping', 'completed']).optional(),
  Reason: text(1024).optional(),
  Priority: int().optional(),
  TaskChannel: text(64).optional(),
  VirtualStartTime: date().optional(),
});
const STATUSES = new Set<string>(TASK_STATUSES);
const List = z.object({
  AssignmentStatus: list().refine((v) => v.every((s) => STATUSES.has(s)), { error: `must be among ${[...STATUSES].join(', ')}` }).optional(),
  WorkflowSid: text().optional(),
  WorkflowName: text().optional(),
  TaskQueueSid: text().optional(),
  TaskQueueName: text().optional(),
  EvaluateTaskAttributes: text(4096).optional(),
  Priority: int().optional(),
  RoutingTarget: text().optional(),
  Ordering: text(200).optional(),
});

/** A task list's filters and ordering, as parsed. */
export type TaskListParams = z.infer<typeof List>;

type Key = 'dateCreated' | 'priority' | 'virtualStartTime';
const ORDER_KEYS: Record<string, Key> = { DateCreated: 'dateCreated', Priority: 'priority', VirtualStartTime: 'virtualStartTime' };

function ordering(text: string): Array<[Key, number]> {
  const out = text.split(',').map((part): [Key, number] => {
    const [name = '', dir = 'asc'] = part.trim().split(':');
    const key = ORDER_KEYS[name];
    if (!key || (dir !== 'asc' && dir !== 'desc')) throw fail('BAD_REQUEST', `Ordering ${part} must be DateCreated, Priority or VirtualStartTime with :asc or :desc`);
    return [key, dir === 'asc' ? 1 : -1];
  });
  const keys = out.map(([k]) => k);
  if (keys.includes('dateCreated') && keys.includes('virtualStartTime')) throw fail('BAD_REQUEST', 'Ordering may not combine DateCreated and VirtualStartTime');
  return out;
}

/**
 * Tasks matching a list call's filters, ordered as asked. Without an `Ordering` they come oldest first,
 * as they are found: the page reads only as far as it needs.
 */
export function filterTasks(s: WorkspaceState, q: TaskListParams): Iterable<TaskRecord> {
  const statuses = q.AssignmentStatus && q.AssignmentStatus.length > 0 ? new Set<TaskStatus>(q.AssignmentStatus as TaskStatus[]) : undefined;
  const byName = <T extends { sid: string; friendlyName: string }>(records: Iterable<T>, name: string) => [...records].find((r) => r.friendlyName === name)?.sid ?? '';
  const workflowSid = q.WorkflowName !== undefined ? byName(s.workflows.values(), q.WorkflowName) : q.WorkflowSid;
  const queueSid = q.TaskQueueName !== undefined ? byName(s.taskQueues.values(), q.TaskQueueName) : q.TaskQueueSid;
  let expression: ((task: TaskRecord) => boolean) | undefined;
  if (q.EvaluateTaskAttributes !== undefined) {
    const compiled = compileExpression(q.EvaluateTaskAttributes);
    if (!compiled.ok) throw fail('BAD_REQUEST', `EvaluateTaskAttributes is invalid at position ${compiled.error.position}: ${compiled.error.message}`);
    const { alwaysTrue, mustContain } = compiled.expression;
    expression = (t) => {
      if (alwaysTrue) return true;
      // Most tasks cannot match, and their text tells without parsing it (a finished task's attributes are kept as text only).
      if (!mayMatch(t.attributes, mustContain)) return false;
      return compiled.expression.evaluate(s.attributesOf(t));
    };
  }
  const order = q.Ordering !== undefined ? ordering(q.Ordering) : undefined;
  const matches = (t: TaskRecord) =>
    (!statuses || statuses.has(t.assignmentStatus)) &&
    (workflowSid === undefined || t.workflowSid === workflowSid) &&
    (queueSid === undefined || t.taskQueueSid === queueSid) &&
    (q.Priority === undefined || t.priority === q.Priority) &&
    (q.RoutingTarget === undefined || t.routingTarget === q.RoutingTarget) &&
    (!expression || expression(t));
  // Waiting or assigned tasks only: the live ones, in the same order, not every task kept for its retention.
  if (statuses && ![...statuses].some((status) => TERMINAL_TASK_STATUSES.has(status))) {
    const live = s.taskTally.liveTasks();
    return order ? [...live].filter(matches).sort((a, b) => compare(order, a, b)) : filtered(live, matches);
  }
  return filtered(order ? sortedTasks(s, statuses, order) : oldestFirst(s, statuses), matches);
}

/** `a` against `b` under an ordering: by each key in turn, ties left as they are. */
function compare(order: ReadonlyArray<[Key, number]>, a: TaskRecord, b: TaskRecord): number {
  for (const [key, dir] of order) if (a[key] !== b[key]) return (a[key] - b[key]) * dir;
  return 0;
}

/** Archived tasks' places, of `statuses` when given. */
function* archivedOf(s: WorkspaceState, statuses: ReadonlySet<TaskStatus> | undefined, places: Iterable<Place>): Generator<Place> {
  for (const place of places) if (!statuses || statuses.has(s.finished.statusAt(place))) yield place;
}

/**
 * Every task the workspace keeps (the archived ones of `statuses`, when given), oldest first: the
 * archived ones by creation merged with the live ones in the order kept (creation). Lazy: a page
 * decodes little more than its own archived tasks.
 */
function* oldestFirst(s: WorkspaceState, statuses: ReadonlySet<TaskStatus> | undefined): Generator<TaskRecord> {
  const archive = s.finished;
  const archived = archivedOf(s, statuses, archive.byCreation());
  const live = s.tasks.values();
  let a = archived.next();
  let l = live.next();
  while (!a.done || !l.done) {
    if (!a.done && (l.done || archive.numberAt(a.value, 'dateCreated') <= l.value.dateCreated)) {
      yield archive.at(a.value).task;
      a = archived.next();
    } else if (!l.done) {
      yield l.value;
      l = live.next();
    }
  }
}

/**
 * Every task the workspace keeps (the archived ones of `statuses`, when given) in `order`, ties in
 * the order kept. The archived ones are sorted by the numbers the archive holds and decoded as the
 * list reads them.
 */
function sortedTasks(s: WorkspaceState, statuses: ReadonlySet<TaskStatus> | undefined, order: ReadonlyArray<[Key, number]>): Iterable<TaskRecord> {
  const archive = s.finished;
  const places = [...archivedOf(s, statuses, archive.places())];
  const live = [...s.tasks.values()];
  const keys = order.map(([key]) => [...places.map((place) => archive.numberAt(place, key)), ...live.map((t) => t[key])]);
  const byOrder = (i: number, j: number) => {
    for (const [k, [, dir]] of order.entries()) {
      const d = keys[k]![i]! - keys[k]![j]!;
      if (d !== 0) return d * dir;
    }
    return i - j;
  };
  const sorted = keys[0]!.map((_, i) => i).sort(byOrder);
  return (function* () {
    for (const i of sorted) yield i < places.length ? archive.at(places[i]!).task : live[i - places.length]!;
  })();
}

function* filtered<T>(items: Iterable<T>, keep: (item: T) => boolean): Generator<T> {
  for (const item of items) if (keep(item)) yield item;
}

/** False when JSON `text` cannot hold the expression whose required texts these are (see `mustContain`). */
function mayMatch(text: string, mustContain: ReadonlyArray<readonly string[]>): boolean {
  if (mustContain.length === 0 || text.includes('\\')) return true;
  return mustContain.every((alternatives) => alternatives.some((needed) => text.includes(needed)));
}

/** A worker token reaches the tasks it holds a reservation for. */
function holdsTask(call: Call, grant: WorkerGrant, s: WorkspaceState): boolean {
  const taskSid = call.path['wt']!;
  const reservations = s.reservationsOf(taskSid);
  if (reservations.length === 0 && !s.findTask(taskSid)) return true; // the handler answers 404
  return reservations.some((r) => r.workerSid === grant.workerSid);
}

/** True when the token's worker may settle the task (see `WorkspaceState.settlesTask`). */
function holdsTaskNow(call: Call, grant: WorkerGrant, s: WorkspaceState): boolean {
  const taskSid = call.path['wt']!;
  if (!s.tasks.has(taskSid) && !s.finished.has(taskSid)) return true; // the handler answers 404
  return s.settlesTask(grant.workerSid, taskSid);
}

/** ...and may only wrap up or complete a task it holds now (a rescinded offer gives no rights). */
function settlesTask(call: Call, grant: WorkerGrant, s: WorkspaceState): boolean {
  const allowed = new Set(['AssignmentStatus', 'Reason']);
  const status = call.input['AssignmentStatus'];
  const onlyAllowed = Object.keys(call.input).every((k) => allowed.has(k) || !(k in Update.shape));
  return holdsTaskNow(call, grant, s) && onlyAllowed && (status === 'wrapping' || status === 'completed');
}

/** Registers the task routes. */
export function taskRoutes(api: Api): void {
  const T = '/Workspaces/:ws/Tasks';
  api.get(T, { summary: 'List tasks', params: List, alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    const now = call.hub.now();
    return { status: 200, body: pageOf(call, 'tasks', filterTasks(s, call.params()), (t) => serializeTask(s, t, call.base, now)) };
  });
  api.post(T, { summary: 'Create a task', params: Create }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const t = await dispatch<TaskRecord>(call, {
      type: 'task.create',
      attributes: p.Attributes,
      workflowSid: p.WorkflowSid,
      taskQueueSid: p.TaskQueueSid,
      timeout: p.Timeout,
      priority: p.Priority,
      taskChannel: p.TaskChannel,
      virtualStartTime: p.VirtualStartTime,
      routingTarget: p.RoutingTarget,
      ignoreCapacity: p.IgnoreCapacity,
    });
    return { status: 201, body: serializeTask(s, t, call.base, call.hub.now()), etag: t.version };
  });
  api.get(`${T}/:wt`, { summary: 'Fetch a task (a worker token: a task it holds a reservation for)' }, (call) => {
    const s = stateOf(call);
    const t = found((sid) => s.findTask(sid), call.path['wt'], 'Task');
    return { status: 200, body: serializeTask(s, t, call.base, call.hub.now()), etag: t.version };
  }, holdsTask);
  api.post(`${T}/:wt`, { summary: 'Update, cancel, wrap up or complete a task', params: Update, errors: [409, 412] }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const t = await dispatch<TaskRecord>(call, {
      type: 'task.update',
      sid: call.path['wt']!,
      attributes: p.Attributes,
      assignmentStatus: p.AssignmentStatus,
      reason: p.Reason,
      priority: p.Priority,
      taskChannel: p.TaskChannel,
      virtualStartTime: p.VirtualStartTime,
      ifMatch: call.ifMatch,
    });
    return { status: 200, body: serializeTask(s, t, call.base, call.hub.now()), etag: t.version };
  }, settlesTask);
  api.delete(`${T}/:wt`, { summary: 'Delete a task', errors: [412] }, async (call) => {
    stateOf(call);
    await dispatch(call, { type: 'task.delete', sid: call.path['wt']!, ifMatch: call.ifMatch });
    return { status: 204 };
  });
}
