/**
 * The store the bench's hub runs on, chosen by BENCH_STORE, with experimental variants that
 * measure what a change to the SQLite store would buy before anyone makes it:
 *
 * - `sqlite` (default): the product's store, as `openStore` opens it.
 * - `lean-events`: the product's store with the events table's filter indexes dropped (only its
 *   primary key and the paging index left): what the per-filter indexes cost per event.
 * - `event-blocks`: a write-cost prototype of a lighter event store (see event-blocks-store.ts): a
 *   commit's events as one row, its filters indexed per commit. It answers no queries.
 * - `memory`: the in-memory store (not durable), the ceiling.
 *
 * Variants are for measurement only: `lean-events` makes filtered event queries scan.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openStore } from '../../server/server.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { DATABASE_FILE, SqliteStore } from '../../server/store/sqlite-store.js';
import type { Store } from '../../server/store/store.js';
import { EventBlocksStore } from './event-blocks-store.js';

/** The variants. */
export const STORE_VARIANTS = ['sqlite', 'lean-events', 'event-blocks', 'memory'] as const;
/** One variant. */
export type StoreVariant = (typeof STORE_VARIANTS)[number];

const FILTER_INDEXES = ['events_type', 'events_resource', 'events_worker', 'events_task', 'events_reservation', 'events_queue', 'events_workflow', 'events_age'];

function dropFilterIndexes(dir: string): void {
  const db = new Database(join(dir, DATABASE_FILE));
  try {
    for (const name of FILTER_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
  } finally {
    db.close();
  }
}

/** Opens the store of `variant` in `dir`. */
export async function openBenchStore(variant: string | undefined, dir: string): Promise<Store> {
  switch ((variant ?? 'sqlite') as StoreVariant) {
    case 'sqlite':
      return openStore(dir);
    case 'memory':
      return new MemoryStore();
    case 'event-blocks':
      return new EventBlocksStore(dir);
    case 'lean-events': {
      await (await SqliteStore.open(dir)).close();
      dropFilterIndexes(dir);
      return SqliteStore.open(dir);
    }
    default:
      throw new Error(`BENCH_STORE must be one of ${STORE_VARIANTS.join(', ')}`);
  }
}
