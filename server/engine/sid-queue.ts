/**
 * SIDs in the order they were queued, taken from the front: finished tasks waiting for their
 * archive or their purge (every finished task waits the same time, so they come due in the order
 * they finished: one timer for the workspace, armed for the first of them, replaces a timer per
 * task), and an archived worker's tasks. A SID dropped before its turn (a task deleted) stays
 * behind, skipped when it comes to the front. One array slot per SID. (A system clock set back
 * while tasks finish delays the tasks queued behind by as much: they wait for the one in front.)
 */
export class SidQueue {
  private sids: string[] = [];
  private head = 0;

  /** Queues a SID (due after those queued before it). */
  push(sid: string): void {
    this.sids.push(sid);
  }

  /** The SID at the front, or undefined when none is queued. */
  first(): string | undefined {
    return this.sids[this.head];
  }

  /** The SID queued last, or undefined when none is. */
  last(): string | undefined {
    return this.head < this.sids.length ? this.sids[this.sids.length - 1] : undefined;
  }

  /** SIDs queued and not yet taken. */
  get size(): number {
    return this.sids.length - this.head;
  }

  /** Takes the SID at the front off the queue. */
  shift(): void {
    this.head += 1;
    // Drop the consumed slots once they are the larger part (a worker's queue holds a few dozen: the bar is low).
    if (this.head >= 64 && this.head * 2 >= this.sids.length) {
      this.sids = this.sids.slice(this.head);
      this.head = 0;
    }
  }

  /** Replaces the queue (a restore): these SIDs, first due first. */
  reset(sids: string[]): void {
    this.sids = sids;
    this.head = 0;
  }

  /** The SIDs queued, front first. */
  *[Symbol.iterator](): Generator<string> {
    for (let i = this.head; i < this.sids.length; i += 1) yield this.sids[i]!;
  }
}
