import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from '../engine/commands.js';
import type { Effect } from '../engine/effects.js';
import type { EventRecord, RecordKind } from '../engine/model.js';
import { WorkspaceEngine } from '../engine/engine.js';
import { RecordStore } from '../engine/test-support/record-store.js';
import { pooledIds } from '../ids.js';
import { waitFor } from '../durability/wait-for.js';
import { DATABASE_FILE, SqliteStore, WAL_SIZE_LIMIT } from './sqlite-store.js';
import { storedEvent as event } from './test-support/stored-event.js';
import type { CommitBatch, StoredChange } from './store.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The batch the hub would commit for one step's effects. */
function batchOf(workspaceSid: string, effects: Effect[]): CommitBatch {
  const changes: StoredChange[] = [];
  const events: EventRecord[] = [];
  for (const effect of effects) {
    if (effect.type === 'persist') {
      for (const c of effect.changes) changes.push({ workspaceSid, kind: c.kind, sid: c.sid, json: c.record ? JSON.stringify(c.record) : null });
    } else if (effect.type === 'event') events.push(structuredClone(effect.event));
  }
  return { changes, events, deletedWorkspaces: [] };
}

/** A workspace with every record kind (workers with channels, a queue, a workflow, tasks, reservations, one accepted), one batch per step. */
function busyWorkspace(name: string): { engine: WorkspaceEngine; folded: RecordStore; batches: CommitBatch[]; events: number } {
  let now = 1_700_000_000_000;
  const ids = pooledIds();
  const created = WorkspaceEngine.create({ accountSid: `AC${'0'.repeat(32)}`, friendlyName: name }, now, ids);
  const { engine } = created;
  const s = engine.state;
  const folded = new RecordStore();
  const batches: CommitBatch[] = [];
  const apply = (effects: Effect[]) => {
    folded.commit(effects);
    batches.push(batchOf(s.workspace.sid, effects));
  };
  const step = (command: Command) => {
    now += 1_000;
    const result = engine.step(command, now);
    if (!result.ok) throw result.error;
    apply(result.effects);
  };
  const activity = (friendlyName: string) => [...s.activities.values()].find((a) => a.friendlyName === friendlyName)!.sid;
  apply(created.effects);
  step({ type: 'worker.create', friendlyName: 'Ann', activitySid: activity('Available'), attributes: '{"team":"sales"}' });
  step({ type: 'worker.create', friendlyName: 'Ben', activitySid: activity('Available'), attributes: '{"team":"sales"}' });
  step({ type: 'taskQueue.create', friendlyName: 'Sales', targetWorkers: "team == 'sales'", maxReservedWorkers: 2 });
  const queueSid = [...s.taskQueues.keys()][0]!;
  step({ type: 'workflow.create', friendlyName: 'W', configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queueSid } } }) });
  const workflowSid = [...s.workflows.keys()][0]!;
  step({ type: 'task.create', attributes: '{"n":1}', workflowSid });
  step({ type: 'task.create', attributes: '{"n":2}', workflowSid });
  step({ type: 'reservation.update', sid: [...s.reservations.values()].find((r) => r.status === 'pending')!.sid, status: 'accepted' });
  step({ type: 'activity.create', friendlyName: 'Break', available: false });
  step({ type: 'activity.delete', sid: activity('Break') });
  return { engine, folded, batches, events: batches.reduce((n, b) => n + b.events.length, 0) };
}

