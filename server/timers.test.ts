import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FIRES_PER_TURN, Timers } from './timers.js';

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

/** Timers on the fake clock, with the keys they fired, each as `key@time`. */
function timers(onFire?: (key: string, t: Timers) => void): { t: Timers; fired: string[] } {
  const fired: string[] = [];
  const t: Timers = new Timers(Date.now, (key) => {
    fired.push(`${key}@${Date.now() - 1_000_000}`);
    onFire?.(key, t);
  });
  return { t, fired };
}

describe('Timers', () => {
  it('fires each key at its deadline, earliest first, keys due together in the order they were set', () => {
    const { t, fired } = timers();
    t.set('c', 1_000_300);
    t.set('a', 1_000_100);
    t.set('b2', 1_000_200);
    t.set('b1', 1_000_200);
    expect(t.size).toBe(4);
    vi.advanceTimersByTime(150);
    expect(fired).toEqual(['a@100']);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(['a@100', 'b2@200', 'b1@200', 'c@300']);
    expect(t.size).toBe(0);
  });

  it('setting a key again replaces its deadline; a cleared key never fires', () => {
    const { t, fired } = timers();
    t.set('moved', 1_000_100);
    t.set('moved', 1_000_500);
    t.set('gone', 1_000_200);
    t.clear('gone');
    t.set('back', 1_000_300);
    t.clear('back');
    t.set('back', 1_000_400);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(['back@400', 'moved@500']);
  });

  it('fires a deadline already past on the next turn, and a key set while firing on its own turn', () => {
    const { t, fired } = timers((key, self) => {
      if (key === 'first') self.set('then', Date.now());
    });
    t.set('first', 999_000);
    expect(fired).toEqual([]);
    vi.advanceTimersToNextTimer();
    expect(fired).toEqual(['first@0']);
    vi.advanceTimersToNextTimer();
    expect(fired).toEqual(['first@0', 'then@1']);
  });

  it('fires at most FIRES_PER_TURN keys a turn, the rest on the next turns, in the order they were set', () => {
    const { t, fired } = timers();
    const keys = Array.from({ length: 2 * FIRES_PER_TURN + 10 }, (_, i) => `k${i}`);
    for (const key of keys) t.set(key, 1_000_100);
    vi.advanceTimersByTime(100);
    const turns = [fired.length];
    while (t.size > 0) {
      vi.advanceTimersToNextTimer();
      turns.push(fired.length);
    }
    expect(turns).toEqual([FIRES_PER_TURN, 2 * FIRES_PER_TURN, keys.length]);
    expect(fired.map((f) => f.split('@')[0])).toEqual(keys);
  });

  it('does not fire before the clock reaches a deadline, even if woken early', () => {
    let skew = 0;
    const fired: string[] = [];
    // A clock that lags the timer queue by `skew` ms, as Node's can by a millisecond.
    const t = new Timers(
      () => Date.now() - skew,
      (key) => fired.push(key),
    );
    t.set('k', 1_000_100);
    skew = 1;
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    skew = 0;
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['k']);
  });

  it('holds many timers on one Node timer and drops the entries of cleared ones', () => {
    const { t, fired } = timers();
    for (let i = 0; i < 20_000; i += 1) t.set(`k${i}`, 1_000_000 + 1 + (i % 1_000));
    expect(vi.getTimerCount()).toBe(1);
    // Clearing 19,000 leaves their entries queued until the queue is compacted by later sets.
    for (let i = 0; i < 19_000; i += 1) t.clear(`k${i}`);
    for (let i = 0; i < 2_000; i += 1) t.set(`k${i}`, 1_000_000 + 2_000 + i);
    expect(t.size).toBe(3_000);
    expect((t as unknown as { ats: number[] }).ats.length).toBeLessThan(2 * 3_000 + 1_024 + 1);
    vi.advanceTimersByTime(5_000);
    expect(fired).toHaveLength(3_000);
    const times = fired.map((f) => Number(f.split('@')[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(fired.map((f) => f.split('@')[0]))).toEqual(new Set([...Array.from({ length: 1_000 }, (_, i) => `k${19_000 + i}`), ...Array.from({ length: 2_000 }, (_, i) => `k${i}`)]));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clearAll disarms everything', () => {
    const { t, fired } = timers();
    t.set('a', 1_000_010);
    t.set('b', 1_000_020);
    t.clearAll();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    expect(t.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
