import { describe, expect, it } from 'vitest';
import { eventTypes, timerOps } from './test-support/effect-views.js';
import { singleQueueWorkspace } from './test-support/fixtures.js';

describe('reject', () => {
  it('ends the offer, re-offers the task to the next worker and never again to the one who rejected', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    const ben = h.addWorker('Ben', { activity: 'Offline' });
    const task = h.addTask();
    const first = h.onlyPending(task.sid);
    expect(first.workerSid).toBe(ann.sid);
    const { effects } = h.rejectOffer(first.sid);
    expect(eventTypes(effects)).toEqual(['reservation.rejected']);
    expect(timerOps(effects)).toEqual([`clear reservation:${first.sid}`]);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'pending', rejectedWorkerSids: [ann.sid] });
    h.setActivity(ben.sid, 'Available');
    expect(h.onlyPending(task.sid).workerSid).toBe(ben.sid);
    h.rejectOffer(h.onlyPending(task.sid).sid);
    expect(h.reservationsOf(task.sid).map((r) => [h.nameOf(r.workerSid), r.status])).toEqual([
      ['Ann', 'rejected'],
      ['Ben', 'rejected'],
    ]);
    expect(h.task(task.sid).assignmentStatus).toBe('pending');
  });

  it('with WorkerActivitySid moves the worker to that activity', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    const { effects } = h.rejectOffer(h.onlyPending(task.sid).sid, 'Unavailable');
    expect(eventTypes(effects)).toEqual(['reservation.rejected', 'worker.activity.update']);
    expect(h.worker(ann.sid).activitySid).toBe(h.activity('Unavailable'));
  });

  it('frees the worker for another task at once', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    const first = h.addTask();
    const second = h.addTask();
    const { effects } = h.rejectOffer(h.onlyPending(first.sid).sid);
    expect(eventTypes(effects)).toEqual(['reservation.rejected', 'reservation.created']);
    expect(h.onlyPending(second.sid).workerSid).toBe(ann.sid);
  });
});

describe('timeout', () => {
  it('after TaskReservationTimeout the offer times out and the worker moves to the TimeoutActivity', () => {
    const { h } = singleQueueWorkspace({}, { taskReservationTimeout: 15 });
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    expect(offer.timeoutAt).toBe(h.clock.now + 15_000);
    expect(h.timers.at(`reservation:${offer.sid}`)).toBe(offer.timeoutAt);
    expect(h.advance(14_999)).toEqual([]);
    const effects = h.advance(1);
    expect(eventTypes(effects)).toEqual(['reservation.timeout', 'worker.activity.update']);
    expect(h.reservation(offer.sid).status).toBe('timeout');
    expect(h.worker(ann.sid).activitySid).toBe(h.activity('Offline'));
    expect(h.task(task.sid).assignmentStatus).toBe('pending');
  });

  it('uses the workspace TimeoutActivitySid, and re-offers to the next worker', () => {
    const { h } = singleQueueWorkspace({}, { taskReservationTimeout: 15 });
    h.run({ type: 'workspace.update', timeoutActivitySid: h.activity('Unavailable') });
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    h.clock.advance(1);
    const ben = h.addWorker('Ben');
    h.advance(15_000);
    expect(h.worker(ann.sid).activitySid).toBe(h.activity('Unavailable'));
    expect(h.onlyPending(task.sid).workerSid).toBe(ben.sid);
  });

  it('a timer that fires for an offer already accepted does nothing', () => {
    const { h } = singleQueueWorkspace({}, { taskReservationTimeout: 15 });
    h.addWorker('Ann');
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    h.accept(offer.sid);
    h.clock.advance(20_000);
    expect(h.step({ type: 'timer.fired', key: `reservation:${offer.sid}` }, { type: 'system' })).toMatchObject({ ok: true, effects: [] });
    expect(h.reservation(offer.sid).status).toBe('accepted');
  });

  it('a timer fired before the deadline does nothing', () => {
    const { h } = singleQueueWorkspace();
    h.addWorker('Ann');
    const offer = h.onlyPending(h.addTask().sid);
    expect(h.step({ type: 'timer.fired', key: `reservation:${offer.sid}` }, { type: 'system' })).toMatchObject({ ok: true, effects: [] });
    expect(h.reservation(offer.sid).status).toBe('pending');
  });
});

