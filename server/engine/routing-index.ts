import type { TaskRecord, WorkerChannelRecord, WorkerRecord } from './model.js';
import { WaitingList } from './waiting-list.js';
import type { WorkspaceState } from './workspace-state.js';

/**
 * The indexes that keep a routing decision independent of the workspace's size:
 * which workers each queue targets, which of them can take a task on each channel right now
 * (in longest-idle order), and which tasks wait in each queue on each channel (in routing order).
 */
export class RoutingIndex {
  /** queue SID -> SIDs of workers matching its TargetWorkers. */
  readonly members = new Map<string, Set<string>>();
  /** worker SID -> queues it belongs to. */
  readonly queuesOfWorker = new Map<string, Set<string>>();
  /** queue SID -> channel SID -> workers with free capacity there; insertion order is idle order. */
  private readonly ready = new Map<string, Map<string, Set<string>>>();
  /** queue SID -> channel SID -> routable tasks. */
  private readonly waiting = new Map<string, Map<string, WaitingList>>();
  private readonly listedIn = new Map<string, WaitingList>();
  /** worker SID -> listed tasks whose RoutingTarget is that worker, whatever their queue. */
  private readonly targeting = new Map<string, Set<TaskRecord>>();
  /** worker channel SID -> whether it was ready at the last sync. */
  private readonly readyFlags = new Map<string, boolean>();
  /**
   * No ready worker channel has been idle since later than this (the latest time a sync saw, or a
   * rebuild placed): one idle since then or later joins a ready set at its back, without a search.
   */
  private latestIdle = 0;

  constructor(private readonly state: WorkspaceState) {}

  /** Workers ready for `channelSid` tasks in `queueSid`, longest idle first. */
  readyWorkers(queueSid: string, channelSid: string): ReadonlySet<string> {
    return this.ready.get(queueSid)?.get(channelSid) ?? EMPTY;
  }

  /** Waiting lists of a queue, per channel. */
  waitingLists(queueSid: string): ReadonlyMap<string, WaitingList> {
    return this.waiting.get(queueSid) ?? EMPTY_MAP;
  }

  /** Listed tasks whose RoutingTarget is this worker. */
  tasksTargeting(workerSid: string): ReadonlySet<TaskRecord> {
    return this.targeting.get(workerSid) ?? EMPTY_TASKS;
  }

  /** True when the task is listed as routable. */
  isListed(taskSid: string): boolean {
    return this.listedIn.has(taskSid);
  }

  /** Lists a routable task in its queue. */
  list(task: TaskRecord): void {
    if (this.listedIn.has(task.sid) || !task.taskQueueSid) return;
    const queue = this.state.taskQueues.get(task.taskQueueSid);
    if (!queue) return;
    let byChannel = this.waiting.get(queue.sid);
    if (!byChannel) this.waiting.set(queue.sid, (byChannel = new Map()));
    let list = byChannel.get(task.taskChannelSid);
    if (!list) byChannel.set(task.taskChannelSid, (list = new WaitingList(queue.taskOrder === 'LIFO')));
    list.insert(task);
    this.listedIn.set(task.sid, list);
    const target = targetWorkerOf(task);
    if (target !== null) {
      let tasks = this.targeting.get(target);
      if (!tasks) this.targeting.set(target, (tasks = new Set()));
      tasks.add(task);
    }
  }

  /** Unlists a task (assigned, canceled, fully reserved, or about to change its sort keys). */
  unlist(task: TaskRecord): void {
    const list = this.listedIn.get(task.sid);
    if (!list) return;
    list.remove(task);
    this.listedIn.delete(task.sid);
    const target = targetWorkerOf(task);
    if (target === null) return;
    const tasks = this.targeting.get(target);
    if (tasks?.delete(task) && tasks.size === 0) this.targeting.delete(target);
  }

  /** Rebuilds a queue's waiting lists, after its task order changed. */
  relistQueue(queueSid: string): void {
    const lists = this.waiting.get(queueSid);
    if (!lists) return;
    const tasks = [...lists.values()].flatMap((list) => [...list]);
    for (const task of tasks) this.unlist(task);
    this.waiting.delete(queueSid);
    for (const task of tasks) this.list(task);
  }

  /** Recomputes which queues a worker belongs to; returns true when that changed. */
  syncMembership(worker: WorkerRecord): boolean {
    const view = this.state.workerViews.get(worker.sid) ?? this.state.refreshWorkerView(worker);
    let changed = false;
    for (const [queueSid, expression] of this.state.queueExpressions) {
      const member = expression.alwaysTrue || expression.evaluate(view);
      const set = this.membersOf(queueSid);
      if (member === set.has(worker.sid)) continue;
      changed = true;
      if (member) this.join(worker.sid, queueSid);
      else this.leave(worker.sid, queueSid);
    }
    return changed;
  }

