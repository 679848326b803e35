import { describe, expect, it } from 'vitest';
import type { Effect } from './effects.js';
import type { ReservationStatus, TaskStatus } from './model.js';
import { archiveDeadline } from './archive.js';
import { RECORDS_PER_SLICE } from './step-context.js';
import { purgeDeadline } from './task-ops.js';
import { eventsOf, eventTypes, persistedKeys, timerOps } from './test-support/effect-views.js';
import { EngineHarness } from './test-support/engine-harness.js';
import { everyTask } from './test-support/every-record.js';
import { singleQueueWorkspace } from './test-support/fixtures.js';

describe('task lifecycle pending -> reserved -> assigned -> wrapping -> completed', () => {
  const { h } = singleQueueWorkspace({}, { taskReservationTimeout: 30 });
  const t0 = h.clock.now;
  const ann = h.addWorker('Ann', { activity: 'Offline' });
  const task = h.addTask({ attributes: { type: 'ticket' } });
  const rsid = () => h.reservationsOf(task.sid)[0]!.sid;
  const wcsid = () => h.state.channelsOfWorker.get(ann.sid)!.get(h.channel('default'))!.sid;

  // Each row runs after the previous one, on the same workspace.
  it.each<[string, () => Effect[], TaskStatus, ReservationStatus | null, string[], () => string[], () => string[]]>([
    [
      'a worker becomes available: the task is reserved',
      () => h.setActivity(ann.sid, 'Available'),
      'reserved',
      'pending',
      ['worker.activity.update', 'reservation.created'],
      () => [`set reservation:${rsid()}@${t0 + 30_000}`],
      // The offer's worker version and channel time are durable in the reservation; the worker is saved for its activity.
      () => [`worker:${ann.sid}`, `task:${task.sid}`, `reservation:${rsid()}`],
    ],
    [
      'the worker accepts: the task is assigned and its deadlines are cleared',
      () => h.accept(rsid()).effects,
      'assigned',
      'accepted',
      ['reservation.accepted'],
      () => [`clear reservation:${rsid()}`, `clear ttl:${task.sid}`, `clear target:${task.sid}`],
      () => [`reservation:${rsid()}`, `task:${task.sid}`],
    ],
    [
      'the task wraps up',
      () => h.setTaskStatus(task.sid, 'wrapping').effects,
      'wrapping',
      'wrapping',
      ['reservation.wrapup', 'task.wrapup'],
      () => [],
      () => [`reservation:${rsid()}`, `task:${task.sid}`],
    ],
    [
      'the task completes: it is kept 5 minutes, then purged',
      () => h.setTaskStatus(task.sid, 'completed', 'resolved').effects,
      'completed',
      'completed',
      ['reservation.completed', 'task.completed'],
      () => [`clear ttl:${task.sid}`, `clear target:${task.sid}`, `set purge@${purgeDeadline(t0 + 300_000)}`, `set archive@${archiveDeadline(t0)}`],
      () => [`reservation:${rsid()}`, `task:${task.sid}`],
    ],
  ])('%s', (_, act, taskStatus, reservationStatus, events, timers, persisted) => {
    const effects = act();
    expect(h.task(task.sid).assignmentStatus).toBe(taskStatus);
    expect(h.reservationsOf(task.sid)[0]?.status ?? null).toBe(reservationStatus);
    expect(eventTypes(effects)).toEqual(events);
    expect(timerOps(effects)).toEqual(timers());
    expect(persistedKeys(effects)).toEqual(persisted());
    expect(effects[0]?.type).toBe('persist');
  });

  it('the completed task carries its reason', () => {
    expect(h.task(task.sid).reason).toBe('resolved');
    expect(h.events.at(-1)?.data).toMatchObject({ task_assignment_status: 'completed', task_completed_reason: 'resolved' });
  });

  it('the purge timer drops the task and its reservation, whose offer marks pass to the worker and channel records', () => {
    const reservation = rsid();
    const effects = h.advance(300_000);
    expect(h.state.findTask(task.sid)).toBeUndefined();
    expect(persistedKeys(effects)).toEqual([`worker:${ann.sid}`, `workerChannel:${wcsid()}`, `reservation:${reservation}-`, `task:${task.sid}-`]);
    expect(h.store.get('worker', ann.sid)).toEqual(h.worker(ann.sid));
    expect(h.store.get('workerChannel', wcsid())).toMatchObject({ lastReservedAt: t0 });
    expect(h.store.get('task', task.sid)).toBeUndefined();
  });
});

