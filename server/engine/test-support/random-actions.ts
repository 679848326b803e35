import fc from 'fast-check';
import type { Effect } from '../effects.js';
import type { ReservationRecord, TaskRecord } from '../model.js';
import { EngineHarness } from './engine-harness.js';

/** One random thing that happens to a workspace; `pick` selects among what exists when it runs. */
export type Action =
  | { kind: 'task'; type: number; lang: number; channel: number; priority: number; shortTtl: boolean }
  | { kind: 'accept'; pick: number }
  | { kind: 'acceptAll'; pick: number; rotate: number }
  | { kind: 'acceptEnded'; pick: number }
  | { kind: 'reject'; pick: number; offline: boolean }
  | { kind: 'wrap'; pick: number }
  | { kind: 'complete'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'activity'; worker: number; activity: number }
  | { kind: 'rejectPending'; worker: number }
  | { kind: 'capacity'; worker: number; channel: number; capacity: number }
  | { kind: 'maxReserved'; queue: number; n: number }
  | { kind: 'skills'; worker: number; mask: number }
  | { kind: 'rename'; worker: number; name: number }
  | { kind: 'priority'; pick: number; priority: number }
  | { kind: 'retype'; pick: number; type: number; lang: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'direct'; worker: number; channel: number; ignoreCapacity: boolean }
  | { kind: 'delete'; pick: number }
  | { kind: 'channelAvailable'; worker: number; channel: number; available: boolean }
  | { kind: 'queueTarget'; queue: number; target: number }
  | { kind: 'taskOrder'; queue: number; lifo: boolean }
  | { kind: 'workspace'; multiTask: boolean; lifo: boolean; timeoutActivity: number }
  | { kind: 'virtualStart'; pick: number; ms: number }
  | { kind: 'reconfigure'; variant: number; reEvaluate: boolean }
  | { kind: 'hire'; mask: number; available: boolean }
  | { kind: 'fire'; pick: number }
  | { kind: 'rechannel'; pick: number; channel: number };

const nat = fc.nat({ max: 1000 });

/** Arbitrary actions, weighted towards the ones that move work along. */
export const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('task' as const), type: fc.nat({ max: 2 }), lang: fc.nat({ max: 1 }), channel: fc.nat({ max: 1 }), priority: fc.nat({ max: 3 }), shortTtl: fc.boolean() }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('accept' as const), pick: nat }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('acceptAll' as const), pick: nat, rotate: nat }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('acceptEnded' as const), pick: nat }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reject' as const), pick: nat, offline: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('wrap' as const), pick: nat }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: nat }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: nat }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('activity' as const), worker: fc.nat({ max: 4 }), activity: fc.nat({ max: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('rejectPending' as const), worker: fc.nat({ max: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('capacity' as const), worker: fc.nat({ max: 4 }), channel: fc.nat({ max: 1 }), capacity: fc.nat({ max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('maxReserved' as const), queue: fc.nat({ max: 2 }), n: fc.integer({ min: 1, max: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('skills' as const), worker: fc.nat({ max: 4 }), mask: fc.nat({ max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('rename' as const), worker: fc.nat({ max: 4 }), name: fc.nat({ max: 6 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('priority' as const), pick: nat, priority: fc.nat({ max: 5 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('retype' as const), pick: nat, type: fc.nat({ max: 2 }), lang: fc.nat({ max: 1 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 5_000, max: 120_000 })) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('direct' as const), worker: fc.nat({ max: 4 }), channel: fc.nat({ max: 1 }), ignoreCapacity: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: nat }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('channelAvailable' as const), worker: fc.nat({ max: 4 }), channel: fc.nat({ max: 1 }), available: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('queueTarget' as const), queue: fc.nat({ max: 2 }), target: fc.nat({ max: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('taskOrder' as const), queue: fc.nat({ max: 2 }), lifo: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('workspace' as const), multiTask: fc.boolean(), lifo: fc.boolean(), timeoutActivity: fc.nat({ max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('virtualStart' as const), pick: nat, ms: fc.integer({ min: 0, max: 60_000 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reconfigure' as const), variant: fc.nat({ max: 2 }), reEvaluate: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('hire' as const), mask: fc.nat({ max: 3 }), available: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('fire' as const), pick: nat }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('rechannel' as const), pick: nat, channel: fc.nat({ max: 1 }) }), weight: 1 },
);

