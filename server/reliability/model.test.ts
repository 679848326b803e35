/**
 * Model-based test: fast-check `commands` drive the real hub over REST and sockets with random
 * interleavings (create / update / cancel / complete tasks, single, duplicate and concurrent
 * accepts, rejects, activity and attribute changes, queue and workflow edits, socket drops and
 * reconnects, waits past reservation deadlines); a small reference model predicts what must answer
 * what, and after every step the invariants are checked on the hub's state: never double-assigned,
 * never over capacity, one winner per task, no pending reservation past its deadline, of a finished
 * task, or made for a worker while it was unavailable, the engine's own checker (legal transitions,
 * indexes, never idle while work waits). At the end of each sequence every task's and reservation's
 * events agree with the state it ended in.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, type Harness, type Seeded } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, type TestSocket } from '../ws/ws-test-client.js';
import { eventually } from './support.js';
import { everyReservation, everyTask } from '../engine/test-support/every-record.js';
import { InvariantChecker } from '../engine/test-support/invariants.js';
import type { ReservationRecord, TaskRecord } from '../engine/model.js';

const LONG = process.env['SWITCHBOARD_LONG'] === '1';
/** The long run (100 sequences of up to 60 steps) takes some ten times the default's time. */
const TIMEOUT_MS = LONG ? 1_800_000 : 120_000;
const WORKERS = 4;

let h: Harness;
let wsUrl: string;
beforeAll(async () => {
  ({ h, wsUrl } = await startSocketHarness({ messagesPerSecond: 10_000 }));
});
afterAll(closeAllHarnesses);

interface Model {
  tasks: string[];
  /** Tasks the model knows are finished (canceled or completed) and must stay so. */
  finished: Map<string, 'canceled' | 'completed'>;
  /** The worker each task was accepted by. */
  winner: Map<string, string>;
  /**
   * Tasks a worker channel held or had been offered past a capacity lowered below them, by
   * `worker|channel`: TaskRouter keeps them, and an offer made before may still be accepted (it only
   * stops offering more), so the channel may hold that many until they end.
   */
  heldPastCapacity: Map<string, number>;
  /**
   * Workers made unavailable, with the reservations pending for them at that moment: TaskRouter
   * leaves those pending (unless `RejectPendingReservations`), but offers nothing new until the
   * worker is available again.
   */
  unavailable: Map<string, Set<string>>;
}

interface Real {
  seed: Seeded;
  base: string;
  tokens: string[];
  sockets: Array<TestSocket | undefined>;
  steps: number;
  /** The engine's invariant checker, following this sequence's workspace from its start. */
  checker: InvariantChecker;
}

const state = (r: Real) => h.hub.engine(r.seed.ws.sid)!.state;

/** The invariants, on the hub's own state after the step. */
function checkInvariants(r: Real, m: Model): void {
  r.steps += 1;
  const s = state(r);
  const now = h.hub.now();
  for (const task of everyTask(s)) {
    const taskSid = task.sid;
    const list = s.reservationsOf(taskSid);
    const holders = list.filter((x) => x.status === 'accepted' || x.status === 'wrapping' || x.status === 'completed');
    expect(holders.length, `task ${taskSid} held by ${holders.length}`).toBeLessThanOrEqual(1);
    const pending = list.filter((x) => x.status === 'pending');
    if (pending.length > 0) expect(task.assignmentStatus).toBe('reserved');
    // Timers fire on the event loop: allow them a moment.
    for (const p of pending) expect(p.timeoutAt, 'pending past its deadline').toBeGreaterThan(now - 1000);
    const known = m.finished.get(taskSid);
    if (known) expect(task.assignmentStatus).toBe(known);
    const winner = m.winner.get(taskSid);
    if (winner && !known) expect(holders[0]?.workerSid).toBe(winner);
  }
  for (const [workerSid, pendingThen] of m.unavailable) {
    for (const x of s.reservationsOfWorker.get(workerSid) ?? []) {
      if (x.status === 'pending') expect(pendingThen.has(x.sid), `reservation ${x.sid} offered to unavailable worker ${workerSid}`).toBe(true);
    }
  }
  // Timers fire on the event loop, a moment after their deadline: the deadline check above allows for that.
  expect(r.checker.check(s, now, { timersFired: false })).toEqual([]);
  for (const worker of s.workers.values()) {
    for (const channel of s.channelsOfWorker.get(worker.sid)?.values() ?? []) {
      const held = heldOn(s, worker.sid, channel.taskChannelSid);
      const key = `${worker.sid}|${channel.taskChannelSid}`;
      // Never a new task past capacity: past it only what the channel held or had been offered when
      // its capacity was lowered, as those end.
      const allowed = Math.max(channel.capacity, 0, m.heldPastCapacity.get(key) ?? 0);
      expect(held, 'over capacity').toBeLessThanOrEqual(allowed);
      const committed = heldOn(s, worker.sid, channel.taskChannelSid, true);
      if (committed <= channel.capacity) m.heldPastCapacity.delete(key);
      else if (m.heldPastCapacity.has(key)) m.heldPastCapacity.set(key, Math.min(allowed, committed));
    }
  }
}

