/**
 * Tasks counted by where they are, kept up to date as they change, so real-time statistics read
 * counts instead of scanning every task the workspace holds (finished ones stay for their
 * retention: 300,000 of them after five minutes at 1,000 tasks/s). Each scope (the workspace, a
 * task queue, a workflow; on every channel or on one) keeps its tasks by status and the set of
 * its waiting tasks (pending or reserved), the only ones the longest-waiting figures look at.
 */
import type { TaskRecord, TaskStatus } from './model.js';

/** The tasks of one scope. */
export interface TaskScope {
  readonly byStatus: Record<TaskStatus, number>;
  /** Tasks of any status. */
  total: number;
  /** The scope's pending and reserved tasks. */
  readonly waiting: Set<TaskRecord>;
}

/** What of a task decides the scopes it is counted in, as it was last counted. */
interface Placement {
  task: TaskRecord;
  status: TaskStatus;
  queueSid: string | null;
  workflowSid: string | null;
  channelSid: string;
}

/** A scope on every channel, and on each channel apart. */
interface ScopeByChannel {
  all: TaskScope;
  byChannel: Map<string, TaskScope>;
}

/** The key of the workspace-wide scope (queue and workflow SIDs never are empty). */
const WORKSPACE = '';
/** The key of the tasks in no queue (no SID looks like it). */
const UNQUEUED = 'unqueued';

const isWaiting = (status: TaskStatus) => status === 'pending' || status === 'reserved';

function emptyScope(): TaskScope {
  return { byStatus: { pending: 0, reserved: 0, assigned: 0, wrapping: 0, completed: 0, canceled: 0 }, total: 0, waiting: new Set() };
}

function tally(s: TaskScope, p: Placement, delta: 1 | -1): void {
  s.byStatus[p.status] += delta;
  s.total += delta;
  if (!isWaiting(p.status)) return;
  if (delta > 0) s.waiting.add(p.task);
  else s.waiting.delete(p.task);
}

function moveStatus(s: TaskScope, p: Placement, status: TaskStatus): void {
  s.byStatus[p.status] -= 1;
  s.byStatus[status] += 1;
  if (isWaiting(p.status) === isWaiting(status)) return;
  if (isWaiting(status)) s.waiting.add(p.task);
  else s.waiting.delete(p.task);
}

/** Every scope's counts, updated task by task. */
export class TaskTally {
  private readonly placements = new Map<string, Placement>();
  private readonly scopes = new Map<string, ScopeByChannel>();

  /** Counts `task` where it is now (after any change to it), or forgets it when `null` (deleted). */
  update(sid: string, task: TaskRecord | null): void {
    const p = this.placements.get(sid);
    if (!task) {
      if (p) this.place(p, -1);
      this.placements.delete(sid);
      return;
    }
    if (!p) {
      const placed: Placement = { task, status: task.assignmentStatus, queueSid: task.taskQueueSid, workflowSid: task.workflowSid, channelSid: task.taskChannelSid };
      this.placements.set(sid, placed);
      this.place(placed, 1);
      return;
    }
    if (p.task === task && p.queueSid === task.taskQueueSid && p.workflowSid === task.workflowSid && p.channelSid === task.taskChannelSid) {
      // Same scopes: only the status moves (a waiting task keeps its place among the waiting).
      if (p.status !== task.assignmentStatus) this.restatus(p, task.assignmentStatus);
      return;
    }
    this.place(p, -1);
    p.task = task;
    p.status = task.assignmentStatus;
    p.queueSid = task.taskQueueSid;
    p.workflowSid = task.workflowSid;
    p.channelSid = task.taskChannelSid;
    this.place(p, 1);
  }

  /** The workspace's tasks (on one channel, when given). */
  workspace(channelSid?: string): TaskScope | undefined {
    return this.scope(WORKSPACE, channelSid);
  }

  /** The tasks in no task queue (on one channel, when given). */
  unqueued(channelSid?: string): TaskScope | undefined {
    return this.scope(UNQUEUED, channelSid);
  }

  /** A task queue's or a workflow's tasks (on one channel, when given). */
  scope(sid: string, channelSid?: string): TaskScope | undefined {
    const scope = this.scopes.get(sid);
    return channelSid === undefined ? scope?.all : scope?.byChannel.get(channelSid);
  }

  private place(p: Placement, delta: 1 | -1): void {
    this.count(WORKSPACE, p, delta);
    this.count(p.queueSid ?? UNQUEUED, p, delta);
    if (p.workflowSid !== null) this.count(p.workflowSid, p, delta);
  }

  private count(key: string, p: Placement, delta: 1 | -1): void {
    let scope = this.scopes.get(key);
    if (!scope) this.scopes.set(key, (scope = { all: emptyScope(), byChannel: new Map() }));
    let onChannel = scope.byChannel.get(p.channelSid);
    if (!onChannel) scope.byChannel.set(p.channelSid, (onChannel = emptyScope()));
    tally(scope.all, p, delta);
    tally(onChannel, p, delta);
    if (onChannel.total === 0) scope.byChannel.delete(p.channelSid);
    if (scope.all.total === 0) this.scopes.delete(key);
  }

  private restatus(p: Placement, status: TaskStatus): void {
    this.move(WORKSPACE, p, status);
    this.move(p.queueSid ?? UNQUEUED, p, status);
    if (p.workflowSid !== null) this.move(p.workflowSid, p, status);
    p.status = status;
  }

  private move(key: string, p: Placement, status: TaskStatus): void {
    const scope = this.scopes.get(key)!;
    moveStatus(scope.all, p, status);
    moveStatus(scope.byChannel.get(p.channelSid)!, p, status);
  }
}
