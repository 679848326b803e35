import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../engine/model.js';
import { JsonStrings, storedEventJson } from './event-json.js';

/** A copy of the data without the left-out fields, through `JSON.stringify` (no prototype, so even a `__proto__` key is copied). */
function reference(e: EventRecord, leaveOut: (key: string, value: unknown) => boolean): string {
  const data = Object.create(null) as Record<string, unknown>;
  for (const key in e.data) if (!leaveOut(key, e.data[key])) data[key] = e.data[key];
  return JSON.stringify({ description: e.description, resourceType: e.resourceType, actorType: e.actorType, actorSid: e.actorSid, workerSid: e.workerSid, data });
}

const inColumn = (key: string, value: unknown) => typeof value === 'string' && key.endsWith('_sid');

/** Text with what JSON must escape: quotes, backslashes, control characters, lone surrogates, non-ASCII. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '"', '\\', '\n\t\u0000\u001f', '\ud800', 'x\udfff', 'é漢字🙂', '{"skills":["support"],"level":3}'),
);
const leaf = fc.oneof(
  text,
  fc.double(),
  fc.constantFrom(0, -0, 1e21, 2 ** 53, -1.5e-7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const value = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), leaf, { maxKeys: 3 }));
const key = fc.oneof(fc.constantFrom('task_sid', 'worker_sid', 'task_attributes', 'task_age', 'reservation_status'), text);

const event = fc.record({
  sid: fc.constant('EV1'),
  workspaceSid: fc.constant('WS1'),
  eventType: fc.constant('reservation.created'),
  description: text,
  resourceType: fc.constantFrom('task', 'reservation', 'worker'),
  resourceSid: fc.constant('WR1'),
  actorType: fc.constantFrom('account', 'worker', 'system'),
  actorSid: fc.oneof(fc.constant(null), text),
  date: fc.constant(1),
  data: fc.dictionary(key, value, { maxKeys: 12 }),
  workerSid: fc.oneof(fc.constant(null), text),
}) as fc.Arbitrary<EventRecord>;

describe('storedEventJson', () => {
  it('is exactly JSON.stringify of the event without its column fields, for any data', () => {
    const strings = new JsonStrings();
    fc.assert(
      fc.property(event, (e) => {
        expect(storedEventJson(e, inColumn, strings)).toBe(reference(e, inColumn));
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives the same text for repeated strings and after the kept strings start over', () => {
    const strings = new JsonStrings();
    const attributes = JSON.stringify({ skills: ['support', 'billing'], note: 'say "hi"' });
    const events: EventRecord[] = [];
    // 600 distinct 3,000-character strings: more than the cache keeps, so it starts over several times.
    for (let i = 0; i < 600; i += 1) {
      const big = `${i}:${'"é'.repeat(1_500)}`;
      events.push({
        sid: `EV${i}`,
        workspaceSid: 'WS1',
        eventType: 'reservation.created',
        description: `Reservation WR${i} for worker agent-${i % 7} created`,
        resourceType: 'reservation',
        resourceSid: `WR${i}`,
        actorType: 'system',
        actorSid: null,
        date: i,
        data: { task_attributes: attributes, big, worker_name: `agent-${i % 7}`, task_age: i, worker_sid: `WK${i % 7}` },
        workerSid: `WK${i % 7}`,
      });
    }
    for (let round = 0; round < 2; round += 1) {
      for (const e of events) expect(storedEventJson(e, inColumn, strings)).toBe(reference(e, inColumn));
    }
  });

  it('leaves out an event field that is undefined, as JSON.stringify does', () => {
    const e = { description: 'd', resourceType: 'task', actorType: 'system', data: { a: 1 } } as unknown as EventRecord;
    expect(storedEventJson(e, inColumn, new JsonStrings())).toBe('{"description":"d","resourceType":"task","actorType":"system","data":{"a":1}}');
  });
});
