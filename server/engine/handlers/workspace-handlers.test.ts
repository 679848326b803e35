import { describe, expect, it } from 'vitest';
import type { Command } from '../commands.js';
import { eventTypes, persistedKeys } from '../test-support/effect-views.js';
import { EngineHarness } from '../test-support/engine-harness.js';

describe('workspace defaults', () => {
  it('has Offline, Available and Unavailable, with Offline as default and timeout activity', () => {
    const h = EngineHarness.create();
    const activities = [...h.state.activities.values()].map((a) => [a.friendlyName, a.available]);
    expect(activities).toEqual([
      ['Offline', false],
      ['Available', true],
      ['Unavailable', false],
    ]);
    expect(h.state.workspace.defaultActivitySid).toBe(h.activity('Offline'));
    expect(h.state.workspace.timeoutActivitySid).toBe(h.activity('Offline'));
    expect(h.state.workspace.multiTaskEnabled).toBe(true);
    expect(h.state.workspace.prioritizeQueueOrder).toBe('FIFO');
  });

  it('has the default, voice, chat and sms task channels', () => {
    const h = EngineHarness.create();
    expect([...h.state.taskChannels.values()].map((c) => [c.uniqueName, c.friendlyName])).toEqual([
      ['default', 'Default'],
      ['voice', 'Voice'],
      ['chat', 'Chat'],
      ['sms', 'SMS'],
    ]);
  });

  it('persists the workspace and every default record, and says so in events', () => {
    const h = EngineHarness.create();
    expect(h.store.size).toBe(1 + 3 + 4);
    expect(h.store.get('workspace', h.state.workspace.sid)).toEqual(JSON.parse(JSON.stringify(h.state.workspace)));
    expect(h.events.map((e) => e.eventType)).toEqual([
      'activity.created',
      'activity.created',
      'activity.created',
      'task-channel.created',
      'task-channel.created',
      'task-channel.created',
      'task-channel.created',
    ]);
  });

  it('adds a sample queue and a FIFO workflow with the FIFO template', () => {
    const h = EngineHarness.create({ template: 'FIFO' });
    const [queue] = [...h.state.taskQueues.values()];
    const [workflow] = [...h.state.workflows.values()];
    expect(queue?.friendlyName).toBe('Sample Queue');
    expect(JSON.parse(workflow!.configuration)).toEqual({ task_routing: { filters: [], default_filter: { queue: queue!.sid } } });
  });

  it('honours multitasking and queue order given at create', () => {
    const h = EngineHarness.create({ multiTaskEnabled: false, prioritizeQueueOrder: 'LIFO' });
    expect(h.state.workspace.multiTaskEnabled).toBe(false);
    expect(h.state.workspace.prioritizeQueueOrder).toBe('LIFO');
  });
});

describe('workspace.update', () => {
  it('changes the timeout activity and persists the workspace', () => {
    const h = EngineHarness.create();
    const { effects } = h.run({ type: 'workspace.update', timeoutActivitySid: h.activity('Unavailable'), friendlyName: 'Renamed' });
    expect(h.state.workspace.timeoutActivitySid).toBe(h.activity('Unavailable'));
    expect(h.state.workspace.friendlyName).toBe('Renamed');
    expect(persistedKeys(effects)).toEqual([`workspace:${h.state.workspace.sid}`]);
    expect(eventTypes(effects)).toEqual(['workspace.updated']);
  });

  it.each<[string, (h: EngineHarness) => Command, string, number]>([
    ['an empty name', () => ({ type: 'workspace.update', friendlyName: ' ' }), 'BAD_REQUEST', 400],
    ['a name over 64 characters', () => ({ type: 'workspace.update', friendlyName: 'x'.repeat(65) }), 'BAD_REQUEST', 400],
    ['an unknown default activity', () => ({ type: 'workspace.update', defaultActivitySid: 'WA' + 'f'.repeat(32) }), 'BAD_REQUEST', 400],
    ['an unknown timeout activity', () => ({ type: 'workspace.update', timeoutActivitySid: 'WAnope' }), 'BAD_REQUEST', 400],
  ])('refuses %s and changes nothing', (_, command, code, status) => {
    const h = EngineHarness.create();
    const error = h.mustFail(command(h));
    expect([error.code, error.status]).toEqual([code, status]);
  });
});

