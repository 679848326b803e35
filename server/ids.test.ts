import { describe, expect, it } from 'vitest';
import { isSid } from '../shared/sid.js';
import { pooledIds } from './ids.js';

describe('pooledIds', () => {
  it('draws well-formed, distinct random SIDs across pool refills', () => {
    const ids = pooledIds(64); // four SIDs per refill
    const sids = Array.from({ length: 1000 }, () => ids('WT'));
    expect(sids.every((sid) => isSid('WT', sid))).toBe(true);
    expect(new Set(sids).size).toBe(1000);
    // Random, not time-ordered: the order they were drawn in is not their sorted order.
    expect([...sids].sort()).not.toEqual(sids);
  });

  it('draws event SIDs in order: by time, then by a sequence within the millisecond, even if the clock goes back', () => {
    let now = Date.UTC(2026, 10, 28, 12, 0, 0);
    const ids = pooledIds(4096, () => now);
    const sids: string[] = [];
    for (let i = 0; i < 500; i++) {
      sids.push(ids('EV'));
      now += i % 3 === 0 ? 1 : 0; // several events in the same millisecond
      if (i === 250) now -= 5_000; // the wall clock is set back
    }
    expect(sids.every((sid) => isSid('EV', sid))).toBe(true);
    expect(new Set(sids).size).toBe(500);
    expect(parseInt(sids[0]!.slice(2, 14), 16)).toBe(Date.UTC(2026, 10, 28, 12, 0, 0));
    expect([...sids].sort()).toEqual(sids);
  });
});
