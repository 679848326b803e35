import { describe, expect, it } from 'vitest';
import type { TaskOrder } from './model.js';
import { EngineHarness } from './test-support/engine-harness.js';
import { singleQueueWorkspace } from './test-support/fixtures.js';

describe('task order in a queue', () => {
  /** Four waiting tasks (created 1 s apart), then one worker comes online and takes one at a time. */
  function order(taskOrder: TaskOrder, specs: { name: string; priority?: number; vstAgo?: number }[]): string[] {
    const { h } = singleQueueWorkspace({ taskOrder });
    const ann = h.addWorker('Ann', { activity: 'Offline' });
    const names = new Map<string, string>();
    for (const spec of specs) {
      h.clock.advance(1_000);
      const task = h.addTask({ priority: spec.priority ?? 0, ...(spec.vstAgo ? { virtualStartTime: h.clock.now - spec.vstAgo } : {}) });
      names.set(task.sid, spec.name);
    }
    h.setActivity(ann.sid, 'Available');
    const taken: string[] = [];
    for (let i = 0; i < specs.length; i += 1) {
      const offer = h.pending().find((r) => r.workerSid === ann.sid)!;
      taken.push(names.get(offer.taskSid)!);
      h.accept(offer.sid);
      h.setTaskStatus(offer.taskSid, 'completed');
    }
    return taken;
  }

  it.each<[string, TaskOrder, { name: string; priority?: number; vstAgo?: number }[], string[]]>([
    ['FIFO: oldest first', 'FIFO', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], ['a', 'b', 'c']],
    ['LIFO: newest first', 'LIFO', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], ['c', 'b', 'a']],
    ['FIFO: higher priority first regardless of age', 'FIFO', [{ name: 'a' }, { name: 'b', priority: 5 }, { name: 'c', priority: 1 }], ['b', 'c', 'a']],
    ['LIFO: higher priority first regardless of age', 'LIFO', [{ name: 'a', priority: 2 }, { name: 'b' }, { name: 'c', priority: 2 }], ['c', 'a', 'b']],
    ['FIFO: an older virtual start time goes first', 'FIFO', [{ name: 'a' }, { name: 'b' }, { name: 'c', vstAgo: 60_000 }], ['c', 'a', 'b']],
  ])('%s', (_, taskOrder, specs, expected) => {
    expect(order(taskOrder, specs)).toEqual(expected);
  });

  it('changing a waiting task priority re-sorts it', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { activity: 'Offline' });
    h.addTask();
    h.clock.advance(1);
    const b = h.addTask();
    h.run({ type: 'task.update', sid: b.sid, priority: 3 });
    h.setActivity(ann.sid, 'Available');
    expect(h.pending().map((r) => r.taskSid)).toEqual([b.sid]);
  });

  it('changing TaskOrder re-sorts the waiting tasks', () => {
    const { h, queue } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { activity: 'Offline' });
    h.addTask();
    h.clock.advance(1);
    const newest = h.addTask();
    h.run({ type: 'taskQueue.update', sid: queue.sid, taskOrder: 'LIFO' });
    h.setActivity(ann.sid, 'Available');
    expect(h.pending().map((r) => r.taskSid)).toEqual([newest.sid]);
  });
});