const QUEUE_TARGETS = ["skills HAS 'a'", "skills HAS 'b'", '1==1'] as const;

const TYPES = ['sales', 'support', 'other'] as const;
const WORKERS = ['Ann', 'Ben', 'Cy', 'Dee', 'Eve'] as const;
/** Names a rename picks from: the workers' own (taken, unless by the worker renamed) and two free ones. */
const NAMES = [...WORKERS, 'Fay', 'Gus'] as const;
const ACTIVITIES = ['Available', 'Offline', 'Unavailable', 'Busy'] as const;
const CHANNELS = ['default', 'chat'] as const;
const SKILLS = [[], ['a'], ['b'], ['a', 'b']] as const;

/**
 * The workspace the random actions run in: five workers with skills and languages, three queues
 * (one by skill, one LIFO multi-reservation, one for everyone), and a workflow with target
 * expressions, priority overrides, cumulative timeouts, `order_by`, `skip_if` and (unless told otherwise) a default filter.
 */
export function randomWorkspace(options: { multiTaskEnabled?: boolean; defaultFilter?: boolean } = {}): { h: EngineHarness; queues: string[]; workers: string[] } {
  const { multiTaskEnabled = true, defaultFilter = true } = options;
  const h = EngineHarness.create({ multiTaskEnabled });
  h.run({ type: 'activity.create', friendlyName: 'Busy', available: false });
  const qa = h.addQueue('Skill A', { targetWorkers: "skills HAS 'a'" });
  const qb = h.addQueue('Skill B', { targetWorkers: "skills HAS 'b'", maxReservedWorkers: 2, taskOrder: 'LIFO' });
  const all = h.addQueue('Everyone', { maxReservedWorkers: 3, assignmentActivity: 'Busy' });
  h.addWorkflow('Main', routing([qa.sid, qb.sid, all.sid], 0, defaultFilter), { taskReservationTimeout: 20 });
  const workers = WORKERS.map(
    (name, i) =>
      h.addWorker(name, {
        attributes: { skills: SKILLS[i % 4], lang: i % 2 === 0 ? 'en' : 'fr', ...(i === 2 ? {} : { level: i }) },
        activity: i === 4 ? 'Offline' : 'Available',
        capacity: i === 1 ? { chat: 2 } : {},
      }).sid,
  );
  return { h, queues: [qa.sid, qb.sid, all.sid], workers };
}

/**
 * The main workflow's routing: variant 0 as created (target expressions, priority overrides,
 * cumulative timeouts, `order_by`, `skip_if`); 1 moves the Sales targets around with other
 * timeouts; 2 sends Sales to a known worker (Ann) first.
 */
function routing([qa, qb, all]: string[], variant: number, defaultFilter: boolean): object {
  const sales = [
    [
      { queue: qa, timeout: 30, expression: 'task.lang == worker.lang' },
      { queue: qb, priority: 5, timeout: 60, order_by: 'worker.level DESC' },
      { queue: all },
    ],
    [{ queue: qb, timeout: 10 }, { queue: qa, timeout: 45, expression: 'task.lang == worker.lang' }, { queue: all, priority: 2 }],
    [{ queue: all, known_worker_friendly_name: 'Ann', timeout: 15 }, { queue: all }],
  ][variant]!;
  return {
    filters: [
      { filter_friendly_name: 'Sales', expression: "type == 'sales'", targets: sales },
      {
        filter_friendly_name: 'Support',
        expression: "type == 'support'",
        targets: [
          { queue: qb, skip_if: 'workers.available == 0' },
          { queue: all, timeout: 90 },
        ],
      },
    ],
    ...(defaultFilter ? { default_filter: { queue: all } } : {}),
  };
}

