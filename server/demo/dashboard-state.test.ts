/** The dashboard's state: recent tasks picked in one pass, and workers counted by activity with the first of each listed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../engine/model.js';
import { EngineHarness } from '../engine/test-support/engine-harness.js';
import { dashboardState, first, newest, WORKERS_PER_ACTIVITY } from './dashboard-state.js';

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

describe('first', () => {
  it('gives the first `count` of a stable sort by the comparison', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 2 }), { maxLength: 60 }), fc.integer({ min: 0, max: 15 }), (names, count) => {
        const items = names.map((name, i) => ({ name, i }));
        const compare = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
        expect(first(items, count, compare)).toEqual([...items].sort(compare).slice(0, count));
      }),
      { numRuns: 500 },
    );
  });
});

describe('dashboardState', () => {
  it('counts every worker of each activity and lists the first of each by name', () => {
    const h = EngineHarness.create();
    const names = Array.from({ length: WORKERS_PER_ACTIVITY + 20 }, (_, i) => `Agent ${String((i * 37) % (WORKERS_PER_ACTIVITY + 20)).padStart(3, '0')}`);
    for (const name of names) h.addWorker(name);
    for (const name of ['Zoe', 'Yann', 'Xavier']) h.addWorker(name, { activity: 'Offline' });
    const state = dashboardState(h.state, h.clock.now, []);
    const count = (activity: string) => state.activities.find((a) => a.friendly_name === activity)?.workers;
    expect([count('Available'), count('Offline'), count('Unavailable')]).toEqual([WORKERS_PER_ACTIVITY + 20, 3, 0]);
    const listed = (activity: string) => state.workers.filter((w) => w.activity_name === activity).map((w) => w.friendly_name);
    expect(listed('Available')).toEqual([...names].sort().slice(0, WORKERS_PER_ACTIVITY));
    expect(listed('Offline')).toEqual(['Xavier', 'Yann', 'Zoe']);
    expect(state.workers.map((w) => w.friendly_name)).toEqual([...listed('Available'), 'Xavier', 'Yann', 'Zoe']);
  });
});
