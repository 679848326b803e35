import { describe, expect, it } from 'vitest';
import type { Command } from '../commands.js';
import type { TaskQueueRecord, WorkflowRecord } from '../model.js';
import { eventTypes, persistedKeys } from '../test-support/effect-views.js';
import { EngineHarness } from '../test-support/engine-harness.js';

const config = (routing: object) => JSON.stringify({ task_routing: routing });

describe('taskQueue.create', () => {
  it("has TaskRouter's defaults", () => {
    const h = EngineHarness.create();
    const { value, effects } = h.run<TaskQueueRecord>({ type: 'taskQueue.create', friendlyName: 'Q' });
    expect(value).toMatchObject({ targetWorkers: '1==1', maxReservedWorkers: 1, taskOrder: 'FIFO', reservationActivitySid: null, assignmentActivitySid: null });
    expect(persistedKeys(effects)).toEqual([`taskQueue:${value.sid}`]);
    expect(eventTypes(effects)).toEqual(['task-queue.created']);
  });

  it('takes as members the workers its expression matches', () => {
    const h = EngineHarness.create();
    const ann = h.addWorker('Ann', { attributes: { skills: ['a'] } });
    h.addWorker('Ben', { attributes: { skills: ['b'] } });
    const q = h.addQueue('A', { targetWorkers: "skills HAS 'a'" });
    expect([...h.state.routing.members.get(q.sid)!]).toEqual([ann.sid]);
  });

  it.each<[string, Omit<Extract<Command, { type: 'taskQueue.create' }>, 'type'>, string]>([
    ['an empty name', { friendlyName: '' }, 'BAD_REQUEST'],
    ['MaxReservedWorkers 0', { friendlyName: 'Q', maxReservedWorkers: 0 }, 'BAD_REQUEST'],
    ['MaxReservedWorkers 51', { friendlyName: 'Q', maxReservedWorkers: 51 }, 'BAD_REQUEST'],
    ['MaxReservedWorkers 1.5', { friendlyName: 'Q', maxReservedWorkers: 1.5 }, 'BAD_REQUEST'],
    ['an invalid TargetWorkers', { friendlyName: 'Q', targetWorkers: 'skills HAS' }, 'BAD_REQUEST'],
    ['an unknown ReservationActivitySid', { friendlyName: 'Q', reservationActivitySid: 'WAnope' }, 'BAD_REQUEST'],
    ['an unknown AssignmentActivitySid', { friendlyName: 'Q', assignmentActivitySid: 'WAnope' }, 'BAD_REQUEST'],
    ['a duplicate name', { friendlyName: 'Existing' }, 'CONFLICT'],
  ])('refuses %s and changes nothing', (_, fields, code) => {
    const h = EngineHarness.create();
    h.addQueue('Existing');
    expect(h.mustFail({ type: 'taskQueue.create', ...fields }).code).toBe(code);
  });

  it('with an empty TargetWorkers admits no worker: its tasks wait, after a restore too, until it admits some', () => {
    const h = EngineHarness.create();
    const ann = h.addWorker('Ann');
    const q = h.addQueue('Parked', { targetWorkers: '' });
    expect(q.targetWorkers).toBe('');
    const task = h.addTask({ taskQueueSid: q.sid });
    expect(h.state.routing.members.get(q.sid)?.size ?? 0).toBe(0);
    expect(h.reservationsOf(task.sid)).toEqual([]);
    const { twin } = h.restore();
    expect(twin.snapshot()).toEqual(h.snapshot());
    twin.run({ type: 'taskQueue.update', sid: q.sid, targetWorkers: '1==1' });
    expect(twin.onlyPending(task.sid).workerSid).toBe(ann.sid);
    twin.run({ type: 'taskQueue.update', sid: q.sid, targetWorkers: ' ' });
    expect(twin.state.routing.members.get(q.sid)?.size ?? 0).toBe(0);
  });

  it.each([1, 50])('accepts MaxReservedWorkers %i', (n) => {
    const h = EngineHarness.create();
    expect(h.addQueue('Q', { maxReservedWorkers: n }).maxReservedWorkers).toBe(n);
  });
});

