import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../durability/wait-for.js';
import type { EventRecord } from '../engine/model.js';
import { matchesEventQuery } from './event-query.js';
import { tallyEvents, type EventSummary, type EventSummaryQuery } from './event-summary.js';
import { MemoryStore } from './memory-store.js';
import { DATABASE_FILE, MAX_QUEUED_EVENT_READS, MAX_QUEUED_STATISTICS, SqliteStore } from './sqlite-store.js';
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
const TYPES = ['task.created', 'reservation.created', 'reservation.accepted', 'worker.activity.update', 'task-queue.entered', 'task.canceled'];
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
  const stats = random(7);
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
    // What statistics read, and what they must skip: strings where numbers belong, objects where SIDs do.
    const age = stats();
    if (age < 0.7) data['task_age'] = Math.floor(stats() * 600);
    else if (age < 0.8) data['task_age'] = '12';
    const previous = stats();
    if (previous < 0.6) data['worker_previous_activity_sid'] = sid('WA', 1 + Math.floor(stats() * 3));
    else if (previous < 0.7) data['worker_previous_activity_sid'] = { sid: sid('WA', 1) };
    const seconds = stats();
    if (seconds < 0.7) data['worker_time_in_previous_activity'] = Math.floor(stats() * 3_600);
    else if (seconds < 0.8) data['worker_time_in_previous_activity'] = 'long';
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

/**
 * Whether `reading` settled within its own turn of the loop: after draining the microtasks, which a
 * read on the calling thread answers in however long it took, but a reply from another thread
 * cannot reach (it comes with a later turn). Waits for the read either way.
 */
async function answeredWithoutATurn(reading: Promise<unknown>): Promise<boolean> {
  let answered = false;
  const done = reading.then(() => (answered = true));
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
  const early = answered;
  await done;
  return early;
}

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

/**
 * Where the store's events lie: a commit appends them to `recent_events` (one of a quarter of
 * `eventMoveRows` or more, to the indexed `events` table), and the writer moves them into `events`
 * `eventMoveRows` at a time. Every read must find them in either, so each suite runs on three
 * layouts of the same 600 events, committed 10 at a time (as the hub writes them tick by tick) and
 * left until the writer has moved what it will.
 */
const LAYOUTS = [
  { name: 'most indexed, the newest commits recent', eventMoveRows: 64, indexed: 576 },
  { name: 'all recent', eventMoveRows: 1_000_000, indexed: 0 },
  { name: 'all indexed as committed', eventMoveRows: 40, indexed: 600 },
] as const;
type Layout = (typeof LAYOUTS)[number];

/** Opens a store in `dir` on `layout` with the test's events committed, once its writer has moved them. */
async function storeOf(dir: string, layout: Layout, also?: MemoryStore): Promise<SqliteStore> {
  const store = await SqliteStore.open(dir, { eventMoveRows: layout.eventMoveRows });
  for (let i = 0; i < events.length; i += 10) {
    const batch = { changes: [], events: events.slice(i, i + 10), deletedWorkspaces: [] };
    await store.commit(batch);
    await also?.commit(batch);
  }
  const peek = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    const count = (table: string) => peek.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    await waitFor(() => count('recent_events') < layout.eventMoveRows, { what: 'the writer done moving events' });
    expect([count('events'), count('recent_events')]).toEqual([layout.indexed, events.length - layout.indexed]);
  } finally {
    peek.close();
  }
  return store;
}

