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

  it('starts event SIDs with the time, so they sort as the events happened', () => {
    let now = Date.UTC(2026, 10, 28, 12, 0, 0);
    const ids = pooledIds(4096, () => now);
    const sids: string[] = [];
    for (let i = 0; i < 500; i++) {
      sids.push(ids('EV'));
      now += i % 3; // several events in the same millisecond too
    }
    expect(sids.every((sid) => isSid('EV', sid))).toBe(true);
    expect(new Set(sids).size).toBe(500);
    const byTime = (sid: string) => parseInt(sid.slice(2, 14), 16);
    expect(byTime(sids[0]!)).toBe(Date.UTC(2026, 10, 28, 12, 0, 0));
    for (let i = 1; i < sids.length; i++) expect(byTime(sids[i]!)).toBeGreaterThanOrEqual(byTime(sids[i - 1]!));
  });
});