describe('taskQueue.update', () => {
  it('re-matches members when TargetWorkers changes, with task-queue.expression.updated', () => {
    const h = EngineHarness.create();
    const ann = h.addWorker('Ann', { attributes: { skills: ['a'] } });
    const ben = h.addWorker('Ben', { attributes: { skills: ['b'] } });
    const q = h.addQueue('Q', { targetWorkers: "skills HAS 'a'" });
    const { effects } = h.run({ type: 'taskQueue.update', sid: q.sid, targetWorkers: "skills HAS 'b'" });
    expect([...h.state.routing.members.get(q.sid)!]).toEqual([ben.sid]);
    expect(h.state.routing.members.get(q.sid)!.has(ann.sid)).toBe(false);
    expect(eventTypes(effects)).toEqual(['task-queue.expression.updated']);
  });

  it('routes waiting tasks to the workers a new expression admits', () => {
    const h = EngineHarness.create();
    const ben = h.addWorker('Ben', { attributes: { skills: ['b'] } });
    const q = h.addQueue('Q', { targetWorkers: "skills HAS 'a'" });
    const task = h.addTask({ taskQueueSid: q.sid });
    expect(h.reservationsOf(task.sid)).toEqual([]);
    const { effects } = h.run({ type: 'taskQueue.update', sid: q.sid, targetWorkers: "skills HAS 'b'" });
    expect(eventTypes(effects)).toEqual(['task-queue.expression.updated', 'reservation.created']);
    expect(h.onlyPending(task.sid).workerSid).toBe(ben.sid);
  });

  it.each<[string, (q: TaskQueueRecord) => Command, string]>([
    ['an unknown queue', () => ({ type: 'taskQueue.update', sid: 'WQnope', friendlyName: 'x' }), 'NOT_FOUND'],
    ['MaxReservedWorkers 0', (q) => ({ type: 'taskQueue.update', sid: q.sid, maxReservedWorkers: 0 }), 'BAD_REQUEST'],
    ['an invalid TargetWorkers', (q) => ({ type: 'taskQueue.update', sid: q.sid, targetWorkers: '((' }), 'BAD_REQUEST'],
    ['the name of another queue', (q) => ({ type: 'taskQueue.update', sid: q.sid, friendlyName: 'Other' }), 'CONFLICT'],
    ['an unknown activity', (q) => ({ type: 'taskQueue.update', sid: q.sid, assignmentActivitySid: 'WAnope' }), 'BAD_REQUEST'],
  ])('refuses %s and changes nothing', (_, command, code) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    h.addQueue('Other');
    expect(h.mustFail(command(q)).code).toBe(code);
  });
});

