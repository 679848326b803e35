/**
 * Event-write benchmark: what an event costs the SQLite store's writer thread by the size of the
 * commit that brings it, with the store as it ships (a small commit's events appended to
 * `recent_events`, moved into the indexed `events` table `EVENT_MOVE_ROWS` at a time) against the
 * same store writing every event straight into `events` (its filter indexes updated per commit),
 * side by side in one run, alternating. Events are shaped like the hub's (a reservation's, with
 * the task's and worker's data), of 10,000 workers, committed one commit after another as the hub
 * does; the time to move what is left is counted.
 *
 *   npm run bench:event-writes [-- --events 30000 --runs 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventRecord } from '../server/engine/model.js';
import { DATABASE_FILE, EVENT_MOVE_ROWS, SqliteStore } from '../server/store/sqlite-store.js';
import { waitFor } from '../server/durability/wait-for.js';
import { median } from './lib/median.js';
import { threadCpu } from './lib/thread-cpu.js';
import { intOptions } from './lib/int-options.js';

const COMMIT_SIZES = [3, 6, 16, 64] as const;
/** A move size whose quarter is 1: every commit writes its events straight into `events`, as before `recent_events`. */
const STRAIGHT = 4;
const VARIANTS = [
  ['through recent_events', EVENT_MOVE_ROWS],
  ['straight into events', STRAIGHT],
] as const;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const WS = `WS${'7'.repeat(32)}`;
const TYPES = ['task.created', 'task-queue.entered', 'reservation.created', 'reservation.accepted', 'reservation.completed', 'task.completed'];

/** The n-th event of a run: six per task, as a plain task's life writes them; SIDs in time order, as the hub draws them. */
function eventOf(n: number, t0: number): EventRecord {
  const task = Math.floor(n / 6);
  const eventType = TYPES[n % 6]!;
  const taskSid = `WT${hex(task, 32)}`;
  const data: Record<string, unknown> = {
    task_sid: taskSid,
    task_attributes: '{"type":"support","customer":"C-1042","priority":"normal"}',
    task_age: 0,
    task_assignment_status: 'reserved',
    task_channel_sid: `TC${'3'.repeat(32)}`,
    task_channel_unique_name: 'default',
    task_queue_sid: `WQ${'1'.repeat(32)}`,
    task_queue_name: 'All',
    workflow_sid: `WW${'2'.repeat(32)}`,
    workflow_name: 'Main',
  };
  if (eventType.startsWith('reservation')) {
    const worker = (task * 7_919) % 10_000;
    Object.assign(data, {
      worker_sid: `WK${hex(worker, 32)}`,
      worker_name: `agent-${worker}`,
      worker_attributes: '{"skills":["support","billing"],"languages":["en"],"level":3}',
      worker_activity_sid: `WA${'4'.repeat(32)}`,
      worker_activity_name: 'Available',
      reservation_sid: `WR${hex(task, 32)}`,
      reservation_status: 'pending',
    });
  }
  return {
    sid: `EV${hex(t0 + n, 12)}${hex(n, 20)}`,
    workspaceSid: WS,
    date: t0 + n,
    eventType,
    description: `${eventType} ${taskSid}`,
    resourceType: eventType.startsWith('reservation') ? 'reservation' : 'task',
    resourceSid: taskSid,
    actorType: 'account',
    actorSid: null,
    workerSid: null,
    data,
  };
}

/** CPU of the threads other than the main one (the writer's, mostly), in ms. */
function othersCpu(): number {
  let sum = 0;
  for (const [tid, ms] of threadCpu()) if (tid !== String(process.pid)) sum += ms;
  return sum;
}

/** Commits `events` events `size` at a time, then waits for the moves; µs of the writer's CPU and of wall time per event. */
async function run(moveRows: number, size: number, events: number): Promise<{ cpu: number; wall: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-events-'));
  const store = await SqliteStore.open(dir, { eventMoveRows: moveRows });
  const peek = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    await store.commit({ changes: [{ workspaceSid: WS, kind: 'workspace', sid: WS, json: '{}' }], events: [], deletedWorkspaces: [] });
    const t0 = Date.now();
    const cpu = othersCpu();
    const started = performance.now();
    for (let n = 0; n < events; n += size) {
      await store.commit({ changes: [], events: Array.from({ length: Math.min(size, events - n) }, (_, i) => eventOf(n + i, t0)), deletedWorkspaces: [] });
    }
    const recent = peek.prepare('SELECT count(*) FROM recent_events').pluck();
    await waitFor(() => (recent.get() as number) < moveRows, { timeoutMs: 60_000, everyMs: 5, what: 'the moves done' });
    return { cpu: ((othersCpu() - cpu) * 1_000) / events, wall: ((performance.now() - started) * 1_000) / events };
  } finally {
    peek.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = intOptions({ events: 30_000, runs: 3 });
  const load = loadavg()[0]!;
  console.log(`Event-write bench: ${options.events} events per run, ${options.runs} runs per cell, moves of ${EVENT_MOVE_ROWS}, load average ${load.toFixed(2)}`);
  await run(EVENT_MOVE_ROWS, 16, 3_000); // warm-up: the driver, the page cache
  const results = new Map<string, Array<{ cpu: number; wall: number }>>();
  for (let r = 0; r < options.runs; r += 1) {
    for (const size of COMMIT_SIZES) {
      for (const [name, moveRows] of r % 2 ? [...VARIANTS].reverse() : VARIANTS) {
        const key = `${size}|${name}`;
        results.set(key, [...(results.get(key) ?? []), await run(moveRows, size, options.events)]);
      }
    }
  }
  const rows = [
    '| Events per commit | Writer CPU per event, through recent_events (µs, median / runs) | Straight into events | Ratio | Wall per event, through / straight (µs) |',
    '| --- | --- | --- | --- | --- |',
  ];
  const us = (n: number) => n.toFixed(1);
  for (const size of COMMIT_SIZES) {
    const [through, straight] = VARIANTS.map(([name]) => results.get(`${size}|${name}`)!);
    const cpu = [median(through!.map((r) => r.cpu)), median(straight!.map((r) => r.cpu))] as const;
    const wall = [median(through!.map((r) => r.wall)), median(straight!.map((r) => r.wall))] as const;
    rows.push(
      `| ${size} | ${us(cpu[0])} (${through!.map((r) => us(r.cpu)).join(' / ')}) | ${us(cpu[1])} (${straight!.map((r) => us(r.cpu)).join(' / ')}) | ${(cpu[0] / cpu[1]).toFixed(2)}x | ${us(wall[0])} / ${us(wall[1])} |`,
    );
  }
  console.log(rows.join('\n'));
  console.log(`Commits of ${EVENT_MOVE_ROWS / 4} events or more write them straight into events either way.`);
  if (load > 1) console.log(`Note: the machine was busy (load average ${load.toFixed(2)}); figures are pessimistic.`);
}

await main();
