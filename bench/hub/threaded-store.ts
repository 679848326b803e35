/**
 * An experiment, not a product store: the SQLite store with its commits moved to a worker thread.
 * `better-sqlite3` commits synchronously, so each group commit's fsync freezes the hub's event loop;
 * here the same `SqliteStore.commit` runs on its own connection in a worker while the loop keeps
 * reading sockets and building the next batch. Reads, meta and backups stay on the main connection.
 * `hub/hub-process.ts` uses it when BENCH_STORE=threaded, to measure what the change would buy.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { RecordChange } from '../../server/engine/effects.js';
import type { EventRecord } from '../../server/engine/model.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import type { CommitBatch, EventQuery, Store } from '../../server/store/store.js';

type Reply = { id: number; error?: string };

/** The SQLite store with commits off the main thread. */
export class ThreadedStore implements Store {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(): void; reject(e: Error): void }>();

  private constructor(
    private readonly main: SqliteStore,
    private readonly worker: Worker,
  ) {
    worker.on('message', (m: Reply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.reject(new Error(m.error));
      else w?.resolve();
    });
  }

  /** Opens the store in `dir` and its writer thread. */
  static async open(dir: string): Promise<ThreadedStore> {
    const main = await SqliteStore.open(dir);
    // Workers do not inherit the parent's module hooks: register tsx in the worker, then load this file.
    const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: { dir } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new ThreadedStore(main, worker);
  }

  load(): Promise<Map<string, RecordChange[]>> {
    return this.main.load();
  }

  commit(batch: CommitBatch): Promise<void> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, batch });
    });
  }

  queryEvents(query: EventQuery): Promise<EventRecord[]> {
    return this.main.queryEvents(query);
  }

  purgeEvents(before: number): Promise<number> {
    return this.main.purgeEvents(before);
  }

  getMeta(key: string): Promise<string | undefined> {
    return this.main.getMeta(key);
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.main.setMeta(key, value);
  }

  backup(file: string): Promise<void> {
    return this.main.backup(file);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
    await this.main.close();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const writer = await SqliteStore.open((workerData as { dir: string }).dir);
  port.on('message', (m: { id: number; batch: CommitBatch }) => {
    writer.commit(m.batch).then(
      () => port.postMessage({ id: m.id }),
      (error: unknown) => port.postMessage({ id: m.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  port.postMessage('ready');
}
