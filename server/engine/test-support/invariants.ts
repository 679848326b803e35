import { CAPACITY_HOLDING, RESERVATION_TRANSITIONS, TASK_TRANSITIONS } from '../lifecycle.js';
import {
  TERMINAL_TASK_STATUSES,
  type ReservationRecord,
  type ReservationStatus,
  type TaskRecord,
  type TaskStatus,
  type WorkerChannelRecord,
  type WorkerRecord,
} from '../model.js';
import { countsByStatus, type TaskScope } from '../task-tally.js';
import { parseAttributes, type WorkspaceState } from '../workspace-state.js';
import type { RecordStore } from './record-store.js';
import { checkArchive, everyReservation, everyTask } from './every-record.js';
import { bruteKnownWorker, bruteTarget, bruteWorkerView, expression, ignoresCapacity } from './brute-routing.js';

function reachable<S extends string>(table: Readonly<Record<S, readonly S[]>>, from: S, to: S): boolean {
  const seen = new Set<S>([from]);
  const queue: S[] = [from];
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (s === to) return true;
    for (const next of table[s]) if (!seen.has(next)) seen.add(next), queue.push(next);
  }
  return false;
}

/**
 * Checks a workspace against the rules the engine must keep, recomputed by brute force from the
 * records alone. It remembers statuses and loads between calls, to check moves and growth.
 */
export class InvariantChecker {
  private readonly reservationStatus = new Map<string, ReservationStatus>();
  private readonly taskStatus = new Map<string, TaskStatus>();
  private readonly load = new Map<string, number>();

  /** Takes the current statuses and loads as the starting point, without checking them (e.g. right after a restore). */
  observe(state: WorkspaceState): void {
    for (const r of everyReservation(state)) this.reservationStatus.set(r.sid, r.status);
    for (const t of everyTask(state)) this.taskStatus.set(t.sid, t.assignmentStatus);
    for (const r of state.reservations.values()) {
      const key = `${r.workerSid}/${r.taskChannelSid}`;
      if (CAPACITY_HOLDING.has(r.status) && !state.tasks.get(r.taskSid)?.ignoreCapacity) this.load.set(key, (this.load.get(key) ?? 0) + 1);
    }
  }

