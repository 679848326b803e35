import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { SwitchboardError } from '../shared/errors.js';
import type { Command } from './engine/commands.js';
import type { ReservationRecord, TaskRecord } from './engine/model.js';
import { snapshotState } from './engine/test-support/state-snapshot.js';
import { waitFor } from './durability/wait-for.js';
import { Hub, type HubOptions } from './hub.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { CommitBatch, Store } from './store/store.js';

const ACCOUNT = `AC${'a'.repeat(32)}`;
const dirs: string[] = [];
const open: Hub[] = [];
afterEach(async () => {
  for (const hub of open.splice(0)) await hub.close();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Opens a hub on the SQLite database of `dir` (through `wrap`, if given), as a (re)start does. */
async function start(dir: string, options: Partial<HubOptions> = {}, wrap: (store: SqliteStore) => Store = (s) => s): Promise<Hub> {
  const hub = await Hub.open({ store: wrap(await SqliteStore.open(dir)), accountSid: ACCOUNT, ...options });
  open.push(hub);
  return hub;
}

/** Closes a hub gracefully, as SIGTERM does. */
async function stop(hub: Hub): Promise<void> {
  open.splice(open.indexOf(hub), 1);
  await hub.close();
}

/** A store in front of SQLite whose commits a test can hold open or make fail; it logs each commit. */
class ControlledStore implements Store {
  /** `commit started` / `committed`, plus whatever the test adds, in order. */
  readonly log: string[] = [];
  commits = 0;
  closed = false;
  private gate: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(private readonly inner: Store) {}

  /** Holds every commit from now on until the returned function is called. */
  hold(): () => void {
    let release = () => undefined as void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** Makes every commit from now on fail with `error`, as a full disk would. */
  failWith(error: Error): void {
    this.failure = error;
  }

  async commit(batch: CommitBatch): Promise<void> {
    this.commits += 1;
    this.log.push('commit started');
    if (this.gate) await this.gate;
    if (this.failure) throw this.failure;
    await this.inner.commit(batch);
    this.log.push('committed');
  }

  load = () => this.inner.load();
  queryEvents: Store['queryEvents'] = (query) => this.inner.queryEvents(query);
  summarizeEvents: Store['summarizeEvents'] = (query) => this.inner.summarizeEvents(query);
  purgeEvents: Store['purgeEvents'] = (before) => this.inner.purgeEvents(before);
  getMeta: Store['getMeta'] = (key) => this.inner.getMeta(key);
  setMeta: Store['setMeta'] = (key, value) => this.inner.setMeta(key, value);
  backup: Store['backup'] = (file) => this.inner.backup(file);
  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
  }
}

/** What a scenario needs after a restart: SIDs, and reads of the current hub's state. */
interface World {
  ws: string;
  ann: string;
  ben: string;
  sales: string;
  overflow: string;
  workflow: string;
}

/**
 * A data directory with a workspace: Ann and Ben (sales, Available), queue Sales (multi-reservation
 * `maxReserved`) and an unstaffed Overflow queue, and a workflow with the given reservation timeout.
 */
async function world(options: {
  reservationTimeout: number;
  maxReserved?: number;
  routing?: (w: { sales: string; overflow: string }) => object;
  hub?: Partial<HubOptions>;
  wrap?: (store: SqliteStore) => Store;
}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-hub-'));
  dirs.push(dir);
  const hub = await start(dir, options.hub, options.wrap);
  const ws = (await hub.createWorkspace({ friendlyName: 'Durable' })).sid;
  const run = async <T>(command: Command): Promise<T> => {
    const outcome = await hub.dispatch(ws, command);
    if (!outcome.ok) throw outcome.error;
    return outcome.value as T;
  };
  const available = activity(hub, ws, 'Available');
  const ann = (await run<{ sid: string }>({ type: 'worker.create', friendlyName: 'Ann', activitySid: available, attributes: '{"team":"sales"}' })).sid;
  const ben = (await run<{ sid: string }>({ type: 'worker.create', friendlyName: 'Ben', activitySid: available, attributes: '{"team":"sales"}' })).sid;
  const sales = (await run<{ sid: string }>({ type: 'taskQueue.create', friendlyName: 'Sales', targetWorkers: "team == 'sales'", maxReservedWorkers: options.maxReserved ?? 1 })).sid;
  const overflow = (await run<{ sid: string }>({ type: 'taskQueue.create', friendlyName: 'Overflow', targetWorkers: "team == 'nobody'" })).sid;
  const routing = options.routing?.({ sales, overflow }) ?? { filters: [], default_filter: { queue: sales } };
  const workflow = (
    await run<{ sid: string }>({
      type: 'workflow.create',
      friendlyName: 'Main',
      configuration: JSON.stringify({ task_routing: routing }),
      taskReservationTimeout: options.reservationTimeout,
    })
  ).sid;
  const w: World = { ws, ann, ben, sales, overflow, workflow };
  return { dir, hub, w, run };
}

function activity(hub: Hub, ws: string, name: string): string {
  return [...hub.engine(ws)!.state.activities.values()].find((a) => a.friendlyName === name)!.sid;
}

const task = (hub: Hub, w: World, sid: string): TaskRecord => hub.engine(w.ws)!.state.tasks.get(sid)!;
const reservation = (hub: Hub, w: World, sid: string): ReservationRecord => hub.engine(w.ws)!.state.reservations.get(sid)!;
const reservationsOf = (hub: Hub, w: World, taskSid: string): ReservationRecord[] =>
  [...hub.engine(w.ws)!.state.reservations.values()].filter((r) => r.taskSid === taskSid);
const accept = (hub: Hub, w: World, sid: string) => hub.dispatch(w.ws, { type: 'reservation.update', sid, status: 'accepted' });

/** Everything a restart must bring back: the stored records and the engine's full state, serialized. */
async function serialized(hub: Hub): Promise<string> {
  const records = [...(await hub.store.load())];
  const states = hub.workspaces().map((engine) => snapshotState(engine.state));
  return JSON.stringify({ records, states });
}

describe('Hub on SQLite: restart', () => {
  it('times out a reservation left pending at shutdown, at its deadline, after the restart', async () => {
    const { dir, hub, w, run } = await world({ reservationTimeout: 1 });
    const created = await run<TaskRecord>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
    const [offer] = reservationsOf(hub, w, created.sid);
    expect(offer?.status).toBe('pending');
    await stop(hub);

    const again = await start(dir);
    expect(reservation(again, w, offer!.sid).status).toBe('pending');
    // Wait for the durable fact, not just the state: the event is in the store once the timeout is committed.
    const [event] = await waitFor(async () => {
      const found = await again.queryEvents({ workspaceSid: w.ws, eventType: 'reservation.timeout', limit: 10 });
      return found.length > 0 && found;
    }, { what: 'the reservation.timeout event' });
    expect(event?.resourceSid).toBe(offer!.sid);
    expect(event!.date).toBeGreaterThanOrEqual(offer!.timeoutAt);
    expect(reservation(again, w, offer!.sid).status).toBe('timeout');
    // The timed-out worker goes to the workspace's timeout activity; the task is offered to the other.
    const worker = again.engine(w.ws)!.state.workers.get(offer!.workerSid)!;
    expect(worker.activitySid).toBe(activity(again, w.ws, 'Offline'));
    const next = await waitFor(() => reservationsOf(again, w, created.sid).find((r) => r.status === 'pending'), { what: 'the second offer' });
    expect(next.workerSid).not.toBe(offer!.workerSid);
  });

  it('accepts a reservation left pending at shutdown, and the accept survives later restarts', async () => {
    const { dir, hub, w, run } = await world({ reservationTimeout: 600 });
    const created = await run<TaskRecord>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
    const [offer] = reservationsOf(hub, w, created.sid);
    await stop(hub);

    const second = await start(dir);
    const accepted = await accept(second, w, offer!.sid);
    expect(accepted.ok).toBe(true);
    await stop(second);

    for (let i = 0; i < 2; i += 1) {
      const later = await start(dir);
      expect(reservation(later, w, offer!.sid).status).toBe('accepted');
      expect(task(later, w, created.sid).assignmentStatus).toBe('assigned');
      expect((await accept(later, w, offer!.sid)).ok).toBe(false);
      await stop(later);
    }
  });

  it('keeps multi-reservation exact across a restart: one accept wins, the other offer is rescinded, a late accept is 410', async () => {
    const { dir, hub, w, run } = await world({ reservationTimeout: 600, maxReserved: 2 });
    const created = await run<TaskRecord>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
    const offers = reservationsOf(hub, w, created.sid);
    expect(offers.map((r) => r.status)).toEqual(['pending', 'pending']);
    await stop(hub);

    const again = await start(dir);
    expect((await accept(again, w, offers[1]!.sid)).ok).toBe(true);
    expect(reservation(again, w, offers[0]!.sid).status).toBe('rescinded');
    const late = await accept(again, w, offers[0]!.sid);
    expect(late.ok ? 200 : late.error.status).toBe(410);
    await stop(again);
    const last = await start(dir);
    expect(reservationsOf(last, w, created.sid).map((r) => r.status)).toEqual(['rescinded', 'accepted']);
  });

  it('fires at once, on open, every deadline that passed while the hub was down', async () => {
    const { dir, hub, w, run } = await world({
      reservationTimeout: 60,
      // Tasks with `escalate` wait 30 s in Overflow, then move to Sales; the rest go to Sales at once.
      routing: ({ sales, overflow }) => ({
        filters: [{ expression: 'escalate == true', targets: [{ queue: overflow, timeout: 30 }, { queue: sales }] }],
        default_filter: { queue: sales },
      }),
    });
    // Ben is away, so Ann holds the only offer and the TTL task waits unserved.
    await run({ type: 'worker.update', sid: w.ben, activitySid: activity(hub, w.ws, 'Offline') });
    const offered = await run<TaskRecord>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow, timeout: 3_600 });
    const expiring = await run<TaskRecord>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow, timeout: 120 });
    const escalating = await run<TaskRecord>({ type: 'task.create', attributes: '{"escalate":true}', workflowSid: w.workflow, timeout: 3_600 });
    const [offer] = reservationsOf(hub, w, offered.sid);
    expect(offer?.status).toBe('pending');
    expect(task(hub, w, escalating.sid).taskQueueSid).toBe(w.overflow);
    await stop(hub);

    // Down for ten minutes: every one of those deadlines (60 s, 30 s, 120 s) is in the past.
    const openedAt = Date.now();
    const later = await start(dir, { now: () => Date.now() + 600_000 });
    await waitFor(() => reservation(later, w, offer!.sid).status === 'timeout', { what: 'the reservation timeout', timeoutMs: 2_000 });
    await waitFor(() => task(later, w, expiring.sid).assignmentStatus === 'canceled', { what: 'the TTL', timeoutMs: 2_000 });
    await waitFor(() => task(later, w, escalating.sid).taskQueueSid === w.sales, { what: 'the workflow target timeout', timeoutMs: 2_000 });
    expect(Date.now() - openedAt).toBeLessThan(2_000);
    expect(task(later, w, expiring.sid).reason).toBe('Task TTL Exceeded');
  });

  it('re-arms a timer that fires before the hub clock reaches its deadline, instead of losing it', async () => {
    // A hub clock at 90% speed: every real timer fires early by it, as Node's do now and then by 1 ms.
    const origin = Date.now();
    const slow = () => origin + Math.floor((Date.now() - origin) * 0.9);
    const { hub, w, run } = await world({ reservationTimeout: 1, hub: { now: slow } });
    const created = await run<TaskRecord>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
    const [offer] = reservationsOf(hub, w, created.sid);
    await waitFor(() => reservation(hub, w, offer!.sid).status === 'timeout', { what: 'the reservation timeout', timeoutMs: 4_000 });
    expect(slow()).toBeGreaterThanOrEqual(offer!.timeoutAt);
  });

  it('comes back with identical records and engine state, restart after restart', async () => {
    const { dir, hub, w, run } = await world({ reservationTimeout: 600, maxReserved: 2 });
    const tasks: TaskRecord[] = [];
    for (let i = 0; i < 6; i += 1) tasks.push(await run<TaskRecord>({ type: 'task.create', attributes: `{"n":${i}}`, workflowSid: w.workflow, priority: i % 3 }));
    const [first] = reservationsOf(hub, w, tasks[0]!.sid);
    expect((await accept(hub, w, first!.sid)).ok).toBe(true);
    await run({ type: 'worker.update', sid: w.ben, attributes: '{"team":"sales","level":2}' });
    const before = await serialized(hub);
    await stop(hub);

    const states: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const again = await start(dir);
      states.push(await serialized(again));
      await stop(again);
    }
    expect(states[0]).toBe(before);
    expect(states[1]).toBe(states[0]);
    expect(states[2]).toBe(states[0]);
  });

  it('keeps the idle order across a restart: the worker who finished last is offered the next task last', async () => {
    // Every reading of the clock a millisecond later: no two steps share a time.
    let clock = Date.now();
    const { dir, hub, w, run } = await world({ reservationTimeout: 600, hub: { now: () => (clock += 1) } });
    const first = await run<TaskRecord>({ type: 'task.create', attributes: '{"n":1}', workflowSid: w.workflow });
    const second = await run<TaskRecord>({ type: 'task.create', attributes: '{"n":2}', workflowSid: w.workflow });
    const [annOffer] = reservationsOf(hub, w, first.sid);
    const [benOffer] = reservationsOf(hub, w, second.sid);
    expect([annOffer!.workerSid, benOffer!.workerSid]).toEqual([w.ann, w.ben]);
    for (const offer of [annOffer!, benOffer!]) expect((await accept(hub, w, offer.sid)).ok).toBe(true);
    // Ann was offered her task first but finishes it last: Ben has been free longer.
    await run({ type: 'task.update', sid: second.sid, assignmentStatus: 'completed' });
    await run({ type: 'task.update', sid: first.sid, assignmentStatus: 'completed' });
    await stop(hub);

    const again = await start(dir, { now: () => (clock += 1) });
    const next = (await again.dispatch(w.ws, { type: 'task.create', attributes: '{"n":3}', workflowSid: w.workflow })) as { ok: true; value: TaskRecord };
    expect(reservationsOf(again, w, next.value.sid).map((r) => r.workerSid)).toEqual([w.ben]);
  });

  it('commits everything queued before a graceful close: no acknowledged change is lost', async () => {
    const { dir, hub, w } = await world({ reservationTimeout: 600 });
    const acks = Array.from({ length: 200 }, (_, i) => hub.dispatch(w.ws, { type: 'task.create', attributes: `{"n":${i}}`, workflowSid: w.workflow }));
    const closing = stop(hub);
    const outcomes = await Promise.all(acks);
    await closing;
    const created = outcomes.map((o) => (o.ok ? (o.value as TaskRecord).sid : 'refused'));
    expect(created).not.toContain('refused');
    const again = await start(dir);
    for (const sid of created) expect(task(again, w, sid)).toBeDefined();
  });

  it('purges events past the retention period at open and on demand', async () => {
    const { dir, hub, w, run } = await world({ reservationTimeout: 600 });
    await run({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
    expect((await hub.queryEvents({ workspaceSid: w.ws, limit: 1_000 })).length).toBeGreaterThan(5);
    await stop(hub);

    // Eight days later, with the default retention of seven: the open purge drops them all.
    const later = await start(dir, { now: () => Date.now() + 8 * 86_400_000 });
    // Only events older than the retention go; the task's own expiry, due by now, adds fresh ones.
    const cutoff = later.now() - 7 * 86_400_000;
    await waitFor(async () => (await later.queryEvents({ workspaceSid: w.ws, endDate: cutoff, limit: 1 })).length === 0, { what: 'the purge at open' });
    await later.dispatch(w.ws, { type: 'task.create', attributes: '{}', workflowSid: w.workflow });
    expect(await later.purgeOldEvents()).toBe(0);
    expect((await later.queryEvents({ workspaceSid: w.ws, limit: 1_000 })).length).toBeGreaterThan(0);
  });
});

