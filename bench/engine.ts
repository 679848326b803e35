/**
 * Routing engine benchmark: the indexed WorkspaceEngine against a naive scan-everything router on the
 * same workload, in one process. Run with `npx tsx bench/engine.ts` (options: --workers N --tasks N
 * --queues N --available FRACTION --seed N --rounds N; with several rounds, run alternately, each figure
 * is the best of its rounds, which filters out a busy machine's preemptions).
 *
 * Workload: N workers with ~3 skills each out of Q queues (`skills HAS 'qK'`), a fraction of them
 * available; a workflow with one filter per queue routing on the task's `queue` attribute; T tasks
 * created one by one. Then rounds: accept every pending offer, complete every assigned task (the freed
 * worker is routed to its next waiting task), until every task is done. A *decision* is a step that
 * creates an offer: a task arriving to a free worker, or a freed worker picking a waiting task.
 * Both routers see the same commands at the same clock times and must make the same decisions.
 * Last, `worker.create` into a workspace of N workers, its name looked up in the workspace's name
 * index, against the same step after a read of every worker's name (the check before the index); a
 * restore's rebuild of every queue's members and ready sets, in one pass over the workers against one per queue;
 * and `taskQueue.create` and `taskQueue.update`, which match a queue's members among every worker.
 */
import { compileExpression, type CompiledExpression } from '../server/engine/expression/index.js';
import { WorkspaceEngine } from '../server/engine/engine.js';
import type { Command } from '../server/engine/commands.js';
import type { Effect } from '../server/engine/effects.js';
import type { SidPrefix } from '../shared/sid.js';
import { loadavg } from 'node:os';

interface Config {
  workers: number;
  queues: number;
  tasks: number;
  available: number;
  seed: number;
  rounds: number;
}

/** A router under test, driven by task and worker indexes. */
interface Router {
  readonly name: string;
  /** Creates task `i`; returns the worker offered it, or null when it waits. */
  createTask(i: number, now: number): number | null;
  /** Accepts the pending offer of task `i`. */
  accept(i: number, now: number): void;
  /** Completes task `i`; returns the task its freed worker was offered next, or null. */
  complete(i: number, now: number): number | null;
}

interface Workload {
  workerSkills: string[][];
  workerAvailable: boolean[];
  taskQueue: number[];
  taskPriority: number[];
}

