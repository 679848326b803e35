/**
 * A write-cost prototype of a lighter event store, for measurement only (`BENCH_STORE=event-blocks`,
 * `npm run bench:lifecycle`): what a commit's events would cost written as one block row per commit,
 * with the Events filters indexed per block instead of per event.
 *
 * - `event_blocks`: one row per commit, its events as a JSON array (each event's stored JSON spliced
 *   in as it is, with its SID, date, type and filter values beside it), and the commit's date range.
 * - `event_keys` (WITHOUT ROWID): one `(key, block)` entry per distinct filter value of the commit
 *   (`w:` worker, `t:` task, `r:` reservation, `y:` type, `q:` queue, `f:` workflow, `c:` channel),
 *   where the product's `events` table has one entry per event in each of seven indexes. A query would
 *   find its blocks by key and date, then filter their events.
 * - Records and meta are written as the product writes them: its schema (`migrate`, whose events
 *   tables stay empty) and its writer's statements.
 *
 * Everything runs on the calling thread, synchronously, with WAL and `synchronous=FULL` as in the
 * product: compare all threads' CPU with the product's store (whose writes run on its writer thread).
 * It answers no queries: reads, statistics and loading are not part of what it measures. Purging
 * drops old blocks but not their keys.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { RecordChange } from '../../server/engine/effects.js';
import type { EventRecord } from '../../server/engine/model.js';
import { JsonStrings, storedEventJson } from '../../server/store/event-json.js';
import type { EventSummary } from '../../server/store/event-summary.js';
import { migrate } from '../../server/store/migrations.js';
import { inColumn } from '../../server/store/sqlite-events.js';
import { WRITER_SQL } from '../../server/store/sqlite-store.js';
import type { CommitBatch, Store } from '../../server/store/store.js';

const FILTERS = [
  ['w:', 'worker_sid'],
  ['t:', 'task_sid'],
  ['r:', 'reservation_sid'],
  ['q:', 'task_queue_sid'],
  ['f:', 'workflow_sid'],
  ['c:', 'task_channel_unique_name'],
] as const;

export class EventBlocksStore implements Store {
  /** The database file. */
  readonly file: string;
  private readonly db: Database.Database;
  private readonly strings = new JsonStrings();
  private readonly upsertRecord: Database.Statement;
  private readonly deleteRecord: Database.Statement;
  private readonly insertBlock: Database.Statement;
  private readonly insertKey: Database.Statement;
  private readonly write: (batch: CommitBatch) => void;

  constructor(dir: string) {
    this.file = join(dir, 'event-blocks.db');
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    migrate(this.db, this.file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS event_blocks (id INTEGER PRIMARY KEY, workspace_sid TEXT NOT NULL, first_date INTEGER NOT NULL, last_date INTEGER NOT NULL, events TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS event_blocks_page ON event_blocks (workspace_sid, last_date);
      CREATE TABLE IF NOT EXISTS event_keys (key TEXT NOT NULL, block INTEGER NOT NULL, PRIMARY KEY (key, block)) WITHOUT ROWID;
    `);
    this.upsertRecord = this.db.prepare(WRITER_SQL.upsertRecord);
    this.deleteRecord = this.db.prepare(WRITER_SQL.deleteRecord);
    this.insertBlock = this.db.prepare('INSERT INTO event_blocks (workspace_sid, first_date, last_date, events) VALUES (?, ?, ?, ?)');
    this.insertKey = this.db.prepare('INSERT OR IGNORE INTO event_keys (key, block) VALUES (?, ?)');
    this.write = this.db.transaction((batch: CommitBatch) => {
      for (const c of batch.changes) {
        if (c.json === null) this.deleteRecord.run(c.workspaceSid, c.kind, c.sid);
        else this.upsertRecord.run(c.workspaceSid, c.kind, c.sid, c.json);
      }
      const byWorkspace = new Map<string, EventRecord[]>();
      for (const e of batch.events) {
        const list = byWorkspace.get(e.workspaceSid);
        if (list) list.push(e);
        else byWorkspace.set(e.workspaceSid, [e]);
      }
      for (const [workspaceSid, events] of byWorkspace) this.writeBlock(workspaceSid, events);
    }).immediate;
  }

  private writeBlock(workspaceSid: string, events: EventRecord[]): void {
    const keys = new Set<string>();
    let json = '[';
    let first = Infinity;
    let last = -Infinity;
    for (const e of events) {
      first = Math.min(first, e.date);
      last = Math.max(last, e.date);
      keys.add(`y:${e.eventType}`);
      let head = `{"sid":"${e.sid}","date":${e.date},"type":${this.strings.of(e.eventType)},"resource":"${e.resourceSid}"`;
      for (const [prefix, field] of FILTERS) {
        const value = e.data[field];
        if (typeof value !== 'string') continue;
        keys.add(prefix + value);
        head += `,${this.strings.of(field)}:${this.strings.of(value)}`;
      }
      json += `${json.length > 1 ? ',' : ''}${head},"event":${storedEventJson(e, inColumn, this.strings)}}`;
    }
    const block = this.insertBlock.run(workspaceSid, first, last, `${json}]`).lastInsertRowid;
    for (const key of keys) this.insertKey.run(key, block);
  }

  async load(): Promise<Map<string, RecordChange[]>> {
    return new Map();
  }

  async commit(batch: CommitBatch): Promise<void> {
    this.write(batch);
  }

  async queryEvents(): Promise<EventRecord[]> {
    throw new Error('event-blocks is a write-cost prototype: it answers no queries');
  }

  async summarizeEvents(): Promise<EventSummary> {
    throw new Error('event-blocks is a write-cost prototype: it answers no queries');
  }

  async purgeEvents(before: number): Promise<number> {
    return this.db.prepare('DELETE FROM event_blocks WHERE last_date < ?').run(before).changes;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined) ?? undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db.prepare(WRITER_SQL.setMeta).run(key, value);
  }

  async backup(): Promise<void> {
    throw new Error('event-blocks is a write-cost prototype');
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