describe('cancel', () => {
  it.each<[string, number]>([
    ['a pending task (no worker)', 0],
    ['a reserved task (two offers)', 2],
  ])('cancels %s: offers canceled, deadlines cleared, task.canceled with the reason', (_, workers) => {
    const { h } = singleQueueWorkspace({ maxReservedWorkers: 2 });
    for (let i = 0; i < workers; i += 1) h.addWorker(`W${i}`);
    const task = h.addTask();
    const offers = h.reservationsOf(task.sid);
    expect(offers).toHaveLength(workers);
    const { effects } = h.run({ type: 'task.update', sid: task.sid, assignmentStatus: 'canceled', reason: 'caller hung up' });
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'canceled', reason: 'caller hung up' });
    expect(offers.map((r) => h.reservation(r.sid).status)).toEqual(offers.map(() => 'canceled'));
    expect(eventTypes(effects)).toEqual([...offers.map(() => 'reservation.canceled'), 'task.canceled']);
    expect(timerOps(effects)).toEqual([
      ...offers.map((r) => `clear reservation:${r.sid}`),
      `clear ttl:${task.sid}`,
      `clear target:${task.sid}`,
      `set purge@${purgeDeadline(h.clock.now + 300_000)}`,
      `set archive@${archiveDeadline(h.clock.now)}`,
    ]);
    expect(eventsOf(effects).at(-1)?.data).toMatchObject({ task_canceled_reason: 'caller hung up' });
  });

  it('frees the workers of canceled offers for the next task', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    const first = h.addTask();
    const second = h.addTask();
    expect(h.reservationsOf(second.sid)).toEqual([]);
    h.setTaskStatus(first.sid, 'canceled');
    expect(h.onlyPending(second.sid).workerSid).toBe(ann.sid);
  });
});

