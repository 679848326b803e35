import fc from 'fast-check';
import type { Command } from '../commands.js';
import type { Effect } from '../effects.js';
import type { ReservationRecord, TaskRecord } from '../model.js';
import type { EngineHarness } from './engine-harness.js';
import { ACTIVITIES, CHANNELS, NAMES, QUEUE_TARGETS, SKILLS, TYPES, workflowVariant } from './random-workspace.js';

/** One random thing that happens to a workspace; `pick` selects among what exists when it runs. */
export type Action =
  | { kind: 'task'; type: number; lang: number; channel: number; priority: number; shortTtl: boolean; agent: number; viaRoutingTarget: boolean; ignoreCapacity: boolean }
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
  | { kind: 'retype'; pick: number; type: number; lang: number; agent: number; priority: number | null }
  | { kind: 'advance'; ms: number }
  | { kind: 'direct'; worker: number; ignoreCapacity: boolean | null; queue: number | null; channel: number }
  | { kind: 'hire'; name: number; mask: number; lang: number; offline: boolean }
  | { kind: 'fire'; worker: number }
  | { kind: 'lang'; worker: number }
  | { kind: 'channelAvailable'; worker: number; channel: number; available: boolean }
  | { kind: 'workspace'; multiTask: boolean; lifo: boolean; timeoutActivity: number }
  | { kind: 'virtualStart'; pick: number; ms: number }
  | { kind: 'queueTarget'; queue: number; expression: number }
  | { kind: 'queueOrder'; queue: number; lifo: boolean }
  | { kind: 'reconfigure'; variant: number; reEvaluate: boolean }
  | { kind: 'rechannel'; pick: number; channel: number }
  | { kind: 'delete'; pick: number };

const nat = fc.nat({ max: 1000 });

