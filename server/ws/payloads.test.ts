import { describe, expect, it } from 'vitest';
import type { Effect } from '../engine/effects.js';
import { eventsOf } from '../engine/test-support/effect-views.js';
import { singleQueueWorkspace } from '../engine/test-support/fixtures.js';
import { PushEncoder, pushFrame } from './payloads.js';

describe('PushEncoder', () => {
  it('encodes every push byte for byte as the frame object: offer rounds, rescinds, rejections, cancels, deletions', () => {
    const { h, workflow } = singleQueueWorkspace({ maxReservedWorkers: 50 });
    const workers = Array.from({ length: 6 }, (_, i) => h.addWorker(`Agent ${i}`, { activity: 'Available', attributes: { n: i } }));
    const encoder = new PushEncoder();
    let step = 0;
    let checked = 0;
    /** Each step's worker events, encoded as the socket endpoint does, compared with the plain frame. */
    const check = (effects: Effect[]) => {
      step += 1;
      for (const event of eventsOf(effects)) {
        const expected = pushFrame(event, h.state, h.clock.now);
        const bytes = encoder.encode(event, h.state, h.clock.now, step);
        expect(bytes === undefined ? undefined : JSON.parse(bytes.toString())).toEqual(expected);
        // Byte for byte: the same keys in the same order.
        expect(bytes?.toString()).toBe(expected && JSON.stringify(expected));
        // No REST addresses on the socket, at any depth.
        expect(bytes?.toString() ?? '').not.toMatch(/"(url|links)":/);
        if (expected) checked += 1;
      }
    };
    // A round of six offers of one task, then the first accept rescinding the other five.
    const created = h.step({ type: 'task.create', attributes: '{"topic":"billing"}', workflowSid: workflow.sid });
    check(created.effects);
    const task = eventsOf(created.effects)[0]!.resourceSid;
    const [first, second] = h.reservationsOf(task);
    check(h.accept(first!.sid).effects);
    // A late accept changes nothing; a rejection with an activity change; a task canceled under a pending offer.
    const next = h.step({ type: 'task.create', attributes: '{"topic":"refund"}', workflowSid: workflow.sid });
    check(next.effects);
    const [offer] = h.reservationsOf(eventsOf(next.effects)[0]!.resourceSid);
    check(h.rejectOffer(offer!.sid, 'Unavailable').effects);
    const third = h.step({ type: 'task.create', attributes: '{}', workflowSid: workflow.sid });
    check(third.effects);
    check(h.step({ type: 'task.update', sid: eventsOf(third.effects)[0]!.resourceSid, assignmentStatus: 'canceled', reason: 'gone' }).effects);
    // The accepted task deleted with its reservations: frames rebuilt from the events.
    check(h.step({ type: 'task.delete', sid: task }).effects);
    check(h.setActivity(workers[5]!.sid, 'Offline'));
    expect(second).toBeDefined();
    expect(checked).toBeGreaterThan(20);
  });
});
