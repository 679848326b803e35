import { describe, expect, it } from 'vitest';
import { eventsOf, eventTypes, timerOps } from './test-support/effect-views.js';
import { EngineHarness } from './test-support/engine-harness.js';

/** Three queues (Sales, Support, Fallback) with no worker yet. */
function threeQueues() {
  const h = EngineHarness.create();
  const sales = h.addQueue('Sales', { targetWorkers: "skills HAS 'sales'" });
  const support = h.addQueue('Support', { targetWorkers: "skills HAS 'support'" });
  const fallback = h.addQueue('Fallback');
  return { h, sales: sales.sid, support: support.sid, fallback: fallback.sid };
}

describe('filters', () => {
  const { h, sales, support, fallback } = threeQueues();
  const workflow = h.addWorkflow('W', {
    filters: [
      { filter_friendly_name: 'Gold sales', expression: "type == 'sales' AND tier == 'gold'", targets: [{ queue: sales, priority: 10 }] },
      { filter_friendly_name: 'Sales', expression: "type == 'sales'", targets: [{ queue: support }] },
      { filter_friendly_name: 'Also sales', expression: "type == 'sales'", targets: [{ queue: fallback }] },
    ],
    default_filter: { queue: fallback },
  });

  it.each<[string, Record<string, unknown>, string, { filter: number; target: number }, number]>([
    ['the first matching filter wins', { type: 'sales', tier: 'gold' }, sales, { filter: 0, target: 0 }, 10],
    ['a later filter when the first does not match', { type: 'sales', tier: 'silver' }, support, { filter: 1, target: 0 }, 0],
    ['the default filter when none matches', { type: 'billing' }, fallback, { filter: -1, target: 0 }, 0],
    ['the default filter for a missing key', {}, fallback, { filter: -1, target: 0 }, 0],
  ])('%s', (_, attributes, queue, step, priority) => {
    const task = h.addTask({ workflowSid: workflow.sid, attributes });
    expect(h.task(task.sid)).toMatchObject({ taskQueueSid: queue, step, priority });
  });

  it('a matched target emits task-queue.entered and workflow.target-matched', () => {
    const before = h.events.length;
    h.addTask({ workflowSid: workflow.sid, attributes: { type: 'sales' } });
    const events = h.events.slice(before);
    expect(events.map((e) => e.eventType)).toEqual(['task.created', 'task-queue.entered', 'workflow.target-matched']);
    expect(events[2]?.data).toMatchObject({ workflow_filter_name: 'Sales', workflow_target_index: 0 });
  });
});

