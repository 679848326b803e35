import type { Effect } from '../effects.js';

/** The timers a shell would have armed, tracked from `timer.set` / `timer.clear` effects. */
export class TimerTable {
  private readonly armed = new Map<string, { at: number; seq: number }>();
  private seq = 0;

  /** Applies the timer effects of one step. */
  apply(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.type === 'timer.set') this.armed.set(effect.key, { at: effect.at, seq: (this.seq += 1) });
      else if (effect.type === 'timer.clear') this.armed.delete(effect.key);
    }
  }

  /** The earliest armed timer due at or before `now` (ties: the one armed first), disarmed as it fires. */
  takeDue(now: number): { key: string; at: number } | undefined {
    let best: { key: string; at: number; seq: number } | undefined;
    for (const [key, { at, seq }] of this.armed) {
      if (at > now) continue;
      if (!best || at < best.at || (at === best.at && seq < best.seq)) best = { key, at, seq };
    }
    if (!best) return undefined;
    this.armed.delete(best.key);
    return { key: best.key, at: best.at };
  }

  /** Deadline of an armed timer, or undefined. */
  at(key: string): number | undefined {
    return this.armed.get(key)?.at;
  }

  /** Every armed timer as `key -> at`. */
  entries(): Map<string, number> {
    return new Map([...this.armed].map(([key, { at }]) => [key, at]));
  }
}
