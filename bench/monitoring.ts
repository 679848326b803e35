/**
 * Monitoring reads benchmark: how long the reads an operator's tools repeat hold the hub's event
 * loop with many agents connected, every offer of that moment waiting them out. A `/metrics` scrape
 * (Prometheus: every 15 s or so) and a wallboard's real-time statistics of every queue (every few
 * seconds). Baselines, in the same run, the code before: prom-client's default collectors as they
 * come (they list every open handle and read `/proc/self/fd` synchronously), the workers gauge set
 * worker by worker, and each queue's members read three times over (a list of them, their
 * activities, the available ones).
 *
 *   npm run bench:monitoring [-- --sockets 9000 --workers 10000 --runs 7]
 *
 * The sockets are idle TCP connections from a child process to this one, so this process holds one
 * socket per agent as the hub does (at most about 20,000 open files a process here). The workers
 * are in 5 of 20 queues each. Figures are medians over the runs (each way in turn, the order
 * reversed every other run) of the longest loop turn while the work runs (an async scrape yields
 * between its collectors) and of its whole time. The hub's whole scrape has no "before" row: the
 * two parts that changed are measured apart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { WorkerRecord } from '../server/engine/model.js';
import type { WorkspaceState } from '../server/engine/workspace-state.js';
import { activityStatistics, queueRealtime } from '../server/http/statistics/realtime.js';
import { Metrics, processMetrics } from '../server/observability/metrics.js';
import { collectHubState, type StateGauges } from '../server/observability/state-gauges.js';
import { MemoryStore } from '../server/store/memory-store.js';
import type { Hub } from '../server/hub.js';
import { benchHub } from './lib/bench-hub.js';
import { intOptions } from './lib/int-options.js';
import { median } from './lib/median.js';

const options = intOptions({ sockets: 9_000, workers: 10_000, runs: 7 });
const QUEUES = 20;

/** The child's code: opens `count` connections to `port`, says so, and holds them until killed. */
const HOLDER = `
const { connect } = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
// A few hundred at a time: thousands of SYNs at once overflow the listen queue and stall in retries.
const batch = (n) => Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => connect(port, '127.0.0.1', resolve).on('error', reject))));
(async () => {
  for (let open = 0; open < count; open += 200) await batch(Math.min(200, count - open));
  process.send('ready');
})().catch((error) => { console.error(error.message); process.exit(1); });`;