describe('target timeouts (cumulative on task age)', () => {
  function escalating() {
    const { h, sales, support, fallback } = threeQueues();
    h.addWorkflow('W', {
      filters: [
        {
          expression: '1==1',
          targets: [
            { queue: sales, timeout: 30 },
            { queue: support, timeout: 20, priority: 5 },
            { queue: fallback, timeout: 10 },
          ],
        },
      ],
    });
    return { h, sales, support, fallback };
  }

  it('moves the task to each next target at t1, t1+t2, and cancels it with workflow.timeout after the last', () => {
    const { h, sales, support, fallback } = escalating();
    const t0 = h.clock.now;
    const task = h.addTask();
    expect(h.timers.at(`target:${task.sid}`)).toBe(t0 + 30_000);
    expect(h.task(task.sid).taskQueueSid).toBe(sales);

    const toSupport = h.advance(30_000);
    expect(h.task(task.sid)).toMatchObject({ taskQueueSid: support, priority: 5, step: { filter: 0, target: 1 } });
    expect(eventTypes(toSupport)).toEqual(['task-queue.entered', 'workflow.target-matched']);
    expect(timerOps(toSupport)).toEqual([`set target:${task.sid}@${t0 + 50_000}`]);

    h.advance(20_000);
    expect(h.task(task.sid).taskQueueSid).toBe(fallback);
    expect(h.timers.at(`target:${task.sid}`)).toBe(t0 + 60_000);

    const off = h.advance(10_000);
    expect(eventTypes(off)).toEqual(['workflow.timeout', 'task.canceled']);
    expect(eventsOf(off)[0]).toMatchObject({ resourceType: 'workflow', resourceSid: h.task(task.sid).workflowSid });
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'canceled', reason: 'Workflow Timeout' });
  });

  it('cancels the pending offers of a target that times out', () => {
    const { h, support } = escalating();
    const ann = h.addWorker('Ann', { attributes: { skills: ['sales'] } });
    const task = h.addTask();
    const offer = h.onlyPending(task.sid);
    expect(offer.workerSid).toBe(ann.sid);
    const effects = h.advance(30_000);
    expect(eventTypes(effects)).toEqual(['reservation.canceled', 'task-queue.entered', 'workflow.target-matched']);
    expect(h.reservation(offer.sid).status).toBe('canceled');
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'pending', taskQueueSid: support });
  });

  it('an accepted task does not escalate', () => {
    const { h, sales } = escalating();
    h.addWorker('Ann', { attributes: { skills: ['sales'] } });
    const task = h.addTask();
    h.accept(h.onlyPending(task.sid).sid);
    expect(h.timers.at(`target:${task.sid}`)).toBeUndefined();
    h.advance(100_000);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'assigned', taskQueueSid: sales });
  });

  it('a worker on the next target gets the task only once it escalates there', () => {
    const { h } = escalating();
    const sam = h.addWorker('Sam', { attributes: { skills: ['support'] } });
    const task = h.addTask();
    h.advance(29_999);
    expect(h.reservationsOf(task.sid)).toEqual([]);
    h.advance(1);
    expect(h.onlyPending(task.sid).workerSid).toBe(sam.sid);
  });

  it('falls through to the next matching filter when a filter is exhausted', () => {
    const { h, sales, support } = threeQueues();
    h.addWorkflow('W', {
      filters: [
        { expression: '1==1', targets: [{ queue: sales, timeout: 10 }] },
        { expression: "type == 'x'", targets: [{ queue: support }] },
      ],
    });
    const task = h.addTask({ attributes: { type: 'x' } });
    h.advance(10_000);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'pending', taskQueueSid: support, step: { filter: 1, target: 0 } });
  });
});

