import { mkdtempSync, writeFileSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../engine/model.js';
import { matchesEventQuery } from './event-query.js';
import { MemoryStore } from './memory-store.js';
import { DATABASE_FILE, SqliteStore } from './sqlite-store.js';
import type { EventQuery, Store } from './store.js';

const opened: Store[] = [];
const tempDir = () => mkdtempSync(join(tmpdir(), 'sb-store-'));
async function open(dir = tempDir()): Promise<SqliteStore> {
  const store = await SqliteStore.open(dir);
  opened.push(store);
  return store;
}
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

const WS = 'WS' + 'a'.repeat(32);
function event(i: number, extra: Partial<EventRecord> = {}): EventRecord {
  return {
    sid: 'EV' + i.toString(16).padStart(32, '0'),
    workspaceSid: WS,
    eventType: i % 2 ? 'task.created' : 'reservation.created',
    description: `event ${i}`,
    resourceType: 'task',
    resourceSid: 'WT' + (i % 3).toString(16).padStart(32, '0'),
    actorType: 'account',
    actorSid: null,
    date: 1000 + Math.floor(i / 2),
    data: { task_sid: 'WT' + (i % 3).toString(16).padStart(32, '0'), worker_sid: i % 4 ? null : 'WK' + '1'.repeat(32), task_channel_unique_name: 'voice' },
    workerSid: null,
    ...extra,
  };
}

describe('SqliteStore', () => {
  it('round-trips records of every kind and deletes', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.commit({
      changes: [
        { workspaceSid: WS, kind: 'workspace', sid: WS, json: JSON.stringify({ sid: WS, friendlyName: 'x' }) },
        { workspaceSid: WS, kind: 'task', sid: 'WT1', json: JSON.stringify({ sid: 'WT1', priority: 3 }) },
        { workspaceSid: WS, kind: 'reservation', sid: 'WR1', json: JSON.stringify({ sid: 'WR1' }) },
      ],
      events: [],
      deletedWorkspaces: [],
    });
    await store.commit({ changes: [{ workspaceSid: WS, kind: 'reservation', sid: 'WR1', json: null }], events: [], deletedWorkspaces: [] });
    await store.close();
    const again = await open(dir);
    const loaded = (await again.load()).get(WS)!;
    expect(loaded.map((c) => `${c.kind}:${c.sid}`).sort()).toEqual(['task:WT1', `workspace:${WS}`]);
    expect(loaded.find((c) => c.kind === 'task')!.record).toEqual({ sid: 'WT1', priority: 3 });
  });

  it('writes a batch atomically: a failing batch leaves nothing', async () => {
    const store = await open();
    // An unbindable value fails the event insert after the record upsert in the same transaction.
    const bad = { ...event(1), date: {} as unknown as number };
    await expect(
      store.commit({ changes: [{ workspaceSid: WS, kind: 'task', sid: 'WT9', json: '{}' }], events: [bad], deletedWorkspaces: [] }),
    ).rejects.toThrow();
    expect((await store.load()).size).toBe(0);
  });

  it('answers event queries exactly as the in-memory store does, with paging', async () => {
    const store = await open();
    const memory = new MemoryStore();
    const events = Array.from({ length: 40 }, (_, i) => event(i));
    for (const s of [store, memory]) await s.commit({ changes: [], events, deletedWorkspaces: [] });
    const queries: EventQuery[] = [
      { workspaceSid: WS, limit: 100 },
      { workspaceSid: WS, limit: 5 },
      { workspaceSid: WS, limit: 100, eventType: 'task.created' },
      { workspaceSid: WS, limit: 100, taskSid: 'WT' + '1'.padStart(32, '0') },
      { workspaceSid: WS, limit: 100, workerSid: 'WK' + '1'.repeat(32) },
      { workspaceSid: WS, limit: 100, startDate: 1005, endDate: 1010 },
      { workspaceSid: WS, limit: 100, taskChannel: 'voice' },
      { workspaceSid: WS, limit: 7, before: { date: 1010, sid: events[20]!.sid } },
      { workspaceSid: 'WS' + 'b'.repeat(32), limit: 100 },
    ];
    for (const q of queries) {
      const got = (await store.queryEvents(q)).map((e) => e.sid);
      expect(got).toEqual((await memory.queryEvents(q)).map((e) => e.sid));
      expect(got.length).toBe(Math.min(q.limit, events.filter((e) => matchesEventQuery(e, q)).length));
    }
    expect(await store.purgeEvents(1010)).toBe(20);
    expect((await store.queryEvents({ workspaceSid: WS, limit: 100 })).length).toBe(20);
  });

  it('keeps meta values', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.setMeta('account_sid', 'AC1');
    await store.close();
    expect(await (await open(dir)).getMeta('account_sid')).toBe('AC1');
  });

  it('refuses a file of random bytes with a clear error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, DATABASE_FILE), Buffer.alloc(8192, 7));
    await expect(SqliteStore.open(dir)).rejects.toThrow(/is not a Switchboard database or is corrupt/);
  });

  it('refuses a truncated database with a clear error', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ workspaceSid: WS, kind: 'task' as const, sid: `WT${i}`, json: JSON.stringify({ pad: 'x'.repeat(200) }) }));
    await store.commit({ changes: rows, events: [], deletedWorkspaces: [] });
    await store.close();
    const file = join(dir, DATABASE_FILE);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    await expect(SqliteStore.open(dir)).rejects.toThrow(/corrupt/);
  });

  it('refuses a database newer than the code', async () => {
    const dir = tempDir();
    (await open(dir)).close();
    const db = new Database(join(dir, DATABASE_FILE));
    db.pragma('user_version = 99');
    db.close();
    await expect(SqliteStore.open(dir)).rejects.toThrow(/newer than this Switchboard/);
  });

  it('migrates an empty file from version 0', async () => {
    const dir = tempDir();
    new Database(join(dir, DATABASE_FILE)).close();
    const store = await open(dir);
    await store.setMeta('k', 'v');
    expect(await store.getMeta('k')).toBe('v');
  });

  it('backs up a live database into a readable copy', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.commit({ changes: [{ workspaceSid: WS, kind: 'task', sid: 'WT1', json: '{"a":1}' }], events: [event(1)], deletedWorkspaces: [] });
    const target = join(tempDir(), 'copy.db');
    await store.backup(target);
    await store.commit({ changes: [{ workspaceSid: WS, kind: 'task', sid: 'WT2', json: '{}' }], events: [], deletedWorkspaces: [] });
    const copyDir = tempDir();
    writeFileSync(join(copyDir, DATABASE_FILE), readFileSync(target));
    const copy = await open(copyDir);
    expect((await copy.load()).get(WS)!.map((c) => c.sid)).toEqual(['WT1']);
    expect((await copy.queryEvents({ workspaceSid: WS, limit: 10 })).length).toBe(1);
  });
});
