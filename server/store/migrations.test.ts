import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, migrate, MIGRATIONS, type Migration } from './migrations.js';
import { eventQuerySql } from './sqlite-events.js';
import { DATABASE_FILE, SqliteStore } from './sqlite-store.js';
import type { EventQuery } from './store.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-migrations-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const LATEST = MIGRATIONS.at(-1)!.version;
const names = (db: Database.Database, type: string) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all(type) as string[]);

/** Two steps of a made-up history, to show data surviving an upgrade. */
const v1: Migration = { version: 1, description: 'notes', up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)') };
const v2: Migration = { version: 2, description: 'notes.author', up: (db) => db.exec("ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'unknown'") };
const broken: Migration = {
  version: 2,
  description: 'fails half way',
  up: (db) => {
    db.exec('CREATE TABLE half (id INTEGER)');
    throw new Error('boom');
  },
};

describe('migrate', () => {
  it('brings a version-0 file to the newest schema with its tables, indexes and marks', async () => {
    const dir = tempDir();
    // An empty SQLite file, as a first start finds it (user_version 0).
    new Database(join(dir, DATABASE_FILE)).close();
    const store = await SqliteStore.open(dir);
    await store.close();
    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(names(db, 'table')).toEqual(['events', 'meta', 'recent_events', 'records']);
    expect(names(db, 'index')).toEqual(
      ['events_age', 'events_page', 'events_queue', 'events_reservation', 'events_task', 'events_type', 'events_worker', 'events_workflow'],
    );
    db.close();
  });

  it('runs only the missing steps, keeping data, and does nothing when up to date', () => {
    const db = new Database(join(tempDir(), 'x.db'));
    expect(migrate(db, 'x.db', [v1])).toEqual({ from: 0, to: 1 });
    db.prepare('INSERT INTO notes (body) VALUES (?)').run('kept');
    expect(migrate(db, 'x.db', [v1, v2])).toEqual({ from: 1, to: 2 });
    expect(db.prepare('SELECT body, author FROM notes').all()).toEqual([{ body: 'kept', author: 'unknown' }]);
    expect(migrate(db, 'x.db', [v1, v2])).toEqual({ from: 2, to: 2 });
    db.close();
  });

  it('rolls every step back when one fails, version included', () => {
    const db = new Database(join(tempDir(), 'x.db'));
    expect(() => migrate(db, 'x.db', [v1, broken])).toThrow('boom');
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.pragma('application_id', { simple: true })).toBe(0);
    expect(names(db, 'table')).toEqual([]);
    db.close();
  });

  it('moves a version-1 file with events to the newest schema, keeping every event whole and its queries indexed', async () => {
    const dir = tempDir();
    const file = join(dir, DATABASE_FILE);
    const db = new Database(file);
    migrate(db, file, MIGRATIONS.slice(0, 1));
    const ws = `WS${'1'.repeat(32)}`;
    const task = `WT${'2'.repeat(32)}`;
    const insert = db.prepare(
      'INSERT INTO events (sid, workspace_sid, date, event_type, resource_sid, task_sid, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    // A workspace's events come with its records (events no record's workspace owns are dropped at open).
    db.prepare('INSERT INTO records (workspace_sid, kind, sid, json) VALUES (?, ?, ?, ?)').run(ws, 'workspace', ws, '{}');
    for (let i = 0; i < 3; i++) {
      const sid = `EV${String(i).padStart(32, '0')}`;
      const event = { sid, workspaceSid: ws, date: 1_700_000_000_000 + i, eventType: 'task.updated', resourceType: 'task', resourceSid: task, data: { task_sid: task } };
      insert.run(sid, ws, event.date, event.eventType, task, task, JSON.stringify(event));
    }
    db.close();
    const store = await SqliteStore.open(dir);
    const found = await store.queryEvents({ workspaceSid: ws, taskSid: task, limit: 10 });
    expect(found.map((e) => e.date)).toEqual([1_700_000_000_002, 1_700_000_000_001, 1_700_000_000_000]);
    // Written whole in their JSON, as before version 3: read back alike.
    expect(found[0]).toEqual({ sid: `EV${'2'.padStart(32, '0')}`, workspaceSid: ws, date: 1_700_000_000_002, eventType: 'task.updated', resourceType: 'task', resourceSid: task, data: { task_sid: task } });
    await store.close();
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(names(after, 'index')).not.toContain('events_resource');
    // Each TaskRouter filter still reaches its rows through an index, never a scan of the table.
    const plan = (filter: Omit<EventQuery, 'workspaceSid' | 'limit'>) => {
      const { sql, params } = eventQuerySql({ workspaceSid: ws, limit: 50, ...filter });
      return (after.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((row) => row.detail).join('; ');
    };
    expect(plan({ taskSid: task })).toContain('USING INDEX events_task');
    expect(plan({ workerSid: 'WK1', eventType: 'reservation.created' })).toContain('USING INDEX events_worker');
    expect(plan({ reservationSid: 'WR1', before: { date: 1, sid: 'EV1' } })).toContain('USING INDEX events_reservation');
    expect(plan({ eventType: 'task.created' })).toMatch(/USING INDEX events_(type|page)/);
    expect(plan({ taskQueueSid: 'WQ1' })).toMatch(/USING INDEX events_(queue|page)/);
    expect(plan({})).toContain('USING INDEX events_page');
    after.close();
  });

  it('refuses a database from a newer Switchboard, leaving it untouched', async () => {
    const dir = tempDir();
    (await SqliteStore.open(dir)).close();
    const file = join(dir, DATABASE_FILE);
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST + 1}`);
    db.close();
    await expect(SqliteStore.open(dir)).rejects.toThrow(`${file} has schema version ${LATEST + 1}, newer than this Switchboard understands (${LATEST})`);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST + 1);
    after.close();
  });
});
