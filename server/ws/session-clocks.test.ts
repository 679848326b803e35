/** The session's two clocks, on a manual clock: the rate limit's bucket and the token's deadlines. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from './rate-limit.js';
import { TokenClock } from './token-clock.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it.each([
    // [rate, burst, takes at t=0, then wait ms, takes allowed after the wait]
    [100, 100, 100, 0, 0],
    [100, 100, 100, 10, 1],
    [100, 100, 100, 500, 50],
    [100, 100, 100, 5000, 100],
    [5, 10, 10, 1000, 5],
  ])('rate %i burst %i: %i at once, then after %i ms %i more', (rate, burst, first, wait, after) => {
    const bucket = new TokenBucket(rate, burst, 0);
    let taken = 0;
    while (bucket.take(0)) taken += 1;
    expect(taken).toBe(first);
    let more = 0;
    while (bucket.take(wait)) more += 1;
    expect(more).toBe(after);
  });

  it('ignores a clock that goes backwards', () => {
    const bucket = new TokenBucket(10, 1, 1000);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(500)).toBe(false);
  });
});

describe('TokenClock', () => {
  it('warns lead ms before expiry, then expires; re-arming moves both deadlines', () => {
    vi.useFakeTimers({ now: 0 });
    const seen: string[] = [];
    const clock = new TokenClock(Date.now, 30_000, { expiring: (at) => seen.push(`expiring ${at}`), expired: () => seen.push(`expired ${Date.now()}`) });
    clock.arm(60_000);
    vi.advanceTimersByTime(29_999);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['expiring 60000']);
    clock.arm(120_000);
    vi.advanceTimersByTime(60_000);
    expect(seen).toEqual(['expiring 60000', 'expiring 120000']);
    vi.advanceTimersByTime(30_000);
    expect(seen).toEqual(['expiring 60000', 'expiring 120000', 'expired 120000']);
  });

  it('fires a past deadline on a later turn, not during arm()', () => {
    vi.useFakeTimers({ now: 10_000 });
    const seen: string[] = [];
    const clock = new TokenClock(Date.now, 30_000, { expiring: () => seen.push('expiring'), expired: () => seen.push('expired') });
    clock.arm(20_000);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(seen).toEqual(['expiring']);
    vi.advanceTimersByTime(10_000);
    expect(seen).toEqual(['expiring', 'expired']);
  });

  it('waits out lifetimes longer than a Node timer can, and stops cleanly', () => {
    vi.useFakeTimers({ now: 0 });
    const seen: string[] = [];
    const clock = new TokenClock(Date.now, 0, { expiring: () => undefined, expired: () => seen.push('expired') });
    const fortyDays = 40 * 24 * 3600 * 1000;
    clock.arm(fortyDays);
    vi.advanceTimersByTime(fortyDays - 1);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['expired']);
    clock.arm(fortyDays * 2);
    clock.stop();
    vi.advanceTimersByTime(fortyDays * 2);
    expect(seen).toEqual(['expired']);
  });
});
