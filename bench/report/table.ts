/**
 * The side-by-side table: one row per figure, one column per system, the hub's ratio to each
 * baseline. Latency cells read `p50 / p99 / p99.9 / max` in ms; a run that was not valid is marked
 * with `!` (its problems are listed under the table).
 */
import type { LatencySummary } from '../lib/histogram.js';
import type { LoadRunResult } from '../scenarios/load-run.js';
import type { SystemName } from '../systems/system.js';
import { SYSTEM_LABELS } from '../systems/system.js';
import { memoryPoints, phaseOf, phaseSizes, type BenchResults } from './results.js';

const SYSTEMS: SystemName[] = ['hub', 'raw', 'bull'];
const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
const fmt = (x: number) => (x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const lat = (s: LatencySummary | undefined) => (s && s.count > 0 ? `${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.p999)} / ${fmt(s.max)}` : '—');
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '—');
const mark = (run: { valid: boolean } | undefined) => (run && !run.valid ? ' !' : '');

/** A table row: the figure, a cell per system, hub/B1 and hub/B2 ratios. */
export type Row = [string, string, string, string, string, string];

function latencyRows(results: BenchResults, label: string, pick: (agents: number, s: SystemName) => LoadRunResult | undefined, metric: (r: LoadRunResult) => LatencySummary | undefined): Row[] {
  const rows: Row[] = [];
  for (const agents of phaseSizes(results)) {
    const runs = SYSTEMS.map((s) => pick(agents, s));
    if (runs.every((r) => !r)) continue;
    const p99 = runs.map((r) => (r ? metric(r)?.p99 : undefined));
    const cells = runs.map((r) => (r ? lat(metric(r)) + mark(r) : '—'));
    rows.push([label.replace('{n}', k(agents)), cells[0]!, cells[1]!, cells[2]!, ratio(p99[0], p99[1]), ratio(p99[0], p99[2])]);
  }
  return rows;
}

