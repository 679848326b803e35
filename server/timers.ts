/** Node caps a timer's delay at 2^31-1 ms; a longer deadline is re-armed in steps. */
const MAX_DELAY_MS = 2_147_483_647;

/** What the hub needs of its timers: one per key, absolute deadlines, setting a key again replaces it. */
export interface TimerTable {
  set(key: string, at: number): void;
  clear(key: string): void;
  clearAll(): void;
}

/**
 * Real timers for the engine's timer effects, one per key: setting a key again replaces it.
 * Deadlines are absolute, so one that has already passed fires on the next turn of the loop.
 */
export class Timers implements TimerTable {
  private readonly handles = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly now: () => number,
    private readonly fire: (key: string) => void,
  ) {}

  /** Number of armed timers. */
  get size(): number {
    return this.handles.size;
  }

  /** Arms `key` for time `at` (epoch ms). */
  set(key: string, at: number): void {
    this.clear(key);
    const delay = Math.max(0, at - this.now());
    const handle = setTimeout(() => {
      this.handles.delete(key);
      // Node may fire a timer ~1 ms before `now()` reaches its deadline (and caps long delays):
      // arm it again rather than deliver a firing the engine would ignore as early.
      if (this.now() < at) this.set(key, at);
      else this.fire(key);
    }, Math.min(delay, MAX_DELAY_MS));
    handle.unref();
    this.handles.set(key, handle);
  }

  /** Disarms `key`. */
  clear(key: string): void {
    const handle = this.handles.get(key);
    if (handle) {
      clearTimeout(handle);
      this.handles.delete(key);
    }
  }

  /** Disarms every timer whose key ends with `suffix` (a workspace going away). */
  clearAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
  }
}
