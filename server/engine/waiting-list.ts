import type { TaskRecord } from './model.js';

/**
 * Tasks waiting in one queue for one channel, kept in routing order: highest priority first,
 * then oldest (FIFO) or newest (LIFO) `virtualStartTime`, then SID for a total order.
 * Insert and remove are a binary search plus one splice.
 */
export class WaitingList {
  private readonly items: TaskRecord[] = [];

  constructor(private readonly lifo: boolean) {}

  /** Number of tasks waiting. */
  get size(): number {
    return this.items.length;
  }

  /** Tasks in routing order. */
  [Symbol.iterator](): IterableIterator<TaskRecord> {
    return this.items[Symbol.iterator]();
  }

  /** The first task in routing order. */
  first(): TaskRecord | undefined {
    return this.items[0];
  }

  /** Adds a task; its priority and virtual start time must not change while it is listed. */
  insert(task: TaskRecord): void {
    this.items.splice(this.lowerBound(task), 0, task);
  }

  /** Removes a task; true when it was listed. */
  remove(task: TaskRecord): boolean {
    const i = this.lowerBound(task);
    if (this.items[i] !== task) return false;
    this.items.splice(i, 1);
    return true;
  }

  private lowerBound(task: TaskRecord): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(this.items[mid]!, task)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private before(a: TaskRecord, b: TaskRecord): boolean {
    if (a.priority !== b.priority) return a.priority > b.priority;
    if (a.virtualStartTime !== b.virtualStartTime) {
      return this.lifo ? a.virtualStartTime > b.virtualStartTime : a.virtualStartTime < b.virtualStartTime;
    }
    return a.sid < b.sid;
  }
}
