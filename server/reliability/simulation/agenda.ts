/** One happening on the agenda; `cancelled` ones are skipped when their time comes. */
export interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/**
 * Virtual time and what happens when: a binary heap ordered by time, then by the order of
 * scheduling, so two happenings at the same millisecond always run in the same order.
 */
export class Agenda {
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  constructor(
    /** The current virtual time (epoch ms); moves only when `pop` reaches a later happening. */
    public now: number,
  ) {}

  /** Number of happenings still scheduled (cancelled ones included until they are reached). */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `run` at `at` (never before now). */
  at(at: number, run: () => void): Scheduled {
    const entry: Scheduled = { at: Math.max(at, this.now), seq: this.seq++, run, cancelled: false };
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
    return entry;
  }

  /** Schedules `run` after `delayMs`. */
  after(delayMs: number, run: () => void): Scheduled {
    return this.at(this.now + delayMs, run);
  }

  /** The time of the next live happening, or Infinity when there is none. */
  peekTime(): number {
    this.dropCancelled();
    return this.heap[0]?.at ?? Infinity;
  }

  /** Removes the next live happening and moves the clock to its time. */
  pop(): Scheduled | undefined {
    this.dropCancelled();
    const top = this.removeTop();
    if (top) this.now = top.at;
    return top;
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.removeTop();
  }

  private removeTop(): Scheduled | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (!top || !last || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = last;
      let at = -1;
      if (l < heap.length && before(heap[l]!, smallest)) (smallest = heap[l]!), (at = l);
      if (r < heap.length && before(heap[r]!, smallest)) (smallest = heap[r]!), (at = r);
      if (at < 0) break;
      heap[i] = smallest;
      i = at;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