  /** Returns every violation found after a step at time `now` (empty when all hold). */
  /**
   * `newOffersEligible` checks that each offer made since the last call went to a worker eligible for
   * it now; right for checks after every single command (a later command may change a worker).
   */
  check(state: WorkspaceState, now: number, options: { timersFired: boolean; newOffersEligible?: boolean }): string[] {
    const problems: string[] = [];
    const newOffers: ReservationRecord[] = [];
    const holding = new Map<string, number>();
    /** Capacity held on each worker channel, but for tasks routed to their worker with IgnoreCapacity. */
    const holdingWithinCapacity = new Map<string, number>();
    const winners = new Map<string, number>();
    const pendingOf = new Map<string, number>();
    const offeredTo = new Map<string, Set<string>>();
    const created = new Set<string>();
    /** Worker channels that got an offer bound by capacity (not of a task routed to its worker with IgnoreCapacity). */
    const createdWithinCapacity = new Set<string>();

    problems.push(...checkArchive(state));
    problems.push(...checkWorkerNames(state));
    for (const r of everyReservation(state)) {
      const before = this.reservationStatus.get(r.sid);
      if (before === undefined) {
        if (r.status === 'pending') newOffers.push(r);
        created.add(`${r.workerSid}/${r.taskChannelSid}`);
        if (!ignoresCapacity(state.findTask(r.taskSid))) createdWithinCapacity.add(`${r.workerSid}/${r.taskChannelSid}`);
      }
      if (before !== undefined && before !== r.status && !reachable(RESERVATION_TRANSITIONS, before, r.status)) {
        problems.push(`reservation ${r.sid} moved ${before} -> ${r.status}`);
      }
      if (before === undefined && !reachable(RESERVATION_TRANSITIONS, 'pending', r.status)) {
        problems.push(`reservation ${r.sid} appeared as ${r.status}`);
      }
      this.reservationStatus.set(r.sid, r.status);
      const channelKey = `${r.workerSid}/${r.taskChannelSid}`;
      if (CAPACITY_HOLDING.has(r.status)) {
        holding.set(channelKey, (holding.get(channelKey) ?? 0) + 1);
        if (!ignoresCapacity(state.tasks.get(r.taskSid))) holdingWithinCapacity.set(channelKey, (holdingWithinCapacity.get(channelKey) ?? 0) + 1);
      }
      if (r.status === 'accepted' || r.status === 'wrapping' || r.status === 'completed') winners.set(r.taskSid, (winners.get(r.taskSid) ?? 0) + 1);
      if (r.status === 'pending') {
        pendingOf.set(r.taskSid, (pendingOf.get(r.taskSid) ?? 0) + 1);
        const offered = offeredTo.get(r.taskSid) ?? new Set<string>();
        if (offered.has(r.workerSid)) problems.push(`task ${r.taskSid} is offered twice to worker ${r.workerSid}`);
        offeredTo.set(r.taskSid, offered.add(r.workerSid));
        if (options.timersFired && r.timeoutAt <= now) problems.push(`reservation ${r.sid} is pending past its deadline`);
        const task = state.findTask(r.taskSid);
        if (task?.assignmentStatus !== 'reserved') problems.push(`reservation ${r.sid} is pending but its task is ${task?.assignmentStatus}`);
      }
    }

    for (const [taskSid, n] of winners) if (n > 1) problems.push(`task ${taskSid} is assigned to ${n} workers`);

    for (const task of everyTask(state)) {
      const before = this.taskStatus.get(task.sid);
      if (before !== undefined && before !== task.assignmentStatus && !reachable(TASK_TRANSITIONS, before, task.assignmentStatus)) {
        problems.push(`task ${task.sid} moved ${before} -> ${task.assignmentStatus}`);
      }
      this.taskStatus.set(task.sid, task.assignmentStatus);
      const pending = pendingOf.get(task.sid) ?? 0;
      const won = winners.get(task.sid) ?? 0;
      const expected: TaskStatus[] =
        won === 1 ? ['assigned', 'wrapping', 'completed'] : pending > 0 ? ['reserved'] : ['pending', 'canceled'];
      if (!expected.includes(task.assignmentStatus)) {
        problems.push(`task ${task.sid} is ${task.assignmentStatus} with ${pending} pending and ${won} accepted reservations`);
      }
      if (state.pendingCount(task.sid) !== pending) problems.push(`task ${task.sid}: index says ${state.pendingCount(task.sid)} pending, records ${pending}`);
      if (state.pendingOfTask.get(task.sid)?.size === 0) problems.push(`task ${task.sid}: an empty pending set is kept`);
      // Parsed attributes are kept for live tasks only, and match the text.
      const parsed = state.taskAttributes.get(task.sid);
      if (TERMINAL_TASK_STATUSES.has(task.assignmentStatus) === (parsed !== undefined)) {
        problems.push(`task ${task.sid} is ${task.assignmentStatus} and its parsed attributes are ${parsed ? 'kept' : 'missing'}`);
      } else if (parsed && JSON.stringify(parsed) !== JSON.stringify(parseAttributes(task.attributes))) problems.push(`task ${task.sid}: parsed attributes differ from the text`);
      const queue = task.taskQueueSid ? state.taskQueues.get(task.taskQueueSid) : undefined;
      const waiting = task.assignmentStatus === 'pending' || task.assignmentStatus === 'reserved';
      const shouldList = waiting && queue !== undefined && pending < queue.maxReservedWorkers;
      if (state.routing.isListed(task.sid) !== shouldList) problems.push(`task ${task.sid} listed=${state.routing.isListed(task.sid)}, expected ${shouldList}`);
    }

    for (const wc of state.workerChannels.values()) {
      const key = `${wc.workerSid}/${wc.taskChannelSid}`;
      const n = holding.get(key) ?? 0;
      if ((state.channelLoad.get(wc.sid) ?? 0) !== n) problems.push(`worker channel ${wc.sid}: index load ${state.channelLoad.get(wc.sid) ?? 0}, records ${n}`);
      // Lowering a capacity below the load is allowed; taking on more work beyond it is not (a task routed to
      // its worker with IgnoreCapacity may go beyond it, and then the work bound by capacity must still fit).
      const bound = holdingWithinCapacity.get(key) ?? 0;
      if (createdWithinCapacity.has(key) && bound > wc.capacity) problems.push(`worker ${wc.workerSid} holds ${bound} > capacity ${wc.capacity} on ${wc.taskChannelSid}`);
      if (n > (this.load.get(key) ?? 0) && !created.has(key) && n > wc.capacity) problems.push(`worker ${wc.workerSid} holds ${n} > capacity ${wc.capacity} on ${wc.taskChannelSid} without a new offer`);
      this.load.set(key, n);
    }

    if (!state.workspace.multiTaskEnabled) {
      // Without multitasking a worker holds one task over all its channels.
      const perWorker = new Map<string, number>();
      for (const [key, n] of holdingWithinCapacity) perWorker.set(key.split('/')[0]!, (perWorker.get(key.split('/')[0]!) ?? 0) + n);
      for (const [workerSid, n] of perWorker) {
        const grew = [...createdWithinCapacity].some((key) => key.startsWith(`${workerSid}/`));
        if (grew && n > 1) problems.push(`worker ${workerSid} holds ${n} tasks with multitasking off`);
      }
    }
    problems.push(...this.checkRoutingIndex(state, pendingOf, offeredTo, options.newOffersEligible ? newOffers : []));
    problems.push(...checkTaskTally(state));
    return problems;
  }