/** Tasks a worker holds (accepted or wrapping up) on one channel, and with `offered` those it has been offered too. */
function heldOn(s: ReturnType<typeof state>, workerSid: string, taskChannelSid: string, offered = false): number {
  const counted = (status: string) => status === 'accepted' || status === 'wrapping' || (offered && status === 'pending');
  return [...(s.reservationsOfWorker.get(workerSid) ?? [])].filter((x) => x.taskChannelSid === taskChannelSid && counted(x.status)).length;
}

type Cmd = fc.AsyncCommand<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => Promise<void>): Cmd => ({
  check: () => true,
  run: async (m, r) => {
    await run(m, r);
    await h.hub.flush();
    checkInvariants(r, m);
  },
  toString: () => name,
});

function pendingOf(r: Real, pick: number) {
  const list = [...state(r).reservations.values()].filter((x) => x.status === 'pending');
  return list.length === 0 ? undefined : list[pick % list.length];
}

async function accept(r: Real, reservationSid: string, workerIndex: number, viaSocket: boolean): Promise<number> {
  const socket = r.sockets[workerIndex];
  if (viaSocket && socket && socket.ws.readyState === socket.ws.OPEN) {
    const reply = await socket.request({ type: 'reservation.accept', reservationSid });
    return reply.ok ? 200 : reply.error.status;
  }
  const res = await h.request('POST', `${r.base}/Workers/${r.seed.workers[workerIndex].sid}/Reservations/${reservationSid}`, { ReservationStatus: 'accepted' }, { bearer: r.tokens[workerIndex]! });
  return res.status;
}

// The steps a regression replays by name; the others are written where they are generated.
const createTask = (p: number) =>
  cmd(`CreateTask(p${p})`, async (m, r) => {
    const res = await h.request('POST', `${r.base}/Tasks`, { WorkflowSid: r.seed.workflow.sid, Priority: p, Attributes: '{}' });
    expect(res.status).toBe(201);
    m.tasks.push(res.body.sid);
  });

/** Accepts the `pick`th pending reservation, `copies` times at once, alternating transports from `socket`'s. */
const acceptOffer = ({ pick, copies, socket }: { pick: number; copies: number; socket: boolean }) =>
  cmd(`Accept(${pick} x${copies}${socket ? ' ws' : ''})`, async (m, r) => {
    const res = pendingOf(r, pick);
    if (!res) return;
    const w = r.seed.workers.findIndex((x) => x.sid === res.workerSid);
    const statuses = await Promise.all(Array.from({ length: copies }, (_, i) => accept(r, res.sid, w, socket !== (i % 2 === 1))));
    const ok = statuses.filter((x) => x === 200).length;
    // The reservation may have timed out just before: then none wins. Never two.
    expect(ok).toBeLessThanOrEqual(1);
    for (const x of statuses) if (x !== 200) expect([410]).toContain(x);
    if (ok === 1) m.winner.set(res.taskSid, res.workerSid);
  });

const rejectOffer = ({ pick, socket }: { pick: number; socket: boolean }) =>
  cmd(`Reject(${pick}${socket ? ' ws' : ''})`, async (_m, r) => {
    const res = pendingOf(r, pick);
    if (!res) return;
    const w = r.seed.workers.findIndex((x) => x.sid === res.workerSid);
    const s = r.sockets[w];
    if (socket && s && s.ws.readyState === s.ws.OPEN) {
      const reply = await s.request({ type: 'reservation.reject', reservationSid: res.sid });
      if (!reply.ok) expect(reply.error.status).toBe(410);
    } else {
      const out = await h.request('POST', `${r.base}/Tasks/${res.taskSid}/Reservations/${res.sid}`, { ReservationStatus: 'rejected' });
      expect([200, 410]).toContain(out.status);
    }
  });