  /**
   * Recomputes a queue's members after its expression changed, in one pass over the workers. Its
   * ready sets come out in idle order, each channel's ready workers longest idle first there
   * (`compareIdle`), the order a restore gives them.
   */
  rebuildQueue(queueSid: string): void {
    for (const workerSid of this.members.get(queueSid) ?? []) this.queuesOfWorker.get(workerSid)?.delete(queueSid);
    this.members.delete(queueSid);
    this.ready.delete(queueSid);
    const expression = this.state.queueExpressions.get(queueSid);
    if (!expression) return;
    const members = this.membersOf(queueSid);
    const ready: WorkerChannelRecord[] = [];
    for (const worker of this.state.workers.values()) {
      const view = this.state.workerViews.get(worker.sid) ?? this.state.refreshWorkerView(worker);
      if (!expression.alwaysTrue && !expression.evaluate(view)) continue;
      members.add(worker.sid);
      this.addQueueOf(worker.sid, queueSid);
      if (!this.state.activityOf(worker).available) continue;
      for (const channel of this.state.channelsOfWorker.get(worker.sid)?.values() ?? []) {
        if (this.state.freeCapacity(worker, channel) > 0) ready.push(channel);
      }
    }
    ready.sort((a, b) => this.compareIdle(a, b));
    for (const channel of ready) this.readySet(queueSid, channel.taskChannelSid).add(channel.workerSid);
    if (ready.length > 0) this.latestIdle = Math.max(this.latestIdle, this.idleSince(ready.at(-1)!));
  }

  /**
   * Rebuilds every queue's members and ready sets (a restore): the members in one pass over the
   * workers, then each ready worker channel into its worker's queues, longest idle first
   * (`compareIdle`), so the ready sets come back in the idle order they had.
   */
  rebuildQueues(): void {
    this.members.clear();
    this.queuesOfWorker.clear();
    this.ready.clear();
    this.readyFlags.clear();
    const queues = [...this.state.queueExpressions].map(([sid, expression]) => ({ sid, expression, members: this.membersOf(sid) }));
    for (const worker of this.state.workers.values()) {
      const view = this.state.workerViews.get(worker.sid) ?? this.state.refreshWorkerView(worker);
      for (const queue of queues) {
        if (!queue.expression.alwaysTrue && !queue.expression.evaluate(view)) continue;
        queue.members.add(worker.sid);
        this.addQueueOf(worker.sid, queue.sid);
      }
    }
    const byIdle = [...this.state.workerChannels.values()].sort((a, b) => this.compareIdle(a, b));
    if (byIdle.length > 0) this.latestIdle = Math.max(this.latestIdle, this.idleSince(byIdle.at(-1)!));
    for (const channel of byIdle) {
      const worker = this.state.workers.get(channel.workerSid);
      const isReady = worker !== undefined && this.state.freeCapacity(worker, channel) > 0;
      this.readyFlags.set(channel.sid, isReady);
      if (!isReady) continue;
      for (const queueSid of this.queuesOfWorker.get(channel.workerSid) ?? []) this.readySet(queueSid, channel.taskChannelSid).add(channel.workerSid);
    }
  }

  /**
   * Idle order on a channel: the worker idle there longest first, idle since the latest of its last
   * activity change, its last offer on that channel and the last time that channel became ready
   * again; then by worker SID.
   */
  compareIdle(a: WorkerChannelRecord, b: WorkerChannelRecord): number {
    return this.idleSince(a) - this.idleSince(b) || (a.workerSid < b.workerSid ? -1 : a.workerSid > b.workerSid ? 1 : 0);
  }

  private idleSince(channel: WorkerChannelRecord): number {
    return Math.max(channel.lastReservedAt, channel.lastFreedAt ?? 0, this.state.workers.get(channel.workerSid)?.dateStatusChanged ?? 0);
  }

  /** Drops a queue from every index. */
  dropQueue(queueSid: string): void {
    for (const workerSid of this.membersOf(queueSid)) this.leave(workerSid, queueSid);
    this.members.delete(queueSid);
    this.ready.delete(queueSid);
    this.waiting.delete(queueSid);
  }

  /** Drops a worker from every index. */
  dropWorker(workerSid: string): void {
    for (const queueSid of this.queuesOfWorker.get(workerSid) ?? []) this.leave(workerSid, queueSid);
    this.queuesOfWorker.delete(workerSid);
    for (const channel of this.state.channelsOfWorker.get(workerSid)?.values() ?? []) this.readyFlags.delete(channel.sid);
  }

