/** A clock that moves only when told to; tests read `now` instead of Date.now(). */
export class ManualClock {
  constructor(public now = Date.UTC(2025, 0, 1)) {}

  /** Moves the clock forward by `ms` (never backwards). */
  advance(ms: number): number {
    if (ms < 0) throw new Error(`ManualClock cannot go back ${ms} ms`);
    this.now += ms;
    return this.now;
  }

  /** Moves the clock to `at` if that is later than now. */
  moveTo(at: number): number {
    if (at > this.now) this.now = at;
    return this.now;
  }
}