describe.each(LAYOUTS)('SqliteStore.queryEvents, $name', (layout) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-events-'));
  let store: SqliteStore;
  const memory = new MemoryStore();

  beforeAll(async () => {
    store = await storeOf(dir, layout, memory);
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

  it('reads off the loop: no answer comes before the loop turns', async () => {
    for (const query of [{ ...base, taskChannel: 'none of them' }, { ...base, resourceSid: sid('WT', 99) }, base]) {
      expect(await answeredWithoutATurn(store.queryEvents(query))).toBe(false);
    }
  });

  it('returns nothing for a limit of zero or less', async () => {
    expect(await store.queryEvents({ ...base, limit: 0 })).toEqual([]);
    expect(await store.queryEvents({ ...base, limit: -1 })).toEqual([]);
  });
});

/** A summary with its waits in order, so two of them compare whatever order their rows came in. */
function sorted(summary: EventSummary): Record<string, unknown> {
  return Object.fromEntries(
    [...summary].map(([group, t]) => [
      group,
      { ...t, acceptedWaits: [...t.acceptedWaits].sort(([a], [b]) => a - b), canceledWaits: [...t.canceledWaits].sort(([a], [b]) => a - b) },
    ]),
  );
}

describe.each(LAYOUTS)('SqliteStore.summarizeEvents, $name', (layout) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-summary-'));
  let store: SqliteStore;

  beforeAll(async () => {
    store = await storeOf(dir, layout);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const GROUPINGS: Array<[string, Partial<EventSummaryQuery>]> = [
    ['one tally', {}],
    ['a tally per task queue', { byTaskQueue: true }],
    ['two workers', { workerSids: [sid('WK', 1), sid('WK', 3)] }],
    ['no workers', { workerSids: [] }],
    ['two workers per task queue', { workerSids: [sid('WK', 2), sid('WK', 4)], byTaskQueue: true }],
  ];
  const cases = FILTERS.flatMap(([name, filter]) => GROUPINGS.map(([grouping, more]) => [`${name}, ${grouping}`, { ...filter, ...more }] as const));

  it.each(cases)('counts %s in SQL exactly as tallyEvents does', async (_name, filter) => {
    const query: EventSummaryQuery = { workspaceSid: WS, ...filter };
    const want = tallyEvents(events, query);
    const got = await store.summarizeEvents(query);
    expect(sorted(got)).toEqual(sorted(want));
  });

  it('reads what the events hold: every kind of count and duration is there to compare', () => {
    const all = tallyEvents(events, { workspaceSid: WS }).get('')!;
    expect(all.acceptedWaits.size).toBeGreaterThan(10);
    expect(all.acceptedWaits.get(0)).toBeGreaterThan(1); // task_ages that were a string, or missing
    expect(all.canceledWaits.size).toBeGreaterThan(10);
    expect(Object.keys(all.activityTime)).toHaveLength(3);
    expect(tallyEvents(events, { workspaceSid: WS, byTaskQueue: true }).size).toBe(3);
  });

  it(`queues at most ${MAX_QUEUED_STATISTICS} summaries and ${MAX_QUEUED_EVENT_READS} event reads, refuses the next with a 429, and reads again once they are answered`, async () => {
    const query = { workspaceSid: WS };
    const reads = [
      ...Array.from({ length: MAX_QUEUED_STATISTICS + 3 }, () => store.summarizeEvents(query)),
      ...Array.from({ length: MAX_QUEUED_EVENT_READS + 2 }, () => store.queryEvents({ ...query, limit: 1 })),
    ];
    const results = await Promise.allSettled(reads);
    const refused = results.map((r, i) => [i, r] as const).filter(([, r]) => r.status === 'rejected');
    // The last of each kind: the event reads have a thread of their own, not queued behind the summaries.
    const [s, e] = [MAX_QUEUED_STATISTICS, MAX_QUEUED_EVENT_READS];
    expect(refused.map(([i]) => i)).toEqual([s, s + 1, s + 2, s + 3 + e, s + 3 + e + 1]);
    for (const [, r] of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ status: 429, message: expect.stringContaining('retry') });
    expect(sorted(await store.summarizeEvents(query))).toEqual(sorted(tallyEvents(events, query)));
    expect(await store.queryEvents({ ...query, limit: 1 })).toHaveLength(1);
  });

  it('counts off the loop: no answer comes before the loop turns', async () => {
    expect(await answeredWithoutATurn(store.summarizeEvents({ workspaceSid: WS }))).toBe(false);
  });

  it('runs while the writer commits, and sees what was committed before it', async () => {
    const before = (await store.summarizeEvents({ workspaceSid: OTHER_WS })).get('')!;
    const extra = events.filter((e) => e.workspaceSid === OTHER_WS).map((e, i) => ({ ...e, sid: sid('EX', i) }));
    const reading = store.summarizeEvents({ workspaceSid: OTHER_WS });
    await store.commit({ changes: [], events: extra, deletedWorkspaces: [] });
    const during = (await reading).get('')!;
    const after = (await store.summarizeEvents({ workspaceSid: OTHER_WS })).get('')!;
    const total = (t: typeof before) => Object.values(t.counts).reduce((a, b) => a + b, 0);
    expect([total(before), total(before) + extra.length]).toContain(total(during));
    expect(total(after)).toBe(total(before) + extra.length);
    expect(after.counts).toEqual(Object.fromEntries(Object.entries(before.counts).map(([type, n]) => [type, n * 2])));
  });
});