const setCapacity = ({ w, capacity }: { w: number; capacity: number }) =>
  cmd(`Capacity(w${w} ${capacity})`, async (m, r) => {
    const res = await h.request('POST', `${r.base}/Workers/${r.seed.workers[w].sid}/Channels/default`, { Capacity: capacity });
    expect(res.status).toBe(200);
    // A capacity lowered below what the worker holds or was offered keeps those with it (TaskRouter only stops offering more).
    const committed = heldOn(state(r), r.seed.workers[w].sid, res.body.task_channel_sid, true);
    if (committed > capacity) m.heldPastCapacity.set(`${r.seed.workers[w].sid}|${res.body.task_channel_sid}`, committed);
  });

/** Moves a worker to Available or Offline (then, with `rejectPending`, rejecting what it was offered). */
const setActivity = ({ w, available, rejectPending, socket }: { w: number; available: boolean; rejectPending: boolean; socket: boolean }) => {
  const reject = !available && rejectPending;
  return cmd(`Activity(w${w} ${available ? 'on' : 'off'}${reject ? ' rejecting pending' : ''}${socket ? ' ws' : ''})`, async (m, r) => {
    const activitySid = available ? r.seed.available.sid : r.seed.offline.sid;
    const workerSid = r.seed.workers[w].sid;
    const s = r.sockets[w];
    if (socket && s && s.ws.readyState === s.ws.OPEN) {
      expect((await s.request({ type: 'worker.update', activitySid, ...(reject ? { rejectPendingReservations: true } : {}) })).ok).toBe(true);
    } else {
      expect((await h.request('POST', `${r.base}/Workers/${workerSid}`, { ActivitySid: activitySid, ...(reject ? { RejectPendingReservations: true } : {}) })).status).toBe(200);
    }
    if (available) {
      m.unavailable.delete(workerSid);
      return;
    }
    const pending = [...(state(r).reservationsOfWorker.get(workerSid) ?? [])].filter((x) => x.status === 'pending').map((x) => x.sid);
    if (reject) expect(pending, 'pending reservations left after RejectPendingReservations').toEqual([]);
    // Still unavailable from before: what was pending then is all it may hold now.
    const before = m.unavailable.get(workerSid);
    m.unavailable.set(workerSid, new Set(before ? pending.filter((sid) => before.has(sid)) : pending));
  });
};

// The configuration the tasks route by: the queue alone; VIP tasks (an attribute UpdateTask sets)
// raised to priority 9; or every task first to workers of level 1 and up, then after a second to
// anyone (a target timeout: the workflow's timer moves it). Without `ReEvaluateTasks` a waiting task
// keeps its place where the new configuration has one, and is routed by its queue alone elsewhere.
const editWorkflow = ({ shape, reEvaluate, timeout }: { shape: 'default' | 'vip' | 'tiered'; reEvaluate: boolean; timeout: number }) =>
  cmd(`Workflow(${shape}${reEvaluate ? ' re-evaluate' : ''}, ${timeout} s)`, async (_m, r) => {
    const queue = r.seed.queue.sid;
    const filters =
      shape === 'vip'
        ? [{ filter_friendly_name: 'vip', expression: 'vip == true', targets: [{ queue, priority: 9 }] }]
        : shape === 'tiered'
          ? [{ filter_friendly_name: 'tiered', expression: '1 == 1', targets: [{ queue, expression: 'worker.level >= 1', timeout: 1 }, { queue }] }]
          : [];
    const configuration = JSON.stringify({ task_routing: { filters, default_filter: { queue } } });
    const out = await h.request('POST', `${r.base}/Workflows/${r.seed.workflow.sid}`, { Configuration: configuration, ReEvaluateTasks: reEvaluate, TaskReservationTimeout: timeout });
    expect(out.status).toBe(200);
  });