describe('SqliteStore', () => {
  it('gives back every record kind as last written, in first-write order, across workspaces and a reopen', async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    const one = busyWorkspace('One');
    const two = busyWorkspace('Two');
    // Interleaved, as one hub writes several workspaces.
    for (let i = 0; i < Math.max(one.batches.length, two.batches.length); i += 1) {
      if (one.batches[i]) await store.commit(one.batches[i]!);
      if (two.batches[i]) await store.commit(two.batches[i]!);
    }
    const kinds = new Set(one.folded.records().map((r) => r.kind));
    expect([...kinds].sort()).toEqual(
      (['activity', 'reservation', 'task', 'taskChannel', 'taskQueue', 'worker', 'workerChannel', 'workflow', 'workspace'] satisfies RecordKind[]).sort(),
    );
    await store.close();

    const reopened = await SqliteStore.open(dir);
    const loaded = await reopened.load();
    expect([...loaded.keys()]).toEqual([one.engine.state.workspace.sid, two.engine.state.workspace.sid]);
    expect(loaded.get(one.engine.state.workspace.sid)).toEqual(one.folded.records());
    expect(loaded.get(two.engine.state.workspace.sid)).toEqual(two.folded.records());
    await reopened.close();
  });

  it('gives back every event as committed, though its JSON holds only what no column does', async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    const { engine, batches } = busyWorkspace('Events');
    const ws = engine.state.workspace.sid;
    // Data fields with columns that are not text stay in the JSON: null, a number, missing.
    const odd = event(`EV${'f'.repeat(32)}`, 1_800_000_000_000, { workspaceSid: ws, data: { task_sid: 'WT1', task_queue_sid: null, worker_sid: 7, task_age: 3 } });
    for (const b of [...batches, { changes: [], events: [odd], deletedWorkspaces: [] }]) await store.commit(b);
    const committed = [...batches.flatMap((b) => b.events), odd];
    const found = await store.queryEvents({ workspaceSid: ws, limit: 1_000 });
    expect(found).toEqual([...committed].sort((a, b) => b.date - a.date || (a.sid < b.sid ? 1 : -1)));
    await store.close();

    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const rows = db.prepare('SELECT json FROM events').pluck().all() as string[];
    db.close();
    for (const json of rows) {
      const stored = JSON.parse(json) as Record<string, unknown> & { data: Record<string, unknown> };
      for (const key of ['sid', 'workspaceSid', 'date', 'eventType', 'resourceSid']) expect(stored).not.toHaveProperty(key);
      for (const key of ['worker_sid', 'task_sid', 'reservation_sid', 'task_queue_sid', 'workflow_sid', 'task_channel_unique_name', 'task_channel_sid']) {
        expect(typeof stored.data[key]).not.toBe('string');
      }
    }
    const full = committed.reduce((n, e) => n + JSON.stringify(e).length, 0);
    const kept = rows.reduce((n, json) => n + json.length, 0);
    console.log(`${rows.length} events: stored JSON ${kept} bytes, ${Math.round((100 * kept) / full)}% of the whole events' ${full}`);
    expect(kept).toBeLessThan(full * 0.75);
  });

  it('writes a batch all or nothing: one that fails midway leaves the store as it was', async () => {
    const store = await SqliteStore.open(tempDir());
    const { engine, batches } = busyWorkspace('Atomic');
    const ws = engine.state.workspace.sid;
    await store.commit(batches[0]!);
    const before = JSON.stringify([...(await store.load())]);
    const eventsBefore = await store.queryEvents({ workspaceSid: ws, limit: 1000 });
    const good = batches[1]!;
    // An event without a type breaks a NOT NULL constraint after the records and the other events were written.
    const poisoned: CommitBatch = { ...good, events: [...good.events, { ...good.events[0]!, eventType: null as unknown as string }] };
    await expect(store.commit(poisoned)).rejects.toThrow(/NOT NULL constraint failed: recent_events.event_type/);
    expect(JSON.stringify([...(await store.load())])).toBe(before);
    expect(await store.queryEvents({ workspaceSid: ws, limit: 1000 })).toEqual(eventsBefore);
    // The store is still usable, and the good batch still commits.
    await store.commit(good);
    expect((await store.load()).get(ws)!.length).toBeGreaterThan(JSON.parse(before)[0][1].length);
    await store.close();
  });

  it('deletes a workspace with its records and events, and nothing of another', async () => {
    const store = await SqliteStore.open(tempDir());
    const one = busyWorkspace('One');
    const two = busyWorkspace('Two');
    for (const b of [...one.batches, ...two.batches]) await store.commit(b);
    const gone = one.engine.state.workspace.sid;
    const kept = two.engine.state.workspace.sid;
    expect((await store.queryEvents({ workspaceSid: gone, limit: 1000 })).length).toBe(one.events);
    await store.commit({ changes: [], events: [], deletedWorkspaces: [gone] });
    const loaded = await store.load();
    expect([...loaded.keys()]).toEqual([kept]);
    expect(loaded.get(kept)).toEqual(two.folded.records());
    // Its events go right after the commit, in slices.
    await waitFor(async () => (await store.queryEvents({ workspaceSid: gone, limit: 10 })).length === 0, { what: "the deleted workspace's events dropped" });
    expect((await store.queryEvents({ workspaceSid: kept, limit: 1000 })).length).toBe(two.events);
    await store.close();
  });

  it('writes a batch larger than a slice all or nothing, and never a failed batch\'s rows with the next', async () => {
    const store = await SqliteStore.open(tempDir());
    const changes: StoredChange[] = Array.from({ length: 3_000 }, (_, i) => ({ workspaceSid: 'WS1', kind: 'task', sid: `WT${i}`, json: `{"n":${i}}` }));
    const events = Array.from({ length: 3_000 }, (_, i) => event(`EV${String(i).padStart(32, '0')}`, 1_000 + i));
    // The duplicate is in the last slice: every slice before it has crossed to the writer already.
    // (So many events go straight into the indexed table, whose primary key refuses it.)
    await expect(store.commit({ changes, events: [...events, events[0]!], deletedWorkspaces: [] })).rejects.toThrow(/UNIQUE constraint failed: events.sid/);
    expect(await store.load()).toEqual(new Map());
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 10 })).toEqual([]);
    await store.commit({ changes: [changes[0]!], events: [events[0]!], deletedWorkspaces: [] });
    expect((await store.load()).get('WS1')).toHaveLength(1);
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 10 })).toHaveLength(1);
    await store.commit({ changes, events: events.slice(1), deletedWorkspaces: [] });
    expect((await store.load()).get('WS1')).toHaveLength(3_000);
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 5_000 })).toHaveLength(3_000);
    await store.close();
  });

  it('hands a large batch to its writer in slices: the loop keeps turning while the rows are built', async () => {
    const store = await SqliteStore.open(tempDir());
    const data = { task_attributes: JSON.stringify({ type: 'support', language: 'en', customer: 'C-100001' }), worker_attributes: '{"skills":["support"]}', task_queue_name: 'Support' };
    const events = Array.from({ length: 40_000 }, (_, i) => ({ ...event(`EV${String(i).padStart(32, '0')}`, 1_000 + i), data: { ...data, task_sid: `WT${i}` } }));
    // What the hand-over costs the loop in one piece: each event as JSON, and the rows copied for the thread.
    let started = performance.now();
    structuredClone(events.map((e) => [e.sid, e.date, JSON.stringify(e)]));
    const atOnce = performance.now() - started;
    let longest = 0;
    let done = false;
    const committed = store.commit({ changes: [], events, deletedWorkspaces: [] }).finally(() => (done = true));
    started = performance.now();
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      const now = performance.now();
      longest = Math.max(longest, now - started);
      started = now;
    }
    await committed;
    console.log(`40,000 events: built and copied at once ${atOnce.toFixed(1)} ms; longest loop turn while they were committed ${longest.toFixed(1)} ms`);
    expect(longest).toBeLessThan(atOnce / 4);
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 1 })).toHaveLength(1);
    await store.close();
  });

  it('keeps meta values across a reopen, the last write winning', async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    expect(await store.getMeta('credentials')).toBeUndefined();
    await store.setMeta('credentials', 'a');
    await store.setMeta('credentials', 'b');
    await store.close();
    const reopened = await SqliteStore.open(dir);
    expect(await reopened.getMeta('credentials')).toBe('b');
    await reopened.close();
  });

  it('commits on its writer thread: the event loop keeps turning while a large batch is made durable', async () => {
    const store = await SqliteStore.open(tempDir());
    const events = Array.from({ length: 20_000 }, (_, i) => event(`EV${String(i).padStart(32, '0')}`, 1_000 + i));
    let turns = 0;
    let done = false;
    const committed = store.commit({ changes: [], events, deletedWorkspaces: [] }).finally(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      turns += 1;
    }
    await committed;
    console.log(`event-loop turns while 20,000 events were committed: ${turns}`);
    // A commit on the loop itself would leave no turn before it finished.
    expect(turns).toBeGreaterThan(10);
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 1 })).toHaveLength(1);
    await store.close();
    // Closed means closed: a write after it fails clearly instead of hanging.
    await expect(store.setMeta('k', 'v')).rejects.toThrow('The store is closed');
  });

  it('opens in WAL mode and purges events by age, also at open with retentionMs', async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    const events = Array.from({ length: 10 }, (_, i) => event(`EV${String(i).padStart(32, '0')}`, 1_000 * i));
    await store.commit({ changes: [], events, deletedWorkspaces: [] });
    expect(await store.purgeEvents(3_000)).toBe(3);
    expect((await store.queryEvents({ workspaceSid: 'WS1', limit: 100 })).map((e) => e.date)).toEqual([9, 8, 7, 6, 5, 4, 3].map((n) => n * 1_000));
    await store.close();
    const peek = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    peek.close();
    // Everything is older than a day ago, so a one-day retention drops it all at open.
    const reopened = await SqliteStore.open(dir, { retentionMs: 86_400_000 });
    expect(await reopened.queryEvents({ workspaceSid: 'WS1', limit: 100 })).toEqual([]);
    await reopened.close();
  });

  it("moves small commits' events into the indexed table a move at a time, puts large ones there at once, and goes on after a reopen", async () => {
    const dir = tempDir();
    const tiers = () => {
      const peek = new Database(join(dir, DATABASE_FILE), { readonly: true });
      try {
        const count = (table: string) => peek.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
        return { indexed: count('events'), recent: count('recent_events') };
      } finally {
        peek.close();
      }
    };
    const settled = (moveRows: number) => waitFor(() => tiers().recent < moveRows && tiers(), { what: 'the writer done moving' });
    const pad = (n: number) => String(n).padStart(32, '0');
    const all: EventRecord[] = [];
    const commit = async (store: SqliteStore, count: number) => {
      const events = Array.from({ length: count }, (_, i) => event(`EV${pad(all.length + i + 1)}`, 1_000 + all.length + i));
      all.push(...events);
      await store.commit({ changes: [], events, deletedWorkspaces: [] });
    };
    // A move takes 100; a commit of 25 or more writes its own events into the indexed table.
    const store = await SqliteStore.open(dir, { eventMoveRows: 100 });
    // Events of a workspace without records are dropped at open.
    await store.commit({ changes: [{ workspaceSid: 'WS1', kind: 'workspace', sid: 'WS1', json: '{}' }], events: [], deletedWorkspaces: [] });
    for (let i = 0; i < 35; i += 1) await commit(store, 10);
    expect(await settled(100)).toEqual({ indexed: 300, recent: 50 });
    await commit(store, 30);
    expect(tiers()).toEqual({ indexed: 330, recent: 50 });
    // A workspace with recent events and no records (deleted before a stop) is found at the next open.
    await store.commit({ changes: [], events: [event(`EV${'f'.repeat(32)}`, 500, { workspaceSid: 'WSgone' })], deletedWorkspaces: [] });
    await store.close();
    // The next writer counts what it finds in recent_events.
    const reopened = await SqliteStore.open(dir, { eventMoveRows: 100 });
    await waitFor(() => tiers().recent === 50, { what: 'the recent event of a workspace without records dropped' });
    for (let i = 0; i < 6; i += 1) await commit(reopened, 10);
    expect(await settled(100)).toEqual({ indexed: 430, recent: 10 });
    const newestFirst = all.map((e) => e.sid).reverse();
    expect((await reopened.queryEvents({ workspaceSid: 'WS1', limit: 1_000 })).map((e) => e.sid)).toEqual(newestFirst);
    // A purge by age takes from both tables, oldest first.
    expect(await reopened.purgeEvents(1_000 + 435)).toBe(435);
    expect(tiers()).toEqual({ indexed: 0, recent: 5 });
    expect((await reopened.queryEvents({ workspaceSid: 'WS1', limit: 1_000 })).map((e) => e.sid)).toEqual(newestFirst.slice(0, 5));
    await reopened.close();
  });

  it('keeps the events of a move that fails readable where they are, and goes on committing', async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir, { eventMoveRows: 8 });
    const pad = (n: number) => String(n).padStart(32, '0');
    // An SID already in the indexed table (written by a commit of 2 or more) makes every move of it fail.
    const twice = event(`EV${pad(0)}`, 1_000);
    await store.commit({ changes: [], events: [twice, event(`EV${pad(1)}`, 1_001)], deletedWorkspaces: [] });
    const small = (n: number) => ({ changes: [], events: [event(`EV${pad(n)}`, 1_000 + n)], deletedWorkspaces: [] });
    await store.commit({ changes: [], events: [twice], deletedWorkspaces: [] });
    for (let n = 2; n < 40; n += 1) await store.commit(small(n));
    const peek = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(peek.prepare('SELECT count(*) FROM recent_events').pluck().get()).toBe(39);
    peek.close();
    const listed = (await store.queryEvents({ workspaceSid: 'WS1', limit: 100 })).map((e) => e.sid);
    expect(listed).toHaveLength(41);
    expect(new Set(listed).size).toBe(40);
    await store.close();
  });

  it('gives back the disk its log took while a long read held it: the log shrinks to its limit once the read ends', async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    const wal = join(dir, `${DATABASE_FILE}-wal`);
    // A long read (a statistics count, a backup) keeps checkpoints from recycling the log, so it grows by all that is written meanwhile.
    const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM events').get();
    const padding = 'x'.repeat(50_000);
    let n = 0;
    const batch = (count: number) => Array.from({ length: count }, () => ({ ...event(`EV${String(n++).padStart(32, '0')}`, 1_000 + n), data: { padding } }));
    for (let i = 0; i < 16; i += 1) await store.commit({ changes: [], events: batch(100), deletedWorkspaces: [] });
    const grown = statSync(wal).size;
    reader.prepare('COMMIT').run();
    reader.close();
    // Once nothing holds it, a checkpoint copies the log into the database and the next writes start it over, cut to the limit.
    for (let i = 0; i < 3; i += 1) await store.commit({ changes: [], events: batch(100), deletedWorkspaces: [] });
    const after = statSync(wal).size;
    console.log(`write-ahead log: ${(grown / 2 ** 20).toFixed(0)} MiB while the read was open, ${(after / 2 ** 20).toFixed(0)} MiB after`);
    expect(grown).toBeGreaterThan(WAL_SIZE_LIMIT);
    expect(after).toBeLessThanOrEqual(WAL_SIZE_LIMIT);
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 2_000 })).toHaveLength(1_900);
    await store.close();
  });

  it('purges in slices: commits made meanwhile wait for a slice, not for the whole purge', async () => {
    const store = await SqliteStore.open(tempDir());
    const data = { task_attributes: '{"type":"support"}', task_queue_sid: `WQ${'a'.repeat(32)}` };
    const pad = (n: number) => String(n).padStart(32, '0');
    // Old events of 5,000 workers, as a busy hour leaves them: each worker's index page gets a delete.
    const old = (n: number) => ({ ...event(`EV${pad(n)}`, 1_000 + n), data: { ...data, task_sid: `WT${pad(n)}`, worker_sid: `WK${pad((n * 7_919) % 5_003)}` } });
    for (let i = 0; i < 12; i += 1) await store.commit({ changes: [], events: Array.from({ length: 5_000 }, (_, j) => old(i * 5_000 + j)), deletedWorkspaces: [] });
    let purging = true;
    const started = performance.now();
    const purge = store.purgeEvents(1_000_000).finally(() => (purging = false));
    const waits: number[] = [];
    for (let n = 0; purging; n += 1) {
      const sent = performance.now();
      await store.commit({ changes: [], events: [event(`EV9${pad(n).slice(1)}`, 2_000_000 + n)], deletedWorkspaces: [] });
      waits.push(performance.now() - sent);
    }
    const purgeMs = performance.now() - started;
    expect(await purge).toBe(60_000);
    const longest = Math.max(...waits);
    console.log(`purge of 60,000 events: ${purgeMs.toFixed(0)} ms; ${waits.length} commits meanwhile, the longest waited ${longest.toFixed(0)} ms`);
    expect(longest).toBeLessThan(purgeMs / 4);
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 100_000 })).toHaveLength(waits.length);
    await store.close();
  });

  it("drops a deleted workspace's events in slices behind the other commits, and finishes after a restart", async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    // The workspace that stays has records; the deleted one's went with its deletion.
    await store.commit({ changes: [{ workspaceSid: 'WS1', kind: 'workspace', sid: 'WS1', json: '{}' }], events: [], deletedWorkspaces: [] });
    const pad = (n: number) => String(n).padStart(32, '0');
    const many = (n: number) => ({ ...event(`EV${pad(n)}`, 1_000 + n), workspaceSid: 'WSgone', data: { task_sid: `WT${pad(n)}`, worker_sid: `WK${pad((n * 7_919) % 5_003)}` } });
    for (let i = 0; i < 12; i += 1) await store.commit({ changes: [], events: Array.from({ length: 5_000 }, (_, j) => many(i * 5_000 + j)), deletedWorkspaces: [] });
    const started = performance.now();
    await store.commit({ changes: [], events: [], deletedWorkspaces: ['WSgone'] });
    const deleteMs = performance.now() - started;
    // Another workspace commits on while they go.
    const waits: number[] = [];
    const left = () => {
      const peek = new Database(join(dir, DATABASE_FILE), { readonly: true });
      try {
        const count = (table: string) => peek.prepare(`SELECT count(*) FROM ${table} WHERE workspace_sid = 'WSgone'`).pluck().get() as number;
        return count('events') + count('recent_events');
      } finally {
        peek.close();
      }
    };
    for (let n = 0; left() > 0; n += 1) {
      const sent = performance.now();
      await store.commit({ changes: [], events: [event(`EV9${pad(n).slice(1)}`, 2_000_000 + n)], deletedWorkspaces: [] });
      waits.push(performance.now() - sent);
    }
    const dropMs = performance.now() - started;
    const longest = Math.max(...waits);
    console.log(`a deleted workspace's 60,000 events: the deleting commit ${deleteMs.toFixed(0)} ms, dropped in ${dropMs.toFixed(0)} ms; ${waits.length} commits meanwhile, the longest ${longest.toFixed(0)} ms`);
    expect(deleteMs).toBeLessThan(dropMs / 4);
    expect(longest).toBeLessThan(dropMs / 4);
    expect(await store.queryEvents({ workspaceSid: 'WS1', limit: 100_000 })).toHaveLength(waits.length);

    // Stopped part way: the next open finds the events no workspace owns and drops them.
    for (let i = 0; i < 4; i += 1) await store.commit({ changes: [], events: Array.from({ length: 5_000 }, (_, j) => many(100_000 + i * 5_000 + j)), deletedWorkspaces: [] });
    await store.commit({ changes: [], events: [], deletedWorkspaces: ['WSgone'] });
    await store.close();
    expect(left()).toBeGreaterThan(0);
    const reopened = await SqliteStore.open(dir);
    await waitFor(() => left() === 0, { what: 'the events of the workspace deleted before the restart dropped' });
    expect(await reopened.queryEvents({ workspaceSid: 'WS1', limit: 100_000 })).toHaveLength(waits.length);
    await reopened.close();
  });

  it('backs up a consistent, openable copy while commits continue, and never overwrites a file', async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    // A few MB of events, so the copy takes long enough for commits to land meanwhile.
    for (let b = 0; b < 20; b += 1) {
      const events = Array.from({ length: 1_000 }, (_, i) => ({ ...event(`EV${String(b * 1_000 + i).padStart(32, '0')}`, Date.now()), description: 'x'.repeat(200) }));
      await store.commit({ changes: [], events, deletedWorkspaces: [] });
    }
    await store.commit(record('before', 0));
    const target = join(tempDir(), 'copy', DATABASE_FILE);
    let running = true;
    const backup = store.backup(target).finally(() => (running = false));
    let during = 0;
    while (running) {
      await store.commit(record(`during-${during}`, during));
      during += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await backup;
    expect(during).toBeGreaterThan(0);
    await store.commit(record('after', 0));

    const copy = new Database(target, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    copy.close();
    // The copy is a data directory's database as it stands: a hub can start on it.
    const restored = await SqliteStore.open(join(target, '..'));
    const sids = ((await restored.load()).get('WS1') ?? []).map((r) => r.sid);
    expect(sids[0]).toBe('before');
    expect(sids).not.toContain('after');
    // A snapshot: a prefix of the commits made while it ran, with no gap.
    expect(sids.slice(1)).toEqual(sids.slice(1).map((_, i) => `during-${i}`));
    expect((await restored.queryEvents({ workspaceSid: 'WS1', limit: 100_000 })).length).toBe(20_000);
    await restored.close();

    await expect(store.backup(target)).rejects.toThrow(/already exists/);
    await store.close();
  });
});

function record(sid: string, n: number): CommitBatch {
  return { changes: [{ workspaceSid: 'WS1', kind: 'task', sid, json: JSON.stringify({ sid, n }) }], events: [], deletedWorkspaces: [] };
}
