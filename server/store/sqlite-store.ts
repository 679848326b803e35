import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RecordChange } from '../engine/effects.js';
import type { EventRecord } from '../engine/model.js';
import { JsonStrings } from './event-json.js';
import type { EventSummary, EventSummaryQuery } from './event-summary.js';
import { migrate } from './migrations.js';
import { EVENT_COLUMNS, EVENT_VALUES, eventOfRow, eventQuerySql, eventRow, eventSummarySql, summaryOf } from './sqlite-events.js';
import { SqliteReader } from './sqlite-reader.js';
import { SqliteWriter, type ChangeRow, type EventRow, type WriteRequest, type WriterSql } from './sqlite-writer.js';
import type { CommitBatch, EventQuery, Store, StoredChange } from './store.js';

/** The database file inside a data directory. */
export const DATABASE_FILE = 'switchboard.db';

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Drop events older than this at open (the hub then purges every minute); default: keep them. */
  retentionMs?: number;
  /** Recent events the writer moves into the indexed table at a time (default `EVENT_MOVE_ROWS`; tests make it small). */
  eventMoveRows?: number;
}

/**
 * Reads queued at most per reader thread, past which one is refused with a 429: many for event
 * lists (a client may look up a hundred tasks' events at once; each is quick), few for statistics
 * (a busy day's window takes seconds to count: a poller faster than that would pile them up).
 */
export const MAX_QUEUED_EVENT_READS = 256;
export const MAX_QUEUED_STATISTICS = 8;

/**
 * The write-ahead log's size past which it is cut back when it starts over (`journal_size_limit`).
 * It cycles through about 4 MiB (a checkpoint every 1,000 pages), but a long read (a statistics
 * count, a backup) keeps checkpoints from recycling it, and it grows by all that is written
 * meanwhile (tens of MiB a second at 1,000 tasks/s); SQLite keeps a log's file at its largest unless told.
 */
export const WAL_SIZE_LIMIT = 64 * 2 ** 20;

/**
 * The workspaces that have events but no records (deleted, their events not all dropped yet): each
 * workspace in the events' paging index, one seek to the next (a scan of distinct values would read
 * every event), and those of the few recent events; kept when no record has its SID.
 */
const ORPHANED_WORKSPACES = `
  WITH RECURSIVE seen(sid) AS (
    SELECT (SELECT workspace_sid FROM events ORDER BY workspace_sid LIMIT 1)
    UNION ALL
    SELECT (SELECT workspace_sid FROM events WHERE workspace_sid > seen.sid ORDER BY workspace_sid LIMIT 1) FROM seen WHERE seen.sid IS NOT NULL
  )
  SELECT sid FROM (SELECT sid FROM seen WHERE sid IS NOT NULL UNION SELECT workspace_sid FROM recent_events) AS w
  WHERE NOT EXISTS (SELECT 1 FROM records WHERE records.workspace_sid = w.sid)`;

/** Events one purge transaction deletes: some 20-40 ms of the writer. */
const PURGE_CHUNK = 2_000;

/** Rows (record changes and events) handed to the writer at a time: a few milliseconds of the loop. */
const SLICE_ROWS = 512;

/**
 * Events the writer moves from `recent_events` into `events` at a time (see migration 4 and
 * sqlite-writer.ts): enough that they share the indexes' pages, few enough that a commit waiting
 * behind a move waits a few milliseconds.
 */
export const EVENT_MOVE_ROWS = 256;

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