  private checkRoutingIndex(state: WorkspaceState, pendingOf: Map<string, number>, offeredTo: Map<string, Set<string>>, newOffers: ReservationRecord[]): string[] {
    const problems: string[] = [];
    const channelLoad = new Map<string, number>();
    const workerLoad = new Map<string, number>();
    for (const r of state.reservations.values()) {
      if (!CAPACITY_HOLDING.has(r.status)) continue;
      const key = `${r.workerSid}/${r.taskChannelSid}`;
      channelLoad.set(key, (channelLoad.get(key) ?? 0) + 1);
      workerLoad.set(r.workerSid, (workerLoad.get(r.workerSid) ?? 0) + 1);
    }
    const channelOf = new Map([...state.workerChannels.values()].map((wc) => [`${wc.workerSid}/${wc.taskChannelSid}`, wc]));
    const free = (worker: WorkerRecord, channelSid: string): boolean => {
      const key = `${worker.sid}/${channelSid}`;
      const wc = channelOf.get(key);
      if (!state.activities.get(worker.activitySid)?.available || !wc?.available) return false;
      if (!state.workspace.multiTaskEnabled) return (workerLoad.get(worker.sid) ?? 0) === 0 && wc.capacity > 0;
      return (channelLoad.get(key) ?? 0) < wc.capacity;
    };
    const views = new Map([...state.workers.values()].map((w) => [w.sid, bruteWorkerView(state, w)]));
    const members = new Map<string, WorkerRecord[]>();
    for (const queue of state.taskQueues.values()) {
      const e = expression(queue.targetWorkers);
      const list = [...state.workers.values()].filter((w) => e.evaluate(views.get(w.sid)));
      members.set(queue.sid, list);
      const indexed = [...(state.routing.members.get(queue.sid) ?? [])].sort();
      const brute = list.map((w) => w.sid).sort();
      if (indexed.join() !== brute.join()) problems.push(`queue ${queue.sid} members ${indexed} != ${brute}`);
      for (const channelSid of state.taskChannels.keys()) {
        const ready = [...state.routing.readyWorkers(queue.sid, channelSid)].sort();
        const bruteReady = list.filter((w) => free(w, channelSid)).map((w) => w.sid).sort();
        if (ready.join() !== bruteReady.join()) problems.push(`queue ${queue.sid} channel ${channelSid} ready ${ready} != ${bruteReady}`);
      }
    }
    // Every new offer went to a worker the task may go to: in its queue (or named by its RoutingTarget), the one
    // known worker it names if any, available on an available channel, matching its target, not one who rejected it.
    for (const r of newOffers) {
      const task = state.tasks.get(r.taskSid);
      const worker = state.workers.get(r.workerSid);
      if (!task || !worker) continue;
      const target = bruteTarget(state, task);
      const attributes = JSON.parse(task.attributes) as Record<string, unknown>;
      const known = bruteKnownWorker(state, task, attributes, target);
      const targetExpression = typeof target?.['expression'] === 'string' ? expression(target['expression']) : null;
      const why =
        r.taskQueueSid !== task.taskQueueSid ? 'of another queue'
        : task.routingTarget !== worker.sid && !(members.get(r.taskQueueSid) ?? []).includes(worker) ? 'outside the queue'
        : known !== null && known?.sid !== worker.sid ? 'not the known worker'
        : !state.activities.get(worker.activitySid)?.available ? 'unavailable'
        : !channelOf.get(`${worker.sid}/${task.taskChannelSid}`)?.available ? 'on an unavailable channel'
        : task.rejectedWorkerSids.includes(worker.sid) ? 'who rejected it'
        : targetExpression && !targetExpression.evaluate({ task: attributes, worker: views.get(worker.sid) }) ? 'not matching its target'
        : null;
      if (why) problems.push(`task ${task.sid} was offered to ${worker.friendlyName}, ${why}`);
    }
    // Never idle while work waits: no waiting task has an eligible worker it was not offered to.
    for (const task of state.tasks.values()) {
      if (task.assignmentStatus !== 'pending' && task.assignmentStatus !== 'reserved') continue;
      const queue = task.taskQueueSid ? state.taskQueues.get(task.taskQueueSid) : undefined;
      if (!queue || (pendingOf.get(task.sid) ?? 0) >= queue.maxReservedWorkers) continue;
      const target = bruteTarget(state, task);
      const targetExpression = typeof target?.['expression'] === 'string' ? expression(target['expression']) : null;
      const offered = offeredTo.get(task.sid) ?? new Set<string>();
      const taskAttributes = JSON.parse(task.attributes) as Record<string, unknown>;
      // A task for one known worker waits for that worker alone: a member of its queue, or anyone its RoutingTarget names.
      const known = bruteKnownWorker(state, task, taskAttributes, target);
      const queueMembers = members.get(queue.sid) ?? [];
      const candidates =
        known === null ? queueMembers : known && (task.routingTarget === known.sid || queueMembers.includes(known)) ? [known] : [];
      for (const worker of candidates) {
        if (offered.has(worker.sid) || task.rejectedWorkerSids.includes(worker.sid)) continue;
        const wc = channelOf.get(`${worker.sid}/${task.taskChannelSid}`);
        const forced = ignoresCapacity(task);
        if (forced ? !state.activities.get(worker.activitySid)?.available || !wc?.available : !free(worker, task.taskChannelSid)) continue;
        if (targetExpression && !targetExpression.evaluate({ task: taskAttributes, worker: views.get(worker.sid) })) continue;
        problems.push(`worker ${worker.friendlyName} is idle while task ${task.sid} waits in ${queue.friendlyName}`);
      }
    }
    return problems;
  }
}

