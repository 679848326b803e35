/** Node caps a timer's delay at 2^31-1 ms; a longer wait is made in steps. */
const MAX_DELAY_MS = 2_147_483_647;
/** Entries of cleared or re-set keys are dropped from the queue once they outnumber the armed ones by this much. */
const STALE_SLACK = 1_024;
/**
 * Keys one turn of the loop fires at most; the rest fire on the next turns, after the loop has read
 * its sockets. Each firing is an engine step: thousands of offers made in one step time out in the
 * same millisecond, and firing them all at once held every request and frame of that moment.
 */
export const FIRES_PER_TURN = 64;

/** What the hub needs of its timers: one per key, absolute deadlines, setting a key again replaces it. */
export interface TimerTable {
  set(key: string, at: number): void;
  clear(key: string): void;
  clearAll(): void;
}

/**
 * Real timers for the engine's timer effects, one per key: setting a key again replaces it.
 * Deadlines are absolute, so one that has already passed fires on the next turn of the loop.
 *
 * A hub arms a timer for every offer and every waiting task (its TTL, its workflow target's
 * deadline), and one per workspace for the purge of its finished tasks, so there can be tens of
 * thousands. They share one Node timer, armed for the
 * earliest deadline of a priority queue: each armed key costs a map entry and three array slots
 * rather than a Node `Timeout` and its closure, which the garbage collector would trace on every
 * collection. Keys due at the same moment fire in the order they were set, `FIRES_PER_TURN` a turn.
 */
export class Timers implements TimerTable {
  /** key -> the arming that is current (its sequence number). */
  private readonly armed = new Map<string, number>();
  /** Min-heap on (deadline, sequence), in parallel arrays; entries whose sequence is no longer current are skipped. */
  private ats: number[] = [];
  private seqs: number[] = [];
  private keys: string[] = [];
  private nextSeq = 0;
  private handle: NodeJS.Timeout | undefined;
  /** The deadline the Node timer is armed for. */
  private handleAt = Infinity;

  constructor(
    private readonly now: () => number,
    private readonly fire: (key: string) => void,
  ) {}

  /** Number of armed timers. */
  get size(): number {
    return this.armed.size;
  }

  /** Arms `key` for time `at` (epoch ms), replacing its earlier deadline. */
  set(key: string, at: number): void {
    const seq = this.nextSeq++;
    this.armed.set(key, seq);
    this.push(at, seq, key);
    if (this.ats.length > 2 * this.armed.size + STALE_SLACK) this.compact();
    this.schedule();
  }

  /** Disarms `key`. Its queue entry stays until it surfaces or the queue is compacted. */
  clear(key: string): void {
    this.armed.delete(key);
  }

  /** Disarms every timer. */
  clearAll(): void {
    this.armed.clear();
    this.ats = [];
    this.seqs = [];
    this.keys = [];
    this.unschedule();
  }

  /** Keeps the Node timer armed for the earliest queued deadline. */
  private schedule(): void {
    const next = this.ats[0];
    if (next === undefined) return this.unschedule();
    if (this.handle && this.handleAt <= next) return;
    this.unschedule();
    this.handleAt = next;
    this.handle = setTimeout(() => this.run(), Math.min(Math.max(0, next - this.now()), MAX_DELAY_MS));
    this.handle.unref();
  }

  private unschedule(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.handleAt = Infinity;
  }

  /** Fires the keys whose deadline has come, earliest first, `FIRES_PER_TURN` at most. */
  private run(): void {
    this.handle = undefined;
    this.handleAt = Infinity;
    // Node may wake ~1 ms before `now()` reaches a deadline (and caps long delays): what is not due waits.
    const now = this.now();
    const due: string[] = [];
    while (this.ats.length > 0 && this.ats[0]! <= now && due.length < FIRES_PER_TURN) {
      const seq = this.seqs[0]!;
      const key = this.keys[0]!;
      this.pop();
      if (this.armed.get(key) === seq) {
        this.armed.delete(key);
        due.push(key);
      }
    }
    // Armed again before firing, so the keys left due, and a key the firing sets (even for now), get turns of their own.
    this.schedule();
    for (const key of due) this.fire(key);
  }

  /** Rebuilds the queue from its current entries only. */
  private compact(): void {
    const live: number[] = [];
    for (let i = 0; i < this.keys.length; i += 1) if (this.armed.get(this.keys[i]!) === this.seqs[i]) live.push(i);
    this.ats = live.map((i) => this.ats[i]!);
    this.seqs = live.map((i) => this.seqs[i]!);
    this.keys = live.map((i) => this.keys[i]!);
    for (let i = (this.ats.length >> 1) - 1; i >= 0; i -= 1) this.down(i);
  }

  private before(i: number, j: number): boolean {
    const a = this.ats[i]!;
    const b = this.ats[j]!;
    return a < b || (a === b && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const at = this.ats[i]!;
    this.ats[i] = this.ats[j]!;
    this.ats[j] = at;
    const seq = this.seqs[i]!;
    this.seqs[i] = this.seqs[j]!;
    this.seqs[j] = seq;
    const key = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = key;
  }

  private push(at: number, seq: number, key: string): void {
    let i = this.ats.length;
    this.ats.push(at);
    this.seqs.push(seq);
    this.keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const last = this.ats.length - 1;
    this.swap(0, last);
    this.ats.pop();
    this.seqs.pop();
    this.keys.pop();
    this.down(0);
  }

  private down(i: number): void {
    const n = this.ats.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.before(right, left) ? right : left;
      if (!this.before(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }
}