describe('worker order', () => {
  it.each<[string, string[], string]>([
    ['the longest idle worker gets the task', ['Ann', 'Ben', 'Cy'], 'Ann'],
    ['going available again puts a worker at the back', ['Ben', 'Cy', 'Ann'], 'Ben'],
  ])('%s', (_, availableOrder, expected) => {
    const { h } = singleQueueWorkspace();
    const sids = new Map<string, string>();
    for (const name of ['Ann', 'Ben', 'Cy']) sids.set(name, h.addWorker(name, { activity: 'Offline' }).sid);
    for (const name of availableOrder) {
      h.clock.advance(1_000);
      h.setActivity(sids.get(name)!, 'Available');
    }
    const task = h.addTask();
    expect(h.nameOf(h.onlyPending(task.sid).workerSid)).toBe(expected);
  });

  it('a worker who just finished a task waits behind those idle longer', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    h.clock.advance(1_000);
    const first = h.addTask();
    expect(h.onlyPending(first.sid).workerSid).toBe(ann.sid);
    h.clock.advance(1_000);
    h.addWorker('Ben');
    h.accept(h.onlyPending(first.sid).sid);
    h.clock.advance(1_000);
    h.setTaskStatus(first.sid, 'completed');
    const second = h.addTask();
    expect(h.nameOf(h.onlyPending(second.sid).workerSid)).toBe('Ben');
  });

  it.each<[string, string, string[]]>([
    ['order_by ASC: lowest first', 'worker.level ASC', ['Cy', 'Ann']],
    ['order_by DESC: highest first', 'worker.level DESC', ['Ben', 'Ann']],
    ['order_by with a tie-break clause', 'worker.team ASC, worker.level DESC', ['Ann', 'Cy']],
    ['workers lacking the attribute come last', 'worker.rank DESC', ['Cy', 'Ann']],
  ])('%s', (_, orderBy, expected) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q', { maxReservedWorkers: 2 });
    h.addWorkflow('W', { filters: [{ targets: [{ queue: q.sid, order_by: orderBy }] }] });
    h.addWorker('Ann', { attributes: { level: 5, team: 1 } });
    h.addWorker('Ben', { attributes: { level: 9, team: 2 } });
    h.addWorker('Cy', { attributes: { level: 1, team: 1, rank: 3 } });
    const task = h.addTask();
    expect(h.reservationsOf(task.sid).map((r) => h.nameOf(r.workerSid))).toEqual(expected);
  });

  it('prefers the task of the queue with the higher priority, then the older one, for a worker in two queues', () => {
    const h = EngineHarness.create();
    const q1 = h.addQueue('Q1');
    const q2 = h.addQueue('Q2');
    const ann = h.addWorker('Ann', { activity: 'Offline' });
    h.addTask({ taskQueueSid: q1.sid });
    h.clock.advance(1);
    const urgent = h.addTask({ taskQueueSid: q2.sid, priority: 1 });
    h.clock.advance(1);
    h.addTask({ taskQueueSid: q2.sid });
    h.setActivity(ann.sid, 'Available');
    expect(h.pending().map((r) => r.taskSid)).toEqual([urgent.sid]);
  });

  it.each<[TaskOrder, number]>([
    ['FIFO', 0],
    ['LIFO', 1],
  ])('the workspace PrioritizeQueueOrder %s picks across queues by age', (order, expectedIndex) => {
    const h = EngineHarness.create({ prioritizeQueueOrder: order });
    const queues = [h.addQueue('Q1'), h.addQueue('Q2')];
    const ann = h.addWorker('Ann', { activity: 'Offline' });
    const tasks = queues.map((q) => (h.clock.advance(1), h.addTask({ taskQueueSid: q.sid })));
    h.setActivity(ann.sid, 'Available');
    expect(h.pending().map((r) => r.taskSid)).toEqual([tasks[expectedIndex]!.sid]);
  });
});

describe('eligibility', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['matches the queue expression', { skills: ['billing'] }, true],
    ['does not match the queue expression', { skills: ['sales'] }, false],
    ['lacks the attribute (NULL)', {}, false],
  ])('a worker who %s gets an offer: %s', (_, attributes, offered) => {
    const { h } = singleQueueWorkspace({ targetWorkers: "skills HAS 'billing'" });
    h.addWorker('Ann', { attributes });
    const task = h.addTask();
    expect(h.reservationsOf(task.sid).length).toBe(offered ? 1 : 0);
  });

  it.each(['Offline', 'Unavailable'])('a worker in %s gets nothing', (activity) => {
    const { h } = singleQueueWorkspace();
    h.addWorker('Ann', { activity });
    expect(h.reservationsOf(h.addTask().sid)).toEqual([]);
  });

  it('a worker whose attributes change to match a queue gets its waiting task', () => {
    const { h } = singleQueueWorkspace({ targetWorkers: "skills HAS 'billing'" });
    const ann = h.addWorker('Ann');
    const task = h.addTask();
    h.run({ type: 'worker.update', sid: ann.sid, attributes: '{"skills":["billing"]}' });
    expect(h.onlyPending(task.sid).workerSid).toBe(ann.sid);
  });

  it('an unavailable worker channel gets nothing on that channel', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    h.run({ type: 'workerChannel.update', workerSid: ann.sid, sid: 'chat', available: false });
    const chat = h.addTask({ taskChannel: 'chat' });
    const voice = h.addTask({ taskChannel: 'voice' });
    expect(h.reservationsOf(chat.sid)).toEqual([]);
    expect(h.onlyPending(voice.sid).workerSid).toBe(ann.sid);
  });
});

