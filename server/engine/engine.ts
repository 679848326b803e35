import { fail, SwitchboardError } from '../../shared/errors.js';
import { archiveAll } from './archive.js';
import type { Actor, Command, CommandOf, CommandType } from './commands.js';
import type { Effect } from './effects.js';
import type { RecordChange } from './effects.js';
import { TERMINAL_TASK_STATUSES, type WorkspaceRecord } from './model.js';
import type { Outcome } from './outcome.js';
import { restoreOfferMarks } from './reservation-ops.js';
import { drainRouting } from './route.js';
import { StepContext, timerKey, type IdSource } from './step-context.js';
import { purgeDeadline } from './task-ops.js';
import { compileWorkflow } from './workflow-config.js';
import { indexWorkerChannel } from './handlers/workspace-handlers.js';
import { WorkspaceState, addTo, parseAttributes } from './workspace-state.js';
import * as workspace from './handlers/workspace-handlers.js';
import * as workers from './handlers/worker-handlers.js';
import * as queues from './handlers/queue-handlers.js';
import * as tasks from './handlers/task-handlers.js';
import * as reservations from './handlers/reservation-handlers.js';

type Handler<T extends CommandType> = (state: WorkspaceState, command: CommandOf<T>, ctx: StepContext) => Outcome;

/** One handler per command type; a new command does not compile until it is handled here. */
const HANDLERS = {
  'workspace.update': workspace.updateWorkspace,
  'activity.create': workspace.createActivity,
  'activity.update': workspace.updateActivity,
  'activity.delete': workspace.deleteActivity,
  'taskChannel.create': workspace.createTaskChannel,
  'taskChannel.update': workspace.updateTaskChannel,
  'taskChannel.delete': workspace.deleteTaskChannel,
  'worker.create': workers.createWorker,
  'worker.update': workers.updateWorker,
  'worker.delete': workers.deleteWorker,
  'workerChannel.update': workers.updateWorkerChannel,
  'taskQueue.create': queues.createTaskQueue,
  'taskQueue.update': queues.updateTaskQueue,
  'taskQueue.delete': queues.deleteTaskQueue,
  'workflow.create': queues.createWorkflow,
  'workflow.update': queues.updateWorkflow,
  'workflow.delete': queues.deleteWorkflow,
  'task.create': tasks.createTask,
  'task.update': tasks.updateTask,
  'task.delete': tasks.deleteTask,
  'reservation.update': reservations.updateReservation,
  'timer.fired': reservations.fireTimer,
  'callback.report': reservations.reportCallback,
} satisfies { [K in CommandType]: Handler<K> };

/** The result of one step: the outcome for the caller and the effects for the shell. */
export type StepResult = { ok: true; value: unknown; effects: Effect[] } | { ok: false; error: SwitchboardError; effects: Effect[] };

/** Parameters of a new workspace. */
export interface NewWorkspace {
  accountSid: string;
  friendlyName: string;
  eventCallbackUrl?: string | null;
  eventsFilter?: string | null;
  multiTaskEnabled?: boolean;
  prioritizeQueueOrder?: 'FIFO' | 'LIFO';
  /** `FIFO` adds a sample queue and workflow, as TaskRouter's template does. */
  template?: 'NONE' | 'FIFO';
}

/**
 * The routing engine of one workspace. `step` is deterministic: the same state, command, time and
 * ids give the same new state and effects. It reads no clock, sets no timer and does no I/O; it
 * mutates its own state in place (for speed) only after a command has passed validation.
 */
export class WorkspaceEngine {
  private constructor(
    readonly state: WorkspaceState,
    private readonly ids: IdSource,
  ) {}

