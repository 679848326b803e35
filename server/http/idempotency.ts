/**
 * `Idempotency-Key` for POST requests: the first request with a key runs; a retry with the same key
 * and the same parameters gets the first one's answer (even while it is still running) instead of
 * running again; the same key with other parameters is refused with 409. Keys are scoped to the
 * caller (the account, or one worker), kept 24 hours, and at most `maxEntries` are remembered.
 */
import { createHash } from 'node:crypto';
import { fail, SwitchboardError } from '../../shared/errors.js';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** Keys remembered at most (oldest forgotten first). */
export const IDEMPOTENCY_MAX_ENTRIES = 10_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

interface Entry<R> {
  fingerprint: string;
  expiresAt: number;
  result: Promise<R>;
}

/** The remembered answers of one hub. */
export class IdempotencyCache<R> {
  private readonly entries = new Map<string, Entry<R>>();

  constructor(
    private readonly now: () => number,
    private readonly maxEntries = IDEMPOTENCY_MAX_ENTRIES,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
  ) {}

  /**
   * Runs `run` once per (scope, key): a repeat with the same fingerprint gets the same result
   * (`replayed` true), one with another fingerprint a 409. Server failures (5xx) are not remembered,
   * so a retry after one runs again.
   */
  async run(scope: string, key: string, request: unknown, run: () => Promise<R>): Promise<{ result: R; replayed: boolean }> {
    if (!KEY.test(key)) throw fail('BAD_REQUEST', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    const now = this.now();
    const id = `${scope}\n${key}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('base64url');
    const found = this.entries.get(id);
    if (found && found.expiresAt > now) {
      if (found.fingerprint !== fingerprint) throw fail('CONFLICT', 'This Idempotency-Key was already used with other parameters');
      return { result: await found.result, replayed: true };
    }
    if (found) this.entries.delete(id);
    const result = run();
    this.entries.set(id, { fingerprint, expiresAt: now + this.ttlMs, result });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    try {
      return { result: await result, replayed: false };
    } catch (error) {
      if (!(error instanceof SwitchboardError) || error.status >= 500) this.entries.delete(id);
      throw error;
    }
  }
}
