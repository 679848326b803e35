import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../engine/model.js';
import { emptyTally, tallyEvents, type EventTally } from '../../store/event-summary.js';
import { cumulative, durations } from './cumulative.js';

const WINDOW = { start: 0, end: 60_000 };

function event(eventType: string, age: number, i: number): EventRecord {
  return {
    sid: `EV${String(i).padStart(32, '0')}`,
    workspaceSid: 'WS',
    date: 1000,
    actorType: 'system',
    actorSid: null,
    eventType,
    description: '',
    resourceType: 'task',
    resourceSid: 'WT',
    workerSid: null,
    data: { task_age: age },
  } as EventRecord;
}

const tally = (events: EventRecord[]): EventTally => tallyEvents(events, { workspaceSid: 'WS' }).get('') ?? emptyTally();

type Split = { above: { tasks_canceled: number; reservations_accepted: number }; below: { tasks_canceled: number; reservations_accepted: number } };

describe('cumulative statistics: split_by_wait_time', () => {
  it('counts each threshold as a scan over every wait would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ accepted: fc.boolean(), age: fc.integer({ min: 0, max: 100 }) }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 20 }),
        (waits, splits) => {
          const events = waits.map((w, i) => event(w.accepted ? 'reservation.accepted' : 'task.canceled', w.age, i));
          const out = cumulative(tally(events), WINDOW, splits)['split_by_wait_time'] as Record<string, Split>;
          const ages = (accepted: boolean) => waits.filter((w) => w.accepted === accepted).map((w) => w.age);
          for (const t of splits) {
            expect(out[String(t)]).toEqual({
              above: { tasks_canceled: ages(false).filter((a) => a > t).length, reservations_accepted: ages(true).filter((a) => a > t).length },
              below: { tasks_canceled: ages(false).filter((a) => a <= t).length, reservations_accepted: ages(true).filter((a) => a <= t).length },
            });
          }
        },
      ),
    );
  });

  it('takes 3,000 thresholds over 360,000 accepted reservations in well under a second, and their durations', () => {
    const events = Array.from({ length: 360_000 }, (_, i) => event('reservation.accepted', i % 3600, i));
    const splits = Array.from({ length: 3000 }, (_, i) => i);
    const started = performance.now();
    const out = cumulative(tally(events), WINDOW, splits);
    const ms = performance.now() - started;
    expect((out['split_by_wait_time'] as Record<string, Split>)['1799']).toEqual({
      above: { tasks_canceled: 0, reservations_accepted: 180_000 },
      below: { tasks_canceled: 0, reservations_accepted: 180_000 },
    });
    // Math.min(...values) overflowed the stack here (a 500); a scan per threshold took seconds.
    expect(out['wait_duration_until_accepted']).toEqual({ avg: 1800, min: 0, max: 3599, total: 360_000 * 1799.5 });
    expect(ms).toBeLessThan(1000);
    console.log(`cumulative: 3,000 thresholds over 360,000 reservations in ${ms.toFixed(0)} ms`);
  });

  it('keeps durations of an empty series at zero, and weighs each wait by its count', () => {
    expect(durations(new Map())).toEqual({ avg: 0, min: 0, max: 0, total: 0 });
    expect(durations(new Map([[3, 1], [1, 2], [2, 1]]))).toEqual({ avg: 2, min: 1, max: 3, total: 7 });
  });
});
