import { describe, expect, it } from 'vitest';
import type { Command } from '../commands.js';
import type { WorkerRecord } from '../model.js';
import { eventTypes, persistedKeys } from '../test-support/effect-views.js';
import { EngineHarness } from '../test-support/engine-harness.js';
import { singleQueueWorkspace } from '../test-support/fixtures.js';

describe('worker.create', () => {
  it('starts in the default activity with capacity 1 on every channel', () => {
    const h = EngineHarness.create();
    const { value, effects } = h.run<WorkerRecord>({ type: 'worker.create', friendlyName: 'Ann', attributes: '{"skills":["a"]}' });
    expect(value.activitySid).toBe(h.activity('Offline'));
    const channels = [...h.state.channelsOfWorker.get(value.sid)!.values()];
    expect(channels.map((c) => [h.state.taskChannels.get(c.taskChannelSid)!.uniqueName, c.capacity, c.available])).toEqual([
      ['default', 1, true],
      ['voice', 1, true],
      ['chat', 1, true],
      ['sms', 1, true],
    ]);
    expect(persistedKeys(effects)).toEqual([...channels.map((c) => `workerChannel:${c.sid}`), `worker:${value.sid}`]);
    expect(eventTypes(effects)).toEqual(['worker.created']);
  });

  it('takes an activity and attributes', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann', { attributes: { level: 3 }, activity: 'Unavailable' });
    expect(w).toMatchObject({ activitySid: h.activity('Unavailable'), attributes: '{"level":3}' });
  });

  it.each<[string, (h: EngineHarness) => Command, string, number]>([
    ['an empty name', () => ({ type: 'worker.create', friendlyName: '' }), 'BAD_REQUEST', 400],
    ['a duplicate name', (h) => (h.addWorker('Ann'), { type: 'worker.create', friendlyName: 'Ann' }), 'CONFLICT', 409],
    ['attributes that are not JSON', () => ({ type: 'worker.create', friendlyName: 'Ann', attributes: '{nope' }), 'BAD_REQUEST', 400],
    ['attributes that are an array', () => ({ type: 'worker.create', friendlyName: 'Ann', attributes: '[1]' }), 'BAD_REQUEST', 400],
    [
      'attributes over 4096 characters',
      () => ({ type: 'worker.create', friendlyName: 'Ann', attributes: JSON.stringify({ x: 'y'.repeat(4090) }) }),
      'BAD_REQUEST',
      400,
    ],
    ['an unknown activity', () => ({ type: 'worker.create', friendlyName: 'Ann', activitySid: 'WAnope' }), 'BAD_REQUEST', 400],
  ])('refuses %s and changes nothing', (_, command, code, status) => {
    const h = EngineHarness.create();
    const error = h.mustFail(command(h));
    expect([error.code, error.status]).toEqual([code, status]);
  });
});

describe('worker.update', () => {
  it('moves to an activity: resets the idle clock, bumps the version, emits worker.activity.update', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann', { activity: 'Offline' });
    h.clock.advance(5_000);
    const effects = h.setActivity(w.sid, 'Available');
    expect(h.worker(w.sid)).toMatchObject({ activitySid: h.activity('Available'), dateStatusChanged: h.clock.now, version: 1 });
    expect(eventTypes(effects)).toEqual(['worker.activity.update']);
    const [event] = h.events.slice(-1);
    expect(event?.data).toMatchObject({
      worker_activity_name: 'Available',
      worker_previous_activity_name: 'Offline',
      worker_time_in_previous_activity: 5,
      worker_time_in_previous_activity_ms: 5_000,
    });
  });

  it('moving to the activity it is in changes nothing and emits nothing', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    expect(eventTypes(h.setActivity(w.sid, 'Available'))).toEqual([]);
  });

  it('replaces attributes and emits worker.attributes.update', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann', { attributes: { a: 1 } });
    const { effects } = h.run({ type: 'worker.update', sid: w.sid, attributes: '{"b":2}' });
    expect(h.worker(w.sid).attributes).toBe('{"b":2}');
    expect(eventTypes(effects)).toEqual(['worker.attributes.update']);
  });

  it('honours If-Match', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    h.run({ type: 'worker.update', sid: w.sid, friendlyName: 'Anna', ifMatch: '0' });
    expect(h.worker(w.sid).friendlyName).toBe('Anna');
    const error = h.mustFail({ type: 'worker.update', sid: w.sid, friendlyName: 'Annie', ifMatch: '0' });
    expect([error.code, error.status]).toEqual(['PRECONDITION_FAILED', 412]);
  });

  it.each([
    ['any version', '*', 200],
    ['a list holding the current version', '"7", "1"', 200],
    ['a list without it', '"0", W/"7"', 412],
  ])('reads If-Match as HTTP does: %s', (_, ifMatch, status) => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    h.run({ type: 'worker.update', sid: w.sid, attributes: '{"a":1}' });
    const result = h.step({ type: 'worker.update', sid: w.sid, friendlyName: 'Anna', ifMatch });
    expect(result.ok ? 200 : result.error.status).toBe(status);
    expect(h.worker(w.sid).friendlyName).toBe(status === 200 ? 'Anna' : 'Ann');
  });

  it.each<[string, (h: EngineHarness, w: WorkerRecord) => Command, string]>([
    ['an unknown worker', () => ({ type: 'worker.update', sid: 'WKnope', friendlyName: 'x' }), 'NOT_FOUND'],
    ['an unknown activity', (_, w) => ({ type: 'worker.update', sid: w.sid, activitySid: 'WAnope' }), 'BAD_REQUEST'],
    ['bad attributes', (_, w) => ({ type: 'worker.update', sid: w.sid, attributes: 'null' }), 'BAD_REQUEST'],
    ['an empty name', (_, w) => ({ type: 'worker.update', sid: w.sid, friendlyName: '' }), 'BAD_REQUEST'],
    ['the name of another worker', (h, w) => (h.addWorker('Ben'), { type: 'worker.update', sid: w.sid, friendlyName: 'Ben' }), 'CONFLICT'],
    [
      'RejectPendingReservations without an activity',
      (_, w) => ({ type: 'worker.update', sid: w.sid, rejectPendingReservations: true }),
      'BAD_REQUEST',
    ],
    [
      'RejectPendingReservations with an available activity',
      (h, w) => ({ type: 'worker.update', sid: w.sid, activitySid: h.activity('Available'), rejectPendingReservations: true }),
      'BAD_REQUEST',
    ],
  ])('refuses %s and changes nothing', (_, command, code) => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    expect(h.mustFail(command(h, w)).code).toBe(code);
  });
});

