import { describe, expect, it } from 'vitest';
import { ARCHIVE_DELAY_MS, archiveDeadline } from './archive.js';
import { RECORDS_PER_SLICE } from './step-context.js';
import { eventTypes, persistedKeys, timerOps } from './test-support/effect-views.js';
import { checkArchive, everyTask } from './test-support/every-record.js';
import { checkTaskTally } from './test-support/invariants.js';
import { singleQueueWorkspace } from './test-support/fixtures.js';

/** A workspace where Ann won a two-worker offer and completed it, Bob's offer was rescinded, and a second task was canceled. */
function finishedWork() {
  const { h, queue } = singleQueueWorkspace({ maxReservedWorkers: 2 });
  const ann = h.addWorker('Ann');
  const bob = h.addWorker('Bob');
  const done = h.addTask({ attributes: { type: 'ticket', note: 'naïve ✓' } });
  const [toAnn, toBob] = [ann, bob].map((w) => h.reservationsOf(done.sid).find((r) => r.workerSid === w.sid)!);
  h.accept(toAnn!.sid);
  h.setTaskStatus(done.sid, 'completed', 'resolved');
  const dropped = h.addTask();
  h.setTaskStatus(dropped.sid, 'canceled');
  return { h, queue, ann, bob, done, dropped, toAnn: toAnn!, toBob: toBob! };
}