const commands = [
  fc.integer({ min: 0, max: 9 }).map(createTask),
  fc.record({ pick: fc.nat(), copies: fc.integer({ min: 1, max: 4 }), socket: fc.boolean() }).map(acceptOffer),
  fc.record({ pick: fc.nat(), socket: fc.boolean() }).map(rejectOffer),
  fc.nat().map((pick) => cmd(`Cancel(${pick})`, async (m, r) => {
    if (m.tasks.length === 0) return;
    const sid = m.tasks[pick % m.tasks.length]!;
    const before = state(r).findTask(sid)?.assignmentStatus;
    const out = await h.request('POST', `${r.base}/Tasks/${sid}`, { AssignmentStatus: 'canceled' });
    if (before === 'pending' || before === 'reserved') {
      expect(out.status).toBe(200);
      m.finished.set(sid, 'canceled');
      m.winner.delete(sid);
    } else expect(out.status).toBeGreaterThanOrEqual(400);
  })),
  fc.record({ pick: fc.nat(), priority: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }), vip: fc.option(fc.boolean(), { nil: undefined }) }).map(({ pick, priority, vip }) =>
    cmd(`UpdateTask(${pick}${priority === undefined ? '' : ` p${priority}`}${vip === undefined ? '' : ` vip=${vip}`})`, async (m, r) => {
      if (m.tasks.length === 0 || (priority === undefined && vip === undefined)) return;
      const sid = m.tasks[pick % m.tasks.length]!;
      const attributes = vip === undefined ? undefined : JSON.stringify({ vip });
      const out = await h.request('POST', `${r.base}/Tasks/${sid}`, { ...(priority === undefined ? {} : { Priority: priority }), ...(attributes === undefined ? {} : { Attributes: attributes }) });
      if (m.finished.has(sid)) {
        // A finished task's status stays; the invariants check it whatever the answer was.
        expect(out.status).toBeLessThan(500);
        return;
      }
      expect(out.status).toBe(200);
      const task = state(r).findTask(sid)!;
      // New attributes send a waiting task through its workflow again, whose target may set the priority.
      if (priority !== undefined && attributes === undefined) expect(task.priority).toBe(priority);
      if (attributes !== undefined) expect(task.attributes).toBe(attributes);
    }),
  ),
  fc.record({ shape: fc.constantFrom('default' as const, 'vip' as const, 'tiered' as const), reEvaluate: fc.boolean(), timeout: fc.integer({ min: 1, max: 2 }) }).map(editWorkflow),
  fc.nat().map((pick) => cmd(`Complete(${pick})`, async (m, r) => {
    const held = [...m.winner.entries()].filter(([t]) => !m.finished.has(t));
    if (held.length === 0) return;
    const [taskSid] = held[pick % held.length]!;
    const out = await h.request('POST', `${r.base}/Tasks/${taskSid}`, { AssignmentStatus: 'completed', Reason: 'done' });
    expect(out.status).toBe(200);
    m.finished.set(taskSid, 'completed');
  })),
  fc.record({ w: fc.nat(WORKERS - 1), available: fc.boolean(), rejectPending: fc.boolean(), socket: fc.boolean() }).map(setActivity),
  fc.record({ w: fc.nat(WORKERS - 1), level: fc.nat(3) }).map(({ w, level }) => cmd(`Attributes(w${w} level ${level})`, async (_m, r) => {
    expect((await h.request('POST', `${r.base}/Workers/${r.seed.workers[w].sid}`, { Attributes: JSON.stringify({ level }) })).status).toBe(200);
  })),
  fc.record({ max: fc.integer({ min: 1, max: 3 }), expr: fc.constantFrom('1==1', 'level >= 1', 'level < 3') }).map(({ max, expr }) => cmd(`Queue(max ${max}, ${expr})`, async (_m, r) => {
    expect((await h.request('POST', `${r.base}/TaskQueues/${r.seed.queue.sid}`, { MaxReservedWorkers: max, TargetWorkers: expr })).status).toBe(200);
  })),
  fc.record({ w: fc.nat(WORKERS - 1), capacity: fc.integer({ min: 1, max: 3 }) }).map(setCapacity),
  fc.nat(WORKERS - 1).map((w) => cmd(`DropAndReconnect(w${w})`, async (_m, r) => {
    r.sockets[w]?.ws.terminate();
    const { socket, snapshot } = await connectWorker(wsUrl, r.tokens[w]!);
    r.sockets[w] = socket;
    // The snapshot is the worker's live reservations when it was made. Where the state differs right
    // after (a reservation that timed out meanwhile, a new offer), a push for that reservation must
    // follow the snapshot; nothing else may differ.
    const truth = new Set([...(state(r).reservationsOfWorker.get(r.seed.workers[w].sid) ?? [])].filter((x) => ['pending', 'accepted', 'wrapping'].includes(x.status)).map((x) => x.sid));
    const seen = new Set(snapshot.reservations.map((x) => x.sid));
    const pushed = (sid: string, live: boolean) =>
      socket.frames.some((f) => 'reservation' in f && f.reservation.sid === sid && (f.type === 'reservation.created' || f.type === 'reservation.accepted' || f.type === 'reservation.wrapup') === live);
    for (const sid of truth) if (!seen.has(sid)) await eventually(() => pushed(sid, true), 2000, `an offer of ${sid} after the snapshot that left it out`);
    for (const sid of seen) if (!truth.has(sid)) await eventually(() => pushed(sid, false), 2000, `the end of ${sid} after the snapshot that had it`);
  })),
  fc.integer({ min: 200, max: 1300 }).map((ms) => cmd(`Wait(${ms} ms)`, async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
  })),
];