const at = <T>(list: readonly T[], pick: number): T | undefined => (list.length === 0 ? undefined : list[pick % list.length]);

/** The effects of one action, and whatever broke a contract checked on the spot. */
export interface ActionOutcome {
  effects: Effect[];
  problems: string[];
}

/**
 * Runs one action and checks the contracts a single command promises: an accept of a pending
 * offer wins, of N racing accepts exactly one wins and the rest are 410 and change nothing,
 * an accept of an ended reservation is 410, and a rejected command changes nothing.
 */
export function applyAction(h: EngineHarness, workers: string[], queues: string[], action: Action): ActionOutcome {
  const problems: string[] = [];
  const effects: Effect[] = [];
  const reservations = (status: (r: ReservationRecord) => boolean) => [...h.state.reservations.values()].filter(status);
  const tasks = (status: (t: TaskRecord) => boolean) => [...h.state.tasks.values()].filter(status);
  const attempt = (run: () => { ok: boolean; effects: Effect[] }, mayFail: boolean, label: string) => {
    const before = mayFail ? JSON.stringify(h.snapshot()) : '';
    const result = run();
    effects.push(...result.effects);
    if (result.ok) return;
    if (!mayFail) problems.push(`${label} failed`);
    else if (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before) problems.push(`${label} failed but changed something`);
  };

  switch (action.kind) {
    case 'task': {
      const type = TYPES[action.type];
      const result = h.step({
        type: 'task.create',
        attributes: JSON.stringify({ type, lang: action.lang === 0 ? 'en' : 'fr' }),
        taskChannel: CHANNELS[action.channel],
        priority: action.priority,
        ...(action.shortTtl ? { timeout: 100 } : {}),
      });
      effects.push(...result.effects);
      if (!result.ok) problems.push(`task.create failed: ${result.error.message}`);
      break;
    }
    case 'accept': {
      const r = at(reservations((r) => r.status === 'pending'), action.pick);
      if (r) attempt(() => h.accept(r.sid), false, `accept of pending ${r.sid}`);
      break;
    }
    case 'acceptAll': {
      const task = at(tasks((t) => h.state.pendingCount(t.sid) > 0), action.pick);
      if (!task) break;
      const offers = h.reservationsOf(task.sid).filter((r) => r.status === 'pending');
      const order = offers.map((_, i) => offers[(i + action.rotate) % offers.length]!);
      let wins = 0;
      for (const r of order) {
        const before = JSON.stringify(h.snapshot());
        const result = h.accept(r.sid);
        effects.push(...result.effects);
        if (result.ok) wins += 1;
        else if (result.error.status !== 410) problems.push(`racing accept got ${result.error.status}, not 410`);
        else if (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before) problems.push('a losing accept changed something');
      }
      if (wins !== 1) problems.push(`${wins} of ${offers.length} racing accepts won`);
      break;
    }
    case 'acceptEnded': {
      const r = at(reservations((r) => r.status !== 'pending'), action.pick);
      if (!r) break;
      const before = JSON.stringify(h.snapshot());
      const result = h.accept(r.sid);
      if (result.ok || result.error.status !== 410) problems.push(`accept of a ${r.status} reservation did not answer 410`);
      else if (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before) problems.push('a 410 accept changed something');
      break;
    }
    case 'reject': {
      const r = at(reservations((r) => r.status === 'pending'), action.pick);
      if (r) attempt(() => h.rejectOffer(r.sid, action.offline ? 'Offline' : undefined), false, `reject of pending ${r.sid}`);
      break;
    }
    case 'wrap': {
      const t = at(tasks((t) => t.assignmentStatus === 'assigned'), action.pick);
      if (t) attempt(() => h.setTaskStatus(t.sid, 'wrapping'), false, `wrap of ${t.sid}`);
      break;
    }
    case 'complete': {
      const t = at(tasks((t) => t.assignmentStatus === 'assigned' || t.assignmentStatus === 'wrapping'), action.pick);
      if (!t) break;
      // Half through the reservation, half through the task, as the SDK and REST do.
      const r = h.reservationsOf(t.sid).find((r) => r.status === 'accepted' || r.status === 'wrapping');
      if (r && action.pick % 2 === 0) attempt(() => h.step({ type: 'reservation.update', sid: r.sid, status: 'completed' }), false, `complete via ${r.sid}`);
      else attempt(() => h.setTaskStatus(t.sid, 'completed'), false, `complete of ${t.sid}`);
      break;
    }
    case 'cancel': {
      const t = at([...h.state.tasks.values()], action.pick);
      if (!t) break;
      const waiting = t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved';
      const before = JSON.stringify(h.snapshot());
      const result = h.setTaskStatus(t.sid, 'canceled');
      effects.push(...result.effects);
      if (waiting && !result.ok) problems.push(`cancel of a ${t.assignmentStatus} task failed`);
      if (!waiting && (result.ok || result.error.status !== 409)) problems.push(`cancel of a ${t.assignmentStatus} task did not answer 409`);
      if (!result.ok && (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before)) problems.push('a refused cancel changed something');
      break;
    }
    case 'activity': {
      const sid = workers[action.worker]!;
      attempt(() => h.step({ type: 'worker.update', sid, activitySid: h.activity(ACTIVITIES[action.activity]!) }), false, 'activity change');
      break;
    }
    case 'rejectPending': {
      const sid = workers[action.worker]!;
      attempt(() => h.step({ type: 'worker.update', sid, activitySid: h.activity('Unavailable'), rejectPendingReservations: true }), false, 'RejectPendingReservations');
      break;
    }
    case 'capacity': {
      const sid = workers[action.worker]!;
      attempt(() => h.step({ type: 'workerChannel.update', workerSid: sid, sid: CHANNELS[action.channel]!, capacity: action.capacity }), false, 'capacity change');
      break;
    }
    case 'maxReserved':
      attempt(() => h.step({ type: 'taskQueue.update', sid: queues[action.queue]!, maxReservedWorkers: action.n }), false, 'MaxReservedWorkers change');
      break;
    case 'skills': {
      const sid = workers[action.worker]!;
      const attributes = { ...(JSON.parse(h.worker(sid).attributes) as object), skills: SKILLS[action.mask] };
      attempt(() => h.step({ type: 'worker.update', sid, attributes: JSON.stringify(attributes) }), false, 'attributes change');
      break;
    }
    case 'rename': {
      // Names are unique in a workspace: another worker's name is a 409 that changes nothing.
      const sid = workers[action.worker]!;
      const name = NAMES[action.name]!;
      const holder = [...h.state.workers.values()].find((w) => w.friendlyName === name);
      const before = JSON.stringify(h.snapshot());
      const result = h.step({ type: 'worker.update', sid, friendlyName: name });
      effects.push(...result.effects);
      if (!holder || holder.sid === sid) {
        if (!result.ok) problems.push(`renaming a worker to the free name ${name} failed`);
      } else if (result.ok || result.error.status !== 409) problems.push(`renaming a worker to ${name}, another worker's name, did not answer 409`);
      else if (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before) problems.push('a refused rename changed something');
      break;
    }
    case 'priority': {
      const t = at(tasks((t) => t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved'), action.pick);
      if (t) attempt(() => h.step({ type: 'task.update', sid: t.sid, priority: action.priority }), false, 'priority change');
      break;
    }
    case 'retype': {
      const t = at(tasks((t) => t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved'), action.pick);
      const attributes = JSON.stringify({ type: TYPES[action.type], lang: action.lang === 0 ? 'en' : 'fr' });
      if (t) attempt(() => h.step({ type: 'task.update', sid: t.sid, attributes }), false, 'attributes change of a waiting task');
      break;
    }
    case 'advance':
      effects.push(...h.advance(action.ms));
      break;
    case 'direct': {
      const result = h.step({
        type: 'task.create',
        attributes: JSON.stringify({ type: 'direct' }),
        taskChannel: CHANNELS[action.channel],
        routingTarget: workers[action.worker]!,
        ignoreCapacity: action.ignoreCapacity,
      });
      effects.push(...result.effects);
      if (!result.ok) problems.push(`task.create with a RoutingTarget failed: ${result.error.message}`);
      break;
    }
    case 'delete': {
      const t = at([...h.state.tasks.values()], action.pick);
      if (t) attempt(() => h.step({ type: 'task.delete', sid: t.sid }), false, `delete of ${t.sid}`);
      break;
    }
    case 'channelAvailable': {
      const sid = workers[action.worker]!;
      attempt(() => h.step({ type: 'workerChannel.update', workerSid: sid, sid: CHANNELS[action.channel]!, available: action.available }), false, 'channel availability change');
      break;
    }
    case 'queueTarget':
      attempt(() => h.step({ type: 'taskQueue.update', sid: queues[action.queue]!, targetWorkers: QUEUE_TARGETS[action.target]! }), false, 'TargetWorkers change');
      break;
    case 'taskOrder':
      attempt(() => h.step({ type: 'taskQueue.update', sid: queues[action.queue]!, taskOrder: action.lifo ? 'LIFO' : 'FIFO' }), false, 'TaskOrder change');
      break;
    case 'workspace':
      attempt(
        () =>
          h.step({
            type: 'workspace.update',
            multiTaskEnabled: action.multiTask,
            prioritizeQueueOrder: action.lifo ? 'LIFO' : 'FIFO',
            timeoutActivitySid: h.activity(ACTIVITIES[action.timeoutActivity]!),
          }),
        true,
        'workspace update',
      );
      break;
    case 'reconfigure': {
      const workflow = [...h.state.workflows.values()][0]!;
      const defaultFilter = 'default_filter' in (JSON.parse(workflow.configuration) as { task_routing: object }).task_routing;
      const configuration = JSON.stringify({ task_routing: routing(queues, action.variant, defaultFilter) });
      attempt(() => h.step({ type: 'workflow.update', sid: workflow.sid, configuration, reEvaluateTasks: action.reEvaluate }), false, 'workflow reconfiguration');
      break;
    }
    case 'hire': {
      const name = `Temp ${h.state.workers.size + 1}-${h.clock.now}`;
      if (h.state.workerByName.has(name)) break;
      const activitySid = h.activity(action.available ? 'Available' : 'Offline');
      const attributes = JSON.stringify({ skills: SKILLS[action.mask], lang: 'en' });
      attempt(() => h.step({ type: 'worker.create', friendlyName: name, activitySid, attributes }), false, 'worker.create');
      break;
    }
    case 'fire': {
      // Only workers hired on the way: the actions above address the first five by index.
      const w = at([...h.state.workers.values()].filter((w) => !workers.includes(w.sid)), action.pick);
      if (!w) break;
      const holds = [...(h.state.reservationsOfWorker.get(w.sid) ?? [])].some((r) => r.status === 'accepted' || r.status === 'wrapping');
      const before = JSON.stringify(h.snapshot());
      const result = h.step({ type: 'worker.delete', sid: w.sid });
      effects.push(...result.effects);
      if (holds !== !result.ok) problems.push(`worker.delete of a worker ${holds ? 'holding' : 'not holding'} a task ${result.ok ? 'succeeded' : 'failed'}`);
      if (!result.ok && (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before)) problems.push('a refused worker.delete changed something');
      break;
    }
    case 'rechannel': {
      const t = at(tasks((t) => t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved'), action.pick);
      if (t) attempt(() => h.step({ type: 'task.update', sid: t.sid, taskChannel: CHANNELS[action.channel]! }), true, 'TaskChannel change of a waiting task');
      break;
    }
    case 'virtualStart': {
      const t = at(tasks((t) => t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved'), action.pick);
      if (t) attempt(() => h.step({ type: 'task.update', sid: t.sid, virtualStartTime: h.clock.now - action.ms }), false, 'VirtualStartTime change');
      break;
    }
  }
  return { effects, problems };
}
