import { describe, expect, it } from 'vitest';
import type { Command } from '../commands.js';
import type { ReservationStatus } from '../model.js';
import { eventTypes } from '../test-support/effect-views.js';
import { EngineHarness } from '../test-support/engine-harness.js';
import { singleQueueWorkspace } from '../test-support/fixtures.js';

/** A workspace holding one reservation (of Ann's) in the given status. */
function reservationIn(status: ReservationStatus): { h: EngineHarness; sid: string; taskSid: string; workerSid: string } {
  const { h } = singleQueueWorkspace({ maxReservedWorkers: 2 });
  const ann = h.addWorker('Ann');
  h.addWorker('Ben');
  const task = h.addTask();
  const [mine, theirs] = h.reservationsOf(task.sid);
  if (!mine || !theirs || mine.workerSid !== ann.sid) throw new Error('fixture: Ann and Ben should both hold an offer');
  const moves: Record<ReservationStatus, () => void> = {
    pending: () => {},
    accepted: () => void h.accept(mine.sid),
    wrapping: () => (h.accept(mine.sid), void h.setTaskStatus(task.sid, 'wrapping')),
    completed: () => (h.accept(mine.sid), void h.setTaskStatus(task.sid, 'completed')),
    rejected: () => void h.rejectOffer(mine.sid),
    timeout: () => void h.advance(120_000),
    canceled: () => void h.setTaskStatus(task.sid, 'canceled'),
    rescinded: () => void h.accept(theirs.sid),
  };
  moves[status]();
  if (h.reservation(mine.sid).status !== status) throw new Error(`fixture: reservation is ${h.reservation(mine.sid).status}, not ${status}`);
  return { h, sid: mine.sid, taskSid: task.sid, workerSid: ann.sid };
}

type Update = Omit<Extract<Command, { type: 'reservation.update' }>, 'type' | 'sid'>;

const UPDATES: [string, Update][] = [
  ['accept', { status: 'accepted' }],
  ['reject', { status: 'rejected' }],
  ['wrap up', { status: 'wrapping' }],
  ['complete', { status: 'completed' }],
  ['instruction accept', { instruction: 'accept' }],
  ['instruction reject', { instruction: 'reject' }],
  ['instruction dequeue', { instruction: 'dequeue' }],
];

const ENDED: ReservationStatus[] = ['rejected', 'timeout', 'canceled', 'rescinded', 'completed'];

describe('reservation.update on an ended reservation', () => {
  it.each(ENDED.flatMap((status) => UPDATES.map(([label, update]) => [status, label, update] as const)))(
    'a %s reservation answers %s with 410 Gone and changes nothing',
    (status, _, update) => {
      const { h, sid } = reservationIn(status);
      const error = h.mustFail({ type: 'reservation.update', sid, ...update });
      expect([error.code, error.status]).toEqual(['GONE', 410]);
    },
  );
});

describe('reservation.update at the deadline of a pending reservation, before its timer fires', () => {
  it.each(UPDATES.filter(([label]) => label !== 'wrap up' && label !== 'complete'))(
    '%s answers 410 Gone and changes nothing; the timer then times it out',
    (_, update) => {
      const { h, sid, workerSid } = reservationIn('pending');
      h.clock.advance(h.reservation(sid).timeoutAt - h.clock.now);
      const error = h.mustFail({ type: 'reservation.update', sid, ...update });
      expect([error.code, error.status]).toEqual(['GONE', 410]);
      expect(error.message).toMatch(/timed out/);
      h.advance(0);
      expect(h.reservation(sid).status).toBe('timeout');
      expect(h.worker(workerSid).activitySid).toBe(h.activity('Offline'));
    },
  );

  it("an accept at its task's TTL answers 410; the timer then cancels the task", () => {
    const { h } = singleQueueWorkspace();
    h.addWorker('Ann');
    const task = h.addTask({ timeout: 10 });
    const offer = h.onlyPending(task.sid);
    h.clock.advance(10_000);
    expect(h.mustFail({ type: 'reservation.update', sid: offer.sid, status: 'accepted' }).message).toMatch(/its task timed out/);
    h.advance(0);
    expect([h.task(task.sid).assignmentStatus, h.reservation(offer.sid).status]).toEqual(['canceled', 'canceled']);
  });

  it("an accept at its workflow target's timeout answers 410; the timer then moves the task on", () => {
    const h = EngineHarness.create();
    const first = h.addQueue('First');
    const second = h.addQueue('Second');
    h.addWorkflow('W', { filters: [{ expression: '1==1', targets: [{ queue: first.sid, timeout: 10 }, { queue: second.sid }] }] });
    h.addWorker('Ann');
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    h.clock.advance(10_000);
    expect(h.mustFail({ type: 'reservation.update', sid: offer.sid, status: 'accepted' }).message).toMatch(/workflow target timed out/);
    h.advance(0);
    expect([h.task(task.sid).taskQueueSid, h.reservation(offer.sid).status]).toEqual([second.sid, 'canceled']);
  });

  it('an accept a millisecond before the deadline wins', () => {
    const { h, sid } = reservationIn('pending');
    h.clock.advance(h.reservation(sid).timeoutAt - h.clock.now - 1);
    h.run({ type: 'reservation.update', sid, status: 'accepted' });
    h.advance(1);
    expect(h.reservation(sid).status).toBe('accepted');
  });
});

