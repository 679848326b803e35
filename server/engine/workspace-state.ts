import type { CompiledExpression } from './expression/index.js';
import type {
  ActivityRecord,
  ReservationRecord,
  TaskChannelRecord,
  TaskQueueRecord,
  TaskRecord,
  WorkerChannelRecord,
  WorkerRecord,
  WorkflowRecord,
  WorkspaceRecord,
} from './model.js';
import { FinishedTasks } from './finished-tasks.js';
import { RoutingIndex } from './routing-index.js';
import { SidQueue } from './sid-queue.js';
import { TaskTally } from './task-tally.js';
import type { CompiledWorkflow } from './workflow-config.js';

/** Parses JSON attributes text into the value expressions read; invalid text reads as an empty object. */
export function parseAttributes(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Everything one workspace holds: the persisted records, and beside them the derived data that
 * makes routing fast (parsed attributes, compiled expressions, capacity in use, indexes).
 */
export class WorkspaceState {
  readonly activities = new Map<string, ActivityRecord>();
  readonly taskChannels = new Map<string, TaskChannelRecord>();
  readonly workers = new Map<string, WorkerRecord>();
  /**
   * Worker SIDs by friendly name, unique in a workspace: a new name is checked, and a target's
   * `known_worker_friendly_name` found, without reading every worker.
   */
  readonly workerByName = new Map<string, string>();
  readonly workerChannels = new Map<string, WorkerChannelRecord>();
  readonly taskQueues = new Map<string, TaskQueueRecord>();
  readonly workflows = new Map<string, WorkflowRecord>();
  /** Live tasks, and those finished in the last few seconds (the rest are in `finished`). */
  readonly tasks = new Map<string, TaskRecord>();
  /** The reservations of the tasks in `tasks`. */
  readonly reservations = new Map<string, ReservationRecord>();
  /** Finished tasks with their reservations, archived out of the heap for their retention (see archive.ts). */
  readonly finished = new FinishedTasks();

  /** Worker attributes plus `sid`, `friendly_name`, `activity_sid`, `activity_name`, as expressions see them. */
  readonly workerViews = new Map<string, Record<string, unknown>>();
  /** Parsed attributes of the tasks not yet finished; a finished task's are parsed on demand (`attributesOf`). */
  readonly taskAttributes = new Map<string, Record<string, unknown>>();
  readonly queueExpressions = new Map<string, CompiledExpression>();
  readonly compiledWorkflows = new Map<string, CompiledWorkflow>();
  /** worker SID -> task channel SID -> worker channel. */
  readonly channelsOfWorker = new Map<string, Map<string, WorkerChannelRecord>>();
  /** worker channel SID -> reservations holding its capacity (pending, accepted, wrapping). */
  readonly channelLoad = new Map<string, number>();
  /** worker SID -> reservations holding any capacity. */
  readonly workerLoad = new Map<string, number>();
  /** task SID -> every reservation of the task, oldest first. */
  readonly reservationsOfTask = new Map<string, ReservationRecord[]>();
  readonly reservationsOfWorker = new Map<string, Set<ReservationRecord>>();
  /** task SID -> its pending reservations (no entry when there are none). */
  readonly pendingOfTask = new Map<string, Set<ReservationRecord>>();
  readonly routing = new RoutingIndex(this);
  /** Tasks counted by queue, workflow, channel and status, for real-time statistics. */
  readonly taskTally = new TaskTally();
  /** Finished tasks in the order their purge comes due (see sid-queue.ts). */
  readonly purgeQueue = new SidQueue();
  /** Finished tasks in the order they go into the archive (see archive.ts). */
  readonly archiveQueue = new SidQueue();

  constructor(public workspace: WorkspaceRecord) {}

  /** The activity of a worker. */
  activityOf(worker: WorkerRecord): ActivityRecord {
    return this.activities.get(worker.activitySid)!;
  }

  /** A task, live or finished; an archived one comes decoded, a copy to read (see archive.ts to change one). */
  findTask(sid: string): TaskRecord | undefined {
    return this.tasks.get(sid) ?? this.finished.get(sid)?.task;
  }

  /** A reservation, of a live task or a finished one (archived: a copy to read). */
  findReservation(sid: string): ReservationRecord | undefined {
    const live = this.reservations.get(sid);
    if (live) return live;
    const taskSid = this.finished.taskSidOf(sid);
    return taskSid === undefined ? undefined : this.finished.get(taskSid)?.reservations.find((r) => r.sid === sid);
  }

  /** Every reservation of a task, oldest first, live or archived. */
  reservationsOf(taskSid: string): readonly ReservationRecord[] {
    return this.reservationsOfTask.get(taskSid) ?? this.finished.get(taskSid)?.reservations ?? [];
  }

  /** Every reservation of a worker, of live tasks and archived ones, oldest first. */
  allReservationsOfWorker(workerSid: string): ReservationRecord[] {
    const archived: ReservationRecord[] = [];
    for (const taskSid of this.finished.tasksOfWorker(workerSid)) {
      for (const r of this.finished.get(taskSid)?.reservations ?? []) if (r.workerSid === workerSid) archived.push(r);
    }
    const live = this.reservationsOfWorker.get(workerSid) ?? [];
    if (archived.length === 0) return [...live];
    // Each part is oldest first; a stable sort keeps that order within one millisecond.
    return [...archived, ...live].sort((a, b) => a.dateCreated - b.dateCreated);
  }

  /** Finds a task channel by SID or unique name. */
  findTaskChannel(ref: string): TaskChannelRecord | undefined {
    const bySid = this.taskChannels.get(ref);
    if (bySid) return bySid;
    for (const channel of this.taskChannels.values()) if (channel.uniqueName === ref) return channel;
    return undefined;
  }

  /** Recomputes the expression view of a worker after its attributes, name or activity changed. */
  refreshWorkerView(worker: WorkerRecord): Record<string, unknown> {
    const activity = this.activities.get(worker.activitySid);
    const view = {
      ...parseAttributes(worker.attributes),
      sid: worker.sid,
      friendly_name: worker.friendlyName,
      activity_sid: worker.activitySid,
      activity_name: activity?.friendlyName ?? null,
    };
    this.workerViews.set(worker.sid, view);
    return view;
  }

  /**
   * Whether a worker may settle a task (wrap it up, complete it): it holds it now (its reservation
   * is accepted or wrapping) or held it to the end (completed), so settling it again is a conflict,
   * not a stranger's request. A rescinded or rejected offer gives no such right.
   */
  settlesTask(workerSid: string, taskSid: string): boolean {
    return this.heldReservation(workerSid, taskSid) !== undefined;
  }

  /** The worker's reservation through which it holds or held the task to the end (see `settlesTask`). */
  heldReservation(workerSid: string, taskSid: string): ReservationRecord | undefined {
    return this.reservationsOf(taskSid).find((r) => r.workerSid === workerSid && (r.status === 'accepted' || r.status === 'wrapping' || r.status === 'completed'));
  }

  /** Capacity a worker still has on a channel, under the workspace's multitasking mode. */
  freeCapacity(worker: WorkerRecord, channel: WorkerChannelRecord): number {
    if (!channel.available || !this.activityOf(worker).available) return 0;
    if (!this.workspace.multiTaskEnabled) {
      return (this.workerLoad.get(worker.sid) ?? 0) === 0 && channel.capacity > 0 ? 1 : 0;
    }
    return Math.max(0, channel.capacity - (this.channelLoad.get(channel.sid) ?? 0));
  }

  /** Pending reservations of a task. */
  pendingCount(taskSid: string): number {
    return this.pendingOfTask.get(taskSid)?.size ?? 0;
  }

  /** Takes a reservation that stopped pending out of its task's pending set. */
  unlistPending(reservation: ReservationRecord): void {
    const pending = this.pendingOfTask.get(reservation.taskSid);
    if (pending?.delete(reservation) && pending.size === 0) this.pendingOfTask.delete(reservation.taskSid);
  }

  /** A task's attributes as expressions see them: kept while it is live, parsed again for a finished one. */
  attributesOf(task: TaskRecord): Record<string, unknown> {
    return this.taskAttributes.get(task.sid) ?? parseAttributes(task.attributes);
  }

  /** Adds a reservation to the per-task and per-worker indexes. */
  indexReservation(reservation: ReservationRecord): void {
    const ofTask = this.reservationsOfTask.get(reservation.taskSid);
    if (ofTask) ofTask.push(reservation);
    else this.reservationsOfTask.set(reservation.taskSid, [reservation]);
    addTo(this.reservationsOfWorker, reservation.workerSid, reservation);
  }

  /** Moves a reservation's capacity in or out of its worker channel. */
  adjustLoad(reservation: ReservationRecord, delta: 1 | -1): void {
    const channel = this.channelsOfWorker.get(reservation.workerSid)?.get(reservation.taskChannelSid);
    if (channel) this.channelLoad.set(channel.sid, (this.channelLoad.get(channel.sid) ?? 0) + delta);
    this.workerLoad.set(reservation.workerSid, (this.workerLoad.get(reservation.workerSid) ?? 0) + delta);
  }
}

/** How many of `workers` are in each activity, by activity SID. */
export function countByActivity(workers: Iterable<WorkerRecord>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of workers) counts.set(w.activitySid, (counts.get(w.activitySid) ?? 0) + 1);
  return counts;
}

/** Adds `value` to the set at `key`, creating the set when needed. */
export function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}