/**
 * The stored records as a restore reads them: an offer leaves its worker's version and its channel's
 * last offer time in the reservation alone (see `ReservationRecord.workerVersion`).
 */
function withOfferMarks(state: WorkspaceState, texts: ReadonlyMap<string, string>): Map<string, string> {
  const stored = new Map(texts);
  for (const [key, text] of texts) {
    if (!key.startsWith('reservation:')) continue;
    const r = JSON.parse(text) as ReservationRecord;
    const workerText = stored.get(`worker:${r.workerSid}`);
    if (workerText !== undefined && r.workerVersion !== undefined) {
      const worker = JSON.parse(workerText) as WorkerRecord;
      if (r.workerVersion > worker.version) stored.set(`worker:${r.workerSid}`, JSON.stringify({ ...worker, version: r.workerVersion }));
    }
    const channelKey = `workerChannel:${state.channelsOfWorker.get(r.workerSid)?.get(r.taskChannelSid)?.sid}`;
    const channelText = stored.get(channelKey);
    if (channelText !== undefined) {
      let channel = JSON.parse(channelText) as WorkerChannelRecord;
      if (r.dateCreated > channel.lastReservedAt) channel = { ...channel, lastReservedAt: r.dateCreated };
      if (r.readied && r.dateUpdated > (channel.lastFreedAt ?? 0)) channel = { ...channel, lastFreedAt: r.dateUpdated };
      stored.set(channelKey, JSON.stringify(channel));
    }
  }
  return stored;
}

/**
 * Differences between what the persist effects wrote (folded into a store) and the engine's records:
 * a change the engine made without persisting it shows up here. Empty when they agree.
 */