/** Every row of the table. */
export function tableRows(results: BenchResults): Row[] {
  const run = (key: 'latency' | 'rescind') => (agents: number, s: SystemName) => phaseOf(results, s, agents)?.[key];
  const rows: Row[] = [
    ...latencyRows(results, 'Offer latency, {n} agents, 1,000 tasks/s (ms)', run('latency'), (r) => r.offer),
    ...latencyRows(results, 'Accept latency, {n} agents (ms)', run('latency'), (r) => r.accept),
    ...latencyRows(results, 'Create -> accepted, {n} agents, think 5-15 ms (ms)', run('latency'), (r) => r.e2e),
    ...latencyRows(results, 'Offer latency, MRW 50, 100 tasks/s, {n} agents (ms)', run('rescind'), (r) => r.offer),
    ...latencyRows(results, 'Rescind latency, all 49, {n} agents (ms)', run('rescind'), (r) => r.rescind),
  ];
  for (const agents of phaseSizes(results)) {
    const reached = SYSTEMS.map((s) => phaseOf(results, s, agents)?.rescind?.rescind);
    if (reached.every((r) => !r)) continue;
    const cells = reached.map((r) => (r ? `${r.meanOffers} (${r.incomplete} incomplete)` : '—'));
    rows.push([`Agents offered each MRW 50 task (mean), ${k(agents)} agents`, cells[0]!, cells[1]!, cells[2]!, '—', '—']);
    // Whose core ran out: the server's, or the generators' (the agents parse 99 frames a task, the task source sends).
    const runs = SYSTEMS.map((s) => phaseOf(results, s, agents)?.rescind);
    const load = (r: LoadRunResult | undefined) => (r ? `${r.system.cpuPercent}% / ${fmt(r.system.eld.p99)} ms / ${r.generator.fleetCpu + r.generator.sourceCpu}%` : '—');
    rows.push([`Server CPU / event-loop delay p99 / generators' CPU in the MRW 50 run, ${k(agents)} agents`, load(runs[0]), load(runs[1]), load(runs[2]), '—', '—']);
  }
  for (const agents of phaseSizes(results)) {
    const sat = SYSTEMS.map((s) => phaseOf(results, s, agents)?.saturation);
    if (sat.some((x) => x)) {
      const cell = (x: (typeof sat)[number]) => (x ? `${x.tasksPerSecond}/s (p99 ${x.best ? fmt(x.best.e2e.p99) : '—'} ms)` : '—');
      const tps = sat.map((x) => x?.tasksPerSecond);
      rows.push([`Throughput at saturation, ${k(agents)} agents (accepted/s, e2e p99 <= 50 ms)`, cell(sat[0]), cell(sat[1]), cell(sat[2]), ratio(tps[0], tps[1]), ratio(tps[0], tps[2])]);
    }
    const rest = SYSTEMS.map((s) => phaseOf(results, s, agents)?.rest);
    if (rest.some((x) => x)) {
      const cell = (x: (typeof rest)[number]) => (x ? `${x.perSecond}/s (p99 ${fmt(x.latency.p99)} ms)` : '—');
      const per = rest.map((x) => x?.perSecond);
      rows.push([`REST POST /Tasks, ${rest.find((x) => x)?.concurrency} in flight (req/s)`, cell(rest[0]), cell(rest[1]), cell(rest[2]), ratio(per[0], per[1]), ratio(per[0], per[2])]);
    }
  }
  const memAgents = [...new Set(SYSTEMS.flatMap((s) => memoryPoints(results, s).map((p) => p.agents)))].sort((a, b) => a - b);
  for (const agents of memAgents) {
    const per = SYSTEMS.map((s) => memoryPoints(results, s).find((p) => p.agents === agents)?.perAgentKiB);
    const cells = per.map((x) => (x === undefined ? '—' : fmt(x)));
    rows.push([`Memory per idle connected agent at ${k(agents)} (KiB)`, cells[0]!, cells[1]!, cells[2]!, ratio(per[0], per[1]), ratio(per[0], per[2])]);
  }
  for (const agents of memAgents) {
    const points = SYSTEMS.map((s) => memoryPoints(results, s).find((p) => p.agents === agents));
    if (points.every((x) => x === undefined)) continue;
    const cells = points.map((x) => (x === undefined ? '—' : `${x.idleCpuPercent}%`));
    const windowMs = Math.max(...points.map((x) => x?.idleWindowMs ?? 0));
    const over = windowMs > 0 ? `, over ${windowMs / 1000} s` : '';
    rows.push([`Idle server CPU holding ${k(agents)} connected agents (keep-alives${over})`, cells[0]!, cells[1]!, cells[2]!, '—', '—']);
  }
  for (const workers of Object.keys(results.routingCost.hub ?? results.routingCost.bull ?? {})) {
    const hub = results.routingCost.hub?.[workers];
    const bull = results.routingCost.bull?.[workers];
    const cell = (c: typeof hub) => (c ? `${fmt(c.p50)} / ${fmt(c.p99)} (mean ${fmt(c.meanUs)})` : '—');
    rows.push([`Routing decision in-process, ${k(Number(workers))} workers (µs p50 / p99)`, cell(hub), 'no routing', cell(bull), '—', ratio(hub?.p50, bull?.p50)]);
  }
  for (const agents of phaseSizes(results)) {
    const runs = SYSTEMS.map((s) => phaseOf(results, s, agents)?.latency);
    if (runs.every((r) => !r)) continue;
    const cell = (r: LoadRunResult | undefined) => (r ? `${r.system.cpuPercent}% / ${fmt(r.system.rssMiB)} MiB / ${fmt(r.system.eld.p99)} ms` : '—');
    rows.push([`Server CPU / RSS / event-loop delay p99 at 1,000 tasks/s, ${k(agents)} agents`, cell(runs[0]), cell(runs[1]), cell(runs[2]), '—', '—']);
    // CPU time per task is the figure least disturbed by other work on the machine.
    const perTask = runs.map((r) => (r && r.acceptedPerSecond > 0 ? (r.system.cpuPercent / 100) * 1e6 / r.acceptedPerSecond : undefined));
    const mainPerTask = runs.map((r) =>
      r && r.acceptedPerSecond > 0 && r.system.mainThreadCpuPercent !== undefined ? (r.system.mainThreadCpuPercent / 100) * 1e6 / r.acceptedPerSecond : undefined,
    );
    const us = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x)} µs`);
    // The main thread's part: on a machine with a core to spare, the rest (the hub's store writer) runs beside it.
    const cpuCell = (i: number) => (mainPerTask[i] === undefined ? us(perTask[i]) : `${us(perTask[i])} (main thread ${us(mainPerTask[i])})`);
    rows.push([`Server CPU time per task at 1,000 tasks/s, ${k(agents)} agents`, cpuCell(0), cpuCell(1), cpuCell(2), ratio(perTask[0], perTask[1]), ratio(perTask[0], perTask[2])]);
    const store = runs[0]?.system.store as { commits: number; blockedPercent: number; blocking: LatencySummary } | undefined;
    if (store && runs[0]) {
      const perSecond = Math.round(store.commits / (runs[0].system.windowMs / 1000));
      rows.push([`Hub store at 1,000 tasks/s, ${k(agents)} agents: commits/s, loop blocked in commit, commit p50 / p99`, `${perSecond}/s, ${store.blockedPercent}%, ${fmt(store.blocking.p50)} / ${fmt(store.blocking.p99)} ms`, '—', '—', '—', '—']);
    }
  }
  return rows;
}

/** The table as Markdown, with the problems of invalid runs under it. */
export function renderTable(results: BenchResults): string {
  const header: Row = ['Figure', SYSTEM_LABELS.hub, SYSTEM_LABELS.raw, SYSTEM_LABELS.bull, 'hub / B1', 'hub / B2'];
  const lines = [header, ['---', '---', '---', '---', '---', '---'] as Row, ...tableRows(results)].map((r) => `| ${r.join(' | ')} |`);
  const problems: string[] = [];
  for (const p of results.phases) {
    for (const [name, run] of [['latency', p.latency], ['rescind', p.rescind]] as const) {
      if (run && !run.valid) problems.push(`- ${p.system}, ${k(p.agents)} agents, ${name}: ${run.problems.join('; ')}`);
    }
    if (p.error) problems.push(`- ${p.system}, ${k(p.agents)} agents: failed: ${p.error}`);
  }
  return [...lines, ...(problems.length > 0 ? ['', '`!` = run not valid:', ...problems] : [])].join('\n');
}