/** Every write the store makes, run by its writer thread (exported for the bench's store prototypes). */
export const WRITER_SQL: WriterSql = {
  // An upsert, not INSERT OR REPLACE: REPLACE deletes and re-inserts, which would move the rowid.
  upsertRecord:
    'INSERT INTO records (workspace_sid, kind, sid, json) VALUES (?, ?, ?, ?) ON CONFLICT (workspace_sid, kind, sid) DO UPDATE SET json = excluded.json',
  deleteRecord: 'DELETE FROM records WHERE workspace_sid = ? AND kind = ? AND sid = ?',
  insertEvent: `INSERT INTO events (${EVENT_COLUMNS}) VALUES (${EVENT_VALUES})`,
  insertRecentEvent: `INSERT INTO recent_events (${EVENT_COLUMNS}) VALUES (${EVENT_VALUES})`,
  deleteWorkspaceRecords: 'DELETE FROM records WHERE workspace_sid = ?',
  purgeWorkspaceEvents: 'DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE workspace_sid = ? LIMIT ?)',
  purgeEvents: 'DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE date < ? ORDER BY date LIMIT ?)',
  purgeWorkspaceRecentEvents: 'DELETE FROM recent_events WHERE rowid IN (SELECT rowid FROM recent_events WHERE workspace_sid = ? LIMIT ?)',
  purgeRecentEvents: 'DELETE FROM recent_events WHERE rowid IN (SELECT rowid FROM recent_events WHERE date < ? LIMIT ?)',
  countRecentEvents: 'SELECT count(*) FROM recent_events',
  moveBound: 'SELECT rowid FROM recent_events ORDER BY rowid LIMIT 1 OFFSET ?',
  moveEvents: `INSERT INTO events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM recent_events WHERE rowid <= ? ORDER BY rowid`,
  dropMovedEvents: 'DELETE FROM recent_events WHERE rowid <= ?',
  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
};

/**
 * The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit is
 * on disk before the hub acknowledges it. Each batch (a tick's changes: group commit) is one
 * transaction of prepared statements, run by a writer thread (see sqlite-writer.ts) so the hub's
 * loop never waits on the disk; reads use a connection of their own, events on reader threads
 * (sqlite-reader.ts) so that no filter or window holds the loop, and WAL lets them run beside a
 * commit. Records are JSON, so the engine's shapes need no columns.
 */
export class SqliteStore implements Store {
  /** The commit being handed over or written, which the next one waits for. */
  private committing: Promise<void> | undefined;
  /** Numbers the commits, which tells the writer which staged rows belong to which. */
  private batches = 0;
  private readonly backups = new Set<Promise<void>>();
  /** The JSON of the strings events repeat, shared by every commit's rows. */
  private readonly jsonStrings = new JsonStrings();
  private readonly toEventRow = (e: EventRecord): EventRow => eventRow(e, this.jsonStrings);
  /** Deleted workspaces' events being dropped, and whether the store is closing (which stops them). */
  private readonly drops = new Set<Promise<void>>();
  private closing = false;
  /** The threads of event reads, each started on its first: lists, and statistics' summaries (slower, fewer). */
  private readonly eventReader: SqliteReader;
  private readonly statisticsReader: SqliteReader;

  private constructor(
    /** The reading connection: loads, meta reads. */
    private readonly db: Database.Database,
    /** The thread that runs every write on a connection of its own. */
    private readonly writer: SqliteWriter,
    /** The database file. */
    readonly file: string,
  ) {
    this.eventReader = new SqliteReader(file, MAX_QUEUED_EVENT_READS, 'event reads');
    this.statisticsReader = new SqliteReader(file, MAX_QUEUED_STATISTICS, 'statistics requests');
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
      // Only the power-loss test sets this variable (OFF or NORMAL): it proves that test catches what they lose.
      const unsafe = process.env['SWITCHBOARD_TEST_SYNCHRONOUS'];
      db.pragma(`synchronous = ${unsafe === 'OFF' || unsafe === 'NORMAL' ? unsafe : 'FULL'}`);
      // Reads every page once: corruption is found now, with a clear message, not mid-routing.
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
      migrate(db, file);
    } catch (error) {
      db?.close();
      throw asOpenError(file, error);
    }
    let writer: SqliteWriter;
    try {
      writer = await SqliteWriter.start(file, WRITER_SQL, { walSizeLimit: WAL_SIZE_LIMIT, moveRows: options.eventMoveRows ?? EVENT_MOVE_ROWS });
    } catch (error) {
      db.close();
      throw error;
    }
    const store = new SqliteStore(db, writer, file);
    if (options.retentionMs !== undefined) await store.purgeEvents(Date.now() - options.retentionMs);
    // Events of workspaces deleted before a stop, their records gone: dropped behind the hub's commits.
    const orphans = db.prepare(ORPHANED_WORKSPACES).pluck().all() as string[];
    if (orphans.length > 0) store.dropEventsOf(orphans);
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

