import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE, SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-open-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A data directory holding a real database of a few hundred pages, closed cleanly. */
async function populated(): Promise<{ dir: string; file: string }> {
  const dir = tempDir();
  const store = await SqliteStore.open(dir);
  const changes = Array.from({ length: 2_000 }, (_, i) => ({ workspaceSid: 'WS1', kind: 'task' as const, sid: `WT${i}`, json: JSON.stringify({ sid: `WT${i}`, pad: 'x'.repeat(300) }) }));
  await store.commit({ changes, events: [], deletedWorkspaces: [] });
  await store.close();
  return { dir, file: resolve(dir, DATABASE_FILE) };
}

/** Opening must fail with the clear message and leave the file byte for byte as it was: never a reset. */
async function expectRefused(dir: string, file: string, detail: RegExp): Promise<void> {
  const before = readFileSync(file);
  const error = (await SqliteStore.open(dir).then(
    () => undefined,
    (e: unknown) => e,
  )) as Error | undefined;
  expect(error, 'open should have failed').toBeInstanceOf(Error);
  expect(error!.message.startsWith(`${file} is not a Switchboard database or is corrupt: `)).toBe(true);
  expect(error!.message).toMatch(detail);
  expect(readFileSync(file).equals(before)).toBe(true);
}

describe('opening a bad database file', () => {
  it('refuses a file of random bytes', async () => {
    const dir = tempDir();
    const file = resolve(dir, DATABASE_FILE);
    writeFileSync(file, randomBytes(64 * 1024));
    await expectRefused(dir, file, /file is not a database/);
  });

  it('refuses a database truncated to half its size', async () => {
    const { dir, file } = await populated();
    truncateSync(file, Math.floor(statSync(file).size / 2));
    await expectRefused(dir, file, /malformed/);
  });

  it('refuses a database with a damaged page in the middle', async () => {
    const { dir, file } = await populated();
    const bytes = readFileSync(file);
    // Garbage over a whole page well inside the records table, header left intact.
    randomBytes(4096).copy(bytes, 4096 * 20);
    writeFileSync(file, bytes);
    await expectRefused(dir, file, /malformed|integrity check failed|corrupt/i);
  });

  it('refuses a path it cannot read as a file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, DATABASE_FILE));
    await expect(SqliteStore.open(dir)).rejects.toThrow(`${resolve(dir, DATABASE_FILE)} is not a Switchboard database or is corrupt: `);
  });

  it('refuses a SQLite database that belongs to another program', async () => {
    const dir = tempDir();
    const file = resolve(dir, DATABASE_FILE);
    const other = new Database(file);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    other.close();
    await expect(SqliteStore.open(dir)).rejects.toThrow(`${file} is not a Switchboard database: it is a SQLite database with other tables`);
  });
});
