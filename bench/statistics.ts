/**
 * Statistics benchmark: what one cumulative statistics request costs the hub's event loop, on the
 * durable SqliteStore, with a window of N events. Baseline, in the same run: the window's events
 * read into the loop and counted there (`queryEvents` + `tallyEvents`, how the hub answered before
 * the store counted them in SQL on its reader thread). Both give the same body, checked.
 *
 *   npm run bench:statistics [-- --events 100000,400000 --runs 3]
 *
 * The events are a real hub's: task lifecycles (create, offer, accept, complete) and activity
 * changes run through the Hub on the memory store, then copied with fresh SIDs and dates spread
 * over the default 15-minute window until there are N. Runs alternate the two ways; each figure is
 * the median of its runs: the request's wall time, the loop's longest stall meanwhile (the
 * largest gap between turns of a 1 ms interval), and the main thread's CPU.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { EventRecord } from '../server/engine/model.js';
import { cumulative } from '../server/http/statistics/cumulative.js';
import { emptyTally, tallyEvents, type EventSummaryQuery } from '../server/store/event-summary.js';
import { MemoryStore } from '../server/store/memory-store.js';
import { SqliteStore } from '../server/store/sqlite-store.js';
import { benchHub } from './lib/bench-hub.js';
import { median } from './lib/median.js';
import { threadCpu } from './lib/thread-cpu.js';

const WINDOW_MS = 15 * 60_000;
const WAYS = ['in the loop (baseline)', 'in SQL, reader thread'] as const;
type Way = (typeof WAYS)[number];

function parseArgs(): { sizes: number[]; runs: number } {
  const options = { sizes: [100_000, 400_000], runs: 3 };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '');
    const value = args[i + 1] ?? '';
    if (key === 'events' && /^\d+(,\d+)*$/.test(value)) options.sizes = value.split(',').map(Number);
    else if (key === 'runs' && Number.isInteger(Number(value)) && Number(value) > 0) options.runs = Number(value);
    else throw new Error(`Unknown option ${args[i]} ${value}`);
  }
  return options;
}

/** A real hub's events: 500 task lifecycles over 100 workers, a tenth of them changing activity after. */
async function sampleEvents(): Promise<EventRecord[]> {
  const store = new MemoryStore();
  const { hub, ws, state, must, activity } = await benchHub(store);
  const workers = [];
  for (let n = 0; n < 100; n += 1) {
    workers.push(await must({ type: 'worker.create', friendlyName: `agent-${n}`, activitySid: activity('Available'), attributes: JSON.stringify({ skills: ['support'], level: n % 5 }) }));
  }
  const queue = await must({ type: 'taskQueue.create', friendlyName: 'All', targetWorkers: '1==1' });
  const workflow = await must({ type: 'workflow.create', friendlyName: 'Main', configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }) });
  for (let n = 0; n < 500; n += 1) {
    const task = await must({ type: 'task.create', attributes: JSON.stringify({ type: 'support', customer: `C-${n}`, priority: 'normal' }), workflowSid: workflow.sid });
    const offer = [...(state.pendingOfTask.get(task.sid) ?? [])][0]!;
    await must({ type: 'reservation.update', sid: offer.sid, status: 'accepted' }, { type: 'worker', sid: offer.workerSid });
    await must({ type: 'task.update', sid: task.sid, assignmentStatus: 'completed', reason: 'resolved' });
    if (n % 10 === 0) {
      const worker = workers[n % workers.length]!.sid;
      await must({ type: 'worker.update', sid: worker, activitySid: activity('Offline') });
      await must({ type: 'worker.update', sid: worker, activitySid: activity('Available') });
    }
  }
  await hub.close();
  return store.queryEvents({ workspaceSid: ws, limit: Number.MAX_SAFE_INTEGER });
}

/** A SQLite store holding `size` copies of the sample's events, their dates spread over the window before `now`. */
async function filledStore(dir: string, sample: EventRecord[], size: number, now: number): Promise<SqliteStore> {
  const store = await SqliteStore.open(dir);
  for (let made = 0; made < size; ) {
    const events: EventRecord[] = [];
    for (; events.length < 5_000 && made < size; made += 1) {
      const e = sample[made % sample.length]!;
      events.push({ ...e, sid: `EV${made.toString(16).padStart(32, '0')}`, date: now - WINDOW_MS + Math.floor((made / size) * (WINDOW_MS - 1_000)) });
    }
    await store.commit({ changes: [], events, deletedWorkspaces: [] });
  }
  return store;
}