describe('a queue whose members are matched anew', () => {
  /** Ann, Ben and Cy, created in that order, idle since Cy, Ann, Ben (Ann and Ben went Offline and back); Dee is Offline. */
  function idleInAnotherOrder() {
    const h = EngineHarness.create();
    const [ann, ben, cy] = ['Ann', 'Ben', 'Cy'].map((name) => h.addWorker(name, { attributes: { team: 'x' } }));
    h.addWorker('Dee', { attributes: { team: 'x' }, activity: 'Offline' });
    for (const worker of [ann!, ben!]) {
      h.clock.advance(1_000);
      h.setActivity(worker.sid, 'Offline');
      h.setActivity(worker.sid, 'Available');
    }
    return { h, order: [cy!.sid, ann!.sid, ben!.sid] };
  }

  it('on creation, takes its ready workers longest idle first, whatever order they were created in', () => {
    const { h, order } = idleInAnotherOrder();
    const q = h.addQueue('Q', { targetWorkers: "team == 'x'" });
    expect(h.state.routing.members.get(q.sid)!.size).toBe(4);
    expect([...h.state.routing.readyWorkers(q.sid, h.channel('default'))]).toEqual(order);
    const task = h.addTask({ taskQueueSid: q.sid });
    expect(h.nameOf(h.onlyPending(task.sid).workerSid)).toBe('Cy');
  });

  it('puts a worker offered a task since behind those idle longer on that channel, as the live sets and a restore do', () => {
    const h = EngineHarness.create();
    const sales = h.addQueue('Sales');
    h.addWorkflow('W', { filters: [], default_filter: { queue: sales.sid } });
    const ann = h.addWorker('Ann', { capacity: { chat: 2 } });
    h.clock.advance(1_000);
    const ben = h.addWorker('Ben', { capacity: { chat: 2 } });
    h.clock.advance(1_000);
    expect(h.onlyPending(h.addTask({ taskChannel: 'chat' }).sid).workerSid).toBe(ann.sid);
    h.clock.advance(1_000);
    const support = h.addQueue('Support');
    expect([...h.state.routing.readyWorkers(support.sid, h.channel('chat'))]).toEqual([ben.sid, ann.sid]);
    expect([...h.state.routing.readyWorkers(support.sid, h.channel('chat'))]).toEqual([...h.state.routing.readyWorkers(sales.sid, h.channel('chat'))]);
    expect([...h.state.routing.readyWorkers(support.sid, h.channel('voice'))]).toEqual([ann.sid, ben.sid]);
    expect(h.restore().twin.snapshot()).toEqual(h.snapshot());
  });

  it('on a new expression, takes its ready workers longest idle first and drops the others from its sets', () => {
    const { h, order } = idleInAnotherOrder();
    const q = h.addQueue('Q', { targetWorkers: "team == 'y'" });
    expect(h.state.routing.readyWorkers(q.sid, h.channel('default')).size).toBe(0);
    h.run({ type: 'taskQueue.update', sid: q.sid, targetWorkers: "team == 'x'" });
    expect([...h.state.routing.readyWorkers(q.sid, h.channel('default'))]).toEqual(order);
    h.run({ type: 'taskQueue.update', sid: q.sid, targetWorkers: "team == 'y'" });
    expect(h.state.routing.members.get(q.sid)!.size).toBe(0);
    expect(h.state.routing.readyWorkers(q.sid, h.channel('default')).size).toBe(0);
    for (const sid of order) expect(h.state.routing.queuesOfWorker.get(sid)!.has(q.sid)).toBe(false);
  });
});

describe('taskQueue.delete', () => {
  it('deletes an unused queue', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    const { effects } = h.run({ type: 'taskQueue.delete', sid: q.sid });
    expect(persistedKeys(effects)).toEqual([`taskQueue:${q.sid}-`]);
    expect(eventTypes(effects)).toEqual(['task-queue.deleted']);
  });

  it.each<[string, (h: EngineHarness, q: TaskQueueRecord) => void, string]>([
    ['a queue a workflow routes to', (h, q) => void h.addWorkflow('W', { filters: [], default_filter: { queue: q.sid } }), 'BAD_REQUEST'],
    ['a queue holding a waiting task', (h, q) => void h.addTask({ taskQueueSid: q.sid }), 'BAD_REQUEST'],
  ])('refuses %s and changes nothing', (_, arrange, code) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    arrange(h, q);
    expect(h.mustFail({ type: 'taskQueue.delete', sid: q.sid }).code).toBe(code);
  });

  it('refuses an unknown queue', () => {
    expect(EngineHarness.create().mustFail({ type: 'taskQueue.delete', sid: 'WQnope' }).code).toBe('NOT_FOUND');
  });
});

