/**
 * The SQLite store's writer: one thread with its own connection that runs every write (group
 * commits, event purges, meta), so a commit's B-tree work and fsync never block the hub's event
 * loop; the loop keeps reading sockets and stepping the engine while the thread makes the last
 * batch durable. Messages are handled one at a time, in the order they were posted: batches
 * reach the file in the hub's order.
 *
 * A commit appends its events to `recent_events`, which has no filter indexes; once it holds
 * `moveRows`, the thread moves the oldest `moveRows` into `events` (and its indexes) in a
 * transaction of their own, between commits: a commit waits for at most one such move. A commit
 * of a quarter of a move or more writes its events into `events` itself: that many share the
 * indexes' pages about as well (measured: 64 events a commit cost the same either way).
 *
 * The thread's code is plain JavaScript run with `eval`, so it loads the same way from the sources
 * (tests) and from `dist/`; the SQL comes from `sqlite-store.ts` through `workerData`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ThreadCalls } from './thread-calls.js';

/** A record change as the writer takes it: workspace, kind, SID, JSON (null: deleted). */
export type ChangeRow = [string, string, string, string | null];
/** An event as the writer takes it: the 13 columns of the `events` table, in order. */
export type EventRow = [string, string, number, string, string, ...(string | null)[]];

/** What the writer is asked to do. */
export type WriteRequest =
  | { op: 'commit'; batch: number; deletedWorkspaces: string[]; changes: ChangeRow[]; events: EventRow[] }
  | { op: 'stage'; batch: number; changes: ChangeRow[]; events: EventRow[] }
  | { op: 'purge'; before: number; limit: number }
  | { op: 'purgeWorkspace'; workspaceSid: string; limit: number }
  | { op: 'meta'; key: string; value: string };

/** The statements the writer prepares. */
export interface WriterSql {
  upsertRecord: string;
  deleteRecord: string;
  insertEvent: string;
  insertRecentEvent: string;
  deleteWorkspaceRecords: string;
  purgeWorkspaceEvents: string;
  purgeEvents: string;
  purgeRecentEvents: string;
  purgeWorkspaceRecentEvents: string;
  countRecentEvents: string;
  /** The rowid of the recent event at an offset, oldest first: the last one a move takes. */
  moveBound: string;
  moveEvents: string;
  dropMovedEvents: string;
  setMeta: string;
}