interface Measured {
  wallMs: number;
  stallMs: number;
  mainCpuMs: number;
  body: unknown;
}

async function measure(store: SqliteStore, way: Way, query: EventSummaryQuery, window: { start: number; end: number }): Promise<Measured> {
  // The loop's longest stall: the largest gap between turns of a 1 ms interval.
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    stallMs = Math.max(stallMs, t - last);
    last = t;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const mainTid = String(process.pid);
  const cpuBefore = threadCpu().get(mainTid) ?? 0;
  const started = performance.now();
  const tally =
    way === 'in SQL, reader thread'
      ? ((await store.summarizeEvents(query)).get('') ?? emptyTally())
      : (tallyEvents(await store.queryEvents({ ...query, limit: 1_000_000_000 }), query).get('') ?? emptyTally());
  const body = cumulative(tally, window, [30, 60, 120]);
  const wallMs = performance.now() - started;
  const mainCpuMs = (threadCpu().get(mainTid) ?? 0) - cpuBefore;
  // One more turn, so a stall that ended the request is counted.
  await new Promise((resolve) => setTimeout(resolve, 5));
  clearInterval(ticker);
  return { wallMs, stallMs, mainCpuMs, body };
}

/** Thread CPU is counted in 10 ms clock ticks: less than one reads as 0. */
const cpu = (ms: number) => (ms < 10 ? '< 10' : ms.toFixed(0));

async function main(): Promise<void> {
  const { sizes, runs } = parseArgs();
  console.log(`statistics bench: sizes ${sizes.join(', ')} events, ${runs} runs each way, alternating; load ${loadavg()[0]!.toFixed(2)}`);
  const sample = await sampleEvents();
  const types = new Map<string, number>();
  for (const e of sample) types.set(e.eventType, (types.get(e.eventType) ?? 0) + 1);
  console.log(`sample: ${sample.length} events of a real hub (${[...types].map(([t, n]) => `${t} ${n}`).join(', ')}), ${Math.round(sample.reduce((n, e) => n + JSON.stringify(e).length, 0) / sample.length)} B of JSON each`);
  const rows: string[] = [];
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-statistics-'));
    const now = Date.now();
    const store = await filledStore(dir, sample, size, now);
    try {
      const window = { start: now - WINDOW_MS, end: now };
      const query: EventSummaryQuery = { workspaceSid: sample[0]!.workspaceSid, startDate: window.start, endDate: window.end };
      const results = new Map<Way, Measured[]>(WAYS.map((w) => [w, []]));
      for (let run = 0; run < runs; run += 1) {
        for (const way of run % 2 === 0 ? WAYS : [...WAYS].reverse()) results.get(way)!.push(await measure(store, way, query, window));
      }
      const [baseline, sql] = WAYS.map((w) => results.get(w)!);
      if (!isDeepStrictEqual(baseline![0]!.body, sql![0]!.body)) throw new Error(`the two ways disagree at ${size} events`);
      const figure = (list: Measured[], key: 'wallMs' | 'stallMs' | 'mainCpuMs') => median(list.map((m) => m[key]));
      for (const way of WAYS) {
        const list = results.get(way)!;
        rows.push(`| ${size.toLocaleString('en-US')} | ${way} | ${figure(list, 'wallMs').toFixed(0)} | ${figure(list, 'stallMs').toFixed(0)} | ${cpu(figure(list, 'mainCpuMs'))} |`);
      }
      const ratio = (key: 'wallMs' | 'stallMs') => (figure(baseline!, key) / Math.max(1, figure(sql!, key))).toFixed(1);
      console.log(`${size} events: same body both ways; baseline / SQL: request ${ratio('wallMs')}x, longest loop stall ${ratio('stallMs')}x`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log('\n| Events in the window | Counted | Request (ms) | Longest loop stall (ms) | Main-thread CPU (ms) |\n| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

await main();