function parseArgs(): Config {
  const config: Config = { workers: 10_000, queues: 100, tasks: 10_000, available: 0.25, seed: 1, rounds: 1 };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') as keyof Config;
    const value = Number(args[i + 1]);
    if (!(key in config) || !Number.isFinite(value)) throw new Error(`Unknown option ${args[i]} ${args[i + 1]}`);
    config[key] = value;
  }
  return config;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeWorkload(config: Config): Workload {
  const random = mulberry32(config.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const workerSkills: string[][] = [];
  const workerAvailable: boolean[] = [];
  for (let w = 0; w < config.workers; w += 1) {
    const skills = new Set<string>();
    while (skills.size < Math.min(3, config.queues)) skills.add(`q${pick(config.queues)}`);
    workerSkills.push([...skills]);
    workerAvailable.push(random() < config.available);
  }
  const taskQueue: number[] = [];
  const taskPriority: number[] = [];
  for (let t = 0; t < config.tasks; t += 1) {
    taskQueue.push(pick(config.queues));
    taskPriority.push(random() < 0.1 ? 1 : 0);
  }
  return { workerSkills, workerAvailable, taskQueue, taskPriority };
}

function counterIds(): (prefix: SidPrefix) => string {
  let n = 0;
  return (prefix) => prefix + (n += 1).toString(16).padStart(32, '0');
}

/** The Switchboard engine, with its indexes. */
/** A new workspace's engine, its clock at `now`. */
function emptyEngine(now: number): WorkspaceEngine {
  return WorkspaceEngine.create({ accountSid: 'AC' + '0'.repeat(32), friendlyName: 'bench' }, now, counterIds()).engine;
}

class EngineRouter implements Router {
  readonly name = 'indexed engine';
  /** The workload's workspace: its queues, workflow and workers. */
  readonly engine: WorkspaceEngine;
  private readonly workerSids: string[] = [];
  private readonly workerIndex = new Map<string, number>();
  private readonly taskSids: string[] = [];
  private readonly taskIndex = new Map<string, number>();
  private readonly offerOf = new Map<number, string>();

  constructor(config: Config, private readonly load: Workload, now: number) {
    this.engine = emptyEngine(now);
    const activities = [...this.engine.state.activities.values()];
    const available = activities.find((a) => a.friendlyName === 'Available')!.sid;
    const offline = activities.find((a) => a.friendlyName === 'Offline')!.sid;
    const queueSids: string[] = [];
    for (let q = 0; q < config.queues; q += 1) {
      queueSids.push(this.must({ type: 'taskQueue.create', friendlyName: `Queue ${q}`, targetWorkers: `skills HAS 'q${q}'` }, now) as string);
    }
    const filters = queueSids.map((queue, q) => ({ filter_friendly_name: `q${q}`, expression: `queue == 'q${q}'`, targets: [{ queue }] }));
    this.must({ type: 'workflow.create', friendlyName: 'Route', configuration: JSON.stringify({ task_routing: { filters } }) }, now);
    for (let w = 0; w < config.workers; w += 1) {
      now += 1;
      const sid = this.must(
        {
          type: 'worker.create',
          friendlyName: `Worker ${w}`,
          attributes: JSON.stringify({ skills: load.workerSkills[w] }),
          activitySid: load.workerAvailable[w] ? available : offline,
        },
        now,
      ) as string;
      this.workerSids.push(sid);
      this.workerIndex.set(sid, w);
    }
  }

  private must(command: Parameters<WorkspaceEngine['step']>[0], now: number): unknown {
    const result = this.engine.step(command, now);
    if (!result.ok) throw new Error(`${command.type}: ${result.error.message}`);
    return (result.value as { sid?: string }).sid ?? result.value;
  }

  private offered(effects: Effect[]): { task: number; worker: number; reservation: string } | null {
    for (const effect of effects) {
      if (effect.type !== 'event' || effect.event.eventType !== 'reservation.created') continue;
      const data = effect.event.data as { task_sid: string; worker_sid: string };
      return { task: this.taskIndex.get(data.task_sid)!, worker: this.workerIndex.get(data.worker_sid)!, reservation: effect.event.resourceSid };
    }
    return null;
  }

  createTask(i: number, now: number): number | null {
    const result = this.engine.step(
      { type: 'task.create', attributes: `{"queue":"q${this.load.taskQueue[i]}","n":${i}}`, priority: this.load.taskPriority[i]! },
      now,
    );
    if (!result.ok) throw new Error(result.error.message);
    const sid = (result.value as { sid: string }).sid;
    this.taskSids[i] = sid;
    this.taskIndex.set(sid, i);
    const offer = this.offered(result.effects);
    if (offer) this.offerOf.set(offer.task, offer.reservation);
    return offer?.worker ?? null;
  }

  accept(i: number, now: number): void {
    const result = this.engine.step({ type: 'reservation.update', sid: this.offerOf.get(i)!, status: 'accepted' }, now);
    if (!result.ok) throw new Error(result.error.message);
  }

  complete(i: number, now: number): number | null {
    const result = this.engine.step({ type: 'task.update', sid: this.taskSids[i]!, assignmentStatus: 'completed' }, now);
    if (!result.ok) throw new Error(result.error.message);
    const offer = this.offered(result.effects);
    if (offer) this.offerOf.set(offer.task, offer.reservation);
    return offer?.task ?? null;
  }
}

/**
 * What one would write without indexes: every decision scans all workers (task arrival) or all tasks
 * (worker freed), evaluating the queue expression for each candidate. Same expression evaluator, same
 * selection rules (priority, then oldest; longest idle first); no events, no persistence.
 */
class NaiveRouter implements Router {
  readonly name = 'naive scan';
  private readonly queues: CompiledExpression[] = [];
  private readonly filters: { expression: CompiledExpression; queue: number }[] = [];
  private readonly workers: { view: Record<string, unknown>; available: boolean; busy: boolean; idleSince: number }[] = [];
  private readonly tasks: { attributes: Record<string, unknown>; queue: number; priority: number; createdAt: number; status: string; worker: number }[] = [];

  constructor(config: Config, private readonly load: Workload, now: number) {
    const compile = (source: string) => {
      const result = compileExpression(source);
      if (!result.ok) throw new Error(source);
      return result.expression;
    };
    for (let q = 0; q < config.queues; q += 1) {
      this.queues.push(compile(`skills HAS 'q${q}'`));
      this.filters.push({ expression: compile(`queue == 'q${q}'`), queue: q });
    }
    for (let w = 0; w < config.workers; w += 1) {
      now += 1;
      this.workers.push({ view: { skills: load.workerSkills[w] }, available: load.workerAvailable[w]!, busy: false, idleSince: now });
    }
  }

  createTask(i: number, now: number): number | null {
    const attributes = JSON.parse(`{"queue":"q${this.load.taskQueue[i]}","n":${i}}`) as Record<string, unknown>;
    const filter = this.filters.find((f) => f.expression.evaluate(attributes));
    const task = { attributes, queue: filter?.queue ?? -1, priority: this.load.taskPriority[i]!, createdAt: now, status: 'pending', worker: -1 };
    this.tasks[i] = task;
    if (!filter) return null;
    let best = -1;
    for (let w = 0; w < this.workers.length; w += 1) {
      const worker = this.workers[w]!;
      if (!worker.available || worker.busy || !this.queues[task.queue]!.evaluate(worker.view)) continue;
      if (best < 0 || worker.idleSince < this.workers[best]!.idleSince) best = w;
    }
    if (best >= 0) this.reserve(i, best);
    return best >= 0 ? best : null;
  }

  private reserve(t: number, w: number): void {
    this.tasks[t]!.status = 'reserved';
    this.tasks[t]!.worker = w;
    this.workers[w]!.busy = true;
  }

  accept(i: number): void {
    this.tasks[i]!.status = 'assigned';
  }

  complete(i: number, now: number): number | null {
    const task = this.tasks[i]!;
    task.status = 'completed';
    const w = task.worker;
    const worker = this.workers[w]!;
    worker.busy = false;
    worker.idleSince = now;
    let best = -1;
    for (let t = 0; t < this.tasks.length; t += 1) {
      const candidate = this.tasks[t]!;
      if (candidate.status !== 'pending' || !this.queues[candidate.queue]!.evaluate(worker.view)) continue;
      const current = this.tasks[best];
      if (!current || candidate.priority > current.priority || (candidate.priority === current.priority && candidate.createdAt < current.createdAt)) best = t;
    }
    if (best >= 0) this.reserve(best, w);
    return best >= 0 ? best : null;
  }
}

interface Run {
  create: number[];
  accept: number[];
  complete: number[];
  /** Durations (ns) of the steps that made a decision. */
  decision: number[];
  decisions: [number, number][];
  totalNs: number;
}

/** Drives a router through the workload, timing every step. */
function drive(router: Router, load: Workload, start: number): Run {
  const run: Run = { create: [], accept: [], complete: [], decision: [], decisions: [], totalNs: 0 };
  let now = start;
  const time = <T>(into: number[], act: () => T): T => {
    const t0 = process.hrtime.bigint();
    const value = act();
    const ns = Number(process.hrtime.bigint() - t0);
    into.push(ns);
    run.totalNs += ns;
    return value;
  };
  let pending: number[] = [];
  for (let i = 0; i < load.taskQueue.length; i += 1) {
    now += 1;
    const worker = time(run.create, () => router.createTask(i, now));
    if (worker !== null) {
      run.decision.push(run.create.at(-1)!);
      run.decisions.push([i, worker]);
      pending.push(i);
    }
  }
  const workerOf = new Map(run.decisions.map(([t, w]) => [t, w]));
  while (pending.length > 0) {
    for (const i of pending) {
      now += 1;
      time(run.accept, () => router.accept(i, now));
    }
    const assigned = pending;
    pending = [];
    for (const i of assigned) {
      now += 1;
      const next = time(run.complete, () => router.complete(i, now));
      if (next !== null) {
        run.decision.push(run.complete.at(-1)!);
        run.decisions.push([next, workerOf.get(i)!]);
        workerOf.set(next, workerOf.get(i)!);
        pending.push(next);
      }
    }
  }
  return run;
}

/** Per step kind, the round whose timings were lowest (by total), so a preempted round does not count. */
function best(runs: Run[]): Run {
  const pick = (key: 'create' | 'accept' | 'complete' | 'decision') => runs.reduce((a, b) => (sum(b[key]) < sum(a[key]) ? b : a))[key];
  const fastest = runs.reduce((a, b) => (b.totalNs < a.totalNs ? b : a));
  return { ...fastest, create: pick('create'), accept: pick('accept'), complete: pick('complete'), decision: pick('decision') };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const us = (ns: number) => (ns / 1000).toFixed(ns < 10_000 ? 2 : 1) + ' µs';
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const perSecond = (count: number, ns: number) => Math.round(count / (ns / 1e9));

/**
 * `worker.create` into a workspace already holding `config.workers` workers, 2,000 times: the step as
 * it is (the name looked up in the workspace's name index) against the same step after a read of
 * every worker's name, which is what the uniqueness check cost before the index. Alternating; medians.
 */
function workerCreation(config: Config, now: number): { indexed: number; scanned: number } {
  const engine = emptyEngine(now);
  const create = (friendlyName: string, at: number) => {
    const result = engine.step({ type: 'worker.create', friendlyName }, at);
    if (!result.ok) throw new Error(result.error.message);
  };
  for (let w = 0; w < config.workers; w += 1) create(`Worker ${w}`, now + w);
  const ns = { indexed: [] as number[], scanned: [] as number[] };
  for (let k = 0; k < 2_000; k += 1) {
    const name = `New ${k}`;
    const started = process.hrtime.bigint();
    if (k % 2 === 1) {
      for (const worker of engine.state.workers.values()) if (worker.friendlyName === name) throw new Error(`${name} is taken`);
    }
    create(name, now + config.workers + k);
    (k % 2 === 1 ? ns.scanned : ns.indexed).push(Number(process.hrtime.bigint() - started));
  }
  return { indexed: quantile(ns.indexed, 0.5), scanned: quantile(ns.scanned, 0.5) };
}

/**
 * What a restore spends rebuilding every queue's members and ready sets in the workload's workspace,
 * in one pass over the workers, against a pass per queue as before (alternating, medians of 5, in ms); then
 * `taskQueue.create` there, the step that matches a new queue's members among every worker, for a
 * queue of one skill and for one of every worker (`1==1`), alternating, medians of 31, in ms; and
 * `taskQueue.update` of a queue's expression from one of those to the other and back, median of 62.
 */
function queueMatching(config: Config, load: Workload, now: number): { restore: number; perQueue: number; oneSkill: number; everyWorker: number; update: number } {
  const { engine } = new EngineRouter(config, load, now);
  const { routing } = engine.state;
  const queues = [...engine.state.taskQueues.keys()];
  const ms = { restore: [] as number[], perQueue: [] as number[], oneSkill: [] as number[], everyWorker: [] as number[], update: [] as number[] };
  for (let k = 0; k < 10; k += 1) {
    const started = performance.now();
    if (k % 2 === 0) routing.rebuildQueues();
    else for (const queue of queues) routing.rebuildQueue(queue);
    (k % 2 === 0 ? ms.restore : ms.perQueue).push(performance.now() - started);
  }
  let clock = now + config.workers;
  const timed = (command: Command, into: number[]) => {
    const started = performance.now();
    const result = engine.step(command, (clock += 1));
    into.push(performance.now() - started);
    if (!result.ok) throw new Error(result.error.message);
    return result.value as { sid: string };
  };
  const skill = (k: number) => `skills HAS 'q${k % config.queues}'`;
  for (let k = 0; k < 31; k += 1) {
    timed({ type: 'taskQueue.create', friendlyName: `One skill ${k}`, targetWorkers: skill(k) }, ms.oneSkill);
    timed({ type: 'taskQueue.create', friendlyName: `Every worker ${k}`, targetWorkers: '1==1' }, ms.everyWorker);
  }
  const { sid } = timed({ type: 'taskQueue.create', friendlyName: 'Changing', targetWorkers: '1==1' }, []);
  for (let k = 0; k < 62; k += 1) timed({ type: 'taskQueue.update', sid, targetWorkers: k % 2 === 0 ? skill(k) : '1==1' }, ms.update);
  const median = (values: number[]) => quantile(values, 0.5);
  return { restore: median(ms.restore), perQueue: median(ms.perQueue), oneSkill: median(ms.oneSkill), everyWorker: median(ms.everyWorker), update: median(ms.update) };
}

function main(): void {
  const config = parseArgs();
  const load = makeWorkload(config);
  const start = Date.UTC(2025, 0, 1);

  // Warm-up on a smaller workload of the same shape, discarded, so both routers run JIT-compiled code.
  const warmConfig = { ...config, workers: Math.min(2_000, config.workers), tasks: Math.min(2_000, config.tasks), seed: config.seed + 1 };
  const warmLoad = makeWorkload(warmConfig);
  drive(new EngineRouter(warmConfig, warmLoad, start), warmLoad, start + warmConfig.workers + 10);
  drive(new NaiveRouter(warmConfig, warmLoad, start), warmLoad, start + warmConfig.workers + 10);

  const builders = [(): Router => new EngineRouter(config, load, start), (): Router => new NaiveRouter(config, load, start)];
  const names = builders.map((build) => build().name);
  const rounds: Run[][] = [[], []];
  for (let round = 0; round < config.rounds; round += 1) {
    for (const [k, build] of builders.entries()) rounds[k]!.push(drive(build(), load, start + config.workers + 10));
  }
  const [indexed, naive] = rounds.map(best) as [Run, Run];
  const agree = indexed.decisions.length === naive.decisions.length && indexed.decisions.every(([t, w], k) => naive.decisions[k]?.[0] === t && naive.decisions[k]?.[1] === w);

  const routingNs = (run: Run) => sum(run.create) + sum(run.complete);
  const rows: [string, (run: Run) => string][] = [
    ['decision: median', (run) => us(quantile(run.decision, 0.5))],
    ['decision: p99', (run) => us(quantile(run.decision, 0.99))],
    ['task.create -> offer: median', (run) => us(quantile(run.create, 0.5))],
    ['task.create -> offer: p99', (run) => us(quantile(run.create, 0.99))],
    ['accept: median', (run) => us(quantile(run.accept, 0.5))],
    ['accept: p99', (run) => us(quantile(run.accept, 0.99))],
    ['complete -> next offer: median', (run) => us(quantile(run.complete, 0.5))],
    ['complete -> next offer: p99', (run) => us(quantile(run.complete, 0.99))],
    ['routing decisions / s', (run) => perSecond(run.decisions.length, routingNs(run)).toLocaleString('en-US')],
    ['full task cycles / s', (run) => perSecond(config.tasks, run.totalNs).toLocaleString('en-US')],
    ['decisions', (run) => run.decisions.length.toLocaleString('en-US')],
  ];
  const ratio = (label: string): string => {
    const pick = (run: Run): number => {
      if (label.startsWith('decision:')) return quantile(run.decision, label.endsWith('p99') ? 0.99 : 0.5);
      if (label.startsWith('task.create')) return quantile(run.create, label.endsWith('p99') ? 0.99 : 0.5);
      if (label.startsWith('accept')) return quantile(run.accept, label.endsWith('p99') ? 0.99 : 0.5);
      if (label.startsWith('complete')) return quantile(run.complete, label.endsWith('p99') ? 0.99 : 0.5);
      if (label.startsWith('routing')) return 1 / perSecond(run.decisions.length, routingNs(run));
      if (label.startsWith('full')) return 1 / perSecond(config.tasks, run.totalNs);
      return NaN;
    };
    const r = pick(naive) / pick(indexed);
    return Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toPrecision(2)}x` : '';
  };

  const available = load.workerAvailable.filter(Boolean).length;
  console.log(
    `Switchboard routing engine — ${config.workers.toLocaleString('en-US')} workers (${available.toLocaleString('en-US')} available), ` +
      `${config.queues} queues, ${config.tasks.toLocaleString('en-US')} tasks, seed ${config.seed}, Node ${process.version}`,
  );
  console.log(`${config.rounds} round(s), best of each; warm-up discarded; load average ${loadavg()[0]!.toFixed(1)} on this machine`);
  const header = ['', names[0]!, names[1]!, 'naive / indexed'];
  const table = [header, ...rows.map(([label, value]) => [label, value(indexed), value(naive), ratio(label)])];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const [r, row] of table.entries()) {
    console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (r === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log(`same decisions (task -> worker, in order): ${agree ? 'yes' : 'NO'}`);
  console.log('The indexed engine also builds events, persist effects and timers on every step; the naive router does not.');
  const creation = workerCreation(config, start);
  console.log(
    `worker.create with ${config.workers.toLocaleString('en-US')} workers in the workspace, median: ${us(creation.indexed)} (the name looked up in its index); ` +
      `${us(creation.scanned)} after a read of every worker's name, as the check did before (${(creation.scanned / creation.indexed).toPrecision(2)}x)`,
  );
  const matching = queueMatching(config, load, start);
  console.log(
    `restore: every queue's members and ready sets rebuilt over ${config.workers.toLocaleString('en-US')} workers, median: ${matching.restore.toFixed(0)} ms in one pass over the workers; ` +
      `${matching.perQueue.toFixed(0)} ms queue by queue, a pass over the workers each, as before (${(matching.perQueue / matching.restore).toPrecision(2)}x)`,
  );
  console.log(
    `taskQueue.create among ${config.workers.toLocaleString('en-US')} workers, median: ${matching.oneSkill.toFixed(1)} ms for a queue of one skill, ` +
      `${matching.everyWorker.toFixed(1)} ms for a queue of every worker (1==1); taskQueue.update from one to the other, median: ${matching.update.toFixed(1)} ms`,
  );
  if (!agree) process.exitCode = 1;
}

main();
