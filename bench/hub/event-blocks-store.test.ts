import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../server/engine/model.js';
import { EventBlocksStore } from './event-blocks-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function offer(n: number, workerSid: string): EventRecord {
  return {
    sid: `EV${String(n).padStart(32, '0')}`,
    workspaceSid: 'WS1',
    eventType: 'reservation.created',
    description: `Reservation WR${n} for worker "agent ${n}" created`,
    resourceType: 'reservation',
    resourceSid: `WR${n}`,
    actorType: 'account',
    actorSid: null,
    date: 1_000 + n,
    data: { task_sid: 'WT1', reservation_sid: `WR${n}`, worker_sid: workerSid, task_queue_sid: 'WQ1', task_attributes: '{"type":"support","note":"line\\nbreak"}' },
    workerSid,
  };
}

describe('the event-blocks write-cost prototype', () => {
  it('writes a commit as one block of valid JSON, with one key per distinct filter value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-event-blocks-'));
    dirs.push(dir);
    const store = new EventBlocksStore(dir);
    await store.commit({ changes: [{ workspaceSid: 'WS1', kind: 'task', sid: 'WT1', json: '{"sid":"WT1"}' }], events: [offer(1, 'WK1'), offer(2, 'WK2'), offer(3, 'WK1')], deletedWorkspaces: [] });
    await store.close();

    const db = new Database(store.file, { readonly: true });
    try {
      const blocks = db.prepare('SELECT first_date, last_date, events FROM event_blocks').all() as Array<{ first_date: number; last_date: number; events: string }>;
      expect(blocks).toHaveLength(1);
      const events = JSON.parse(blocks[0]!.events) as Array<{ sid: string; worker_sid: string; event: { description: string; data: Record<string, unknown> } }>;
      expect(events.map((e) => e.sid)).toEqual([offer(1, '').sid, offer(2, '').sid, offer(3, '').sid]);
      expect(events[0]!.worker_sid).toBe('WK1');
      expect(events[0]!.event.description).toBe('Reservation WR1 for worker "agent 1" created');
      expect(events[0]!.event.data['task_attributes']).toBe('{"type":"support","note":"line\\nbreak"}');
      expect([blocks[0]!.first_date, blocks[0]!.last_date]).toEqual([1_001, 1_003]);
      // Type, task, queue, two workers, three reservations: one entry each, not one per event and filter.
      const keys = (db.prepare('SELECT key FROM event_keys ORDER BY key').pluck().all() as string[]).sort();
      expect(keys).toEqual(['q:WQ1', 'r:WR1', 'r:WR2', 'r:WR3', 't:WT1', 'w:WK1', 'w:WK2', 'y:reservation.created']);
      expect(db.prepare('SELECT json FROM records WHERE sid = ?').pluck().get('WT1')).toBe('{"sid":"WT1"}');
    } finally {
      db.close();
    }
  });
});