describe('purge of finished tasks', () => {
  it('one timer for the workspace, armed for the first due; a second of finished tasks goes in one step', () => {
    const { h } = singleQueueWorkspace();
    const t0 = h.clock.now; // a whole second
    const [a, b, c] = [h.addTask(), h.addTask(), h.addTask()];
    expect(timerOps(h.setTaskStatus(a.sid, 'canceled').effects)).toContain(`set purge@${t0 + 300_000}`);
    h.clock.advance(200);
    expect(timerOps(h.setTaskStatus(b.sid, 'canceled').effects).filter((op) => op.includes('purge'))).toEqual([]);
    h.clock.advance(1_300);
    h.setTaskStatus(c.sid, 'canceled');
    expect(h.timers.entries().get('purge')).toBe(t0 + 300_000);

    h.advance(300_000 - 1_500); // t0 + 300 s: a is due, b (300.2 s) not yet
    expect([a, b, c].map((t) => h.state.findTask(t.sid) !== undefined)).toEqual([false, true, true]);
    expect(h.timers.entries().get('purge')).toBe(t0 + 301_000);
    h.advance(1_000); // b goes; c is due at 301.5 s, purged at 302 s
    expect([b, c].map((t) => h.state.findTask(t.sid) !== undefined)).toEqual([false, true]);
    h.advance(1_000);
    expect(h.state.findTask(c.sid)).toBeUndefined();
    expect(h.timers.entries().has('purge')).toBe(false);
  });

  it('a finished task deleted before its purge moves the timer on to the next, and the last one clears it', () => {
    const { h } = singleQueueWorkspace();
    const t0 = h.clock.now;
    const [a, b] = [h.addTask(), h.addTask()];
    h.setTaskStatus(a.sid, 'canceled');
    h.clock.advance(2_000);
    h.setTaskStatus(b.sid, 'canceled');
    expect(timerOps(h.run({ type: 'task.delete', sid: a.sid }).effects)).toContain(`set purge@${t0 + 302_000}`);
    expect(timerOps(h.run({ type: 'task.delete', sid: b.sid }).effects)).toContain('clear purge');
    expect(h.advance(400_000)).toEqual([]);
  });

  it('drops at most RECORDS_PER_SLICE tasks without offers per step and comes back at once for the rest', () => {
    const { h } = singleQueueWorkspace();
    const tasks = Array.from({ length: 1_200 }, () => h.addTask());
    for (const t of tasks) h.setTaskStatus(t.sid, 'canceled');
    h.clock.advance(300_000);
    const first = h.step({ type: 'timer.fired', key: 'purge' }, { type: 'system' });
    expect(everyTask(h.state)).toHaveLength(1_200 - RECORDS_PER_SLICE);
    expect(timerOps(first.effects).filter((op) => op.includes('purge'))).toEqual([`set purge@${h.clock.now}`]);
    h.advance(0);
    expect(everyTask(h.state)).toHaveLength(0);
  });

  it('counts a task\'s reservations in the slice: multi-offer tasks go a few at a time', () => {
    const { h } = singleQueueWorkspace({ maxReservedWorkers: 50 });
    for (let i = 0; i < 50; i += 1) h.addWorker(`W${i}`);
    const tasks = Array.from({ length: 25 }, () => {
      const task = h.addTask();
      h.accept(h.reservationsOf(task.sid)[0]!.sid);
      h.setTaskStatus(task.sid, 'completed', 'resolved');
      return task;
    });
    h.clock.moveTo(h.task(tasks[0]!.sid).purgeAt!);
    // 51 records a task: a slice stops once it holds 512 or more, after 11 tasks.
    const left: number[] = [];
    for (let due = h.timers.takeDue(h.clock.now); due; due = h.timers.takeDue(h.clock.now)) {
      const { effects } = h.step({ type: 'timer.fired', key: due.key }, { type: 'system' });
      if (due.key !== 'purge') continue;
      left.push(everyTask(h.state).length);
      expect(persistedKeys(effects).filter((key) => key.startsWith('reservation:')).length).toBeLessThanOrEqual(11 * 50);
    }
    expect(left).toEqual([14, 3, 0]);
    expect(h.state.reservations.size).toBe(0);
  });
});

