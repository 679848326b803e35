/**
 * The two deadlines of a session's token: a warning `leadMs` before it expires, and the expiry
 * itself. Re-armed by `token.update`; long lifetimes are waited out in steps, since a Node timer
 * cannot wait more than about 24.8 days.
 */

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What happens at each deadline. */
export interface TokenClockHandlers {
  /** The token expires at `expiresAt` (epoch ms) unless replaced. */
  expiring(expiresAt: number): void;
  /** The token has expired. */
  expired(): void;
}

/** Calls `fn` at time `at` of `now`'s clock, however far away; returns the cancel function. */
function at(now: () => number, when: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const wait = () => {
    const delay = when - now();
    if (delay <= 0) {
      timer = undefined;
      fn();
      return;
    }
    timer = setTimeout(wait, Math.min(delay, MAX_TIMER_MS));
    timer.unref?.();
  };
  // Even a past deadline fires on a later turn, so the caller finishes what it was doing first.
  timer = setTimeout(wait, 0);
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}

/** A token's warning and expiry timers. */
export class TokenClock {
  private cancels: Array<() => void> = [];

  constructor(
    private readonly now: () => number,
    private readonly leadMs: number,
    private readonly handlers: TokenClockHandlers,
  ) {}

  /** (Re)arms both deadlines for a token expiring at `expiresAt` (epoch ms). */
  arm(expiresAt: number): void {
    this.stop();
    this.cancels = [
      at(this.now, expiresAt - this.leadMs, () => this.handlers.expiring(expiresAt)),
      at(this.now, expiresAt, () => this.handlers.expired()),
    ];
  }

  /** Disarms both deadlines. */
  stop(): void {
    for (const cancel of this.cancels) cancel();
    this.cancels = [];
  }
}
