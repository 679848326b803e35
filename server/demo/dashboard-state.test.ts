/** The dashboard's recent tasks: picked in one pass, in the order a stable sort by creation date would give. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../engine/model.js';
import { newest } from './dashboard-state.js';

describe('newest', () => {
  it('gives the first `count` of a stable sort, newest first, ties in the order the tasks came', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), fc.integer({ min: 0, max: 15 }), (dates, count) => {
        const tasks = dates.map((dateCreated, i) => ({ sid: `WT${i}`, dateCreated }) as TaskRecord);
        const sorted = [...tasks].sort((a, b) => b.dateCreated - a.dateCreated).slice(0, count);
        expect(newest(tasks, count, (t) => t.dateCreated).map((t) => t.sid)).toEqual(sorted.map((t) => t.sid));
      }),
      { numRuns: 500 },
    );
  });
});