/** Counts what a property ran, for the printed figure. */
interface Tally {
  sequences: number;
  steps: number;
}

/** Runs one sequence of steps on a fresh workspace, the invariants after each and the events at the end. */
async function runSequence(cmds: Iterable<Cmd>, tally: Tally): Promise<void> {
  const seed = await seedWorkspace(h, { workers: WORKERS, maxReservedWorkers: 2 });
  const base = `/v1/Workspaces/${seed.ws.sid}`;
  // A short reservation timeout, so that waits cross deadlines.
  await h.request('POST', `${base}/Workflows/${seed.workflow.sid}`, { TaskReservationTimeout: 1 });
  const tokens = await Promise.all(seed.workers.map((w) => h.token(seed.ws.sid, w.sid)));
  const sockets = await Promise.all(tokens.map(async (t, i) => (i % 2 === 0 ? (await connectWorker(wsUrl, t)).socket : undefined)));
  const checker = new InvariantChecker();
  const real: Real = { seed, base, tokens, sockets, steps: 0, checker };
  checker.observe(state(real));
  const model: Model = { tasks: [], finished: new Map(), winner: new Map(), heldPastCapacity: new Map(), unavailable: new Map() };
  try {
    await fc.asyncModelRun(() => ({ model, real }), cmds);
    await h.hub.flush();
    const events = await h.hub.queryEvents({ workspaceSid: seed.ws.sid, limit: 100_000 });
    expect(eventProblems(everyTask(state(real)), everyReservation(state(real)), events)).toEqual([]);
  } finally {
    for (const s of real.sockets) s?.ws.terminate();
  }
  tally.sequences += 1;
  tally.steps += real.steps;
}

/** The property: sequences of up to `maxCommands` steps. */
function modelProperty(maxCommands: number, tally: Tally) {
  return fc.asyncProperty(fc.commands(commands, { maxCommands, size: 'max' }), (cmds) => runSequence(cmds, tally));
}

describe('model-based: the real hub against a reference model', () => {
  it('keeps every invariant through random interleavings over REST and sockets', async () => {
    const tally: Tally = { sequences: 0, steps: 0 };
    await fc.assert(modelProperty(LONG ? 60 : 20, tally), { numRuns: LONG ? 100 : 12, seed: LONG ? undefined : 20_240 });
    console.log(`model-based: ${tally.sequences} sequences x ${(tally.steps / Math.max(1, tally.sequences)).toFixed(1)} steps on average = ${tally.steps} steps, invariants checked after each`);
  }, TIMEOUT_MS);

  // Failures the long run found, shrunk by fast-check, replayed step by step (found with seeds 1481038855,
  // 1242306922 and -1573511857; the first two before the generated steps changed, the third a fault of the hub's). A third, a reservation that timed out between a reconnect's
  // snapshot and the check (seed 1090478533), depends on timing and cannot be replayed: the check now follows
  // the pushes after it.
  const once = { copies: 1, socket: false };
  const regression = (found: string, steps: Cmd[]) => ({ found, steps, sequence: steps.map(String).join(', ') });
  it.each([
    regression('a capacity lowered below the tasks a worker holds: it keeps them, and the model had called that over capacity', [
      createTask(0),
      createTask(0),
      acceptOffer({ pick: 0, ...once }),
      createTask(0),
      setCapacity({ w: 0, capacity: 2 }),
      acceptOffer({ pick: 218949319, ...once }),
      setCapacity({ w: 0, capacity: 1 }),
    ]),
    regression('an offer made before a capacity was lowered, accepted after: the model had called that over capacity', [
      setActivity({ w: 2, available: false, rejectPending: false, socket: false }),
      setCapacity({ w: 1, capacity: 2 }),
      createTask(0),
      acceptOffer({ pick: 13884823, ...once }),
      createTask(0),
      rejectOffer({ pick: 0, socket: false }),
      setCapacity({ w: 1, capacity: 1 }),
      acceptOffer({ pick: 0, ...once }),
    ]),
    regression("a workflow edited under a waiting task: its place had gone, and it waited while workers were free", [
      editWorkflow({ shape: 'tiered', reEvaluate: false, timeout: 1 }),
      createTask(0),
      editWorkflow({ shape: 'default', reEvaluate: false, timeout: 1 }),
    ]),
  ])('replays $sequence ($found)', async ({ steps }) => {
    const tally: Tally = { sequences: 0, steps: 0 };
    await runSequence(steps, tally);
    expect(tally.steps).toBe(steps.length);
  }, 60_000);
});

