/**
 * Store benchmark: tasks per second created and routed through the real Hub, on the durable
 * SqliteStore against the in-memory MemoryStore, in one process and one run, and what group commit
 * buys. Run with `npx tsx bench/store.ts` (options: --tasks N --workers N --runs N
 * --dir PATH, where PATH should be on the disk a hub would use: fsync cost is the point).
 *
 * Workload: one workspace, W Available workers with capacity 50 on the default channel, a queue
 * all of them serve, a workflow; then T `task.create` dispatches. Each task is routed at once (a
 * reservation is created) and counted when its dispatch resolves, i.e. once it is durable.
 * "In flight" is how many dispatches are outstanding: 1 awaits each before the next (one commit
 * per task: no group commit); 16 and 256 keep that many going, as concurrent requests do, and the
 * hub commits each tick's tasks in one transaction. Runs alternate store and window, so a busy
 * moment hurts all alike; each figure is the median of its runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '../server/hub.js';
import { MemoryStore } from '../server/store/memory-store.js';
import { SqliteStore } from '../server/store/sqlite-store.js';
import { median } from './lib/median.js';
import type { CommitBatch, Store } from '../server/store/store.js';

interface Options {
  tasks: number;
  workers: number;
  runs: number;
  dir: string;
}

interface RunResult {
  tasksPerSecond: number;
  commits: number;
  msPerCommit: number;
}

const WINDOWS = [1, 16, 256] as const;
const STORES = ['sqlite', 'memory'] as const;
type StoreName = (typeof STORES)[number];

function parseArgs(): Options {
  const options: Options = { tasks: 4_000, workers: 200, runs: 5, dir: tmpdir() };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '');
    const value = args[i + 1];
    if (key === 'dir' && value) options.dir = value;
    else if ((key === 'tasks' || key === 'workers' || key === 'runs') && Number.isInteger(Number(value))) options[key] = Number(value);
    else throw new Error(`Unknown option ${args[i]} ${value ?? ''}`);
  }
  return options;
}

/** Counts commits and the time spent in them (for SQLite, the fsync included). */
class MeteredStore {
  commits = 0;
  commitMs = 0;

  constructor(readonly inner: Store) {
    const commit = inner.commit.bind(inner);
    inner.commit = async (batch: CommitBatch) => {
      const started = performance.now();
      await commit(batch);
      this.commitMs += performance.now() - started;
      this.commits += 1;
    };
  }
}

async function run(storeName: StoreName, window: number, tasks: number, options: Options): Promise<RunResult> {
  const dir = mkdtempSync(join(options.dir, 'switchboard-bench-store-'));
  const store = new MeteredStore(storeName === 'sqlite' ? await SqliteStore.open(dir) : new MemoryStore());
  const hub = await Hub.open({ store: store.inner, accountSid: `AC${'0'.repeat(32)}` });
  try {
    const ws = (await hub.createWorkspace({ friendlyName: 'Bench' })).sid;
    const must = async (command: Parameters<Hub['dispatch']>[1]) => {
      const outcome = await hub.dispatch(ws, command);
      if (!outcome.ok) throw outcome.error;
      return outcome.value as { sid: string };
    };
    const available = [...hub.engine(ws)!.state.activities.values()].find((a) => a.friendlyName === 'Available')!.sid;
    await Promise.all(
      Array.from({ length: options.workers }, async (_, i) => {
        const worker = await must({ type: 'worker.create', friendlyName: `w${i}`, activitySid: available });
        await must({ type: 'workerChannel.update', workerSid: worker.sid, sid: 'default', capacity: 50 });
      }),
    );
    const queue = await must({ type: 'taskQueue.create', friendlyName: 'All', targetWorkers: '1==1' });
    const workflow = await must({
      type: 'workflow.create',
      friendlyName: 'Main',
      configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }),
    });

    store.commits = 0;
    store.commitMs = 0;
    let next = 0;
    const started = performance.now();
    const lane = async () => {
      while (next < tasks) {
        next += 1;
        await must({ type: 'task.create', attributes: `{"n":${next}}`, workflowSid: workflow.sid });
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
    const seconds = (performance.now() - started) / 1_000;
    const offered = [...hub.engine(ws)!.state.reservations.values()].length;
    if (offered !== tasks) throw new Error(`${offered} of ${tasks} tasks were routed`);
    return { tasksPerSecond: tasks / seconds, commits: store.commits, msPerCommit: store.commitMs / Math.max(1, store.commits) };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseArgs();
  // One commit per task costs an fsync each: fewer tasks keep that row short; rates compare alike.
  const tasksFor = (window: number) => (window === 1 ? Math.min(options.tasks, 500) : options.tasks);
  const results = new Map<string, RunResult[]>();
  const load = loadavg()[0]!;
  console.log(`Store bench: ${options.workers} workers x capacity 50, ${options.runs} runs per cell, data in ${options.dir}, load average ${load.toFixed(2)}`);
  await run('sqlite', 16, 200, options); // warm-up: JIT, page cache, the driver
  for (let r = 0; r < options.runs; r += 1) {
    for (const window of WINDOWS) {
      for (const storeName of r % 2 ? [...STORES].reverse() : STORES) {
        const key = `${storeName}|${window}`;
        const result = await run(storeName, window, tasksFor(window), options);
        results.set(key, [...(results.get(key) ?? []), result]);
      }
    }
  }

  const cell = (storeName: StoreName, window: number) => {
    const list = results.get(`${storeName}|${window}`)!;
    return { rate: median(list.map((r) => r.tasksPerSecond)), commits: median(list.map((r) => r.commits)), ms: median(list.map((r) => r.msPerCommit)) };
  };
  const rows = [
    '| In flight | Tasks | SQLite tasks/s | Memory tasks/s | SQLite / memory | SQLite commits | Tasks per commit | ms per SQLite commit |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const window of WINDOWS) {
    const s = cell('sqlite', window);
    const m = cell('memory', window);
    const tasks = tasksFor(window);
    rows.push(
      `| ${window} | ${tasks} | ${Math.round(s.rate)} | ${Math.round(m.rate)} | ${(s.rate / m.rate).toFixed(2)}x | ${s.commits} | ${(tasks / s.commits).toFixed(1)} | ${s.ms.toFixed(2)} |`,
    );
  }
  const perChange = cell('sqlite', 1).rate;
  const grouped = cell('sqlite', 256).rate;
  console.log(rows.join('\n'));
  console.log(`\nGroup commit on SQLite: ${Math.round(grouped)} tasks/s with 256 in flight vs ${Math.round(perChange)} tasks/s committing each task alone (${(grouped / perChange).toFixed(1)}x).`);
  if (load > 1) console.log(`Note: the machine was busy (load average ${load.toFixed(2)}); figures are pessimistic.`);
}

await main();
