/**
 * Finished tasks waiting for their purge, first due first. Every finished task is kept for the
 * same retention, so they come due in the order they finished: one timer for the workspace, armed
 * for the first of them, replaces a timer per task (320 bytes of heap each, for the 300,000 tasks
 * five minutes hold at 1,000 tasks/s). A task dropped before its turn (deleted) leaves its SID
 * behind, skipped when it comes to the front. One array slot per task. (A system clock set back
 * while tasks finish delays the tasks queued behind by as much: they wait for the one in front.)
 */
export class PurgeQueue {
  private sids: string[] = [];
  private head = 0;

  /** Queues a task that just finished (due after those queued before it). */
  push(sid: string): void {
    this.sids.push(sid);
  }

  /** The SID at the front, or undefined when none is queued. */
  first(): string | undefined {
    return this.sids[this.head];
  }

  /** Takes the SID at the front off the queue. */
  shift(): void {
    this.head += 1;
    // Drop the consumed slots once they are the larger part.
    if (this.head >= 1_024 && this.head * 2 >= this.sids.length) {
      this.sids = this.sids.slice(this.head);
      this.head = 0;
    }
  }

  /** Replaces the queue (a restore): these SIDs, first due first. */
  reset(sids: string[]): void {
    this.sids = sids;
    this.head = 0;
  }
}