/** The events each status of a task leaves, besides `task.created`: exactly one of each. */
const TASK_EVENTS: Record<string, string[]> = {
  pending: [],
  reserved: [],
  assigned: [],
  wrapping: ['task.wrapup'],
  completed: ['task.completed'],
  canceled: ['task.canceled'],
};

/** The events each status of a reservation leaves, besides `reservation.created`: exactly one of each. */
const RESERVATION_EVENTS: Record<string, string[]> = {
  pending: [],
  accepted: ['reservation.accepted'],
  wrapping: ['reservation.accepted', 'reservation.wrapup'],
  completed: ['reservation.accepted', 'reservation.completed'],
  rejected: ['reservation.rejected'],
  timeout: ['reservation.timeout'],
  canceled: ['reservation.canceled'],
  rescinded: ['reservation.rescinded'],
};

/**
 * Where the events disagree with the state the records ended in: every task created once and
 * ended (wrapped up, completed, canceled) once, as it stands; every reservation offered once, and
 * every step to its status (accepted, wrapped up, completed, or its one ending) told once, nothing
 * it did not take. A reservation completed from `assigned` skips its wrap-up, so that one may be
 * there or not.
 */
function eventProblems(tasks: TaskRecord[], reservations: ReservationRecord[], events: Array<{ eventType: string; resourceSid: string }>): string[] {
  const count = new Map<string, number>();
  for (const e of events) count.set(`${e.resourceSid} ${e.eventType}`, (count.get(`${e.resourceSid} ${e.eventType}`) ?? 0) + 1);
  const problems: string[] = [];
  const expectOnce = (sid: string, type: string, status: string) => {
    const n = count.get(`${sid} ${type}`) ?? 0;
    if (n !== 1) problems.push(`${sid} (${status}) has ${n} ${type} events`);
  };
  const expectNone = (sid: string, type: string, status: string) => {
    const n = count.get(`${sid} ${type}`) ?? 0;
    if (n !== 0) problems.push(`${sid} (${status}) has ${n} ${type} events, and its status never took that step`);
  };
  for (const t of tasks) {
    expectOnce(t.sid, 'task.created', t.assignmentStatus);
    const expected = TASK_EVENTS[t.assignmentStatus] ?? [];
    for (const type of ['task.wrapup', 'task.completed', 'task.canceled']) {
      if (expected.includes(type)) expectOnce(t.sid, type, t.assignmentStatus);
      else if (!(type === 'task.wrapup' && t.assignmentStatus === 'completed')) expectNone(t.sid, type, t.assignmentStatus);
    }
  }
  for (const x of reservations) {
    expectOnce(x.sid, 'reservation.created', x.status);
    const expected = RESERVATION_EVENTS[x.status] ?? [];
    for (const type of Object.values(RESERVATION_EVENTS).flat()) {
      if (expected.includes(type)) expectOnce(x.sid, type, x.status);
      else if (!(type === 'reservation.wrapup' && x.status === 'completed')) expectNone(x.sid, type, x.status);
    }
  }
  return [...new Set(problems)];
}
