/**
 * Model-based test: fast-check `commands` drive the real hub over REST and sockets with random
 * interleavings (create / cancel / complete tasks, single, duplicate and concurrent accepts,
 * rejects, activity and attribute changes, queue edits, socket drops and reconnects, waits past
 * reservation deadlines); a small reference model predicts what must answer what, and after every
 * step the invariants are checked on the hub's state: never double-assigned, never over capacity,
 * one winner per task, no pending reservation past its deadline or of a finished task.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, type Harness, type Seeded } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, type TestSocket } from '../ws/ws-test-client.js';
import { eventually } from './support.js';
import { everyReservation, everyTask } from '../engine/test-support/every-record.js';

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
}

interface Real {
  seed: Seeded;
  base: string;
  tokens: string[];
  sockets: Array<TestSocket | undefined>;
  steps: number;
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

const commands = [
  fc.integer({ min: 0, max: 9 }).map((p) => cmd(`CreateTask(p${p})`, async (m, r) => {
    const res = await h.request('POST', `${r.base}/Tasks`, { WorkflowSid: r.seed.workflow.sid, Priority: p, Attributes: '{}' });
    expect(res.status).toBe(201);
    m.tasks.push(res.body.sid);
  })),
  fc.record({ pick: fc.nat(), copies: fc.integer({ min: 1, max: 4 }), socket: fc.boolean() }).map(({ pick, copies, socket }) => cmd(`Accept(${pick} x${copies}${socket ? ' ws' : ''})`, async (m, r) => {
    const res = pendingOf(r, pick);
    if (!res) return;
    const w = r.seed.workers.findIndex((x) => x.sid === res.workerSid);
    const statuses = await Promise.all(Array.from({ length: copies }, (_, i) => accept(r, res.sid, w, socket !== (i % 2 === 1))));
    const ok = statuses.filter((x) => x === 200).length;
    // The reservation may have timed out just before: then none wins. Never two.
    expect(ok).toBeLessThanOrEqual(1);
    for (const x of statuses) if (x !== 200) expect([410]).toContain(x);
    if (ok === 1) m.winner.set(res.taskSid, res.workerSid);
  })),
  fc.record({ pick: fc.nat(), socket: fc.boolean() }).map(({ pick, socket }) => cmd(`Reject(${pick}${socket ? ' ws' : ''})`, async (_m, r) => {
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
  })),
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
  fc.nat().map((pick) => cmd(`Complete(${pick})`, async (m, r) => {
    const held = [...m.winner.entries()].filter(([t]) => !m.finished.has(t));
    if (held.length === 0) return;
    const [taskSid] = held[pick % held.length]!;
    const out = await h.request('POST', `${r.base}/Tasks/${taskSid}`, { AssignmentStatus: 'completed', Reason: 'done' });
    expect(out.status).toBe(200);
    m.finished.set(taskSid, 'completed');
  })),
  fc.record({ w: fc.nat(WORKERS - 1), available: fc.boolean(), socket: fc.boolean() }).map(({ w, available, socket }) => cmd(`Activity(w${w} ${available ? 'on' : 'off'}${socket ? ' ws' : ''})`, async (_m, r) => {
    const activitySid = available ? r.seed.available.sid : r.seed.offline.sid;
    const s = r.sockets[w];
    if (socket && s && s.ws.readyState === s.ws.OPEN) expect((await s.request({ type: 'worker.update', activitySid })).ok).toBe(true);
    else expect((await h.request('POST', `${r.base}/Workers/${r.seed.workers[w].sid}`, { ActivitySid: activitySid })).status).toBe(200);
  })),
  fc.record({ w: fc.nat(WORKERS - 1), level: fc.nat(3) }).map(({ w, level }) => cmd(`Attributes(w${w} level ${level})`, async (_m, r) => {
    expect((await h.request('POST', `${r.base}/Workers/${r.seed.workers[w].sid}`, { Attributes: JSON.stringify({ level }) })).status).toBe(200);
  })),
  fc.record({ max: fc.integer({ min: 1, max: 3 }), expr: fc.constantFrom('1==1', 'level >= 1', 'level < 3') }).map(({ max, expr }) => cmd(`Queue(max ${max}, ${expr})`, async (_m, r) => {
    expect((await h.request('POST', `${r.base}/TaskQueues/${r.seed.queue.sid}`, { MaxReservedWorkers: max, TargetWorkers: expr })).status).toBe(200);
  })),
  fc.record({ w: fc.nat(WORKERS - 1), capacity: fc.integer({ min: 1, max: 3 }) }).map(({ w, capacity }) => cmd(`Capacity(w${w} ${capacity})`, async (m, r) => {
    const res = await h.request('POST', `${r.base}/Workers/${r.seed.workers[w].sid}/Channels/default`, { Capacity: capacity });
    expect(res.status).toBe(200);
    // A capacity lowered below what the worker holds or was offered keeps those with it (TaskRouter only stops offering more).
    const committed = heldOn(state(r), r.seed.workers[w].sid, res.body.task_channel_sid, true);
    if (committed > capacity) m.heldPastCapacity.set(`${r.seed.workers[w].sid}|${res.body.task_channel_sid}`, committed);
  })),
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

/** The property: a fresh workspace per sequence of up to `maxCommands` steps, invariants after each. */
function modelProperty(maxCommands: number, tally: Tally, replayPath?: string) {
  return fc.asyncProperty(fc.commands(commands, { maxCommands, size: 'max', ...(replayPath === undefined ? {} : { replayPath }) }), async (cmds) => {
    const seed = await seedWorkspace(h, { workers: WORKERS, maxReservedWorkers: 2 });
    const base = `/v1/Workspaces/${seed.ws.sid}`;
    // A short reservation timeout, so that waits cross deadlines.
    await h.request('POST', `${base}/Workflows/${seed.workflow.sid}`, { TaskReservationTimeout: 1 });
    const tokens = await Promise.all(seed.workers.map((w) => h.token(seed.ws.sid, w.sid)));
    const sockets = await Promise.all(tokens.map(async (t, i) => (i % 2 === 0 ? (await connectWorker(wsUrl, t)).socket : undefined)));
    const real: Real = { seed, base, tokens, sockets, steps: 0 };
    const model: Model = { tasks: [], finished: new Map(), winner: new Map(), heldPastCapacity: new Map() };
    try {
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      // Events agree with the state: one reservation.accepted per task at most, and one per winner.
      const events = await h.hub.queryEvents({ workspaceSid: seed.ws.sid, eventType: 'reservation.accepted', limit: 10_000 });
      const perTask = new Map<string, number>();
      for (const e of events) perTask.set(String(e.data['task_sid']), (perTask.get(String(e.data['task_sid'])) ?? 0) + 1);
      for (const n of perTask.values()) expect(n).toBe(1);
      for (const task of m_tasksHeld(real)) expect(perTask.get(task)).toBe(1);
    } finally {
      for (const s of real.sockets) s?.ws.terminate();
    }
    tally.sequences += 1;
    tally.steps += real.steps;
  });
}