  /**
   * Resolves once the batch is durable; it is written in one transaction, all or nothing. A large
   * batch (a burst that piled up behind the last commit) crosses to the writer in slices of
   * `SLICE_ROWS` with a loop turn between them: building and copying 20,000 rows at once held the
   * loop for half a second. Commits run one after another, so slices never mix.
   */
  commit(batch: CommitBatch): Promise<void> {
    // The hub commits one batch at a time, so this starts at once; a caller that overlaps them waits.
    const previous = this.committing;
    const run = previous ? previous.then(() => this.handOver(batch)) : this.handOver(batch);
    const settled: Promise<void> = run.then(
      () => this.settle(settled),
      () => this.settle(settled),
    );
    this.committing = settled;
    return run;
  }

  private settle(commit: Promise<void>): void {
    if (this.committing === commit) this.committing = undefined;
  }

  /**
   * Deletes the events of deleted workspaces, `PURGE_CHUNK` at a time, commits running between
   * slices: in the commit that deleted the workspace, a busy one's millions of events held every
   * other workspace's commits for minutes. A restart finds any left (see `open`) and goes on.
   */
  private dropEventsOf(workspaceSids: readonly string[]): void {
    const drop = async () => {
      for (const workspaceSid of workspaceSids) await this.inSlices({ op: 'purgeWorkspace', workspaceSid, limit: PURGE_CHUNK }, () => this.closing);
    };
    const done: Promise<void> = drop()
      .catch(() => undefined) // the store failed or closed: the next open finds the rest
      .finally(() => this.drops.delete(done));
    this.drops.add(done);
  }

  private async handOver({ deletedWorkspaces, changes, events }: CommitBatch): Promise<void> {
    const changeRow = (c: StoredChange): ChangeRow => [c.workspaceSid, c.kind, c.sid, c.json];
    const batch = ++this.batches;
    let c = 0;
    let e = 0;
    while (changes.length - c + events.length - e > SLICE_ROWS) {
      const takeChanges = Math.min(SLICE_ROWS, changes.length - c);
      const takeEvents = SLICE_ROWS - takeChanges;
      this.writer.stage(batch, changes.slice(c, c + takeChanges).map(changeRow), events.slice(e, e + takeEvents).map(this.toEventRow));
      c += takeChanges;
      e += takeEvents;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.writer.run({ op: 'commit', batch, deletedWorkspaces, changes: changes.slice(c).map(changeRow), events: events.slice(e).map(this.toEventRow) });
    if (deletedWorkspaces.length > 0) this.dropEventsOf(deletedWorkspaces);
  }

  /**
   * On a reader thread too: a filter no index serves (a channel, a resource) walks the whole
   * window until it finds a page, 300 ms over 400,000 events, which the loop must not wait out.
   */
  async queryEvents(q: EventQuery): Promise<EventRecord[]> {
    if (q.limit <= 0) return []; // SQLite reads a negative LIMIT as "no limit".
    const { sql, params } = eventQuerySql(q);
    const [rows = []] = await this.eventReader.read([sql], params);
    return rows.map(eventOfRow);
  }

  /** Counted in SQL on a reader thread: the window's events never cross into the hub's loop. */
  async summarizeEvents(q: EventSummaryQuery): Promise<EventSummary> {
    const { queries, params } = eventSummarySql(q);
    return summaryOf(await this.statisticsReader.read(queries, params));
  }

  /**
   * Deletes in transactions of `PURGE_CHUNK` events, oldest first, so commits queued meanwhile
   * run between them: a minute of events at 1,000 tasks/s (360,000) took the writer about 4 s in
   * one statement, and every commit waited that out.
   */
  async purgeEvents(before: number): Promise<number> {
    return this.inSlices({ op: 'purge', before, limit: PURGE_CHUNK });
  }

  /** Runs a slice of deletes again until one deletes fewer than its limit (or `stop` says so); resolves with how many went. */
  private async inSlices(slice: Extract<WriteRequest, { limit: number }>, stop: () => boolean = () => false): Promise<number> {
    let deleted = 0;
    while (!stop()) {
      const n = (await this.writer.run(slice)) ?? 0;
      deleted += n;
      if (n < slice.limit) break;
    }
    return deleted;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.writer.run({ op: 'meta', key, value });
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

  /** Waits for running backups and queued writes, then closes (the last connection checkpoints the WAL into the file). */
  async close(): Promise<void> {
    // A drop of deleted workspaces' events stops after its slice in flight; the next open goes on.
    this.closing = true;
    await Promise.allSettled([...this.backups, ...this.drops]);
    await Promise.all([this.eventReader.close(), this.statisticsReader.close()]);
    await this.writer.close();
    if (this.db.open) this.db.close();
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