  /** Creates a workspace with TaskRouter's default activities and task channels. */
  static create(params: NewWorkspace, now: number, ids: IdSource): { engine: WorkspaceEngine; effects: Effect[] } {
    const record: WorkspaceRecord = {
      sid: ids('WS'),
      accountSid: params.accountSid,
      friendlyName: params.friendlyName,
      eventCallbackUrl: params.eventCallbackUrl ?? null,
      eventsFilter: params.eventsFilter ?? null,
      defaultActivitySid: '',
      timeoutActivitySid: '',
      multiTaskEnabled: params.multiTaskEnabled ?? true,
      prioritizeQueueOrder: params.prioritizeQueueOrder ?? 'FIFO',
      dateCreated: now,
      dateUpdated: now,
    };
    const engine = new WorkspaceEngine(new WorkspaceState(record), ids);
    const ctx = new StepContext(now, { type: 'account' }, ids, record.sid);
    const s = engine.state;
    const activity = (friendlyName: string, available: boolean) =>
      (workspace.createActivity(s, { type: 'activity.create', friendlyName, available }, ctx) as { value: { sid: string } }).value.sid;
    const offline = activity('Offline', false);
    activity('Available', true);
    activity('Unavailable', false);
    record.defaultActivitySid = offline;
    record.timeoutActivitySid = offline;
    for (const [uniqueName, friendlyName] of [['default', 'Default'], ['voice', 'Voice'], ['chat', 'Chat'], ['sms', 'SMS']]) {
      workspace.createTaskChannel(s, { type: 'taskChannel.create', uniqueName: uniqueName!, friendlyName: friendlyName! }, ctx);
    }
    if (params.template === 'FIFO') {
      const queue = queues.createTaskQueue(s, { type: 'taskQueue.create', friendlyName: 'Sample Queue' }, ctx) as { value: { sid: string } };
      const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.value.sid } } });
      queues.createWorkflow(s, { type: 'workflow.create', friendlyName: 'Default Fifo Workflow', configuration }, ctx);
    }
    ctx.save('workspace', record);
    return { engine, effects: ctx.finish() };
  }

  /**
   * Rebuilds an engine from persisted records, with every index, and the timers to re-arm from
   * their absolute deadlines (the shell fires at once those already past).
   */
  static restore(records: RecordChange[], ids: IdSource): { engine: WorkspaceEngine; effects: Effect[] } {
    const ws = records.find((r) => r.kind === 'workspace')?.record as WorkspaceRecord | undefined;
    if (!ws) throw fail('INTERNAL', 'No workspace record to restore');
    const engine = new WorkspaceEngine(new WorkspaceState(ws), ids);
    const s = engine.state;
    for (const change of records) {
      const r = change.record;
      if (!r) continue;
      switch (change.kind) {
        case 'activity': s.activities.set(r.sid, change.record!); break;
        case 'taskChannel': s.taskChannels.set(r.sid, change.record!); break;
        case 'worker':
          s.workers.set(r.sid, change.record!);
          s.workerByName.set(change.record!.friendlyName, r.sid);
          break;
        case 'workerChannel': indexWorkerChannel(s, change.record!); break;
        case 'taskQueue': s.taskQueues.set(r.sid, change.record!); break;
        case 'workflow': s.workflows.set(r.sid, change.record!); break;
        case 'task': s.tasks.set(r.sid, change.record!); break;
        case 'reservation': s.reservations.set(r.sid, change.record!); break;
        case 'workspace': break;
      }
    }
    restoreOfferMarks(s);
    for (const task of s.tasks.values()) s.taskTally.update(task.sid, task);
    for (const queue of s.taskQueues.values()) {
      const compiled = queues.compileTargetWorkers(queue.targetWorkers);
      if (compiled.ok) s.queueExpressions.set(queue.sid, compiled.expression);
    }
    for (const workflow of s.workflows.values()) {
      const compiled = compileWorkflow(workflow.configuration, (sid) => s.taskQueues.has(sid));
      if (compiled.ok) s.compiledWorkflows.set(workflow.sid, compiled.workflow);
    }
    for (const task of s.tasks.values()) if (!TERMINAL_TASK_STATUSES.has(task.assignmentStatus)) s.taskAttributes.set(task.sid, parseAttributes(task.attributes));
    for (const reservation of s.reservations.values()) {
      s.indexReservation(reservation);
      if (reservation.status === 'pending') addTo(s.pendingOfTask, reservation.taskSid, reservation);
      if (reservation.status === 'pending' || reservation.status === 'accepted' || reservation.status === 'wrapping') s.adjustLoad(reservation, 1);
    }
    for (const worker of s.workers.values()) s.refreshWorkerView(worker);
    s.routing.rebuildQueues();
    const effects: Effect[] = [];
    for (const task of s.tasks.values()) {
      const queue = task.taskQueueSid ? s.taskQueues.get(task.taskQueueSid) : undefined;
      const waiting = task.assignmentStatus === 'pending' || task.assignmentStatus === 'reserved';
      if (waiting) {
        if (queue && s.pendingCount(task.sid) < queue.maxReservedWorkers) s.routing.list(task);
        effects.push({ type: 'timer.set', key: timerKey.ttl(task.sid), at: task.dateCreated + task.timeout * 1000 });
        const target = task.step && task.workflowSid ? s.compiledWorkflows.get(task.workflowSid)?.filters[task.step.filter]?.targets[task.step.target] : undefined;
        if (target?.deadlineOffsetMs != null) effects.push({ type: 'timer.set', key: timerKey.target(task.sid), at: task.workflowEnteredAt + target.deadlineOffsetMs });
      }
    }
    // Finished tasks, first due first, behind the one purge timer.
    const finished = [...s.tasks.values()].filter((t) => t.purgeAt !== null).sort((a, b) => a.purgeAt! - b.purgeAt! || (a.sid < b.sid ? -1 : 1));
    s.purgeQueue.reset(finished.map((t) => t.sid));
    if (finished[0]) effects.push({ type: 'timer.set', key: timerKey.purge, at: purgeDeadline(finished[0].purgeAt!) });
    // Into the archive, out of the heap (see finished-tasks.ts), now that restoring read their reservations.
    archiveAll(s, finished);
    for (const reservation of s.reservations.values()) {
      if (reservation.status === 'pending') effects.push({ type: 'timer.set', key: timerKey.reservation(reservation.sid), at: reservation.timeoutAt });
    }
    return { engine, effects };
  }

  /** Applies one command at time `now` on behalf of `actor`. */
  step(command: Command, now: number, actor: Actor = { type: 'account' }): StepResult {
    const ctx = new StepContext(now, actor, this.ids, this.state.workspace.sid);
    const handler = HANDLERS[command.type] as Handler<CommandType>;
    const outcome = handler(this.state, command, ctx);
    if (!outcome.ok) return { ok: false, error: outcome.error, effects: [] };
    drainRouting(this.state, ctx);
    return { ok: true, value: outcome.value, effects: tallied(this.state, ctx.finish()) };
  }

  /** Offers waiting tasks to ready workers; the shell calls this once after a restore. */
  routeAll(now: number): Effect[] {
    const ctx = new StepContext(now, { type: 'system' }, this.ids, this.state.workspace.sid);
    for (const task of this.state.tasks.values()) if (this.state.routing.isListed(task.sid)) ctx.tasksToRoute.add(task);
    for (const worker of this.state.workers.keys()) ctx.workersToRoute.add(worker);
    drainRouting(this.state, ctx);
    return tallied(this.state, ctx.finish());
  }
}

/** Brings the task tally up to date with the tasks a step changed (its persist effect comes first), and passes the effects on. */
function tallied(s: WorkspaceState, effects: Effect[]): Effect[] {
  const persist = effects[0];
  if (persist?.type !== 'persist') return effects;
  for (const change of persist.changes) if (change.kind === 'task') s.taskTally.update(change.sid, change.record);
  return effects;
}

export { SwitchboardError };