describe('archive of finished tasks', () => {
  it('takes them out of the live maps a little after they finish, in one batch, and reads them back the same', () => {
    const { h, ann, bob, done, dropped, toAnn, toBob } = finishedWork();
    const before = { done: h.task(done.sid), dropped: h.task(dropped.sid), reservations: h.reservationsOf(done.sid) };
    const beforeJson = JSON.parse(JSON.stringify(before)) as unknown;
    expect(h.state.tasks.has(done.sid)).toBe(true);
    expect(h.timers.entries().get('archive')).toBe(archiveDeadline(h.clock.now));

    expect(h.advance(ARCHIVE_DELAY_MS + 1_000)).toEqual([]); // no event, nothing persisted, no timer
    expect([done, dropped].map((t) => h.state.tasks.has(t.sid))).toEqual([false, false]);
    expect([toAnn, toBob].map((r) => h.state.reservations.has(r.sid))).toEqual([false, false]);
    expect(h.state.finished.size).toBe(2);
    expect(h.timers.entries().has('archive')).toBe(false);

    expect({ done: h.state.findTask(done.sid), dropped: h.state.findTask(dropped.sid), reservations: h.state.reservationsOf(done.sid) }).toEqual(beforeJson);
    expect(h.state.findReservation(toBob.sid)).toMatchObject({ status: 'rescinded', workerSid: bob.sid });
    // Both were offered the second task (up to two offers a task) before it was canceled.
    const offersOf = (workerSid: string) => h.state.allReservationsOfWorker(workerSid).map((r) => `${r.taskSid} ${r.status}`);
    expect(offersOf(ann.sid)).toEqual([`${done.sid} completed`, `${dropped.sid} canceled`]);
    expect(offersOf(bob.sid)).toEqual([`${done.sid} rescinded`, `${dropped.sid} canceled`]);
    expect(h.state.settlesTask(ann.sid, done.sid)).toBe(true);
    expect(h.state.settlesTask(bob.sid, done.sid)).toBe(false);
    expect([...checkArchive(h.state), ...checkTaskTally(h.state)]).toEqual([]);
  });

  it('archives a second of many finished tasks in slices, one turn of the loop each, oldest first', () => {
    const { h } = singleQueueWorkspace({ maxReservedWorkers: 50 });
    for (let i = 0; i < 50; i += 1) h.addWorker(`W${i}`);
    // Each task: 50 offers, one accepted and completed, 49 rescinded: 51 records.
    const tasks = Array.from({ length: 25 }, () => {
      const task = h.addTask();
      h.accept(h.reservationsOf(task.sid)[0]!.sid);
      h.setTaskStatus(task.sid, 'completed', 'resolved');
      return task;
    });
    const deadline = archiveDeadline(h.clock.now);
    expect(h.timers.entries().get('archive')).toBe(deadline);
    h.clock.moveTo(deadline);

    const perSlice = Math.ceil(RECORDS_PER_SLICE / 51);
    const archived: number[] = [];
    const rearmed: string[][] = [];
    for (let due = h.timers.takeDue(deadline); due; due = h.timers.takeDue(deadline)) {
      expect(due).toEqual({ key: 'archive', at: deadline }); // the next slice is due at once
      rearmed.push(timerOps(h.step({ type: 'timer.fired', key: due.key }, { type: 'system' }).effects));
      archived.push(h.state.finished.size);
    }
    expect(archived).toEqual([perSlice, 2 * perSlice, 25]);
    expect(rearmed).toEqual([[`set archive@${deadline}`], [`set archive@${deadline}`], []]);
    expect([...h.state.finished.places()].map((p) => h.state.finished.at(p).task.sid)).toEqual(tasks.map((t) => t.sid));
    expect(h.state.tasks.size).toBe(0);
    expect([...checkArchive(h.state), ...checkTaskTally(h.state)]).toEqual([]);
  });

  it('answers a late accept of an archived offer with 410 Gone, changing nothing', () => {
    const { h, toBob } = finishedWork();
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    const error = h.mustFail({ type: 'reservation.update', sid: toBob.sid, status: 'accepted' });
    expect(error.status).toBe(410);
    expect(h.state.reservations.has(toBob.sid)).toBe(false);
    expect(h.mustFail({ type: 'reservation.update', sid: 'WRnone', status: 'accepted' }).status).toBe(404);
  });

  it('answers a conflict or a failed precondition for an archived task without bringing it back', () => {
    const { h, done } = finishedWork();
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    expect(h.mustFail({ type: 'task.update', sid: done.sid, assignmentStatus: 'canceled' }).status).toBe(409);
    expect(h.mustFail({ type: 'task.update', sid: done.sid, attributes: '{}' }).status).toBe(409);
    expect(h.mustFail({ type: 'task.delete', sid: done.sid, ifMatch: '99' }).status).toBe(412);
    expect(h.state.tasks.has(done.sid)).toBe(false);
    expect(h.state.finished.has(done.sid)).toBe(true);
  });

  it('brings a task back to change it, and archives it again once left unchanged', () => {
    const { h, done } = finishedWork();
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    const { value, effects } = h.run<{ version: number }>({ type: 'task.update', sid: done.sid, reason: 'reopened note' });
    expect(value.version).toBe(h.task(done.sid).version);
    expect(eventTypes(effects)).toEqual(['task.updated']);
    expect(persistedKeys(effects)).toEqual([`task:${done.sid}`]);
    expect(timerOps(effects)).toEqual([`set archive@${archiveDeadline(h.clock.now)}`]);
    expect(h.state.tasks.has(done.sid)).toBe(true);
    expect(h.state.finished.has(done.sid)).toBe(false);
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    expect(h.state.finished.get(done.sid)?.task).toEqual(JSON.parse(JSON.stringify(h.store.get('task', done.sid))));
    expect(checkArchive(h.state)).toEqual([]);
  });

  it('deletes an archived task with its reservations, in the store too, and forgets it in the tally', () => {
    const { h, done, toAnn, toBob } = finishedWork();
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    const { effects } = h.run({ type: 'task.delete', sid: done.sid });
    expect(eventTypes(effects)).toEqual(['task.deleted']);
    expect(persistedKeys(effects)).toEqual(expect.arrayContaining([`reservation:${toAnn.sid}-`, `reservation:${toBob.sid}-`, `task:${done.sid}-`]));
    expect(h.state.findTask(done.sid)).toBeUndefined();
    expect(h.state.findReservation(toAnn.sid)).toBeUndefined();
    expect(h.store.get('task', done.sid)).toBeUndefined();
    expect(h.state.finished.size).toBe(1);
    expect([...checkArchive(h.state), ...checkTaskTally(h.state)]).toEqual([]);
  });

  it('purges archived tasks when due, handing their offer marks to the worker records', () => {
    const { h, ann, done, toAnn } = finishedWork();
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    const effects = h.advance(300_000);
    expect(persistedKeys(effects)).toEqual(expect.arrayContaining([`reservation:${toAnn.sid}-`, `task:${done.sid}-`]));
    expect(h.state.finished.size).toBe(0);
    expect(h.state.tasks.size).toBe(0);
    expect(h.store.get('worker', ann.sid)).toEqual(h.worker(ann.sid));
    expect(h.timers.entries().has('purge')).toBe(false);
    expect(checkTaskTally(h.state)).toEqual([]);
  });

  it('keeps a channel with archived tasks from being deleted', () => {
    const { h } = finishedWork();
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    expect(h.mustFail({ type: 'taskChannel.delete', sid: h.channel('default') }).message).toMatch(/still has tasks/);
    h.advance(300_000);
    expect(h.state.taskChannels.has(h.channel('default'))).toBe(true);
  });

  it('a restore archives the finished tasks at once and reads them the same', () => {
    const { h, done, dropped } = finishedWork();
    const live = h.addTask();
    const { twin } = h.restore();
    expect(twin.state.finished.size).toBe(2);
    expect([...twin.state.tasks.keys()]).toEqual([live.sid]);
    expect(twin.snapshot()).toEqual(h.snapshot());
    expect(everyTask(twin.state).map((t) => t.sid).sort()).toEqual([done.sid, dropped.sid, live.sid].sort());
    expect([...checkArchive(twin.state), ...checkTaskTally(twin.state)]).toEqual([]);
  });

  it('lists archived tasks by place, status and dates without decoding them', () => {
    const { h, done, dropped } = finishedWork();
    h.advance(ARCHIVE_DELAY_MS + 1_000);
    const places = [...h.state.finished.places()];
    expect(places.map((p) => h.state.finished.at(p).task.sid)).toEqual([done.sid, dropped.sid]);
    expect(places.map((p) => h.state.finished.statusAt(p))).toEqual(['completed', 'canceled']);
    expect(places.map((p) => h.state.finished.numberAt(p, 'dateCreated'))).toEqual([done.dateCreated, dropped.dateCreated]);
    expect(h.state.finished.purgeAt(done.sid)).toBe(h.task(done.sid).purgeAt);
  });
});