describe('worker.delete', () => {
  it('cancels its pending reservations, frees its task for others and removes its channels', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    const ben = h.addWorker('Ben');
    const { effects } = h.run({ type: 'worker.delete', sid: ann.sid });
    expect(h.reservation(offer.sid).status).toBe('canceled');
    expect(h.onlyPending(task.sid).workerSid).toBe(ben.sid);
    expect(eventTypes(effects)).toEqual(['reservation.canceled', 'worker.deleted', 'reservation.created']);
    expect(persistedKeys(effects)).toContain(`worker:${ann.sid}-`);
    expect(h.state.channelsOfWorker.has(ann.sid)).toBe(false);
  });

  it.each<[string, (h: EngineHarness) => Command, string]>([
    ['an unknown worker', () => ({ type: 'worker.delete', sid: 'WKnope' }), 'NOT_FOUND'],
    ['a stale If-Match', (h) => ({ type: 'worker.delete', sid: h.addWorker('Ann', { activity: 'Offline' }).sid, ifMatch: '7' }), 'PRECONDITION_FAILED'],
    [
      'a worker holding an assigned task',
      (h) => {
        const ann = h.addWorker('Ann');
        const task = h.addTask();
        h.accept(h.onlyPending(task.sid).sid);
        return { type: 'worker.delete', sid: ann.sid };
      },
      'CONFLICT',
    ],
  ])('refuses %s and changes nothing', (_, command, code) => {
    const { h } = singleQueueWorkspace();
    expect(h.mustFail(command(h)).code).toBe(code);
  });
});

describe('workerChannel.update', () => {
  it('sets capacity by channel unique name or worker channel SID, with worker.capacity.update', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    const { value, effects } = h.setCapacity(w.sid, 'chat', 3);
    expect(value.capacity).toBe(3);
    expect(eventTypes(effects)).toEqual(['worker.capacity.update']);
    h.run({ type: 'workerChannel.update', workerSid: w.sid, sid: value.sid, capacity: 5 });
    expect(h.state.workerChannels.get(value.sid)!.capacity).toBe(5);
  });

  it('makes a channel unavailable with worker.channel.availability.update', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    const { effects } = h.run({ type: 'workerChannel.update', workerSid: w.sid, sid: 'voice', available: false });
    expect(eventTypes(effects)).toEqual(['worker.channel.availability.update']);
    expect(h.state.channelsOfWorker.get(w.sid)!.get(h.channel('voice'))!.available).toBe(false);
  });

  it.each<[string, number | undefined, string, string]>([
    ['a negative capacity', -1, 'chat', 'BAD_REQUEST'],
    ['a capacity over 50', 51, 'chat', 'BAD_REQUEST'],
    ['a fractional capacity', 1.5, 'chat', 'BAD_REQUEST'],
    ['an unknown channel', 2, 'fax', 'NOT_FOUND'],
  ])('refuses %s and changes nothing', (_, capacity, channel, code) => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    expect(h.mustFail({ type: 'workerChannel.update', workerSid: w.sid, sid: channel, capacity }).code).toBe(code);
  });

  it('refuses an unknown worker', () => {
    const h = EngineHarness.create();
    expect(h.mustFail({ type: 'workerChannel.update', workerSid: 'WKnope', sid: 'chat', capacity: 2 }).code).toBe('NOT_FOUND');
  });

  it("refuses another worker's channel SID", () => {
    const h = EngineHarness.create();
    const ann = h.addWorker('Ann');
    const ben = h.addWorker('Ben');
    const bensChat = h.state.channelsOfWorker.get(ben.sid)!.get(h.channel('chat'))!;
    expect(h.mustFail({ type: 'workerChannel.update', workerSid: ann.sid, sid: bensChat.sid, capacity: 2 }).code).toBe('NOT_FOUND');
  });
});