describe('target expressions, skip_if and known workers', () => {
  it('offers only to workers passing the target expression (task. and worker. prefixes)', () => {
    const { h, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: fallback, expression: 'task.language IN worker.languages' }] }] });
    h.addWorker('Ann', { attributes: { languages: ['en'] } });
    const bea = h.addWorker('Bea', { attributes: { languages: ['es', 'en'] } });
    const task = h.addTask({ attributes: { language: 'es' } });
    expect(h.onlyPending(task.sid).workerSid).toBe(bea.sid);
  });

  it('skip_if skips a target nobody can take at once', () => {
    const { h, sales, support } = threeQueues();
    h.addWorkflow('W', {
      filters: [{ targets: [{ queue: sales, skip_if: 'workers.available == 0' }, { queue: support }] }],
    });
    const task = h.addTask();
    expect(h.task(task.sid)).toMatchObject({ taskQueueSid: support, step: { filter: 0, target: 1 } });
  });

  it('skipping the last target with no default filter cancels the task with workflow.skipped', () => {
    const { h, sales } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: sales, skip_if: 'workers.available == 0' }] }] });
    const before = h.events.length;
    const task = h.addTask();
    expect(h.events.slice(before).map((e) => e.eventType)).toEqual([
      'task.created',
      'task-queue.entered',
      'workflow.target-matched',
      'workflow.skipped',
      'task.canceled',
    ]);
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'canceled', reason: 'Workflow Skipped' });
    expect(h.state.routing.isListed(task.sid)).toBe(false);
  });

  it('skipping the last target sends the task to the default filter when there is one', () => {
    const { h, sales, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: sales, skip_if: '1==1' }] }], default_filter: { queue: fallback } });
    const task = h.addTask();
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus: 'pending', taskQueueSid: fallback, step: { filter: -1, target: 0 } });
  });

  it('skip_if does not skip when an offer was made on entry', () => {
    const { h, sales } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: sales, skip_if: '1==1' }, { queue: h.addQueue('Other').sid }] }] });
    h.addWorker('Ann', { attributes: { skills: ['sales'] } });
    const task = h.addTask();
    expect(h.task(task.sid).taskQueueSid).toBe(sales);
    expect(h.onlyPending(task.sid)).toBeDefined();
  });

  it('skip_if reads the queue\'s worker counts: an unavailable member keeps the target', () => {
    const { h, sales, support } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: sales, skip_if: 'workers.available == 0 AND workers.unavailable == 0' }, { queue: support }] }] });
    h.addWorker('Ann', { attributes: { skills: ['sales'] }, activity: 'Offline' });
    const task = h.addTask();
    expect(h.task(task.sid).taskQueueSid).toBe(sales);
  });

  it('known_worker_sid offers only to the worker the task names', () => {
    const { h, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: fallback, known_worker_sid: 'task.agent' }] }] });
    h.addWorker('Ann');
    const bea = h.addWorker('Bea');
    const task = h.addTask({ attributes: { agent: bea.sid } });
    expect(h.onlyPending(task.sid).workerSid).toBe(bea.sid);
    const nobody = h.addTask({ attributes: { agent: 'WK' + 'f'.repeat(32) } });
    expect(h.reservationsOf(nobody.sid)).toEqual([]);
  });

  it('a known worker who becomes available picks up the task meant for them', () => {
    const { h, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: fallback, known_worker_sid: 'task.agent' }] }] });
    h.addWorker('Ann');
    const bea = h.addWorker('Bea', { activity: 'Offline' });
    const task = h.addTask({ attributes: { agent: bea.sid } });
    expect(h.reservationsOf(task.sid)).toEqual([]);
    h.setActivity(bea.sid, 'Available');
    expect(h.onlyPending(task.sid).workerSid).toBe(bea.sid);
  });

  it.each(['WorkflowSid', 'RoutingTarget'])('a known worker outside the target\'s queue gets nothing, the workflow named by %s', (param) => {
    const { h, sales } = threeQueues();
    const workflow = h.addWorkflow('W', { filters: [{ targets: [{ queue: sales, known_worker_sid: 'task.agent' }] }] });
    const ann = h.addWorker('Ann', { attributes: { skills: ['support'] } });
    const task = h.addTask({ attributes: { agent: ann.sid }, ...(param === 'WorkflowSid' ? { workflowSid: workflow.sid } : { routingTarget: workflow.sid }) });
    expect(h.task(task.sid).taskQueueSid).toBe(sales);
    expect(h.reservationsOf(task.sid)).toEqual([]);
  });

  it('IgnoreCapacity does not carry a task past the capacity of a known worker its workflow names', () => {
    const { h, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ expression: 'agent != null', targets: [{ queue: fallback, known_worker_sid: 'task.agent' }] }], default_filter: { queue: fallback } });
    const ann = h.addWorker('Ann');
    h.accept(h.onlyPending(h.addTask().sid).sid);
    const task = h.addTask({ attributes: { agent: ann.sid }, ignoreCapacity: true });
    expect(h.reservationsOf(task.sid)).toEqual([]);
  });

  it('known_worker_friendly_name offers to the worker of that name', () => {
    const { h, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: fallback, known_worker_friendly_name: 'task.agent_name' }] }] });
    h.addWorker('Ann');
    const bea = h.addWorker('Bea');
    const task = h.addTask({ attributes: { agent_name: 'Bea' } });
    expect(h.onlyPending(task.sid).workerSid).toBe(bea.sid);
  });

  it('known_worker_friendly_name follows renames and deletions, after a restore too', () => {
    const { h, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ queue: fallback, known_worker_friendly_name: 'task.agent_name' }] }] });
    const ann = h.addWorker('Ann', { capacity: { default: 5 } });
    h.run({ type: 'worker.update', sid: ann.sid, friendlyName: 'Anna' });
    // The old name is nobody's now: a task naming it waits; the new name reaches her.
    const old = h.addTask({ attributes: { agent_name: 'Ann' } });
    expect(h.reservationsOf(old.sid)).toEqual([]);
    expect(h.onlyPending(h.addTask({ attributes: { agent_name: 'Anna' } }).sid).workerSid).toBe(ann.sid);
    // A restored engine finds her by her new name.
    const { twin } = h.restore();
    expect(twin.onlyPending(twin.addTask({ attributes: { agent_name: 'Anna' } }).sid).workerSid).toBe(ann.sid);
    // A name that is not a string names nobody.
    expect(h.reservationsOf(h.addTask({ attributes: { agent_name: 7 } }).sid)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['known_worker_friendly_name', { known_worker_friendly_name: 'task.agent_name' }],
    ['a target expression on worker.friendly_name', { expression: 'worker.friendly_name == task.agent_name' }],
  ])('a waiting task naming a new name goes at once to the idle worker renamed to it (%s)', (_, target) => {
    const { h, fallback } = threeQueues();
    h.addWorkflow('W', { filters: [{ targets: [{ ...target, queue: fallback }] }] });
    const ann = h.addWorker('Ann');
    const task = h.addTask({ attributes: { agent_name: 'Anna' } });
    expect(h.reservationsOf(task.sid)).toEqual([]);
    h.run({ type: 'worker.update', sid: ann.sid, friendlyName: 'Anna' });
    expect(h.onlyPending(task.sid).workerSid).toBe(ann.sid);
    expect(h.restore().twin.engine.routeAll(h.clock.now)).toEqual([]);
  });
});