const WRITER_THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const sql = workerData.sql;
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// The connection that starts the log over cuts it back to this size (see WAL_SIZE_LIMIT).
db.pragma('journal_size_limit = ' + Number(workerData.walSizeLimit));
// Only the power-loss test sets this variable (OFF or NORMAL): it proves that test catches what they lose.
db.pragma('synchronous = ' + (['OFF', 'NORMAL'].includes(process.env.SWITCHBOARD_TEST_SYNCHRONOUS) ? process.env.SWITCHBOARD_TEST_SYNCHRONOUS : 'FULL'));
const s = {};
for (const name of Object.keys(sql)) s[name] = db.prepare(sql[name]);
s.countRecentEvents.pluck();
s.moveBound.pluck();
const moveRows = workerData.moveRows;
const directRows = Math.max(1, Math.floor(moveRows / 4));
// Events in recent_events, as far as this thread knows (counted again after a purge or a failed move).
let recent = s.countRecentEvents.get();
// How many recent events start the next move: moveRows, or a move's worth more after one failed.
let moveAt = moveRows;
let moveScheduled = false;
let closed = false;
const moveSlice = db.transaction(() => {
  const bound = s.moveBound.get(moveRows - 1);
  if (bound === undefined) return 0;
  s.moveEvents.run(bound);
  return s.dropMovedEvents.run(bound).changes;
}).immediate;
// After the messages that came meanwhile (setImmediate runs after the poll phase that delivers
// them), so a commit waits for one move at most, never for a backlog of them.
const scheduleMove = () => {
  if (moveScheduled || closed || recent < moveAt) return;
  moveScheduled = true;
  setImmediate(() => {
    moveScheduled = false;
    if (closed) return;
    try {
      const moved = moveSlice();
      // None to move: the count was off, so it is read again rather than trusted into a loop.
      recent = moved > 0 ? recent - moved : s.countRecentEvents.get();
      moveAt = moveRows;
    } catch {
      // Rolled back: the events stay in recent_events, where reads find them, and a move is tried
      // again once commits have brought another move's worth (a failing one is not retried per commit).
      recent = s.countRecentEvents.get();
      moveAt = recent + moveRows;
      return;
    }
    scheduleMove();
  });
};
// Rows of a commit that came ahead of it ('stage'), written with it, all or nothing: only by the
// commit of the same batch (rows of a batch whose hand-over was abandoned are dropped, never written).
let staged = { batch: 0, changes: [], events: [] };
const upsert = (c) => (c[3] === null ? s.deleteRecord.run(c[0], c[1], c[2]) : s.upsertRecord.run(c));
// IMMEDIATE takes the write lock at BEGIN (waiting on busy_timeout if a CLI holds it), so a batch never fails half way on a lock upgrade.
const commit = db.transaction((m) => {
  if (staged.batch !== m.batch) staged = { batch: m.batch, changes: [], events: [] };
  // Their events go after, in slices (SqliteStore.dropEventsOf).
  for (const sid of m.deletedWorkspaces) s.deleteWorkspaceRecords.run(sid);
  for (const c of staged.changes) upsert(c);
  for (const c of m.changes) upsert(c);
  const events = staged.events.length + m.events.length;
  const insert = events >= directRows ? s.insertEvent : s.insertRecentEvent;
  for (const e of staged.events) insert.run(e);
  for (const e of m.events) insert.run(e);
  return insert === s.insertRecentEvent ? events : 0;
}).immediate;
// A purge slice of at most \`limit\` events, in one transaction: recent ones first (a move takes
// none back), then indexed ones. It deletes fewer than its limit only when neither table has more.
const purge = (limit, fromRecent, fromEvents) => {
  try {
    return db.transaction(() => {
      const deleted = fromRecent(limit).changes;
      return deleted < limit ? deleted + fromEvents(limit - deleted).changes : deleted;
    }).immediate();
  } finally {
    recent = s.countRecentEvents.get();
  }
};
parentPort.on('message', ({ id, request: m }) => {
  if (m.op === 'stage') {
    if (staged.batch !== m.batch) staged = { batch: m.batch, changes: [], events: [] };
    for (const c of m.changes) staged.changes.push(c);
    for (const e of m.events) staged.events.push(e);
    return;
  }
  try {
    let value;
    if (m.op === 'commit') {
      try {
        recent += commit(m);
      } finally {
        staged = { batch: 0, changes: [], events: [] };
      }
      scheduleMove();
    } else if (m.op === 'purge') value = purge(m.limit, (limit) => s.purgeRecentEvents.run(m.before, limit), (limit) => s.purgeEvents.run(m.before, limit));
    else if (m.op === 'purgeWorkspace') value = purge(m.limit, (limit) => s.purgeWorkspaceRecentEvents.run(m.workspaceSid, limit), (limit) => s.purgeWorkspaceEvents.run(m.workspaceSid, limit));
    else if (m.op === 'meta') s.setMeta.run(m.key, m.value);
    else if (m.op === 'close') {
      closed = true;
      db.close();
      parentPort.postMessage({ id });
      parentPort.close();
      return;
    }
    parentPort.postMessage({ id, value });
  } catch (error) {
    parentPort.postMessage({ id, error: error && error.message ? error.message : String(error) });
  }
});
parentPort.postMessage({ id: 0 });
`;

interface Reply {
  id: number;
  value?: number;
  error?: string;
}

/** The writer thread of one database file. */
export class SqliteWriter {
  private readonly calls = new ThreadCalls<number | undefined>();
  /** Set once the thread is gone: every request after that fails with it. */
  private gone: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => this.calls.settle(reply.id, reply.error, reply.value));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`The SQLite writer thread stopped (exit ${code})`)));
  }

  /**
   * Starts the thread on `file` (already created and migrated), its log cut back to `walSizeLimit`
   * bytes when it starts over, moving recent events `moveRows` at a time; resolves once its
   * statements are ready.
   */
  static async start(file: string, sql: WriterSql, options: { walSizeLimit: number; moveRows: number }): Promise<SqliteWriter> {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WRITER_THREAD, { eval: true, workerData: { driver, file, sql, ...options } });
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => reject(new Error(`${file}: the SQLite writer thread did not start: ${error.message}`));
      worker.once('message', () => {
        worker.off('error', failed);
        resolve();
      });
      worker.once('error', failed);
    });
    return new SqliteWriter(worker);
  }

  /** Runs one write; resolves when it is durable (for a purge, with the number of events deleted). */
  run(request: WriteRequest): Promise<number | undefined> {
    if (this.gone) return Promise.reject(this.gone);
    return this.calls.call((id) => this.worker.postMessage({ id, request }));
  }

  /**
   * Hands the writer rows of the next commit ahead of it, so a large batch crosses over in slices
   * between which the hub's loop turns; they are written by the commit of the same `batch` number,
   * in one transaction with its own rows, or not at all.
   */
  stage(batch: number, changes: ChangeRow[], events: EventRow[]): void {
    if (!this.gone) this.worker.postMessage({ id: 0, request: { op: 'stage', batch, changes, events } satisfies WriteRequest });
  }

  /** Waits for every write posted so far, closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.gone) return;
    // Closed either way: a thread that fails meanwhile is gone too.
    await this.calls.call((id) => this.worker.postMessage({ id, request: { op: 'close' } })).catch(() => undefined);
    this.gone = new Error('The store is closed');
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.gone ??= error;
    this.calls.failAll(this.gone);
  }
}
