/**
 * Lifecycle benchmark: the CPU a task's whole life costs the hub, in-process, without sockets:
 * `task.create` (routing and its offers), the first offer accepted (the others rescinded), the task
 * completed, each dispatched like a transport does and counted once durable. Through the real Hub
 * on the durable SqliteStore against the in-memory MemoryStore (nothing written: the baseline), in
 * one run, alternating, for MaxReservedWorkers 1 and 50. CPU is the process's, all threads, and
 * split (Linux) into the main thread and the others: the store's writer thread, and V8's collector helpers.
 * On SQLite it also gives what a task's records, events and their indexes take on disk. Two more
 * stores from bench/hub/store-variants.ts, neither a product option: `lean-events` (SQLite without
 * the events' filter indexes) shows what those indexes cost the writer, and `event-blocks` (a
 * prototype writing a commit's events as one row, filters indexed per commit, on the calling
 * thread) what a lighter event store could save.
 *
 *   npm run bench:lifecycle [-- --workers 2000 --runs 3 --lanes 8]
 *
 * Lanes are lifecycles in flight at once, as concurrent agents make them (the hub group-commits
 * what a tick brings). Workers have attributes like an agent's; each run starts on a fresh store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../server/store/sqlite-store.js';
import { EventBlocksStore } from './hub/event-blocks-store.js';
import { openBenchStore } from './hub/store-variants.js';
import { benchHub } from './lib/bench-hub.js';
import { median } from './lib/median.js';
import { threadCpu } from './lib/thread-cpu.js';
import { intOptions } from './lib/int-options.js';

interface Options {
  workers: number;
  runs: number;
  lanes: number;
}

/** A scenario: the queue's MaxReservedWorkers, and how many lifecycles a run measures (after a tenth as many to warm up). */
const SCENARIOS = [
  { maxReservedWorkers: 1, tasks: 3_000 },
  { maxReservedWorkers: 50, tasks: 300 },
] as const;
const STORES = ['sqlite', 'lean-events', 'event-blocks', 'memory'] as const;
type StoreName = (typeof STORES)[number];

interface RunResult {
  /** Milliseconds of CPU per task: all threads, the main thread, the others. */
  cpu: number;
  main: number;
  others: number;
  tasksPerSecond: number;
  /** KiB the database grew by per task (records, events, indexes), on SQLite. */
  diskKib?: number;
}

async function run(storeName: StoreName, maxReservedWorkers: number, tasks: number, options: Options): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-lifecycle-'));
  const store = await openBenchStore(storeName, dir);
  const { hub, state, must, activity } = await benchHub(store);
  try {
    const available = activity('Available');
    for (let i = 0; i < options.workers; i += 100) {
      const batch = Array.from({ length: Math.min(100, options.workers - i) }, (_, j) => i + j);
      await Promise.all(
        batch.map((n) =>
          must({ type: 'worker.create', friendlyName: `agent-${n}`, activitySid: available, attributes: JSON.stringify({ skills: ['support', 'billing'], languages: ['en'], level: n % 5 }) }),
        ),
      );
    }
    const queue = await must({ type: 'taskQueue.create', friendlyName: 'All', targetWorkers: '1==1', maxReservedWorkers });
    const workflow = await must({
      type: 'workflow.create',
      friendlyName: 'Main',
      configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }),
    });

    let next = 0;
    const lane = async (until: number) => {
      while (next < until) {
        next += 1;
        const task = await must({ type: 'task.create', attributes: JSON.stringify({ type: 'support', customer: `C-${next}`, priority: 'normal' }), workflowSid: workflow.sid });
        const offers = [...(state.pendingOfTask.get(task.sid) ?? [])];
        if (offers.length !== Math.min(maxReservedWorkers, options.workers)) throw new Error(`task ${next}: ${offers.length} offers`);
        const winner = offers[0]!;
        await must({ type: 'reservation.update', sid: winner.sid, status: 'accepted' }, { type: 'worker', sid: winner.workerSid });
        await must({ type: 'task.update', sid: task.sid, assignmentStatus: 'completed', reason: 'resolved' });
      }
    };
    const lanes = (until: number) => Promise.all(Array.from({ length: options.lanes }, () => lane(until)));
    await lanes(Math.ceil(tasks / 10));

    // The database's size in bytes as its readers see it (the WAL's pages included).
    const size = () => {
      const file = store instanceof SqliteStore || store instanceof EventBlocksStore ? store.file : undefined;
      if (!file) return 0;
      const db = new Database(file, { readonly: true });
      try {
        return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
      } finally {
        db.close();
      }
    };
    const sizeBefore = size();
    const threads = threadCpu();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await lanes(next + tasks);
    const seconds = (performance.now() - started) / 1_000;
    const used = process.cpuUsage(cpu);
    const mainTid = String(process.pid);
    let main = 0;
    let others = 0;
    for (const [tid, ms] of threadCpu()) {
      const spent = ms - (threads.get(tid) ?? 0);
      if (tid === mainTid) main += spent;
      else others += spent;
    }
    const diskKib = storeName === 'memory' ? undefined : (size() - sizeBefore) / 1024 / tasks;
    return { cpu: (used.user + used.system) / 1_000 / tasks, main: main / tasks, others: others / tasks, tasksPerSecond: tasks / seconds, diskKib };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = intOptions<Options>({ workers: 2_000, runs: 3, lanes: 8 });
  const load = loadavg()[0]!;
  console.log(`Lifecycle bench: ${options.workers} workers, ${options.lanes} lifecycles in flight, ${options.runs} runs per cell, load average ${load.toFixed(2)}`);
  await run('sqlite', 50, 30, options); // warm-up: JIT, page cache, the driver
  const results = new Map<string, RunResult[]>();
  for (let r = 0; r < options.runs; r += 1) {
    for (const scenario of SCENARIOS) {
      for (const storeName of r % 2 ? [...STORES].reverse() : STORES) {
        const key = `${storeName}|${scenario.maxReservedWorkers}`;
        results.set(key, [...(results.get(key) ?? []), await run(storeName, scenario.maxReservedWorkers, scenario.tasks, options)]);
      }
    }
  }
  const ms = (n: number) => n.toFixed(n < 1 ? 3 : 2);
  const rows = [
    '| MaxReservedWorkers | Store | CPU per task, all threads (ms, median / runs) | Main thread | Other threads (writer, GC) | Tasks/s | CPU vs memory store | Disk per task (KiB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { maxReservedWorkers } of SCENARIOS) {
    const memory = median(results.get(`memory|${maxReservedWorkers}`)!.map((r) => r.cpu));
    for (const storeName of STORES) {
      const list = results.get(`${storeName}|${maxReservedWorkers}`)!;
      const cpu = median(list.map((r) => r.cpu));
      const disk = storeName !== 'memory' ? median(list.map((r) => r.diskKib ?? 0)).toFixed(1) : '—';
      rows.push(
        `| ${maxReservedWorkers} | ${storeName} | ${ms(cpu)} (${list.map((r) => ms(r.cpu)).join(' / ')}) | ${ms(median(list.map((r) => r.main)))} | ${ms(median(list.map((r) => r.others)))} | ${Math.round(median(list.map((r) => r.tasksPerSecond)))} | ${(cpu / memory).toFixed(2)}x | ${disk} |`,
      );
    }
  }
  console.log(rows.join('\n'));
  if (load > 1) console.log(`Note: the machine was busy (load average ${load.toFixed(2)}); figures are pessimistic.`);
}

await main();