describe('worker names', () => {
  it('are unique in a workspace: a rename or a deletion frees a name, a taken one is refused', () => {
    const h = EngineHarness.create();
    const ann = h.addWorker('Ann');
    const bea = h.addWorker('Bea');
    expect(h.mustFail({ type: 'worker.create', friendlyName: 'Bea' }).status).toBe(409);
    expect(h.mustFail({ type: 'worker.update', sid: ann.sid, friendlyName: 'Bea' }).status).toBe(409);
    // Renaming to one's own name changes nothing and is no conflict.
    h.run({ type: 'worker.update', sid: ann.sid, friendlyName: 'Ann' });
    h.run({ type: 'worker.update', sid: ann.sid, friendlyName: 'Anna' });
    const newAnn = h.addWorker('Ann');
    expect(newAnn.sid).not.toBe(ann.sid);
    h.run({ type: 'worker.delete', sid: bea.sid });
    h.addWorker('Bea');
    // The same after a restore.
    const { twin } = h.restore();
    expect(twin.mustFail({ type: 'worker.create', friendlyName: 'Anna' }).status).toBe(409);
    twin.run({ type: 'worker.delete', sid: ann.sid });
    twin.addWorker('Anna');
  });
});

describe('task attributes changing while it waits', () => {
  it('re-runs the workflow: the task moves to the queue its new attributes match', () => {
    const { h, sales, support } = threeQueues();
    h.addWorkflow('W', {
      filters: [
        { expression: "type == 'sales'", targets: [{ queue: sales }] },
        { expression: "type == 'support'", targets: [{ queue: support }] },
      ],
    });
    const sam = h.addWorker('Sam', { attributes: { skills: ['support'] } });
    const task = h.addTask({ attributes: { type: 'sales' } });
    expect(h.reservationsOf(task.sid)).toEqual([]);
    h.run({ type: 'task.update', sid: task.sid, attributes: '{"type":"support"}' });
    expect(h.task(task.sid).taskQueueSid).toBe(support);
    expect(h.onlyPending(task.sid).workerSid).toBe(sam.sid);
  });

  it.each<[string, Record<string, unknown>]>([
    ['priority', { priority: 5 }],
    ['virtual start time', { virtualStartTime: Date.UTC(2024, 0, 1) }],
    ['channel', { taskChannel: 'chat' }],
  ])('matching no filter with a new %s as well, it still waits to be routed where it was', (_, fields) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q', { targetWorkers: "lang == 'fr'" });
    h.addWorkflow('W', { filters: [{ expression: "type == 'a'", targets: [{ queue: q.sid }] }] });
    const task = h.addTask({ attributes: { type: 'a' } });
    h.run({ type: 'task.update', sid: task.sid, attributes: '{"type":"b"}', ...fields });
    const fr = h.addWorker('Fr', { attributes: { lang: 'fr' } });
    expect(h.onlyPending(task.sid).workerSid).toBe(fr.sid);
  });

  it('matching no filter keeps it where it was, and routes it there under its new attributes', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    h.addWorkflow('W', { filters: [{ expression: "type == 'a'", targets: [{ queue: q.sid, expression: 'task.lang == worker.lang' }] }] });
    const fr = h.addWorker('Fr', { attributes: { lang: 'fr' } });
    const task = h.addTask({ attributes: { type: 'a', lang: 'en' } });
    expect(h.reservationsOf(task.sid)).toEqual([]);
    h.run({ type: 'task.update', sid: task.sid, attributes: JSON.stringify({ type: 'b', lang: 'fr' }) });
    expect(h.task(task.sid)).toMatchObject({ taskQueueSid: q.sid, step: { filter: 0, target: 0 } });
    expect(h.onlyPending(task.sid).workerSid).toBe(fr.sid);
  });
});