describe('activities', () => {
  it('creates, renames and deletes an activity', () => {
    const h = EngineHarness.create();
    const created = h.run<{ sid: string; available: boolean }>({ type: 'activity.create', friendlyName: 'Lunch', available: false });
    expect(created.value.available).toBe(false);
    expect(eventTypes(created.effects)).toEqual(['activity.created']);
    h.run({ type: 'activity.update', sid: created.value.sid, friendlyName: 'Break' });
    expect(h.activity('Break')).toBe(created.value.sid);
    h.run({ type: 'activity.update', sid: created.value.sid, friendlyName: 'Break' });
    const deleted = h.run({ type: 'activity.delete', sid: created.value.sid });
    expect(persistedKeys(deleted.effects)).toEqual([`activity:${created.value.sid}-`]);
    expect(h.state.activities.has(created.value.sid)).toBe(false);
  });

  it('is available unless told otherwise', () => {
    const h = EngineHarness.create();
    expect(h.run<{ available: boolean }>({ type: 'activity.create', friendlyName: 'Ready' }).value.available).toBe(true);
  });

  it('renaming an activity re-matches queues that read activity_name, and routes', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Ready ones', { targetWorkers: "activity_name == 'Ready'" });
    const w = h.addWorker('Ann');
    const task = h.addTask({ taskQueueSid: q.sid });
    expect(h.state.routing.members.get(q.sid)?.has(w.sid)).toBe(false);
    const { effects } = h.run({ type: 'activity.update', sid: h.activity('Available'), friendlyName: 'Ready' });
    expect(h.state.routing.members.get(q.sid)?.has(w.sid)).toBe(true);
    expect(eventTypes(effects)).toEqual(['activity.updated', 'reservation.created']);
    expect(h.onlyPending(task.sid).workerSid).toBe(w.sid);
  });

  it.each<[string, (h: EngineHarness) => Command, string]>([
    ['an empty name', () => ({ type: 'activity.create', friendlyName: '' }), 'BAD_REQUEST'],
    ['a duplicate name', () => ({ type: 'activity.create', friendlyName: 'Available' }), 'CONFLICT'],
    ['renaming an unknown activity', () => ({ type: 'activity.update', sid: 'WAnope', friendlyName: 'x' }), 'NOT_FOUND'],
    ['renaming to an empty name', (h) => ({ type: 'activity.update', sid: h.activity('Available'), friendlyName: '' }), 'BAD_REQUEST'],
    ['renaming to the name of another activity', (h) => ({ type: 'activity.update', sid: h.activity('Unavailable'), friendlyName: 'Available' }), 'CONFLICT'],
    ['deleting an unknown activity', () => ({ type: 'activity.delete', sid: 'WAnope' }), 'NOT_FOUND'],
    ['deleting the default activity', (h) => ({ type: 'activity.delete', sid: h.activity('Offline') }), 'BAD_REQUEST'],
    ['deleting an activity a worker is in', (h) => (h.addWorker('Ann'), { type: 'activity.delete', sid: h.activity('Available') }), 'BAD_REQUEST'],
    [
      'deleting an activity a queue uses',
      (h) => (h.addQueue('Q', { reservationActivity: 'Unavailable' }), { type: 'activity.delete', sid: h.activity('Unavailable') }),
      'BAD_REQUEST',
    ],
  ])('refuses %s and changes nothing', (_, command, code) => {
    const h = EngineHarness.create();
    expect(h.mustFail(command(h)).code).toBe(code);
  });
});

describe('task channels', () => {
  it('creates a channel and gives every worker capacity 1 on it', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    const { value, effects } = h.run<{ sid: string }>({ type: 'taskChannel.create', uniqueName: 'email', friendlyName: 'Email' });
    const wc = h.state.channelsOfWorker.get(w.sid)?.get(value.sid);
    expect(wc).toMatchObject({ capacity: 1, available: true });
    expect(persistedKeys(effects)).toEqual([`taskChannel:${value.sid}`, `workerChannel:${wc!.sid}`]);
    expect(eventTypes(effects)).toEqual(['task-channel.created']);
  });

  it('updates and deletes a channel with its worker channels', () => {
    const h = EngineHarness.create();
    const w = h.addWorker('Ann');
    const sid = h.channel('sms');
    h.run({ type: 'taskChannel.update', sid, friendlyName: 'Text', channelOptimizedRouting: true });
    expect(h.state.taskChannels.get(sid)).toMatchObject({ friendlyName: 'Text', channelOptimizedRouting: true });
    const wc = h.state.channelsOfWorker.get(w.sid)!.get(sid)!;
    const { effects } = h.run({ type: 'taskChannel.delete', sid });
    expect(persistedKeys(effects)).toEqual([`taskChannel:${sid}-`, `workerChannel:${wc.sid}-`]);
    expect(h.state.channelsOfWorker.get(w.sid)!.has(sid)).toBe(false);
  });

  it.each<[string, (h: EngineHarness) => Command, string]>([
    ['a duplicate unique name', () => ({ type: 'taskChannel.create', uniqueName: 'voice', friendlyName: 'V' }), 'CONFLICT'],
    ['a unique name with a hyphen', () => ({ type: 'taskChannel.create', uniqueName: 'e-mail', friendlyName: 'E' }), 'BAD_REQUEST'],
    ['an empty unique name', () => ({ type: 'taskChannel.create', uniqueName: '', friendlyName: 'E' }), 'BAD_REQUEST'],
    ['an empty friendly name', () => ({ type: 'taskChannel.create', uniqueName: 'email', friendlyName: '' }), 'BAD_REQUEST'],
    [
      'a sixteenth channel',
      (h) => {
        for (let i = 0; i < 11; i += 1) h.run({ type: 'taskChannel.create', uniqueName: `c${i}`, friendlyName: `C${i}` });
        return { type: 'taskChannel.create', uniqueName: 'c99', friendlyName: 'C99' };
      },
      'BAD_REQUEST',
    ],
    ['updating an unknown channel', () => ({ type: 'taskChannel.update', sid: 'TCnope', friendlyName: 'x' }), 'NOT_FOUND'],
    ['deleting an unknown channel', () => ({ type: 'taskChannel.delete', sid: 'TCnope' }), 'NOT_FOUND'],
    [
      'deleting a channel that has tasks',
      (h) => {
        const q = h.addQueue('Q');
        h.addTask({ taskQueueSid: q.sid, taskChannel: 'chat' });
        return { type: 'taskChannel.delete', sid: h.channel('chat') };
      },
      'BAD_REQUEST',
    ],
  ])('refuses %s and changes nothing', (_, command, code) => {
    const h = EngineHarness.create();
    expect(h.mustFail(command(h)).code).toBe(code);
  });
});