export function unpersistedChanges(state: WorkspaceState, store: RecordStore): string[] {
  const stored = withOfferMarks(state, store.texts());
  const problems: string[] = [];
  let live = 0;
  const compare = (kind: string, records: Iterable<{ sid: string }>) => {
    for (const r of records) {
      live += 1;
      const key = `${kind}:${r.sid}`;
      const text = stored.get(key);
      if (text === undefined) problems.push(`${key} was never persisted`);
      else if (text !== JSON.stringify(r)) problems.push(`${key} changed without being persisted`);
    }
  };
  compare('workspace', [state.workspace]);
  compare('activity', state.activities.values());
  compare('taskChannel', state.taskChannels.values());
  compare('worker', state.workers.values());
  compare('workerChannel', state.workerChannels.values());
  compare('taskQueue', state.taskQueues.values());
  compare('workflow', state.workflows.values());
  compare('task', everyTask(state));
  compare('reservation', everyReservation(state));
  if (stored.size !== live) problems.push(`${stored.size - live} stored records are gone from the engine`);
  return problems;
}

/** The task tally against a count of every task, in every scope it keeps and on every channel. */
export function checkTaskTally(state: WorkspaceState): string[] {
  const problems: string[] = [];
  const channels = [undefined, ...state.taskChannels.keys(), 'TCnone'];
  const scopes: Array<[string, (t: TaskRecord) => boolean, (channel?: string) => TaskScope | undefined]> = [
    ['workspace', () => true, (channel) => state.taskTally.workspace(channel)],
    ['no queue', (t) => t.taskQueueSid === null, (channel) => state.taskTally.unqueued(channel)],
    ...[...state.taskQueues.keys(), 'WQgone'].map((sid): [string, (t: TaskRecord) => boolean, (channel?: string) => TaskScope | undefined] => [
      `queue ${sid}`, (t) => t.taskQueueSid === sid, (channel) => state.taskTally.scope(sid, channel),
    ]),
    ...[...state.workflows.keys()].map((sid): [string, (t: TaskRecord) => boolean, (channel?: string) => TaskScope | undefined] => [
      `workflow ${sid}`, (t) => t.workflowSid === sid, (channel) => state.taskTally.scope(sid, channel),
    ]),
  ];
  const all = everyTask(state);
  for (const [name, belongs, tallied] of scopes) {
    for (const channel of channels) {
      const tasks = all.filter((t) => belongs(t) && (channel === undefined || t.taskChannelSid === channel));
      const byStatus: Record<string, number> = {};
      for (const t of tasks) byStatus[t.assignmentStatus] = (byStatus[t.assignmentStatus] ?? 0) + 1;
      const waiting = tasks.filter((t) => t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved').map((t) => t.sid).sort();
      const scope = tallied(channel);
      const counted = Object.fromEntries(Object.entries(countsByStatus(scope)).filter(([, n]) => n !== 0));
      const expected = JSON.stringify({ total: tasks.length, byStatus, waiting });
      const actual = JSON.stringify({ total: scope?.total ?? 0, byStatus: counted, waiting: [...(scope?.waiting ?? [])].map((t) => t.sid).sort() });
      // Same keys in the same order for the comparison: statuses sorted.
      const sortKeys = (text: string) => JSON.stringify(JSON.parse(text), (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
      if (sortKeys(actual) !== sortKeys(expected)) problems.push(`task tally of ${name} on ${channel ?? 'every channel'}: ${actual} != counted ${expected}`);
      if (scope && scope.total === 0) problems.push(`task tally keeps an empty scope for ${name} on ${channel ?? 'every channel'}`);
    }
  }
  // The live tasks, in the workspace's order: task lists filtered to live statuses walk only these.
  const live = [...state.tasks.values()].filter((t) => !TERMINAL_TASK_STATUSES.has(t.assignmentStatus));
  const tallied = [...state.taskTally.liveTasks()];
  if (tallied.length !== live.length || tallied.some((t, i) => t !== live[i])) {
    problems.push(`task tally's live tasks ${tallied.map((t) => t.sid)} != ${live.map((t) => t.sid)}, the current records in the workspace's order`);
  }
  return problems;
}

/** The name index holds exactly the workers' names, each for its worker. */
function checkWorkerNames(state: WorkspaceState): string[] {
  const problems: string[] = [];
  for (const w of state.workers.values()) {
    const indexed = state.workerByName.get(w.friendlyName);
    if (indexed !== w.sid) problems.push(`worker ${w.sid} is named ${w.friendlyName}, which the name index gives to ${indexed}`);
  }
  if (state.workerByName.size !== state.workers.size) problems.push(`${state.workerByName.size} names indexed for ${state.workers.size} workers`);
  return problems;
}