/** Arbitrary actions, weighted towards the ones that move work along. */
export const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('task' as const), type: fc.nat({ max: 3 }), lang: fc.nat({ max: 1 }), channel: fc.nat({ max: 1 }), priority: fc.nat({ max: 3 }), shortTtl: fc.boolean(), agent: fc.nat({ max: 6 }), viaRoutingTarget: fc.boolean(), ignoreCapacity: fc.boolean() }), weight: 6 },
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
  { arbitrary: fc.record({ kind: fc.constant('retype' as const), pick: nat, type: fc.nat({ max: 3 }), lang: fc.nat({ max: 1 }), agent: fc.nat({ max: 6 }), priority: fc.option(fc.nat({ max: 5 })) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 5_000, max: 120_000 })) }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant('direct' as const),
      worker: nat,
      ignoreCapacity: fc.constantFrom(null, true, false),
      queue: fc.option(fc.nat({ max: 2 })),
      channel: fc.nat({ max: 1 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('hire' as const), name: fc.nat({ max: 6 }), mask: fc.nat({ max: 3 }), lang: fc.nat({ max: 1 }), offline: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('fire' as const), worker: nat }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('lang' as const), worker: nat }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('channelAvailable' as const), worker: nat, channel: fc.nat({ max: 1 }), available: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('workspace' as const), multiTask: fc.boolean(), lifo: fc.boolean(), timeoutActivity: fc.nat({ max: ACTIVITIES.length - 1 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('virtualStart' as const), pick: nat, ms: fc.integer({ min: 0, max: 60_000 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('queueTarget' as const), queue: fc.nat({ max: 2 }), expression: fc.nat({ max: QUEUE_TARGETS.length - 1 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('queueOrder' as const), queue: fc.nat({ max: 2 }), lifo: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reconfigure' as const), variant: fc.nat({ max: 2 }), reEvaluate: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('rechannel' as const), pick: nat, channel: fc.nat({ max: 1 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: nat }), weight: 1 },
);

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
 * Actions on a worker pick among the workers there are when it runs.
 */
export function applyAction(h: EngineHarness, queues: string[], action: Action): ActionOutcome {
  const problems: string[] = [];
  const effects: Effect[] = [];
  const reservations = (status: (r: ReservationRecord) => boolean) => [...h.state.reservations.values()].filter(status);
  const tasks = (status: (t: TaskRecord) => boolean) => [...h.state.tasks.values()].filter(status);
  const waiting = (t: TaskRecord) => t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved';
  const workerAt = (pick: number) => at([...h.state.workers.keys()], pick);
  const attempt = (run: () => { ok: boolean; effects: Effect[] }, mayFail: boolean, label: string) => {
    const before = mayFail ? JSON.stringify(h.snapshot()) : '';
    const result = run();
    effects.push(...result.effects);
    if (result.ok) return;
    if (!mayFail) problems.push(`${label} failed`);
    else if (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before) problems.push(`${label} failed but changed something`);
  };
  /** Runs a command that must be refused with `status` and change nothing. */
  const refused = (command: Command, status: number, label: string) => {
    const before = JSON.stringify(h.snapshot());
    const result = h.step(command);
    effects.push(...result.effects);
    if (result.ok || result.error.status !== status) problems.push(`${label} did not answer ${status}`);
    else if (result.effects.length > 0 || JSON.stringify(h.snapshot()) !== before) problems.push(`a refused ${label} changed something`);
  };
  const taskAttributes = (type: number, lang: number, agent: number) =>
    JSON.stringify({ type: TYPES[type], lang: lang === 0 ? 'en' : 'fr', ...(TYPES[type] === 'named' ? { agent: NAMES[agent] } : {}) });

  switch (action.kind) {
    case 'task': {
      // Through the workflow, named by RoutingTarget or not at all; IgnoreCapacity, which only a worker RoutingTarget honours.
      const workflowSid = [...h.state.workflows.keys()][0]!;
      const result = h.step({
        type: 'task.create',
        attributes: taskAttributes(action.type, action.lang, action.agent),
        taskChannel: CHANNELS[action.channel],
        priority: action.priority,
        ...(action.shortTtl ? { timeout: 100 } : {}),
        ...(action.viaRoutingTarget ? { routingTarget: workflowSid } : {}),
        ...(action.ignoreCapacity ? { ignoreCapacity: true } : {}),
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
      if (waiting(t)) attempt(() => h.setTaskStatus(t.sid, 'canceled'), false, `cancel of a ${t.assignmentStatus} task`);
      else refused({ type: 'task.update', sid: t.sid, assignmentStatus: 'canceled' }, 409, `cancel of a ${t.assignmentStatus} task`);
      break;
    }
    case 'activity': {
      const sid = workerAt(action.worker);
      if (sid) attempt(() => h.step({ type: 'worker.update', sid, activitySid: h.activity(ACTIVITIES[action.activity]!) }), false, 'activity change');
      break;
    }
    case 'rejectPending': {
      const sid = workerAt(action.worker);
      if (sid) attempt(() => h.step({ type: 'worker.update', sid, activitySid: h.activity('Unavailable'), rejectPendingReservations: true }), false, 'RejectPendingReservations');
      break;
    }
    case 'capacity': {
      const sid = workerAt(action.worker);
      if (sid) attempt(() => h.step({ type: 'workerChannel.update', workerSid: sid, sid: CHANNELS[action.channel]!, capacity: action.capacity }), false, 'capacity change');
      break;
    }
    case 'channelAvailable': {
      const sid = workerAt(action.worker);
      if (sid) attempt(() => h.step({ type: 'workerChannel.update', workerSid: sid, sid: CHANNELS[action.channel]!, available: action.available }), false, 'channel availability change');
      break;
    }
    case 'maxReserved':
      attempt(() => h.step({ type: 'taskQueue.update', sid: queues[action.queue]!, maxReservedWorkers: action.n }), false, 'MaxReservedWorkers change');
      break;
    case 'skills':
    case 'lang': {
      const sid = workerAt(action.worker);
      if (!sid) break;
      const attributes = JSON.parse(h.worker(sid).attributes) as Record<string, unknown>;
      if (action.kind === 'skills') attributes['skills'] = SKILLS[action.mask];
      else attributes['lang'] = attributes['lang'] === 'en' ? 'fr' : 'en';
      attempt(() => h.step({ type: 'worker.update', sid, attributes: JSON.stringify(attributes) }), false, 'attributes change');
      break;
    }
    case 'rename': {
      // Names are unique in a workspace: another worker's name is a 409 that changes nothing.
      const sid = workerAt(action.worker);
      if (!sid) break;
      const name = NAMES[action.name]!;
      const holder = h.state.workerByName.get(name);
      if (holder === undefined || holder === sid) attempt(() => h.step({ type: 'worker.update', sid, friendlyName: name }), false, `renaming a worker to the free name ${name}`);
      else refused({ type: 'worker.update', sid, friendlyName: name }, 409, `renaming a worker to ${name}, another worker's name,`);
      break;
    }
    case 'hire': {
      const name = NAMES[action.name]!;
      const command: Command = {
        type: 'worker.create',
        friendlyName: name,
        attributes: JSON.stringify({ skills: SKILLS[action.mask], lang: action.lang === 0 ? 'en' : 'fr', level: action.mask }),
        activitySid: h.activity(action.offline ? 'Offline' : 'Available'),
      };
      if (h.state.workerByName.has(name)) refused(command, 409, `creating a second worker named ${name}`);
      else attempt(() => h.step(command), false, `creating worker ${name}`);
      break;
    }
    case 'fire': {
      // A worker holding a task stays (409); any other goes, its offers canceled.
      const sid = workerAt(action.worker);
      if (!sid) break;
      const holds = h.reservationsOfWorker(sid).some((r) => r.status === 'accepted' || r.status === 'wrapping');
      if (holds) refused({ type: 'worker.delete', sid }, 409, 'deleting a worker who holds a task');
      else attempt(() => h.step({ type: 'worker.delete', sid }), false, 'deleting a worker');
      break;
    }
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
    case 'virtualStart': {
      const t = at(tasks(waiting), action.pick);
      if (t) attempt(() => h.step({ type: 'task.update', sid: t.sid, virtualStartTime: h.clock.now - action.ms }), false, 'VirtualStartTime change');
      break;
    }
    case 'queueTarget':
      attempt(() => h.step({ type: 'taskQueue.update', sid: queues[action.queue]!, targetWorkers: QUEUE_TARGETS[action.expression]! }), false, 'TargetWorkers change');
      break;
    case 'queueOrder':
      attempt(() => h.step({ type: 'taskQueue.update', sid: queues[action.queue]!, taskOrder: action.lifo ? 'LIFO' : 'FIFO' }), false, 'TaskOrder change');
      break;
    case 'reconfigure': {
      const workflow = [...h.state.workflows.values()][0]!;
      const defaultFilter = (JSON.parse(workflow.configuration) as { task_routing: { default_filter?: unknown } }).task_routing.default_filter !== undefined;
      const configuration = workflowVariant(action.variant, queues, defaultFilter);
      attempt(() => h.step({ type: 'workflow.update', sid: workflow.sid, configuration, reEvaluateTasks: action.reEvaluate }), false, 'workflow change');
      break;
    }
    case 'direct': {
      // A task for one worker (RoutingTarget), through a queue given or the workflow.
      const sid = workerAt(action.worker);
      if (!sid) break;
      const command: Command = {
        type: 'task.create',
        attributes: JSON.stringify({ type: 'direct' }),
        taskChannel: CHANNELS[action.channel],
        routingTarget: sid,
        ...(action.ignoreCapacity === null ? {} : { ignoreCapacity: action.ignoreCapacity }),
        ...(action.queue === null ? {} : { taskQueueSid: queues[action.queue] }),
      };
      attempt(() => h.step(command), false, 'task.create for a worker');
      break;
    }
    case 'priority': {
      const t = at(tasks(waiting), action.pick);
      if (t) attempt(() => h.step({ type: 'task.update', sid: t.sid, priority: action.priority }), false, 'priority change');
      break;
    }
    case 'retype': {
      const t = at(tasks(waiting), action.pick);
      const attributes = taskAttributes(action.type, action.lang, action.agent);
      const priority = action.priority === null ? {} : { priority: action.priority };
      if (t) attempt(() => h.step({ type: 'task.update', sid: t.sid, attributes, ...priority }), false, 'attributes change of a waiting task');
      break;
    }
    case 'rechannel': {
      // Only a pending task may move to another channel; a reserved one is a 409.
      const t = at(tasks(waiting), action.pick);
      if (!t) break;
      const command: Command = { type: 'task.update', sid: t.sid, taskChannel: CHANNELS[action.channel] };
      if (t.assignmentStatus === 'reserved' && h.channel(CHANNELS[action.channel]!) !== t.taskChannelSid) refused(command, 409, 'moving a reserved task to another channel');
      else attempt(() => h.step(command), false, 'channel change of a pending task');
      break;
    }
    case 'delete': {
      const t = at([...h.state.tasks.values()], action.pick);
      if (t) attempt(() => h.step({ type: 'task.delete', sid: t.sid }), false, `delete of a ${t.assignmentStatus} task`);
      break;
    }
    case 'advance':
      effects.push(...h.advance(action.ms));
      break;
  }
  return { effects, problems };
}