async function holdSockets(count: number): Promise<{ server: Server; child: ChildProcess; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const child = spawn(process.execPath, ['-e', HOLDER, String(port), String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the socket holder stopped (exit ${code})`)));
  });
  while (accepted.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
  return { server, child, accepted };
}

/** Runs `work` and reports its whole time and the longest loop turn meanwhile, in ms. */
async function onTheLoop(work: () => unknown): Promise<{ total: number; longestTurn: number }> {
  let longestTurn = 0;
  let last = performance.now();
  let running = true;
  const watch = () => {
    const now = performance.now();
    longestTurn = Math.max(longestTurn, now - last);
    last = now;
    if (running) setImmediate(watch);
  };
  setImmediate(watch);
  await new Promise((resolve) => setImmediate(resolve));
  last = performance.now();
  const started = last;
  await work();
  const total = performance.now() - started;
  longestTurn = Math.max(longestTurn, performance.now() - last);
  running = false;
  return { total, longestTurn };
}

/** The baseline's workers gauge: one labelled update per worker, as the hub set it before. */
function workersOneByOne(hub: Hub, gauge: Gauge<string>): void {
  for (const engine of hub.workspaces()) {
    const s = engine.state;
    const names = new Map([...s.activities.values()].map((a) => [a.sid, a.friendlyName]));
    for (const worker of s.workers.values()) gauge.inc({ workspace: s.workspace.friendlyName, activity: names.get(worker.activitySid) ?? 'other' });
  }
}

/** The baseline's worker part of a queue's real-time statistics: the members listed, then counted twice. */
function membersReadThrice(s: WorkspaceState, queueSid: string): Record<string, unknown> {
  const members = [...(s.routing.members.get(queueSid) ?? [])].map((sid) => s.workers.get(sid)).filter((w): w is WorkerRecord => w !== undefined);
  return {
    activity_statistics: activityStatistics(s, members),
    total_available_workers: members.filter((w) => s.activities.get(w.activitySid)?.available).length,
    total_eligible_workers: members.length,
  };
}

/** The same figures as the hub reads them now. */
function membersNow(s: WorkspaceState, queueSid: string, now: number): Record<string, unknown> {
  const r = queueRealtime(s, queueSid, now);
  return { activity_statistics: r['activity_statistics'], total_available_workers: r['total_available_workers'], total_eligible_workers: r['total_eligible_workers'] };
}

async function main(): Promise<void> {
  console.log(`Monitoring bench: ${options.sockets} connected sockets, ${options.workers} workers, ${options.runs} runs, load average ${loadavg()[0]!.toFixed(2)}`);
  const { hub, state, must, activity } = await benchHub(new MemoryStore());
  const queues: string[] = [];
  for (let q = 0; q < QUEUES; q += 1) queues.push((await must({ type: 'taskQueue.create', friendlyName: `Queue ${q}`, targetWorkers: `skills HAS "q${q}"` })).sid);
  // Two in three available, the rest in other activities; no task waits, so nothing is offered.
  const activities = [activity('Available'), activity('Available'), activity('Unavailable')];
  for (let i = 0; i < options.workers; i += 100) {
    const batch = Array.from({ length: Math.min(100, options.workers - i) }, (_, j) => i + j);
    await Promise.all(
      batch.map((n) => {
        const skills = Array.from({ length: 5 }, (_, k) => `q${(n + k * 4) % QUEUES}`);
        return must({ type: 'worker.create', friendlyName: `agent-${n}`, activitySid: activities[n % 3], attributes: JSON.stringify({ skills }) });
      }),
    );
  }
  const now = Date.now();
  for (const q of queues) {
    if (!isDeepStrictEqual(membersReadThrice(state, q), membersNow(state, q, now))) throw new Error(`the two ways disagree on queue ${q}`);
  }
  const metrics = new Metrics();
  metrics.observeHub(hub);
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, eventLoopMonitoringPrecision: 10 });
  const scratch = new Registry();
  const workersGauge = new Gauge({ name: 'bench_workers', help: 'workers', labelNames: ['workspace', 'activity'], registers: [scratch] });
  const stateGauges: StateGauges = {
    workspaces: new Gauge({ name: 'bench_workspaces', help: 'workspaces', registers: [scratch] }),
    workers: new Gauge({ name: 'bench_state_workers', help: 'workers', labelNames: ['workspace', 'activity'], registers: [scratch] }),
    tasks: new Gauge({ name: 'bench_tasks', help: 'tasks', labelNames: ['workspace', 'queue', 'status'], registers: [scratch] }),
  };
  const held = await holdSockets(options.sockets);
  try {
    const ways = {
      'process metrics: prom-client defaults (before)': () => defaults.metrics(),
      'process metrics: the hub (now)': () => processMetrics().metrics(),
      'workers gauge: worker by worker (before)': () => {
        workersGauge.reset();
        workersOneByOne(hub, workersGauge);
      },
      'state gauges, workers counted per activity (now)': () => {
        for (const gauge of Object.values(stateGauges)) gauge.reset();
        collectHubState(hub, stateGauges);
      },
      'whole scrape of the hub (now)': () => metrics.scrape(),
      [`wallboard: ${QUEUES} queues' workers, members read three times (before)`]: () => queues.map((q) => membersReadThrice(state, q)),
      [`wallboard: ${QUEUES} queues' real-time statistics, members in one pass (now)`]: () => queues.map((q) => queueRealtime(state, q, now)),
    };
    const figures = new Map<string, { total: number[]; longestTurn: number[] }>(Object.keys(ways).map((w) => [w, { total: [], longestTurn: [] }]));
    const names = Object.keys(ways) as (keyof typeof ways)[];
    for (let run = 0; run < options.runs + 1; run += 1) {
      for (const name of run % 2 === 0 ? names : [...names].reverse()) {
        const measured = await onTheLoop(ways[name]);
        // The first run warms the code up and is not counted.
        if (run > 0) {
          figures.get(name)!.total.push(measured.total);
          figures.get(name)!.longestTurn.push(measured.longestTurn);
        }
      }
    }
    console.log(`\n| With ${options.sockets.toLocaleString('en-US')} sockets, ${options.workers.toLocaleString('en-US')} workers | Longest loop turn (ms, median) | Whole time (ms, median) |\n| --- | --- | --- |`);
    for (const [name, f] of figures) console.log(`| ${name} | ${median(f.longestTurn).toFixed(2)} | ${median(f.total).toFixed(2)} |`);
  } finally {
    held.child.kill();
    for (const socket of held.accepted) socket.destroy();
    held.server.close();
    await hub.close();
  }
}

await main();
