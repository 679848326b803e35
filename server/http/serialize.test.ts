import { describe, expect, it } from 'vitest';
import { isoDate } from './serialize.js';

describe('isoDate', () => {
  it('prints TaskRouter dates to the second, for times in any order', () => {
    const times = [Date.UTC(2015, 6, 31, 1, 9, 51, 999), Date.UTC(2015, 6, 31, 1, 9, 51, 0), Date.UTC(2026, 10, 28, 23, 59, 59, 500), Date.UTC(2015, 6, 31, 1, 9, 52), 0];
    expect(times.map(isoDate)).toEqual(['2015-07-31T01:09:51Z', '2015-07-31T01:09:51Z', '2026-11-28T23:59:59Z', '2015-07-31T01:09:52Z', '1970-01-01T00:00:00Z']);
    for (let i = 0; i < 1000; i++) {
      const ms = Math.floor(Math.random() * 4e12);
      expect(isoDate(ms)).toBe(new Date(ms).toISOString().slice(0, 19) + 'Z');
    }
  });
});
