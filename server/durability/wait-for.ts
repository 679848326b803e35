/** Options of `waitFor`. */
export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Poll this often (default 10 ms). */
  everyMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

/**
 * Polls `probe` until it returns something other than undefined/false and resolves with that;
 * rejects after the timeout. Tests wait for a state this way instead of sleeping a fixed time.
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 10, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