describe('task TTL', () => {
  function ttlCase(withWorker: boolean): { h: EngineHarness; taskSid: string } {
    const { h } = singleQueueWorkspace({}, { taskReservationTimeout: 600 });
    if (withWorker) h.addWorker('Ann');
    return { h, taskSid: h.addTask({ timeout: 60 }).sid };
  }

  it.each([
    ['a pending task', false, ['task.canceled']],
    ['a reserved task', true, ['reservation.canceled', 'task.canceled']],
  ])('cancels %s once its timeout passes', (_, withWorker, events) => {
    const { h, taskSid } = ttlCase(withWorker);
    expect(eventTypes(h.advance(59_999))).toEqual([]);
    expect(h.task(taskSid).assignmentStatus).not.toBe('canceled');
    const effects = h.advance(1);
    expect(eventTypes(effects)).toEqual(events);
    expect(h.task(taskSid)).toMatchObject({ assignmentStatus: 'canceled', reason: 'Task TTL Exceeded' });
  });

  it('does not cancel a task accepted before its timeout', () => {
    const { h, taskSid } = ttlCase(true);
    h.accept(h.onlyPending(taskSid).sid);
    expect(h.timers.at(`ttl:${taskSid}`)).toBeUndefined();
    h.advance(120_000);
    expect(h.task(taskSid).assignmentStatus).toBe('assigned');
  });

  it('after a restart, a task whose TTL passed while the hub was down is offered to nobody on its way out, though its target timed out first', () => {
    // Ann may take it at the second target only, after 30 s; its TTL is 60 s; the hub is down from 10 s to 120 s.
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    h.addWorkflow('W', { filters: [{ expression: '1==1', targets: [{ queue: q.sid, expression: 'worker.level >= 2', timeout: 30 }, { queue: q.sid }] }] });
    h.addWorker('Ann', { attributes: { level: 1 } });
    const task = h.addTask({ timeout: 60 });
    h.advance(10_000);
    h.clock.advance(110_000);
    const { twin } = h.restore();
    const caughtUp = [...twin.engine.routeAll(twin.clock.now), ...twin.advance(0)];
    expect(eventTypes(caughtUp)).toEqual(['workflow.target-matched', 'task.canceled']);
    expect(twin.task(task.sid)).toMatchObject({ assignmentStatus: 'canceled', reason: 'Task TTL Exceeded' });
  });

  it('ignores a TTL timer fired early', () => {
    const { h, taskSid } = ttlCase(false);
    const result = h.step({ type: 'timer.fired', key: `ttl:${taskSid}` }, { type: 'system' });
    expect(result).toMatchObject({ ok: true, effects: [] });
    expect(h.task(taskSid).assignmentStatus).toBe('pending');
  });
});

describe('back to pending', () => {
  it.each<[string, (h: EngineHarness, sid: string) => void, string]>([
    ['the only offer is rejected', (h, sid) => void h.rejectOffer(sid), 'reservation.rejected'],
    ['the only offer times out', (h) => void h.advance(120_000), 'reservation.timeout'],
  ])('a task returns to pending when %s', (_, end, event) => {
    const { h } = singleQueueWorkspace();
    h.addWorker('Ann');
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    const before = h.events.length;
    end(h, offer.sid);
    expect(h.task(task.sid).assignmentStatus).toBe('pending');
    expect(h.events.slice(before).map((e) => e.eventType)).toContain(event);
    expect(h.state.routing.isListed(task.sid)).toBe(true);
  });
});

describe('events', () => {
  it('carry the actor, the time and the worker they concern', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    h.clock.advance(1_000);
    const result = h.step({ type: 'reservation.update', sid: offer.sid, status: 'accepted' }, { type: 'worker', sid: ann.sid });
    const [accepted] = eventsOf(result.effects);
    expect(accepted).toMatchObject({
      eventType: 'reservation.accepted',
      actorType: 'worker',
      actorSid: ann.sid,
      workerSid: ann.sid,
      resourceSid: offer.sid,
      date: h.clock.now,
      workspaceSid: h.state.workspace.sid,
    });
    expect(accepted?.data).toMatchObject({ task_sid: task.sid, worker_sid: ann.sid, reservation_sid: offer.sid, task_age: 1 });
  });
});

describe('max assignment count', () => {
  it('cancels a task after 1,000 reservation rounds', () => {
    const { h } = singleQueueWorkspace({}, { taskReservationTimeout: 1 });
    // Timing out leaves the worker Available, so the same worker is offered the task round after round.
    h.run({ type: 'workspace.update', timeoutActivitySid: h.activity('Available') });
    h.addWorker('Ann');
    const task = h.addTask();
    for (let round = 1; round < 1_000; round += 1) h.advance(1_000);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'reserved', assignmentCount: 1_000 });
    const effects = h.advance(1_000);
    expect(eventTypes(effects)).toEqual(['reservation.timeout', 'task.canceled']);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'canceled', reason: 'Task TTL Exceeded or Max assignment count exceeded' });
  });
});
