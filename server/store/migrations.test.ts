import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, migrate, MIGRATIONS, type Migration } from './migrations.js';
import { DATABASE_FILE, SqliteStore } from './sqlite-store.js';

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
    expect(names(db, 'table')).toEqual(['events', 'meta', 'records']);
    expect(names(db, 'index')).toEqual(
      ['events_age', 'events_page', 'events_queue', 'events_reservation', 'events_resource', 'events_task', 'events_type', 'events_worker', 'events_workflow'].sort(),
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