describe('Hub on SQLite: events', () => {
  it('lists the events of one millisecond in the order they happened', async () => {
    // A frozen clock: every event of the run has the same date, so only their SIDs order them.
    const { hub, w, run } = await world({ reservationTimeout: 600, maxReserved: 2, hub: { now: () => Date.UTC(2026, 10, 28, 12) } });
    const created = await run<TaskRecord>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
    const [first] = reservationsOf(hub, w, created.sid);
    expect((await accept(hub, w, first!.sid)).ok).toBe(true);
    const events = await hub.queryEvents({ workspaceSid: w.ws, taskSid: created.sid, limit: 50 });
    expect(events.map((e) => e.eventType).reverse()).toEqual([
      'task.created',
      'task-queue.entered',
      'reservation.created',
      'reservation.created',
      'reservation.accepted',
      'reservation.rescinded',
    ]);
  });
});

describe('Hub on SQLite: acknowledgment and failure', () => {
  it('answers a dispatch only once its change is committed, and pushes only after the commit', async () => {
    let store: ControlledStore | undefined;
    const { hub, w } = await world({ reservationTimeout: 600, wrap: (s) => (store = new ControlledStore(s)) });
    const log = store!.log;
    log.length = 0;
    hub.onEvent((event) => () => log.push(`pushed ${event.eventType}`));
    const release = store!.hold();
    const first = hub.dispatch(w.ws, { type: 'task.create', attributes: '{"n":1}', workflowSid: w.workflow }).then((o) => (log.push('acknowledged 1'), o));
    await waitFor(() => log.includes('commit started'), { what: 'the commit to start' });
    // The task is already routed in memory; the hub could answer on any of these turns if it did not wait.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['commit started']);
    // A command that arrives while the commit is held waits for a commit of its own, after it.
    const second = hub.dispatch(w.ws, { type: 'task.create', attributes: '{"n":2}', workflowSid: w.workflow }).then((o) => (log.push('acknowledged 2'), o));
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['commit started']);
    release();
    const outcomes = await Promise.all([first, second]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    // Consecutive pushes folded into one entry, so the order reads plainly.
    const order = log.map((e) => (e.startsWith('pushed') ? 'pushes' : e)).filter((e, i, all) => e !== 'pushes' || all[i - 1] !== 'pushes');
    expect(order).toEqual(['commit started', 'committed', 'pushes', 'acknowledged 1', 'commit started', 'committed', 'pushes', 'acknowledged 2']);
    expect(log).toContain('pushed reservation.created');
    const stored = (await hub.store.load()).get(w.ws)!.filter((r) => r.kind === 'task').map((r) => r.sid);
    for (const o of outcomes) expect(stored).toContain((o.ok && (o.value as TaskRecord).sid) || 'missing');
  });

  it('commits the changes of one tick together: 100 concurrent dispatches, one transaction', async () => {
    let store: ControlledStore | undefined;
    const { hub, w } = await world({ reservationTimeout: 600, wrap: (s) => (store = new ControlledStore(s)) });
    const before = store!.commits;
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) => hub.dispatch(w.ws, { type: 'task.create', attributes: `{"n":${i}}`, workflowSid: w.workflow })),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(store!.commits - before).toBe(1);
    expect((await hub.store.load()).get(w.ws)!.filter((r) => r.kind === 'task')).toHaveLength(100);
  });

  it('fail-stops on a failed commit: nothing of the batch is acknowledged, every later command gets 503, onFatal is told once', async () => {
    const fatal: Error[] = [];
    let store: ControlledStore | undefined;
    const { dir, hub, w, run } = await world({ reservationTimeout: 600, hub: { onFatal: (e) => fatal.push(e) }, wrap: (s) => (store = new ControlledStore(s)) });
    const kept = await run<TaskRecord>({ type: 'task.create', attributes: '{"kept":true}', workflowSid: w.workflow });
    const [offer] = reservationsOf(hub, w, kept.sid);
    store!.failWith(new Error('disk I/O error'));

    const doomed = await Promise.all([
      hub.dispatch(w.ws, { type: 'task.create', attributes: '{"doomed":true}', workflowSid: w.workflow }),
      hub.dispatch(w.ws, { type: 'worker.update', sid: w.ben, attributes: '{"team":"sales","doomed":true}' }),
    ]);
    const statusOf = (o: Awaited<ReturnType<Hub['dispatch']>>) => (o.ok ? 200 : o.error.status);
    expect(doomed.map(statusOf)).toEqual([503, 503]);
    expect(fatal.map((e) => e.message)).toEqual(['disk I/O error']);
    const commitsAtFailure = store!.commits;

    // Every later command is refused, whatever its kind, without touching the store again.
    const later = [
      await hub.dispatch(w.ws, { type: 'task.create', attributes: '{}', workflowSid: w.workflow }),
      await accept(hub, w, offer!.sid),
      await hub.dispatch(w.ws, { type: 'worker.update', sid: w.ann, activitySid: activity(hub, w.ws, 'Offline') }),
    ];
    expect(later.map(statusOf)).toEqual([503, 503, 503]);
    for (const o of later) expect(!o.ok && o.error.message).toMatch(/restart the hub/);
    const flushed = await hub.flush().then(() => undefined, (e: unknown) => e);
    expect(flushed).toBeInstanceOf(SwitchboardError);
    expect((flushed as SwitchboardError).status).toBe(503);
    expect(store!.commits).toBe(commitsAtFailure);
    expect(fatal).toHaveLength(1);

    // Closing reports the failure but still closes the store.
    open.splice(open.indexOf(hub), 1);
    await expect(hub.close()).rejects.toThrow(/restart the hub/);
    expect(store!.closed).toBe(true);

    // The restart recovers the last durable state: the kept task and its offer, nothing of the failed batch.
    const again = await start(dir);
    const tasks = [...again.engine(w.ws)!.state.tasks.values()];
    expect(tasks.map((t) => t.sid)).toEqual([kept.sid]);
    expect(reservation(again, w, offer!.sid).status).toBe('pending');
    expect(again.engine(w.ws)!.state.workers.get(w.ben)!.attributes).not.toContain('doomed');
    expect((await accept(again, w, offer!.sid)).ok).toBe(true);
  });

  it('drops finished tasks once their five minutes are up, on its timer and after a restart', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let shift = 0;
      const { dir, hub, w, run } = await world({ reservationTimeout: 600, hub: { now: () => Date.now() + shift } });
      const finish = async () => {
        const task = await run<{ sid: string }>({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
        await run({ type: 'task.update', sid: task.sid, assignmentStatus: 'canceled', reason: 'done' });
        return task.sid;
      };
      const kept = (h: Hub, sid: string) => h.engine(w.ws)!.state.findTask(sid) !== undefined;
      const first = await finish();
      shift = 299_000;
      vi.advanceTimersByTime(299_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(kept(hub, first)).toBe(true);
      const second = await finish();
      shift = 301_000;
      vi.advanceTimersByTime(2_000);
      await waitFor(() => !kept(hub, first), { what: 'the first finished task dropped by the purge timer' });
      expect(kept(hub, second)).toBe(true);
      await stop(hub);
      vi.useRealTimers();
      // Down past the second one's five minutes: the restored workspace drops it at once, for good.
      const later = await start(dir, { now: () => Date.now() + 301_000 + 300_000 });
      await waitFor(() => !kept(later, second), { what: 'the second finished task dropped after the restart' });
      await stop(later);
      const again = await start(dir, { now: () => Date.now() + 301_000 + 300_000 });
      expect([kept(again, first), kept(again, second)]).toEqual([false, false]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('purges events past eventRetentionMs on its interval, not only at open', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let shift = 0;
      const { hub, w, run } = await world({ reservationTimeout: 600, hub: { now: () => Date.now() + shift, eventRetentionMs: 3_600_000 } });
      await run({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
      const count = async () => (await hub.queryEvents({ workspaceSid: w.ws, limit: 1_000 })).length;
      expect(await count()).toBeGreaterThan(5);
      // Two hours on, with a retention of one: nothing goes until the purge interval comes round.
      shift = 2 * 3_600_000;
      vi.advanceTimersByTime(59_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await count()).toBeGreaterThan(5);
      vi.advanceTimersByTime(1_000);
      await waitFor(async () => (await count()) === 0, { what: 'the interval purge' });
      // Newer events stay.
      await run({ type: 'task.create', attributes: '{}', workflowSid: w.workflow });
      vi.advanceTimersByTime(60_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await count()).toBeGreaterThan(0);
      await stop(hub);
    } finally {
      vi.useRealTimers();
    }
  });
});
