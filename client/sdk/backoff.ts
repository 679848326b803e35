/** Bounds of the reconnect delay. */
export interface BackoffOptions {
  /** Ceiling of the first attempt's delay, ms (default 500). */
  baseMs?: number;
  /** Largest ceiling, ms (default 30 000). */
  maxMs?: number;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first): "full jitter", a uniform draw
 * from [0, min(max, base * 2^attempt)). A pure function of the attempt and the random draw, so
 * many agents cut off at once do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 30_000;
  // 2^attempt overflows to Infinity long after it passes any sane max; min() keeps it finite.
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}
