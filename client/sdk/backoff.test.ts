import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it.each([
    [0, 500],
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [6, 30_000],
    [60, 30_000],
    [5000, 30_000],
  ])('attempt %i draws below a ceiling of %i ms', (attempt, ceiling) => {
    expect(backoffDelay(attempt, {}, () => 0)).toBe(0);
    expect(backoffDelay(attempt, {}, () => 0.5)).toBe(Math.floor(ceiling / 2));
    expect(backoffDelay(attempt, {}, () => 0.999999)).toBe(ceiling - 1);
  });

  it('is a pure function of the attempt and the draw', () => {
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000 }, () => 0.25)).toBe(200);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000 }, () => 0.25)).toBe(200);
  });

  it('spreads many clients over the window (full jitter)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = Array.from({ length: 1000 }, () => backoffDelay(4, {}, random));
    expect(Math.min(...delays)).toBeLessThan(800);
    expect(Math.max(...delays)).toBeGreaterThan(7200);
    expect(delays.every((d) => d >= 0 && d < 8000)).toBe(true);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, {}, () => 0.999999)).toBe(499);
  });
});