describe('workflows', () => {
  it('creates a workflow with a 120 s reservation timeout by default', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    const { value, effects } = h.run<WorkflowRecord>({ type: 'workflow.create', friendlyName: 'W', configuration: config({ filters: [], default_filter: { queue: q.sid } }) });
    expect(value.taskReservationTimeout).toBe(120);
    expect(eventTypes(effects)).toEqual(['workflow.created']);
  });

  it('updates and deletes a workflow without live tasks', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    const w = h.addWorkflow('W', { filters: [], default_filter: { queue: q.sid } });
    h.run({ type: 'workflow.update', sid: w.sid, taskReservationTimeout: 30, friendlyName: 'W2' });
    expect(h.state.workflows.get(w.sid)).toMatchObject({ taskReservationTimeout: 30, friendlyName: 'W2' });
    const { effects } = h.run({ type: 'workflow.delete', sid: w.sid });
    expect(persistedKeys(effects)).toEqual([`workflow:${w.sid}-`]);
  });

  it.each<[string, (q: string) => string]>([
    ['text that is not JSON', () => '{'],
    ['no task_routing', () => '{}'],
    ['filters that are not an array', () => config({ filters: {} })],
    ['a filter with no targets', (q) => config({ filters: [{ expression: '1==1', targets: [] }], default_filter: { queue: q } })],
    ['a filter with an invalid expression', (q) => config({ filters: [{ expression: 'a ==', targets: [{ queue: q }] }] })],
    ['a target on an unknown queue', () => config({ filters: [{ expression: '1==1', targets: [{ queue: 'WQnope' }] }] })],
    ['a first target without a queue', () => config({ filters: [{ expression: '1==1', targets: [{ priority: 1 }] }] })],
    ['a zero timeout', (q) => config({ filters: [{ targets: [{ queue: q, timeout: 0 }] }] })],
    ['a negative priority', (q) => config({ filters: [{ targets: [{ queue: q, priority: -1 }] }] })],
    ['an invalid target expression', (q) => config({ filters: [{ targets: [{ queue: q, expression: 'task.x IN' }] }] })],
    ['an invalid skip_if', (q) => config({ filters: [{ targets: [{ queue: q, skip_if: 'workers.available ==' }] }] })],
    ['an invalid order_by', (q) => config({ filters: [{ targets: [{ queue: q, order_by: 'worker.level SIDEWAYS' }] }] })],
    ['a default filter on an unknown queue', () => config({ filters: [], default_filter: { queue: 'WQnope' } })],
  ])('refuses a configuration with %s', (_, configuration) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    const error = h.mustFail({ type: 'workflow.create', friendlyName: 'W', configuration: configuration(q.sid) });
    expect([error.code, error.status]).toEqual(['BAD_REQUEST', 400]);
  });

  it('accepts a string priority and timeout, as TaskRouter does', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    h.addWorkflow('W', { filters: [{ targets: [{ queue: q.sid, priority: '10', timeout: '30' }] }] });
    expect(h.state.workflows.size).toBe(1);
  });

  it.each<[string, Partial<Extract<Command, { type: 'workflow.create' }>>]>([
    ['TaskReservationTimeout 0', { taskReservationTimeout: 0 }],
    ['TaskReservationTimeout 86401', { taskReservationTimeout: 86_401 }],
    ['an AssignmentCallbackUrl that is not http', { assignmentCallbackUrl: 'ftp://x' }],
    ['a FallbackAssignmentCallbackUrl that is not a URL', { fallbackAssignmentCallbackUrl: 'nope' }],
    ['an empty name', { friendlyName: '' }],
  ])('refuses %s', (_, fields) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    const configuration = config({ filters: [], default_filter: { queue: q.sid } });
    expect(h.mustFail({ type: 'workflow.create', friendlyName: 'W', configuration, ...fields }).code).toBe('BAD_REQUEST');
  });

  it.each<[string, (h: EngineHarness, w: WorkflowRecord) => Command, string]>([
    ['updating an unknown workflow', () => ({ type: 'workflow.update', sid: 'WWnope', friendlyName: 'x' }), 'NOT_FOUND'],
    ['updating to a bad configuration', (_, w) => ({ type: 'workflow.update', sid: w.sid, configuration: '[]' }), 'BAD_REQUEST'],
    ['deleting an unknown workflow', () => ({ type: 'workflow.delete', sid: 'WWnope' }), 'NOT_FOUND'],
    ['deleting a workflow with a waiting task', (h, w) => (h.addTask({ workflowSid: w.sid }), { type: 'workflow.delete', sid: w.sid }), 'BAD_REQUEST'],
  ])('refuses %s and changes nothing', (_, command, code) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    const w = h.addWorkflow('W', { filters: [], default_filter: { queue: q.sid } });
    expect(h.mustFail(command(h, w)).code).toBe(code);
  });

  it('re-evaluates pending tasks with ReEvaluateTasks', () => {
    const h = EngineHarness.create();
    const first = h.addQueue('First');
    const second = h.addQueue('Second');
    const w = h.addWorkflow('W', { filters: [], default_filter: { queue: first.sid } });
    const task = h.addTask({ workflowSid: w.sid });
    expect(h.task(task.sid).taskQueueSid).toBe(first.sid);
    const { effects } = h.run({
      type: 'workflow.update',
      sid: w.sid,
      configuration: config({ filters: [], default_filter: { queue: second.sid } }),
      reEvaluateTasks: true,
    });
    expect(h.task(task.sid).taskQueueSid).toBe(second.sid);
    expect(eventTypes(effects)).toEqual(['workflow.updated', 'task-queue.entered']);
  });

  describe('without ReEvaluateTasks, a waiting task stays in its queue', () => {
    /** A task waiting in the first target of a tiered filter: workers of level 2, for 60 s, then anyone. */
    function tiered() {
      const h = EngineHarness.create();
      const q = h.addQueue('Q');
      const ann = h.addWorker('Ann', { attributes: { level: 1 } });
      const tiers = (level: number, timeout: number) =>
        config({ filters: [{ filter_friendly_name: 'tiers', expression: '1==1', targets: [{ queue: q.sid, expression: `worker.level >= ${level}`, timeout }, { queue: q.sid }] }], default_filter: { queue: q.sid } });
      const w = h.addWorkflow('W', tiers(2, 60));
      const task = h.addTask({ workflowSid: w.sid });
      expect(h.reservationsOf(task.sid)).toEqual([]);
      return { h, q, ann, w, task, tiers };
    }

    it('keeping its place where the new configuration has one, by that target\'s new rules, offered at once', () => {
      const { h, ann, w, task, tiers } = tiered();
      const { effects } = h.run({ type: 'workflow.update', sid: w.sid, configuration: tiers(1, 60) });
      expect(h.task(task.sid).step).toEqual({ filter: 0, target: 0 });
      expect(h.reservationsOf(task.sid).map((r) => r.workerSid)).toEqual([ann.sid]);
      expect(eventTypes(effects)).toEqual(['workflow.updated', 'reservation.created']);
    });

    it("moving on at its place's new timeout", () => {
      const { h, ann, w, task, tiers } = tiered();
      h.run({ type: 'workflow.update', sid: w.sid, configuration: tiers(2, 10) });
      expect(h.reservationsOf(task.sid)).toEqual([]);
      h.advance(10_000);
      expect(h.task(task.sid).step).toEqual({ filter: 0, target: 1 });
      expect(h.reservationsOf(task.sid).map((r) => r.workerSid)).toEqual([ann.sid]);
    });

    it("moving on at once when its place's new timeout has already passed, its offer made there", () => {
      const { h, ann, w, task, tiers } = tiered();
      h.clock.advance(30_000);
      const { effects } = h.run({ type: 'workflow.update', sid: w.sid, configuration: tiers(1, 20) });
      expect(h.task(task.sid).step).toEqual({ filter: 0, target: 1 });
      expect(eventTypes(effects)).toEqual(['workflow.updated', 'workflow.target-matched', 'reservation.created']);
      expect(h.accept(h.onlyPending(task.sid).sid).ok).toBe(true);
      expect(h.reservation(h.reservationsOf(task.sid)[0]!.sid)).toMatchObject({ workerSid: ann.sid, status: 'accepted' });
    });

    it('routed by its queue alone where its place is gone, with no target timer left', () => {
      const { h, q, ann, w, task } = tiered();
      const { effects } = h.run({ type: 'workflow.update', sid: w.sid, configuration: config({ filters: [], default_filter: { queue: q.sid } }) });
      expect(h.task(task.sid)).toMatchObject({ taskQueueSid: q.sid, step: { filter: -1, target: 0 } });
      expect(persistedKeys(effects)).toContain(`task:${task.sid}`);
      expect(h.reservationsOf(task.sid).map((r) => r.workerSid)).toEqual([ann.sid]);
      // The old target's 60 s would have moved it on; it stays where it is.
      h.rejectOffer(h.reservationsOf(task.sid)[0]!.sid);
      h.advance(120_000);
      expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'pending', taskQueueSid: q.sid, step: { filter: -1, target: 0 } });
    });
  });
});