describe('reservation.update on a live reservation', () => {
  it.each<[ReservationStatus, string, Update, string, number]>([
    ['accepted', 'accept again', { status: 'accepted' }, 'GONE', 410],
    ['accepted', 'reject', { status: 'rejected' }, 'GONE', 410],
    ['wrapping', 'accept', { status: 'accepted' }, 'GONE', 410],
    ['pending', 'complete', { status: 'completed' }, 'CONFLICT', 409],
    ['pending', 'wrap up', { status: 'wrapping' }, 'CONFLICT', 409],
    ['pending', 'no status', {}, 'BAD_REQUEST', 400],
    ['pending', 'an unknown instruction', { instruction: 'dance' }, 'BAD_REQUEST', 400],
    ['pending', 'a telephony instruction', { instruction: 'conference' }, 'BAD_REQUEST', 400],
    ['pending', 'reject into an unknown activity', { status: 'rejected', workerActivitySid: 'WAnope' }, 'BAD_REQUEST', 400],
    ['pending', 'a stale If-Match', { status: 'accepted', ifMatch: '3' }, 'PRECONDITION_FAILED', 412],
    ['pending', 'another task in the path', { status: 'accepted', taskSid: 'WTother' }, 'NOT_FOUND', 404],
    ['pending', 'another worker in the path', { status: 'accepted', workerSid: 'WKother' }, 'NOT_FOUND', 404],
  ])('a %s reservation refuses %s and changes nothing', (status, _, update, code, httpStatus) => {
    const { h, sid } = reservationIn(status);
    const error = h.mustFail({ type: 'reservation.update', sid, ...update });
    expect([error.code, error.status]).toEqual([code, httpStatus]);
  });

  it.each<[string, Update, string]>([
    ['no status', {}, 'ReservationStatus or Instruction is required'],
    ['an unknown instruction', { instruction: 'dance' }, 'Instruction dance must be accept or reject'],
  ])('names what is wrong with %s', (_, update, message) => {
    const { h, sid } = reservationIn('pending');
    expect(h.mustFail({ type: 'reservation.update', sid, ...update }).message).toBe(message);
  });

  it('an unknown reservation is not found', () => {
    const { h } = reservationIn('pending');
    expect(h.mustFail({ type: 'reservation.update', sid: 'WRnope', status: 'accepted' }).status).toBe(404);
  });

  it.each<[ReservationStatus, Update, ReservationStatus, string[]]>([
    ['pending', { status: 'accepted' }, 'accepted', ['reservation.accepted', 'reservation.rescinded']],
    ['pending', { instruction: 'accept' }, 'accepted', ['reservation.accepted', 'reservation.rescinded']],
    ['pending', { status: 'rejected' }, 'rejected', ['reservation.rejected']],
    ['pending', { instruction: 'reject' }, 'rejected', ['reservation.rejected']],
    ['accepted', { status: 'wrapping' }, 'wrapping', ['reservation.wrapup', 'task.wrapup']],
    ['accepted', { status: 'completed' }, 'completed', ['reservation.completed', 'task.completed']],
    ['wrapping', { status: 'completed' }, 'completed', ['reservation.completed', 'task.completed']],
    ['wrapping', { status: 'wrapping' }, 'wrapping', []],
  ])('a %s reservation takes %j and becomes %s', (from, update, to, events) => {
    const { h, sid, taskSid } = reservationIn(from);
    const { effects } = h.run({ type: 'reservation.update', sid, taskSid, ...update });
    expect(h.reservation(sid).status).toBe(to);
    expect(eventTypes(effects)).toEqual(events);
  });
});
