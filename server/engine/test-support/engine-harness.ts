import type { SwitchboardError } from '../../../shared/errors.js';
import type { Actor, Command, CommandOf } from '../commands.js';
import type { Effect } from '../effects.js';
import { WorkspaceEngine, type NewWorkspace, type StepResult } from '../engine.js';
import type {
  EventRecord,
  ReservationRecord,
  TaskQueueRecord,
  TaskRecord,
  WorkerChannelRecord,
  WorkerRecord,
  WorkflowRecord,
} from '../model.js';
import { everyReservation } from './every-record.js';
import { eventsOf } from './effect-views.js';
import { ManualClock } from './manual-clock.js';
import { RecordStore } from './record-store.js';
import { SequentialIds } from './sequential-ids.js';
import { snapshotState } from './state-snapshot.js';
import { TimerTable } from './timer-table.js';

/** A worker to add: attributes as an object, activity by name, capacity per channel unique name. */
export interface WorkerSpec {
  attributes?: Record<string, unknown>;
  activity?: string;
  capacity?: Record<string, number>;
}

/** A task to add: attributes as an object, channel by unique name; the rest as in `task.create`. */
export type TaskSpec = Omit<CommandOf<'task.create'>, 'type' | 'attributes'> & { attributes?: Record<string, unknown> };

/** A queue to add, as in `taskQueue.create` but with activities by name. */
export type QueueSpec = Omit<CommandOf<'taskQueue.create'>, 'type' | 'friendlyName' | 'reservationActivitySid' | 'assignmentActivitySid'> & {
  reservationActivity?: string;
  assignmentActivity?: string;
};

/**
 * One engine driven like the hub drives it, without I/O: a manual clock, sequential ids, a store
 * folded from persist effects, the armed timers, and every event. Builders take names, not SIDs.
 */
export class EngineHarness {
  readonly store = new RecordStore();
  readonly timers = new TimerTable();
  readonly events: EventRecord[] = [];

  private constructor(
    readonly engine: WorkspaceEngine,
    readonly clock: ManualClock,
    readonly ids: SequentialIds,
    initial: Effect[],
  ) {
    this.record(initial);
  }

  /** A fresh workspace with TaskRouter's defaults. */
  static create(params: Partial<NewWorkspace> = {}, clock = new ManualClock()): EngineHarness {
    const ids = new SequentialIds();
    const { engine, effects } = WorkspaceEngine.create({ accountSid: 'AC' + '0'.repeat(32), friendlyName: 'Test', ...params }, clock.now, ids.source);
    return new EngineHarness(engine, clock, ids, effects);
  }

  /** A twin rebuilt from this harness's store, with its timers re-armed from the restore effects. */
  restore(): { twin: EngineHarness; effects: Effect[] } {
    const ids = this.ids.fork();
    const { engine, effects } = WorkspaceEngine.restore(this.store.records(), ids.source);
    const twin = new EngineHarness(engine, new ManualClock(this.clock.now), ids, []);
    twin.store.commit([{ type: 'persist', changes: this.store.records() }]);
    twin.timers.apply(effects);
    return { twin, effects };
  }

  /** The engine's state (read-only by convention). */
  get state() {
    return this.engine.state;
  }

  /** Applies a command now, as the hub would: the store and timers take its effects. */
  step(command: Command, actor?: Actor): StepResult {
    const result = this.engine.step(command, this.clock.now, actor);
    this.record(result.effects);
    return result;
  }

  /** Applies a command that must succeed; throws with the engine's message otherwise. */
  run<T = unknown>(command: Command, actor?: Actor): { value: T; effects: Effect[] } {
    const result = this.step(command, actor);
    if (!result.ok) throw new Error(`${command.type} failed: ${result.error.code} ${result.error.message}`);
    return { value: result.value as T, effects: result.effects };
  }

  /**
   * Applies a command that must fail, and checks it changed nothing: no effects, same state.
   * Returns the error.
   */
  mustFail(command: Command, actor?: Actor): SwitchboardError {
    const before = JSON.stringify(this.snapshot());
    const result = this.step(command, actor);
    if (result.ok) throw new Error(`${command.type} was expected to fail but succeeded`);
    if (result.effects.length > 0) throw new Error(`${command.type} failed but produced ${result.effects.length} effects`);
    if (JSON.stringify(this.snapshot()) !== before) throw new Error(`${command.type} failed but changed the state`);
    return result.error;
  }

  /** Moves the clock forward, firing every timer as its time comes; returns the effects of the firings. */
  advance(ms: number): Effect[] {
    const until = this.clock.now + ms;
    const effects: Effect[] = [];
    for (let due = this.timers.takeDue(until); due; due = this.timers.takeDue(until)) {
      this.clock.moveTo(due.at);
      effects.push(...this.step({ type: 'timer.fired', key: due.key }, { type: 'system' }).effects);
    }
    this.clock.moveTo(until);
    return effects;
  }

  /** A snapshot of everything observable in the engine (see `snapshotState`). */
  snapshot(): unknown {
    return snapshotState(this.state);
  }

  /** The SID of the activity with this name. */
  activity(name: string): string {
    for (const a of this.state.activities.values()) if (a.friendlyName === name) return a.sid;
    throw new Error(`No activity named ${name}`);
  }

