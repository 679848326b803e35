/**
 * Tasks counted by where they are, kept up to date as they change, so real-time statistics read
 * counts instead of scanning every task the workspace holds (finished ones stay for their
 * retention: 300,000 of them after five minutes at 1,000 tasks/s). Each scope (the workspace, a
 * task queue, a workflow; on every channel or on one) keeps its tasks by status and its waiting
 * tasks (pending or reserved), the only ones the longest-waiting figures look at: a set per channel,
 * which the scope on every channel reads through. A finished task, which nothing moves any more,
 * costs the tally one map entry, pointing at where it is counted (shared with the tasks counted there).
 */
import { TASK_STATUSES, type TaskRecord, type TaskStatus } from './model.js';

/** A status's place in TASK_STATUSES, which a scope counts them by: the two waiting ones first, the two final ones last. */
const STATUS_INDEX = Object.fromEntries(TASK_STATUSES.map((status, i) => [status, i])) as Readonly<Record<TaskStatus, number>>;
const isWaiting = (index: number) => index < 2;
/** Statuses from this index on are final. */
const FINISHED = 4;

/** The tasks of one scope. */
export interface TaskScope {
  /** Tasks by status, in the order of TASK_STATUSES. */
  readonly counts: number[];
  /** Tasks of any status. */
  total: number;
  /** The scope's pending and reserved tasks. */
  readonly waiting: Iterable<TaskRecord>;
}

/** A scope on one channel: it holds its waiting tasks; the scope on every channel reads them there. */
interface ChannelScope extends TaskScope {
  readonly waiting: Set<TaskRecord>;
}

/** A scope's tasks by status, every status named. */
export function countsByStatus(scope: TaskScope | undefined): Record<TaskStatus, number> {
  const out = {} as Record<TaskStatus, number>;
  for (const [i, status] of TASK_STATUSES.entries()) out[status] = scope?.counts[i] ?? 0;
  return out;
}

/** Where a finished task is counted: its status and what decides its scopes. */
interface FinishedPlace {
  status: number;
  queueSid: string | null;
  workflowSid: string | null;
  channelSid: string;
}

/** Where a task was last counted: what decides its scopes, its status, and the scopes themselves. */
interface Placement {
  task: TaskRecord;
  status: number;
  queueSid: string | null;
  workflowSid: string | null;
  channelSid: string;
  /** The scopes counting it, on every channel and on its own. */
  scopes: TaskScope[];
  /** The waiting sets it belongs to while it waits (its channel's, in each scope). */
  sets: Array<Set<TaskRecord>>;
}

/** Where a task is counted, with or without its record (a finished task's is not kept: it is in no waiting set). */
type Counted = Omit<Placement, 'task'> & { task?: TaskRecord };

/** A scope on every channel, and on each channel apart. */
interface ScopeByChannel {
  all: TaskScope;
  byChannel: Map<string, ChannelScope>;
}

/** The key of the workspace-wide scope (queue and workflow SIDs never are empty). */
const WORKSPACE = '';
/** The key of the tasks in no queue (no SID looks like it). */
const UNQUEUED = 'unqueued';

const channelScope = (): ChannelScope => ({ counts: [0, 0, 0, 0, 0, 0], total: 0, waiting: new Set() });

/** The scope on every channel: counted itself, its waiting tasks read from its channels'. */
function allChannels(byChannel: Map<string, ChannelScope>): TaskScope {
  return {
    counts: [0, 0, 0, 0, 0, 0],
    total: 0,
    waiting: {
      *[Symbol.iterator]() {
        for (const scope of byChannel.values()) yield* scope.waiting;
      },
    },
  };
}

/** Every scope's counts, updated task by task. */
export class TaskTally {
  /** Live tasks: where each was last counted (a task changes in place before it is counted again). */
  private readonly live = new Map<string, Placement>();
  /**
   * Finished tasks (completed, canceled), kept for their retention: nothing moves them, so they
   * cost the tally no more than this entry (and keep no record alive: the archive holds it).
   */
  private readonly finished = new Map<string, FinishedPlace>();
  /** The places finished tasks are counted at, each once (a handful: statuses by queue, workflow and channel). */
  private readonly finishedPlaces = new Map<string, FinishedPlace>();
  private readonly scopes = new Map<string, ScopeByChannel>();

