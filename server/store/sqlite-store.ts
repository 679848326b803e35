import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RecordChange } from '../engine/effects.js';
import type { EventRecord } from '../engine/model.js';
import { migrate } from './migrations.js';
import type { CommitBatch, EventQuery, Store } from './store.js';

/** The database file inside a data directory. */
export const DATABASE_FILE = 'switchboard.db';

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Drop events older than this at open (the hub then purges every minute); default: keep them. */
  retentionMs?: number;
}

/** Query filters that are one equality on one column. */
const EQUALITY_FILTERS = [
  ['eventType', 'event_type'],
  ['sid', 'sid'],
  ['resourceSid', 'resource_sid'],
  ['workerSid', 'worker_sid'],
  ['taskSid', 'task_sid'],
  ['reservationSid', 'reservation_sid'],
  ['taskQueueSid', 'task_queue_sid'],
  ['workflowSid', 'workflow_sid'],
] as const satisfies ReadonlyArray<readonly [keyof EventQuery, string]>;

/** Runs in a worker thread, on its own read-only connection, so a long backup never blocks the hub. */
const BACKUP_WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.source, { readonly: true, fileMustExist: true });
try {
  db.pragma('busy_timeout = 10000');
  db.prepare('VACUUM INTO ?').run(workerData.target);
} finally {
  db.close();
}
`;

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit is
 * on disk before the hub acknowledges it. Each batch (a tick's changes: group commit) is one
 * transaction of prepared statements; records are JSON, so the engine's shapes need no columns.
 */
export class SqliteStore implements Store {
  private readonly upsertRecord: Database.Statement;
  private readonly deleteRecord: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly deleteWorkspaceRecords: Database.Statement;
  private readonly deleteWorkspaceEvents: Database.Statement;
  private readonly writeBatch: (batch: CommitBatch) => void;
  private readonly eventQueries = new Map<string, Database.Statement>();
  private readonly backups = new Set<Promise<void>>();

  private constructor(
    private readonly db: Database.Database,
    /** The database file. */
    readonly file: string,
  ) {
    // An upsert, not INSERT OR REPLACE: REPLACE deletes and re-inserts, which would move the rowid.
    this.upsertRecord = db.prepare(
      'INSERT INTO records (workspace_sid, kind, sid, json) VALUES (?, ?, ?, ?) ON CONFLICT (workspace_sid, kind, sid) DO UPDATE SET json = excluded.json',
    );
    this.deleteRecord = db.prepare('DELETE FROM records WHERE workspace_sid = ? AND kind = ? AND sid = ?');
    this.insertEvent = db.prepare(
      `INSERT INTO events (sid, workspace_sid, date, event_type, resource_sid, worker_sid, task_sid, reservation_sid,
        task_queue_sid, workflow_sid, task_channel, task_channel_sid, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.deleteWorkspaceRecords = db.prepare('DELETE FROM records WHERE workspace_sid = ?');
    this.deleteWorkspaceEvents = db.prepare('DELETE FROM events WHERE workspace_sid = ?');
    // IMMEDIATE takes the write lock at BEGIN (waiting on busy_timeout if a CLI on the same file holds it), so a batch never fails half way on a lock upgrade.
    this.writeBatch = db.transaction((batch: CommitBatch) => this.write(batch)).immediate;
  }

  /**
   * Opens (creating if needed) `<dir>/switchboard.db` and migrates it. A file that is not a
   * Switchboard database, or is corrupt or unreadable, is an error naming the file: never a reset.
   */
  static async open(dir: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    mkdirSync(dir, { recursive: true });
    const file = resolve(dir, DATABASE_FILE);
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      db.pragma('busy_timeout = 5000');
      // The first statement that reads the header: a foreign or truncated file fails here.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // Reads every page once: corruption is found now, with a clear message, not mid-routing.
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
      migrate(db, file);
    } catch (error) {
      db?.close();
      throw asOpenError(file, error);
    }
    const store = new SqliteStore(db, file);
    if (options.retentionMs !== undefined) await store.purgeEvents(Date.now() - options.retentionMs);
    return store;
  }

  async load(): Promise<Map<string, RecordChange[]>> {
    const out = new Map<string, RecordChange[]>();
    try {
      // Rowid order is first-write order: workspaces and their records come back as they were made.
      const rows = this.db.prepare('SELECT workspace_sid, kind, sid, json FROM records ORDER BY rowid').raw().iterate() as IterableIterator<
        [string, string, string, string]
      >;
      for (const [workspaceSid, kind, sid, json] of rows) {
        let list = out.get(workspaceSid);
        if (!list) out.set(workspaceSid, (list = []));
        list.push({ kind, sid, record: JSON.parse(json) } as RecordChange);
      }
    } catch (error) {
      throw asOpenError(this.file, error);
    }
    return out;
  }

  async commit(batch: CommitBatch): Promise<void> {
    this.writeBatch(batch);
  }

  async queryEvents(q: EventQuery): Promise<EventRecord[]> {
    if (q.limit <= 0) return []; // SQLite reads a negative LIMIT as "no limit".
    const where = ['workspace_sid = @workspaceSid'];
    const params: Record<string, string | number> = { workspaceSid: q.workspaceSid, limit: q.limit };
    for (const [key, column] of EQUALITY_FILTERS) {
      const value = q[key];
      if (value === undefined) continue;
      where.push(`${column} = @${key}`);
      params[key] = value;
    }
    if (q.taskChannel !== undefined) {
      // As matchesEventQuery: a channel is named by its unique name or its SID.
      where.push('(task_channel = @taskChannel OR task_channel_sid = @taskChannel)');
      params['taskChannel'] = q.taskChannel;
    }
    if (q.startDate !== undefined) {
      where.push('date >= @startDate');
      params['startDate'] = q.startDate;
    }
    if (q.endDate !== undefined) {
      where.push('date <= @endDate');
      params['endDate'] = q.endDate;
    }
    if (q.before) {
      where.push('(date < @beforeDate OR (date = @beforeDate AND sid < @beforeSid))');
      params['beforeDate'] = q.before.date;
      params['beforeSid'] = q.before.sid;
    }
    const sql = `SELECT json FROM events WHERE ${where.join(' AND ')} ORDER BY date DESC, sid DESC LIMIT @limit`;
    let statement = this.eventQueries.get(sql);
    if (!statement) this.eventQueries.set(sql, (statement = this.db.prepare(sql).pluck()));
    return (statement.all(params) as string[]).map((json) => JSON.parse(json) as EventRecord);
  }

  async purgeEvents(before: number): Promise<number> {
    return this.db.prepare('DELETE FROM events WHERE date < ?').run(before).changes;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * Writes a consistent, compacted copy to `file` with `VACUUM INTO`, from a worker thread on its
   * own read-only connection: WAL lets the hub keep committing while the copy is made.
   */
  async backup(file: string): Promise<void> {
    const target = resolve(file);
    if (existsSync(target)) throw new Error(`${target} already exists; a backup never overwrites a file`);
    mkdirSync(dirname(target), { recursive: true });
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const done = new Promise<void>((settle, reject) => {
      const worker = new Worker(BACKUP_WORKER, { eval: true, workerData: { driver, source: this.file, target } });
      let failure: Error | undefined;
      worker.once('error', (error) => (failure = error));
      worker.once('exit', (code) => (code === 0 && !failure ? settle() : reject(new Error(`Backup to ${target} failed: ${failure?.message ?? `exit ${code}`}`))));
    });
    this.backups.add(done);
    try {
      await done;
    } finally {
      this.backups.delete(done);
    }
  }

  /** Waits for running backups, then closes (the last connection checkpoints the WAL into the file). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.backups]);
    if (this.db.open) this.db.close();
  }

  private write(batch: CommitBatch): void {
    for (const sid of batch.deletedWorkspaces) {
      this.deleteWorkspaceRecords.run(sid);
      this.deleteWorkspaceEvents.run(sid);
    }
    for (const c of batch.changes) {
      if (c.json === null) this.deleteRecord.run(c.workspaceSid, c.kind, c.sid);
      else this.upsertRecord.run(c.workspaceSid, c.kind, c.sid, c.json);
    }
    for (const e of batch.events) {
      const d = e.data;
      this.insertEvent.run(
        e.sid,
        e.workspaceSid,
        e.date,
        e.eventType,
        e.resourceSid,
        text(d['worker_sid']),
        text(d['task_sid']),
        text(d['reservation_sid']),
        text(d['task_queue_sid']),
        text(d['workflow_sid']),
        text(d['task_channel_unique_name']),
        text(d['task_channel_sid']),
        JSON.stringify(e),
      );
    }
  }
}

/** The error for a database that cannot be used: names the file and what to do; a schema error passes as it is. */
function asOpenError(file: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith(file)) return error as Error;
  return new Error(`${file} is not a Switchboard database or is corrupt: ${message}. Restore it from a backup or move it away; Switchboard will not reset it.`, {
    cause: error,
  });
}

