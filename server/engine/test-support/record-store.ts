import type { Effect, RecordChange } from '../effects.js';

/**
 * A store as the shell keeps one: persist effects folded into the latest copy of every record,
 * serialized at commit time so later steps cannot alter what was written.
 */
export class RecordStore {
  private readonly rows = new Map<string, { kind: RecordChange['kind']; sid: string; json: string }>();

  /** Folds the persist effects of one step. */
  commit(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.type !== 'persist') continue;
      for (const change of effect.changes) {
        const key = `${change.kind}:${change.sid}`;
        if (change.record === null) this.rows.delete(key);
        else this.rows.set(key, { kind: change.kind, sid: change.sid, json: JSON.stringify(change.record) });
      }
    }
  }

  /** Every stored record, in first-write order, as fresh copies (what a store's `load()` returns). */
  records(): RecordChange[] {
    return [...this.rows.values()].map(({ kind, sid, json }) => ({ kind, sid, record: JSON.parse(json) }) as RecordChange);
  }

  /** The stored JSON text of every record, keyed `kind:sid`. */
  texts(): ReadonlyMap<string, string> {
    return new Map([...this.rows].map(([key, row]) => [key, row.json]));
  }

  /** The stored copy of one record, or undefined. */
  get(kind: RecordChange['kind'], sid: string): unknown {
    const row = this.rows.get(`${kind}:${sid}`);
    return row ? JSON.parse(row.json) : undefined;
  }

  /** Number of stored records. */
  get size(): number {
    return this.rows.size;
  }
}
