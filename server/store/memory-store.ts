import type { RecordChange } from '../engine/effects.js';
import type { EventRecord } from '../engine/model.js';
import { matchesEventQuery } from './event-query.js';
import { tallyEvents, type EventSummary, type EventSummaryQuery } from './event-summary.js';
import type { CommitBatch, EventQuery, Store } from './store.js';

/** A store that keeps everything in memory: for `SWITCHBOARD_DATA=:memory:` and tests. */
export class MemoryStore implements Store {
  private readonly records = new Map<string, Map<string, string>>();
  private events: EventRecord[] = [];
  private readonly meta = new Map<string, string>();

  async load(): Promise<Map<string, RecordChange[]>> {
    const out = new Map<string, RecordChange[]>();
    for (const [workspaceSid, rows] of this.records) {
      out.set(workspaceSid, [...rows.entries()].map(([key, json]) => ({ kind: key.split(':')[0], sid: key.split(':')[1], record: JSON.parse(json) }) as RecordChange));
    }
    return out;
  }

  async commit(batch: CommitBatch): Promise<void> {
    for (const sid of batch.deletedWorkspaces) {
      this.records.delete(sid);
      this.events = this.events.filter((e) => e.workspaceSid !== sid);
    }
    for (const change of batch.changes) {
      let rows = this.records.get(change.workspaceSid);
      if (!rows) this.records.set(change.workspaceSid, (rows = new Map()));
      const key = `${change.kind}:${change.sid}`;
      if (change.json === null) rows.delete(key);
      else rows.set(key, change.json);
    }
    for (const e of batch.events) this.events.push(structuredClone(e));
  }

  async queryEvents(query: EventQuery): Promise<EventRecord[]> {
    // Newest first by (date, sid), the order the paging cursor compares in.
    const matches = this.events.filter((e) => matchesEventQuery(e, query));
    matches.sort((a, b) => b.date - a.date || (a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0));
    return matches.slice(0, query.limit);
  }

  async summarizeEvents(query: EventSummaryQuery): Promise<EventSummary> {
    return tallyEvents(this.events, query);
  }

  async purgeEvents(before: number): Promise<number> {
    const kept = this.events.filter((e) => e.date >= before);
    const purged = this.events.length - kept.length;
    this.events = kept;
    return purged;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.meta.get(key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.meta.set(key, value);
  }

  async backup(): Promise<void> {
    throw new Error('An in-memory store has nothing to back up');
  }

  async close(): Promise<void> {}
}