  /** The SID of the task channel with this unique name. */
  channel(uniqueName: string): string {
    const channel = this.state.findTaskChannel(uniqueName);
    if (!channel) throw new Error(`No task channel ${uniqueName}`);
    return channel.sid;
  }

  /** Adds a worker, Available unless told otherwise, with the given channel capacities. */
  addWorker(name: string, spec: WorkerSpec = {}): WorkerRecord {
    const worker = this.run<WorkerRecord>({
      type: 'worker.create',
      friendlyName: name,
      attributes: JSON.stringify(spec.attributes ?? {}),
      activitySid: this.activity(spec.activity ?? 'Available'),
    }).value;
    for (const [channel, capacity] of Object.entries(spec.capacity ?? {})) this.setCapacity(worker.sid, channel, capacity);
    return worker;
  }

  /** Sets a worker's capacity on a channel (by unique name). */
  setCapacity(workerSid: string, channel: string, capacity: number): { value: WorkerChannelRecord; effects: Effect[] } {
    return this.run<WorkerChannelRecord>({ type: 'workerChannel.update', workerSid, sid: channel, capacity });
  }

  /** Adds a task queue. */
  addQueue(name: string, spec: QueueSpec = {}): TaskQueueRecord {
    const { reservationActivity, assignmentActivity, ...rest } = spec;
    return this.run<TaskQueueRecord>({
      type: 'taskQueue.create',
      friendlyName: name,
      ...rest,
      ...(reservationActivity ? { reservationActivitySid: this.activity(reservationActivity) } : {}),
      ...(assignmentActivity ? { assignmentActivitySid: this.activity(assignmentActivity) } : {}),
    }).value;
  }

  /** Adds a workflow; `configuration` is the `task_routing` object or the whole JSON text. */
  addWorkflow(name: string, configuration: object | string, options: { taskReservationTimeout?: number; assignmentCallbackUrl?: string } = {}): WorkflowRecord {
    const text = typeof configuration === 'string' ? configuration : JSON.stringify({ task_routing: configuration });
    return this.run<WorkflowRecord>({ type: 'workflow.create', friendlyName: name, configuration: text, ...options }).value;
  }

  /** Creates a task. */
  addTask(spec: TaskSpec = {}): TaskRecord {
    const { attributes, ...rest } = spec;
    return this.run<TaskRecord>({ type: 'task.create', attributes: JSON.stringify(attributes ?? {}), ...rest }).value;
  }

  /** Moves a worker to an activity by name. */
  setActivity(workerSid: string, activity: string): Effect[] {
    return this.run({ type: 'worker.update', sid: workerSid, activitySid: this.activity(activity) }).effects;
  }

  /** Accepts a reservation. */
  accept(reservationSid: string): StepResult {
    return this.step({ type: 'reservation.update', sid: reservationSid, status: 'accepted' });
  }

  /** Rejects a reservation, optionally moving the worker to an activity by name. */
  rejectOffer(reservationSid: string, activity?: string): StepResult {
    return this.step({
      type: 'reservation.update',
      sid: reservationSid,
      status: 'rejected',
      ...(activity ? { workerActivitySid: this.activity(activity) } : {}),
    });
  }

  /** Sets a task's assignment status (wrapping, completed or canceled). */
  setTaskStatus(taskSid: string, status: 'wrapping' | 'completed' | 'canceled', reason?: string): StepResult {
    return this.step({ type: 'task.update', sid: taskSid, assignmentStatus: status, ...(reason ? { reason } : {}) });
  }

  /** A task by SID, live or archived (a copy, then). */
  task(sid: string): TaskRecord {
    const task = this.state.findTask(sid);
    if (!task) throw new Error(`No task ${sid}`);
    return task;
  }

  /** A worker by SID. */
  worker(sid: string): WorkerRecord {
    const worker = this.state.workers.get(sid);
    if (!worker) throw new Error(`No worker ${sid}`);
    return worker;
  }

  /** A reservation by SID, live or archived (a copy, then). */
  reservation(sid: string): ReservationRecord {
    const reservation = this.state.findReservation(sid);
    if (!reservation) throw new Error(`No reservation ${sid}`);
    return reservation;
  }

  /** The reservations of a task, oldest first. */
  reservationsOf(taskSid: string): ReservationRecord[] {
    return everyReservation(this.state).filter((r) => r.taskSid === taskSid);
  }

  /** The reservations of a worker, oldest first. */
  reservationsOfWorker(workerSid: string): ReservationRecord[] {
    return everyReservation(this.state).filter((r) => r.workerSid === workerSid);
  }

  /** Every pending reservation, oldest first. */
  pending(): ReservationRecord[] {
    return [...this.state.reservations.values()].filter((r) => r.status === 'pending');
  }

  /** The only pending reservation of a task; throws when there is not exactly one. */
  onlyPending(taskSid: string): ReservationRecord {
    const pending = this.reservationsOf(taskSid).filter((r) => r.status === 'pending');
    if (pending.length !== 1) throw new Error(`Task ${taskSid} has ${pending.length} pending reservations`);
    return pending[0]!;
  }

  /** The friendly name of a worker SID, for readable assertions. */
  nameOf(workerSid: string): string {
    return this.worker(workerSid).friendlyName;
  }

  private record(effects: Effect[]): void {
    this.store.commit(effects);
    this.timers.apply(effects);
    this.events.push(...eventsOf(effects));
  }
}