  /**
   * Puts a worker in or out of the ready sets of its queues after its activity, capacity or load changed,
   * at time `now`. `touched` moves it to the back of the idle order: on every channel (true) or on one
   * channel SID. A channel that becomes ready untouched goes to the back too, marked so (`lastFreedAt`,
   * which the caller makes durable): those channels are returned.
   */
  syncReadiness(worker: WorkerRecord, now: number, touched: boolean | string = false): WorkerChannelRecord[] {
    const freed: WorkerChannelRecord[] = [];
    if (now > this.latestIdle) this.latestIdle = now;
    const channels = this.state.channelsOfWorker.get(worker.sid);
    if (!channels) return freed;
    const queues = this.queuesOfWorker.get(worker.sid);
    for (const channel of channels.values()) {
      const isReady = this.state.freeCapacity(worker, channel) > 0;
      const touch = touched === true || touched === channel.taskChannelSid;
      const was = this.readyFlags.get(channel.sid) ?? false;
      this.readyFlags.set(channel.sid, isReady);
      if (isReady && !was && !touch) {
        // Touched, the offer or the activity change that moved it marks it already.
        channel.lastFreedAt = now;
        freed.push(channel);
      }
      if (!queues || (was === isReady && !touch)) continue;
      for (const queueSid of queues) {
        const set = this.readySet(queueSid, channel.taskChannelSid);
        if (!isReady) set.delete(worker.sid);
        else if (touch || !set.has(worker.sid)) {
          set.delete(worker.sid);
          set.add(worker.sid);
        }
      }
    }
    return freed;
  }

  private membersOf(queueSid: string): Set<string> {
    let set = this.members.get(queueSid);
    if (!set) this.members.set(queueSid, (set = new Set()));
    return set;
  }

  private readySet(queueSid: string, channelSid: string): Set<string> {
    let byChannel = this.ready.get(queueSid);
    if (!byChannel) this.ready.set(queueSid, (byChannel = new Map()));
    let set = byChannel.get(channelSid);
    if (!set) byChannel.set(channelSid, (set = new Set()));
    return set;
  }

  private join(workerSid: string, queueSid: string): void {
    this.membersOf(queueSid).add(workerSid);
    this.addQueueOf(workerSid, queueSid);
    const worker = this.state.workers.get(workerSid);
    for (const channel of this.state.channelsOfWorker.get(workerSid)?.values() ?? []) {
      if (worker && this.state.freeCapacity(worker, channel) > 0) this.addInIdleOrder(queueSid, channel);
    }
  }

  /**
   * Adds a worker channel to its queue's ready set at its place in idle order (`compareIdle`), as a
   * rebuild or a restore places it: a worker that joins a queue has been idle as long as it has.
   * Usually that is the back (a new worker, one whose activity just changed); otherwise the set is
   * rebuilt around it.
   */
  private addInIdleOrder(queueSid: string, channel: WorkerChannelRecord): void {
    const set = this.readySet(queueSid, channel.taskChannelSid);
    const since = this.idleSince(channel);
    if (since >= this.latestIdle) {
      this.latestIdle = since;
      set.add(channel.workerSid);
      return;
    }
    const order = [...set];
    // From the back: workers idle since later than this one stay behind it.
    let at = order.length;
    while (at > 0) {
      const other = this.state.channelsOfWorker.get(order[at - 1]!)?.get(channel.taskChannelSid);
      if (!other || this.compareIdle(other, channel) <= 0) break;
      at -= 1;
    }
    if (at === order.length) {
      set.add(channel.workerSid);
      return;
    }
    order.splice(at, 0, channel.workerSid);
    this.ready.get(queueSid)!.set(channel.taskChannelSid, new Set(order));
  }

  private addQueueOf(workerSid: string, queueSid: string): void {
    let queues = this.queuesOfWorker.get(workerSid);
    if (!queues) this.queuesOfWorker.set(workerSid, (queues = new Set()));
    queues.add(queueSid);
  }

  private leave(workerSid: string, queueSid: string): void {
    this.members.get(queueSid)?.delete(workerSid);
    this.queuesOfWorker.get(workerSid)?.delete(queueSid);
    for (const set of this.ready.get(queueSid)?.values() ?? []) set.delete(workerSid);
  }
}

/** The worker a task's RoutingTarget names, or null. */
function targetWorkerOf(task: TaskRecord): string | null {
  return task.routingTarget?.startsWith('WK') ? task.routingTarget : null;
}

const EMPTY: ReadonlySet<string> = new Set();
const EMPTY_TASKS: ReadonlySet<TaskRecord> = new Set();
const EMPTY_MAP: ReadonlyMap<string, WaitingList> = new Map();
