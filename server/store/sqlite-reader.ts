/**
 * The SQLite store's reader of events: one thread with a read-only connection of its own, started
 * on the first request, that runs a request's queries and hands back their rows. A statistics
 * window of a million events is counted there in SQL, and an Events filter that no index serves
 * walks its window there, while the hub's loop keeps routing; WAL lets the reads run beside the
 * writer's commits. Like the writer, the thread's code is plain JavaScript run with `eval`, so it
 * loads the same way from the sources and `dist/`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { fail } from '../../shared/errors.js';
import { ThreadCalls } from './thread-calls.js';

/** Parameters of a request's queries, bound by name. */
export type ReadParams = Record<string, string | number>;

const READER_THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
// A request's queries are a handful of shapes (one per combination of filters): prepared once each.
const statements = new Map();
const prepared = (sql) => {
  let s = statements.get(sql);
  if (!s) {
    if (statements.size >= 256) statements.clear();
    statements.set(sql, (s = db.prepare(sql).raw()));
  }
  return s;
};
parentPort.on('message', ({ id, queries, params }) => {
  try {
    // One read transaction: every query of a request sees the same commits.
    const rows = db.transaction(() => queries.map((sql) => prepared(sql).all(params)))();
    parentPort.postMessage({ id, rows });
  } catch (error) {
    parentPort.postMessage({ id, error: error && error.message ? error.message : String(error) });
  }
});
`;

interface Reply {
  id: number;
  rows?: unknown[][][];
  error?: string;
}

/**
 * A reading thread of one database file. It queues at most `maxQueued` reads: a dashboard polling
 * a window that takes longer to read than its polling interval would otherwise pile them up
 * without end. Past it a read is refused with a 429 naming `what` is queued.
 */
export class SqliteReader {
  private worker: Worker | undefined;
  private readonly calls = new ThreadCalls<unknown[][][]>();
  private closed = false;

  constructor(
    private readonly file: string,
    readonly maxQueued: number,
    private readonly what: string,
  ) {}

  /** Runs `queries` in one read transaction; resolves with each one's rows (arrays of columns). */
  read(queries: string[], params: ReadParams): Promise<unknown[][][]> {
    if (this.closed) return Promise.reject(new Error('The store is closed'));
    if (this.calls.size >= this.maxQueued) {
      return Promise.reject(fail('TOO_MANY_REQUESTS', `${this.maxQueued} ${this.what} are queued already; retry when they are answered`));
    }
    const worker = this.thread();
    // Held while it has work, so a caller awaiting it keeps the process alive.
    if (this.calls.size === 0) worker.ref();
    return this.calls.call((id) => worker.postMessage({ id, queries, params }));
  }

  /** Ends the thread; requests still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.calls.failAll(new Error('The store is closed'));
  }

  /** The thread, started if it is not running (the first read, or after it died). */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(READER_THREAD, { eval: true, workerData: { driver, file: this.file } });
    // An idle reader never keeps the process alive.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      this.calls.settle(reply.id, reply.error, reply.rows ?? []);
      if (this.calls.size === 0) worker.unref();
    });
    const gone = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.calls.failAll(error);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`The SQLite reader thread stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }
}