describe('a task routed to a worker (RoutingTarget)', () => {
  /** A queue Ann is not a member of, a task for her in it, and Ann busy with one accepted task. */
  function targetedAtAnn(ignoreCapacity?: boolean) {
    const { h, queue } = singleQueueWorkspace({ targetWorkers: "team == 'other'" });
    const ann = h.addWorker('Ann', { attributes: { team: 'sales' } });
    const other = h.addQueue('Sales', { targetWorkers: "team == 'sales'" });
    const held = h.addTask({ taskQueueSid: other.sid });
    h.accept(h.onlyPending(held.sid).sid);
    h.setActivity(ann.sid, 'Offline');
    const task = h.addTask({ taskQueueSid: queue.sid, routingTarget: ann.sid, ...(ignoreCapacity === undefined ? {} : { ignoreCapacity }) });
    expect(h.reservationsOf(task.sid)).toEqual([]);
    return { h, ann, held, task };
  }

  it('reaches her when she comes back, full as she is: IgnoreCapacity is its default', () => {
    const { h, ann, task } = targetedAtAnn();
    h.setActivity(ann.sid, 'Available');
    expect(h.onlyPending(task.sid).workerSid).toBe(ann.sid);
  });

  it('without IgnoreCapacity, waits for her capacity and then reaches her, outside her queues', () => {
    const { h, ann, held, task } = targetedAtAnn(false);
    h.setActivity(ann.sid, 'Available');
    expect(h.reservationsOf(task.sid)).toEqual([]);
    h.setTaskStatus(held.sid, 'completed');
    expect(h.onlyPending(task.sid).workerSid).toBe(ann.sid);
  });
});

describe('multitasking', () => {
  it.each<[string, number, number]>([
    ['capacity 2 on chat takes two chats', 2, 2],
    ['capacity 1 on chat takes one', 1, 1],
    ['capacity 0 on chat takes none', 0, 0],
    ['capacity 3 on chat takes all three', 3, 3],
  ])('%s', (_, capacity, held) => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { capacity: { chat: capacity } });
    for (let i = 0; i < 3; i += 1) h.addTask({ taskChannel: 'chat' });
    expect(h.reservationsOfWorker(ann.sid).length).toBe(held);
  });

  it('channels are independent: a full chat channel still takes a voice task', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann');
    h.addTask({ taskChannel: 'chat' });
    const voice = h.addTask({ taskChannel: 'voice' });
    expect(h.onlyPending(voice.sid).workerSid).toBe(ann.sid);
  });

  it('accepted and wrapping tasks hold capacity; completing one frees it for the next', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { capacity: { chat: 2 } });
    const tasks = [0, 1, 2].map(() => h.addTask({ taskChannel: 'chat' }));
    h.accept(h.onlyPending(tasks[0]!.sid).sid);
    h.accept(h.onlyPending(tasks[1]!.sid).sid);
    h.setTaskStatus(tasks[1]!.sid, 'wrapping');
    expect(h.reservationsOf(tasks[2]!.sid)).toEqual([]);
    h.setTaskStatus(tasks[0]!.sid, 'completed');
    expect(h.onlyPending(tasks[2]!.sid).workerSid).toBe(ann.sid);
  });

  it('raising capacity routes waiting tasks at once', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { capacity: { chat: 0 } });
    const task = h.addTask({ taskChannel: 'chat' });
    h.setCapacity(ann.sid, 'chat', 1);
    expect(h.onlyPending(task.sid).workerSid).toBe(ann.sid);
  });

  it('lowering capacity below the load keeps the tasks held and takes no more', () => {
    const { h } = singleQueueWorkspace();
    const ann = h.addWorker('Ann', { capacity: { chat: 2 } });
    h.addTask({ taskChannel: 'chat' });
    h.addTask({ taskChannel: 'chat' });
    h.setCapacity(ann.sid, 'chat', 1);
    expect(h.reservationsOfWorker(ann.sid).map((r) => r.status)).toEqual(['pending', 'pending']);
    const third = h.addTask({ taskChannel: 'chat' });
    h.setTaskStatus(h.reservationsOfWorker(ann.sid)[0]!.taskSid, 'canceled');
    expect(h.reservationsOf(third.sid)).toEqual([]);
  });

  it('with multitasking off a worker holds one task over all channels', () => {
    const { h } = singleQueueWorkspace({}, { workspace: { multiTaskEnabled: false } });
    const ann = h.addWorker('Ann', { capacity: { chat: 3 } });
    h.addTask({ taskChannel: 'chat' });
    h.addTask({ taskChannel: 'chat' });
    h.addTask({ taskChannel: 'voice' });
    expect(h.reservationsOfWorker(ann.sid)).toHaveLength(1);
  });

  it('turning multitasking on routes the waiting tasks', () => {
    const { h } = singleQueueWorkspace({}, { workspace: { multiTaskEnabled: false } });
    const ann = h.addWorker('Ann');
    h.addTask({ taskChannel: 'chat' });
    h.addTask({ taskChannel: 'voice' });
    h.run({ type: 'workspace.update', multiTaskEnabled: true });
    expect(h.reservationsOfWorker(ann.sid)).toHaveLength(2);
  });
});
