import { describe, expect, it } from 'vitest';
import { isSid } from '../shared/sid.js';
import { pooledIds } from './ids.js';

describe('pooledIds', () => {
  it('draws well-formed, distinct random SIDs across pool refills', () => {
    const ids = pooledIds(64); // four SIDs per refill
    const sids = Array.from({ length: 1000 }, () => ids('WK'));
    expect(sids.every((sid) => isSid('WK', sid))).toBe(true);
    expect(new Set(sids).size).toBe(1000);
    // Random, not time-ordered: the order they were drawn in is not their sorted order.
    expect([...sids].sort()).not.toEqual(sids);
  });

  it('draws event, task and reservation SIDs in order: by time, then by a sequence within the millisecond, even if the clock goes back', () => {
    let now = Date.UTC(2026, 10, 28, 12, 0, 0);
    const ids = pooledIds(4096, () => now);
    const sids: string[] = [];
    const prefixes = ['EV', 'WT', 'WR'] as const;
    for (let i = 0; i < 500; i++) {
      sids.push(ids(prefixes[i % 3]!));
      now += i % 3 === 0 ? 1 : 0; // several events in the same millisecond
      if (i === 250) now -= 5_000; // the wall clock is set back
    }
    expect(sids.every((sid, i) => isSid(prefixes[i % 3]!, sid))).toBe(true);
    expect(new Set(sids).size).toBe(500);
    expect(parseInt(sids[0]!.slice(2, 14), 16)).toBe(Date.UTC(2026, 10, 28, 12, 0, 0));
    const digits = sids.map((sid) => sid.slice(2));
    expect([...digits].sort()).toEqual(digits);
  });
});
