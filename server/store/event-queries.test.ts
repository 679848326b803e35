import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../engine/model.js';
import { matchesEventQuery } from './event-query.js';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { EventQuery } from './store.js';

/** A small seeded generator, so a failure repeats exactly. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const sid = (prefix: string, n: number) => prefix + n.toString(16).padStart(32, '0');
const WS = sid('WS', 1);
const OTHER_WS = sid('WS', 2);
const TYPES = ['task.created', 'reservation.created', 'reservation.accepted', 'worker.activity.update', 'task-queue.entered'];
const CHANNELS: Array<[string, string]> = [
  ['voice', sid('TC', 1)],
  ['chat', sid('TC', 2)],
];

/**
 * 600 events over two workspaces, five per millisecond (so paging must break ties by SID), each
 * with some of the filterable fields, some missing, one a number where a SID belongs.
 */
function makeEvents(): EventRecord[] {
  const next = random(42);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const maybe = (value: string) => (next() < 0.7 ? value : undefined);
  return Array.from({ length: 600 }, (_, i) => {
    const [channel, channelSid] = pick(CHANNELS);
    const data: Record<string, unknown> = {
      worker_sid: maybe(sid('WK', 1 + Math.floor(next() * 4))),
      task_sid: maybe(sid('WT', 1 + Math.floor(next() * 10))),
      reservation_sid: maybe(sid('WR', 1 + Math.floor(next() * 10))),
      task_queue_sid: maybe(sid('WQ', 1 + Math.floor(next() * 3))),
      workflow_sid: maybe(sid('WW', 1 + Math.floor(next() * 2))),
      task_channel_unique_name: maybe(channel),
      task_channel_sid: maybe(channelSid),
    };
    if (i === 7) data['worker_sid'] = 12345;
    return {
      sid: sid('EV', 1_000 + Math.floor(next() * 1e9)),
      workspaceSid: next() < 0.85 ? WS : OTHER_WS,
      eventType: pick(TYPES),
      description: `event ${i}`,
      resourceType: 'task',
      resourceSid: sid('WT', 1 + Math.floor(next() * 10)),
      actorType: 'system',
      actorSid: null,
      date: 1_700_000_000_000 + Math.floor(i / 5),
      data: Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)),
      workerSid: null,
    } satisfies EventRecord;
  });
}

const events = makeEvents();

/** The contract: matchesEventQuery's filters, newest first, ties broken by SID (the cursor's order). */
function expected(query: EventQuery): string[] {
  return events
    .filter((e) => matchesEventQuery(e, query))
    .sort((a, b) => b.date - a.date || (a.sid < b.sid ? 1 : -1))
    .slice(0, query.limit)
    .map((e) => e.sid);
}

const base = { workspaceSid: WS, limit: 1_000 };
const mid = 1_700_000_000_000 + 60;
const FILTERS: Array<[string, Omit<EventQuery, 'workspaceSid' | 'limit'>]> = [
  ['none', {}],
  ['eventType', { eventType: 'reservation.created' }],
  ['sid', { sid: events[10]!.sid }],
  ['resourceSid', { resourceSid: sid('WT', 3) }],
  ['workerSid', { workerSid: sid('WK', 2) }],
  ['workerSid given as a number in the data never matches', { workerSid: '12345' }],
  ['taskSid', { taskSid: sid('WT', 4) }],
  ['reservationSid', { reservationSid: sid('WR', 5) }],
  ['taskQueueSid', { taskQueueSid: sid('WQ', 2) }],
  ['workflowSid', { workflowSid: sid('WW', 1) }],
  ['taskChannel by unique name', { taskChannel: 'voice' }],
  ['taskChannel by SID', { taskChannel: sid('TC', 2) }],
  ['startDate (inclusive)', { startDate: mid }],
  ['endDate (inclusive)', { endDate: mid }],
  ['a date window', { startDate: mid - 10, endDate: mid + 10 }],
  ['several filters at once', { eventType: 'task.created', workerSid: sid('WK', 1), taskChannel: 'chat', startDate: mid - 40 }],
  ['a filter nothing matches', { taskSid: sid('WT', 99) }],
];

describe('SqliteStore.queryEvents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-events-'));
  let store: SqliteStore;
  const memory = new MemoryStore();

  beforeAll(async () => {
    store = await SqliteStore.open(dir);
    // Several commits, as the hub writes them tick by tick.
    for (let i = 0; i < events.length; i += 50) {
      const batch = { changes: [], events: events.slice(i, i + 50), deletedWorkspaces: [] };
      await store.commit(batch);
      await memory.commit(batch);
    }
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(FILTERS)('filters by %s exactly as matchesEventQuery does, newest first', async (_name, filter) => {
    const query = { ...base, ...filter };
    const got = await store.queryEvents(query);
    expect(got.map((e) => e.sid)).toEqual(expected(query));
    // Same set as the in-memory store (which orders ties by arrival, not SID).
    const fromMemory = await memory.queryEvents(query);
    expect(got.map((e) => e.sid).sort()).toEqual(fromMemory.map((e) => e.sid).sort());
  });

  it('gives back each event whole', async () => {
    for (const e of events.slice(0, 20)) {
      expect(await store.queryEvents({ ...base, workspaceSid: e.workspaceSid, sid: e.sid })).toEqual([e]);
    }
  });

  it('keeps workspaces apart', async () => {
    const mine = await store.queryEvents({ ...base });
    const theirs = await store.queryEvents({ ...base, workspaceSid: OTHER_WS });
    expect(mine.every((e) => e.workspaceSid === WS)).toBe(true);
    expect(theirs.every((e) => e.workspaceSid === OTHER_WS)).toBe(true);
    expect(mine.length + theirs.length).toBe(events.length);
  });

  it.each([1, 7, 50])('pages with limit %i and the (date, sid) cursor through every event once, in order', async (limit) => {
    for (const filter of [{}, { workerSid: sid('WK', 3) }, { taskChannel: 'voice', startDate: mid - 30 }]) {
      const seen: string[] = [];
      let before: EventQuery['before'];
      for (;;) {
        const page = await store.queryEvents({ ...base, ...filter, limit, ...(before ? { before } : {}) });
        expect(page.length).toBeLessThanOrEqual(limit);
        seen.push(...page.map((e) => e.sid));
        if (page.length < limit) break;
        const last = page.at(-1)!;
        before = { date: last.date, sid: last.sid };
      }
      expect(seen).toEqual(expected({ ...base, ...filter }));
    }
  });

  it('returns nothing for a limit of zero or less', async () => {
    expect(await store.queryEvents({ ...base, limit: 0 })).toEqual([]);
    expect(await store.queryEvents({ ...base, limit: -1 })).toEqual([]);
  });
});
