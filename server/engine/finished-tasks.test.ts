import { describe, expect, it } from 'vitest';
import { FinishedTasks, type FinishedTask } from './finished-tasks.js';
import type { ReservationRecord, TaskRecord } from './model.js';

function finished(n: number, workers: string[], status: 'completed' | 'canceled' = 'completed'): FinishedTask {
  const sid = `WT${String(n).padStart(32, '0')}`;
  const task: TaskRecord = {
    sid, workspaceSid: 'WSx', workflowSid: 'WWx', taskQueueSid: 'WQx', taskChannelSid: 'TCx',
    attributes: JSON.stringify({ n, note: 'naïve ✓ — 日本' }), priority: n % 3, timeout: 86_400, assignmentStatus: status, reason: null,
    dateCreated: 1_000 + n, dateUpdated: 2_000 + n, virtualStartTime: 1_000 + n, workflowEnteredAt: 1_000 + n, taskQueueEnteredAt: 1_000 + n,
    step: { filter: -1, target: 0 }, assignmentCount: 1, rejectedWorkerSids: [], routingTarget: null, ignoreCapacity: false,
    purgeAt: 302_000 + n, version: 3,
  };
  const reservations = workers.map((workerSid, i): ReservationRecord => ({
    sid: `WR${String(n * 10 + i).padStart(32, '0')}`, workspaceSid: 'WSx', taskSid: sid, workerSid, taskQueueSid: 'WQx', workflowSid: 'WWx',
    taskChannelSid: 'TCx', status: i === 0 ? 'completed' : 'rescinded', timeoutAt: 0, dateCreated: 1_000 + n, dateUpdated: 2_000 + n, version: 2,
    ...(i === 0 ? { workerVersion: 7 } : {}),
  }));
  return { task, reservations };
}

describe('FinishedTasks', () => {
  it('reads back each task and its reservations as archived, across batches, multi-byte text included', () => {
    const archive = new FinishedTasks(4);
    const tasks = Array.from({ length: 10 }, (_, n) => finished(n, ['WKa', 'WKb'], n % 2 ? 'canceled' : 'completed'));
    archive.add(tasks.slice(0, 7));
    archive.add(tasks.slice(7));
    expect(archive.size).toBe(10);
    for (const t of tasks) expect(archive.get(t.task.sid)).toStrictEqual(t);
    const places = [...archive.places()];
    expect(places.map((p) => archive.at(p).task.sid)).toEqual(tasks.map((t) => t.task.sid));
    expect(places.map((p) => archive.statusAt(p))).toEqual(tasks.map((t) => t.task.assignmentStatus));
    expect(places.map((p) => archive.numberAt(p, 'priority'))).toEqual(tasks.map((t) => t.task.priority));
    expect(places.map((p) => archive.numberAt(p, 'virtualStartTime'))).toEqual(tasks.map((t) => t.task.virtualStartTime));
    expect(archive.purgeAt(tasks[3]!.task.sid)).toBe(302_003);
    expect(archive.taskSidOf(tasks[5]!.reservations[1]!.sid)).toBe(tasks[5]!.task.sid);
    expect(archive.get('WTnone')).toBeUndefined();
  });

  it('takes tasks out in any order; a batch emptied frees its slot, and a later batch still lists last', () => {
    const archive = new FinishedTasks(3);
    const tasks = Array.from({ length: 6 }, (_, n) => finished(n, ['WKa']));
    archive.add(tasks);
    for (const n of [1, 0, 2]) expect(archive.take(tasks[n]!.task.sid)).toEqual(tasks[n]);
    expect(archive.take(tasks[0]!.task.sid)).toBeUndefined();
    expect(archive.has(tasks[0]!.task.sid)).toBe(false);
    expect(archive.taskSidOf(tasks[0]!.reservations[0]!.sid)).toBeUndefined();
    const later = [finished(6, ['WKa']), finished(7, ['WKb'])];
    archive.add(later); // into the freed slot
    expect([...archive.places()].map((p) => archive.at(p).task.sid)).toEqual([...tasks.slice(3), ...later].map((t) => t.task.sid));
    for (const t of [...tasks.slice(3), ...later]) expect(archive.get(t.task.sid)).toEqual(t);
    expect(archive.take(tasks[4]!.task.sid)).toEqual(tasks[4]);
    expect([...archive.places()].map((p) => archive.at(p).task.sid)).toEqual([tasks[3], tasks[5], ...later].map((t) => t!.task.sid));
  });

  it('reads places oldest first across batches, ties in the order archived, skipping tasks taken out', () => {
    const archive = new FinishedTasks(3);
    const created = (n: number, at: number) => {
      const entry = finished(n, ['WKa']);
      entry.task.dateCreated = at;
      return entry;
    };
    const [a, b, c, d, e, f] = [created(1, 50), created(2, 10), created(3, 90), created(4, 20), created(5, 70), created(6, 50)];
    archive.add([a!, b!, c!, d!]); // a batch of three (oldest first: b, a, c) and one of d
    archive.add([e!, f!]);
    const read = () => [...archive.byCreation()].map((p) => archive.at(p).task.sid);
    expect(read()).toEqual([b, d, a, f, e, c].map((t) => t!.task.sid));
    archive.take(a!.task.sid);
    archive.take(d!.task.sid);
    expect(read()).toEqual([b, f, e, c].map((t) => t!.task.sid));
    expect([...new FinishedTasks().byCreation()]).toEqual([]);
  });

  it("lists a worker's archived tasks once each, in the order archived, and forgets those taken out", () => {
    const archive = new FinishedTasks();
    const a = finished(1, ['WKa', 'WKb', 'WKa']);
    const b = finished(2, ['WKb']);
    const c = finished(3, ['WKa']);
    archive.add([a, b]);
    archive.add([c]);
    expect([...archive.tasksOfWorker('WKa')]).toEqual([a.task.sid, c.task.sid]);
    expect([...archive.tasksOfWorker('WKb')]).toEqual([a.task.sid, b.task.sid]);
    archive.take(c.task.sid);
    archive.take(a.task.sid);
    expect([...archive.tasksOfWorker('WKa')]).toEqual([]);
    expect([...archive.tasksOfWorker('WKb')]).toEqual([b.task.sid]);
    // Archived again (changed and left alone): listed once.
    archive.add([a]);
    expect([...archive.tasksOfWorker('WKb')]).toEqual([b.task.sid, a.task.sid]);
    expect([...archive.tasksOfWorker('WKnone')]).toEqual([]);
  });
});