  /** Counts `task` where it is now (after any change to it), or forgets it when `null` (deleted). */
  update(sid: string, task: TaskRecord | null): void {
    if (!task) return this.forget(sid);
    if (this.finished.has(sid)) return;
    const status = STATUS_INDEX[task.assignmentStatus];
    let p = this.live.get(sid);
    if (!p) {
      p = { task, status, queueSid: task.taskQueueSid, workflowSid: task.workflowSid, channelSid: task.taskChannelSid, scopes: [], sets: [] };
      this.join(p);
    } else if (p.task === task && p.queueSid === task.taskQueueSid && p.workflowSid === task.workflowSid && p.channelSid === task.taskChannelSid) {
      // Same scopes: only the status moves (a waiting task keeps its place among the waiting).
      if (p.status !== status) this.restatus(p, status);
    } else {
      this.leave(p);
      p.task = task;
      p.status = status;
      p.queueSid = task.taskQueueSid;
      p.workflowSid = task.workflowSid;
      p.channelSid = task.taskChannelSid;
      this.join(p);
    }
    if (status >= FINISHED) {
      this.live.delete(sid);
      this.finished.set(sid, this.finishedPlace(p));
    } else this.live.set(sid, p);
  }

  private forget(sid: string): void {
    const p = this.live.get(sid);
    const place = this.finished.get(sid);
    if (p) this.leave(p);
    else if (place) {
      // Where a finished task was counted (it waits no more, so it is in no waiting set).
      const placed: Counted = { ...place, scopes: [], sets: [] };
      this.locate(placed);
      this.leave(placed);
    }
    this.live.delete(sid);
    this.finished.delete(sid);
  }

  /**
   * The tasks not yet finished (as last counted: their current records), oldest first: a task joins
   * at creation and leaves when it finishes, for good, so this is creation order (as the workspace's
   * own task map), and a list of waiting or assigned tasks reads these instead of every task kept
   * for its retention.
   */
  *liveTasks(): Generator<TaskRecord> {
    for (const p of this.live.values()) yield p.task;
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

  /** The shared place of a task counted as finished. */
  private finishedPlace(p: Placement): FinishedPlace {
    const key = `${p.status}|${p.queueSid}|${p.workflowSid}|${p.channelSid}`;
    let place = this.finishedPlaces.get(key);
    if (!place) this.finishedPlaces.set(key, (place = { status: p.status, queueSid: p.queueSid, workflowSid: p.workflowSid, channelSid: p.channelSid }));
    return place;
  }

  /** Counts the task in each scope it belongs to, remembering them. */
  private join(p: Placement): void {
    this.locate(p);
    for (const scope of p.scopes) {
      scope.counts[p.status]! += 1;
      scope.total += 1;
    }
    if (isWaiting(p.status)) for (const set of p.sets) set.add(p.task);
  }

  /** Finds (or opens) the scopes the task belongs to. */
  private locate(p: Counted): void {
    p.scopes = [];
    p.sets = [];
    this.open(WORKSPACE, p);
    this.open(p.queueSid ?? UNQUEUED, p);
    if (p.workflowSid !== null) this.open(p.workflowSid, p);
  }

  private open(key: string, p: Counted): void {
    let scope = this.scopes.get(key);
    if (!scope) {
      const byChannel = new Map<string, ChannelScope>();
      this.scopes.set(key, (scope = { all: allChannels(byChannel), byChannel }));
    }
    let onChannel = scope.byChannel.get(p.channelSid);
    if (!onChannel) scope.byChannel.set(p.channelSid, (onChannel = channelScope()));
    p.scopes.push(scope.all, onChannel);
    p.sets.push(onChannel.waiting);
  }

  /** Takes the task out of its scopes, dropping those left empty. */
  private leave(p: Counted): void {
    for (const scope of p.scopes) {
      scope.counts[p.status]! -= 1;
      scope.total -= 1;
    }
    if (p.task && isWaiting(p.status)) for (const set of p.sets) set.delete(p.task);
    this.close(WORKSPACE, p.channelSid);
    this.close(p.queueSid ?? UNQUEUED, p.channelSid);
    if (p.workflowSid !== null) this.close(p.workflowSid, p.channelSid);
  }

  private close(key: string, channelSid: string): void {
    const scope = this.scopes.get(key);
    if (!scope) return;
    if (scope.byChannel.get(channelSid)?.total === 0) scope.byChannel.delete(channelSid);
    if (scope.all.total === 0) this.scopes.delete(key);
  }

  private restatus(p: Placement, status: number): void {
    const from = p.status;
    for (const scope of p.scopes) {
      scope.counts[from]! -= 1;
      scope.counts[status]! += 1;
    }
    if (isWaiting(from) !== isWaiting(status)) {
      for (const set of p.sets) {
        if (isWaiting(status)) set.add(p.task);
        else set.delete(p.task);
      }
    }
    p.status = status;
  }
}
