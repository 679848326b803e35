import { describe, expect, it } from 'vitest';
import { eventsOf, eventTypes, persistedKeys, timerOps } from './test-support/effect-views.js';
import { singleQueueWorkspace } from './test-support/fixtures.js';

describe('multi-reservation (MaxReservedWorkers 5, Alice and Bob idle, one task)', () => {
  const { h } = singleQueueWorkspace({ maxReservedWorkers: 5 });
  const alice = h.addWorker('Alice');
  h.clock.advance(1);
  const bob = h.addWorker('Bob');
  h.clock.advance(1);
  const task = h.addTask({ attributes: { type: 'support' } });
  const offers = h.reservationsOf(task.sid);
  const offerOf = (workerSid: string) => offers.find((r) => r.workerSid === workerSid)!;

  it('offers the task to both at once: two pending reservations, the task reserved once', () => {
    expect(offers.map((r) => [h.nameOf(r.workerSid), r.status])).toEqual([
      ['Alice', 'pending'],
      ['Bob', 'pending'],
    ]);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'reserved', assignmentCount: 1 });
    expect(h.events.slice(-4).map((e) => e.eventType)).toEqual(['task.created', 'task-queue.entered', 'reservation.created', 'reservation.created']);
  });

  it('Alice accepts: the task is hers and Bob\'s reservation is rescinded', () => {
    const result = h.accept(offerOf(alice.sid).sid);
    expect(result.ok).toBe(true);
    expect(eventTypes(result.effects)).toEqual(['reservation.accepted', 'reservation.rescinded']);
    const rescinded = eventsOf(result.effects)[1]!;
    expect(rescinded).toMatchObject({ resourceSid: offerOf(bob.sid).sid, workerSid: bob.sid });
    expect(rescinded.data['description_detail']).toMatch(/another worker has accepted/);
    expect(timerOps(result.effects)).toEqual([
      `clear reservation:${offerOf(alice.sid).sid}`,
      `clear ttl:${task.sid}`,
      `clear target:${task.sid}`,
      `clear reservation:${offerOf(bob.sid).sid}`,
    ]);
    expect(persistedKeys(result.effects).sort()).toEqual([`reservation:${offerOf(alice.sid).sid}`, `reservation:${offerOf(bob.sid).sid}`, `task:${task.sid}`].sort());
    expect(h.task(task.sid).assignmentStatus).toBe('assigned');
    expect(h.reservation(offerOf(alice.sid).sid).status).toBe('accepted');
    expect(h.reservation(offerOf(bob.sid).sid).status).toBe('rescinded');
  });

  it("Bob's late accept fails with 410 Gone, with no effects and the state unchanged", () => {
    const error = h.mustFail({ type: 'reservation.update', sid: offerOf(bob.sid).sid, status: 'accepted' }, { type: 'worker', sid: bob.sid });
    expect([error.code, error.status]).toEqual(['GONE', 410]);
    expect(error.message).toMatch(/rescinded/);
    expect(h.task(task.sid).assignmentStatus).toBe('assigned');
  });

  it('Bob is free for the next task', () => {
    const next = h.addTask();
    expect(h.onlyPending(next.sid).workerSid).toBe(bob.sid);
  });
});

describe('multi-reservation rounds', () => {
  it('offers to at most MaxReservedWorkers, and tops up as offers end', () => {
    const { h } = singleQueueWorkspace({ maxReservedWorkers: 2 });
    const workers = ['A', 'B', 'C'].map((name) => (h.clock.advance(1), h.addWorker(name)));
    const task = h.addTask();
    expect(h.reservationsOf(task.sid).map((r) => h.nameOf(r.workerSid))).toEqual(['A', 'B']);
    h.rejectOffer(h.reservationsOf(task.sid)[0]!.sid);
    expect(h.reservationsOf(task.sid).map((r) => [h.nameOf(r.workerSid), r.status])).toEqual([
      ['A', 'rejected'],
      ['B', 'pending'],
      ['C', 'pending'],
    ]);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'reserved', assignmentCount: 1 });
    for (const r of h.reservationsOf(task.sid).filter((r) => r.status === 'pending')) h.rejectOffer(r.sid);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'pending', rejectedWorkerSids: workers.map((w) => w.sid) });
  });

  it('raising MaxReservedWorkers offers a reserved task to more workers', () => {
    const { h, queue } = singleQueueWorkspace();
    h.addWorker('A');
    h.addWorker('B');
    const task = h.addTask();
    expect(h.reservationsOf(task.sid)).toHaveLength(1);
    const { effects } = h.run({ type: 'taskQueue.update', sid: queue.sid, maxReservedWorkers: 3 });
    expect(eventTypes(effects)).toEqual(['task-queue.updated', 'reservation.created']);
    expect(h.reservationsOf(task.sid).map((r) => r.status)).toEqual(['pending', 'pending']);
  });

  it('after MaxReservedWorkers is lowered, an ended offer does not make room beyond the new limit', () => {
    const { h, queue } = singleQueueWorkspace({ maxReservedWorkers: 3 });
    for (const name of ['A', 'B', 'C']) h.addWorker(name);
    const task = h.addTask();
    expect(h.reservationsOf(task.sid)).toHaveLength(3);
    h.run({ type: 'taskQueue.update', sid: queue.sid, maxReservedWorkers: 1 });
    h.rejectOffer(h.reservationsOf(task.sid)[0]!.sid);
    // Two offers remain pending, over the new limit of one: nobody else may get one.
    expect(h.state.routing.isListed(task.sid)).toBe(false);
    const d = h.addWorker('D');
    expect(h.reservationsOfWorker(d.sid)).toEqual([]);
    expect(h.reservationsOf(task.sid).filter((r) => r.status === 'pending')).toHaveLength(2);
  });

  it('accepting one offer of several leaves every other worker free', () => {
    const { h } = singleQueueWorkspace({ maxReservedWorkers: 3 });
    const names = ['A', 'B', 'C'];
    for (const name of names) h.addWorker(name);
    const task = h.addTask();
    const second = h.addTask();
    h.accept(h.reservationsOf(task.sid)[1]!.sid);
    expect(h.reservationsOf(task.sid).map((r) => r.status)).toEqual(['rescinded', 'accepted', 'rescinded']);
    expect(h.reservationsOf(second.sid).map((r) => h.nameOf(r.workerSid)).sort()).toEqual(['A', 'C']);
  });
});