describe('model-based: the real hub against a reference model', () => {
  it('keeps every invariant through random interleavings over REST and sockets', async () => {
    const tally: Tally = { sequences: 0, steps: 0 };
    await fc.assert(modelProperty(LONG ? 60 : 20, tally), { numRuns: LONG ? 100 : 12, seed: LONG ? undefined : 20_240 });
    console.log(`model-based: ${tally.sequences} sequences x ${(tally.steps / Math.max(1, tally.sequences)).toFixed(1)} steps on average = ${tally.steps} steps, invariants checked after each`);
  }, TIMEOUT_MS);

  // Failures the long run found, shrunk, replayed exactly: fast-check's seed, path and the commands' replay path
  // (sequences of up to 60 steps). A third, a reservation that timed out between a reconnect's snapshot and the
  // check (seed 1090478533), depends on timing and cannot be replayed: the check now follows the pushes after it.
  it.each([
    {
      found: 'a capacity lowered below the tasks a worker holds: it keeps them, and the model had called that over capacity',
      sequence: 'CreateTask(p0), CreateTask(p0), Accept(0 x1), CreateTask(p0), Capacity(w0 2), Accept(218949319 x1), Capacity(w0 1)',
      seed: 1481038855,
      path: '98:5:4:15:17:21:19:34:19:29:44:49:53:52:56:35:3:6:9:17:17:17:17:17:17:21:30:17:17:19:17:17:17:17:17:19:19:20:23:13:18:15:15:17:15:17:15:19:20:20',
      replayPath: 'rE//////////2:9/B',
    },
    {
      found: 'an offer made before a capacity was lowered, accepted after: the model had called that over capacity',
      sequence: 'Activity(w2 off), Capacity(w1 2), CreateTask(p0), Accept(13884823 x1), CreateTask(p0), Reject(0), Capacity(w1 1), Accept(0 x1)',
      seed: 1242306922,
      path: '84:8:10:10:14:21:19:18:18:18:20:21:20:20:20:22:21:23:20:27:25:25:25:25:26:26',
      replayPath: 'TE///a:9',
    },
  ])('replays $sequence ($found)', async ({ seed, path, replayPath }) => {
    const tally: Tally = { sequences: 0, steps: 0 };
    await fc.assert(modelProperty(60, tally, replayPath), { seed, path, endOnFailure: true });
    expect(tally.sequences).toBe(1);
  }, 60_000);
});

/** Tasks someone holds or held (accepted, wrapping, completed) in the hub's state. */
function m_tasksHeld(r: Real): string[] {
  return everyReservation(state(r)).filter((x) => x.status === 'accepted' || x.status === 'wrapping' || x.status === 'completed').map((x) => x.taskSid);
}