describe('queue activities', () => {
  it('ReservationActivitySid applies on offer and AssignmentActivitySid on accept', () => {
    const { h, queue } = singleQueueWorkspace({ reservationActivity: 'Unavailable', assignmentActivity: 'Offline' });
    h.run({ type: 'activity.create', friendlyName: 'Ringing', available: false });
    h.run({ type: 'taskQueue.update', sid: queue.sid, reservationActivitySid: h.activity('Ringing') });
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    expect(h.worker(ann.sid).activitySid).toBe(h.activity('Ringing'));
    expect(eventTypes(h.accept(h.onlyPending(task.sid).sid).effects)).toEqual(['reservation.accepted', 'worker.activity.update']);
    expect(h.worker(ann.sid).activitySid).toBe(h.activity('Offline'));
  });

  it('completion does not change the activity', () => {
    const { h } = singleQueueWorkspace({ assignmentActivity: 'Unavailable' });
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    h.accept(h.onlyPending(task.sid).sid);
    const { effects } = h.setTaskStatus(task.sid, 'completed');
    expect(eventTypes(effects)).toEqual(['reservation.completed', 'task.completed']);
    expect(h.worker(ann.sid).activitySid).toBe(h.activity('Unavailable'));
  });
});

describe('RejectPendingReservations', () => {
  it('rejects every pending offer of the worker as it goes unavailable, and the tasks move on', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { capacity: { default: 2 } });
    const first = h.addTask();
    const second = h.addTask();
    expect(h.reservationsOfWorker(ann.sid).map((r) => r.status)).toEqual(['pending', 'pending']);
    const ben = h.addWorker('Ben', { activity: 'Offline', capacity: { default: 2 } });
    const { effects } = h.run({ type: 'worker.update', sid: ann.sid, activitySid: h.activity('Unavailable'), rejectPendingReservations: true });
    expect(eventTypes(effects)).toEqual(['reservation.rejected', 'reservation.rejected', 'worker.activity.update']);
    expect(h.task(first.sid).rejectedWorkerSids).toEqual([ann.sid]);
    h.setActivity(ben.sid, 'Available');
    expect([h.onlyPending(first.sid).workerSid, h.onlyPending(second.sid).workerSid]).toEqual([ben.sid, ben.sid]);
  });

  it('leaves accepted reservations alone', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { capacity: { default: 2 } });
    const first = h.addTask();
    const second = h.addTask();
    h.accept(h.onlyPending(first.sid).sid);
    h.run({ type: 'worker.update', sid: ann.sid, activitySid: h.activity('Offline'), rejectPendingReservations: true });
    expect(h.task(first.sid).assignmentStatus).toBe('assigned');
    expect(h.reservationsOf(second.sid).map((r) => r.status)).toEqual(['rejected']);
  });
});

describe('canceled', () => {
  it('a worker going offline keeps its pending offer; a task moved away cancels it', () => {
    const h = singleQueueWorkspace().h;
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    h.setActivity(ann.sid, 'Offline');
    expect(h.reservation(offer.sid).status).toBe('pending');
    const other = h.addQueue('Other');
    const { effects } = h.run({
      type: 'workflow.update',
      sid: task.workflowSid!,
      configuration: JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: other.sid }] }] } }),
    });
    expect(eventTypes(effects)).toEqual(['workflow.updated']);
    // A task with a pending offer is not re-evaluated (only pending ones are); its attributes changing moves it.
    const moved = h.run({ type: 'task.update', sid: task.sid, attributes: '{"moved":true}' });
    expect(eventTypes(moved.effects)).toEqual(['task.updated', 'reservation.canceled', 'task-queue.entered', 'workflow.target-matched']);
    expect(h.reservation(offer.sid).status).toBe('canceled');
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'pending', taskQueueSid: other.sid });
  });
});
