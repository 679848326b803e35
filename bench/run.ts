/**
 * `npm run bench`: the hub against the raw-WebSocket limit (baseline 1) and against a BullMQ +
 * Redis + socket.io router (baseline 2), same workload, same run. Prints the table and the
 * targets, writes JSON, Markdown and an SVG chart under `bench/results/`, and refreshes the table
 * in `bench/README.md`.
 *
 *   node --import tsx bench/run.ts [--quick] [--only=hub,raw,bull] [--profile] [--no-pin] [--nice=-10] [--store=<variant>] [--tsx]
 *   node --import tsx bench/run.ts --render=bench/results/<file>.json   (table, chart and README again)
 *
 * Servers run pinned to core 0, generators to core 1 (`taskset`); `--quick` finishes in under two
 * minutes, the full run in about half an hour. On a machine shared with other work, `--nice=-10`
 * (as root) keeps that work from preempting the measured processes. The processes run the project
 * compiled by tsc, as the hub ships (`lib/compiled.ts`); `--tsx` runs them from the sources.
 */
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { compileChildren } from './lib/compiled.js';
import { benchPriority, Child } from './lib/ipc.js';
import { FULL, QUICK } from './plan.js';
import { RESULTS_DIR, updateReadme, writeResults, type BenchResults } from './report/results.js';
import { renderSvg } from './report/svg-chart.js';
import { redisMissing } from './lib/redis-server.js';
import { renderTable } from './report/table.js';
import { checkTargets, renderTargets } from './report/targets.js';
import { runPhase, type Placement, type PhaseResult } from './run-phase.js';
import type { DecisionCost } from './scenarios/routing-cost.js';
import type { SystemName } from './systems/system.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const plan = flag('quick') ? QUICK : FULL;
const only = (option('only')?.split(',') ?? ['hub', 'raw', 'bull']) as SystemName[];
const pinned = !flag('no-pin') && cpus().length >= 2;
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const profileDir = flag('profile') ? `${RESULTS_DIR}profiles/${stamp}` : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
benchPriority.nice = Number(option('nice') ?? 0);
// An experimental store for the hub (see hub/store-variants.ts); the product's SQLite store by default.
if (option('store')) process.env['BENCH_STORE'] = option('store');
const placement: Placement = { serverCore: pinned ? 0 : undefined, generatorCore: pinned ? 1 : undefined, profileDir };

/** Size of the hub's offer frame before it has been measured (a typical reservation.created). */
const DEFAULT_FRAME_BYTES = 1500;

async function routingCost(system: 'hub' | 'bull'): Promise<Record<string, DecisionCost>> {
  const child = new Child({ module: 'scenarios/routing-cost.ts', name: `routing-cost-${system}`, core: placement.serverCore });
  try {
    await child.ready;
    const out: Record<string, DecisionCost> = {};
    for (const workers of plan.routingCost.workers) {
      const decisions = system === 'hub' ? plan.routingCost.decisions : Math.min(plan.routingCost.decisions, 10000);
      out[String(workers)] = await child.request<DecisionCost>(system, { workers, decisions });
      console.log(`  [${system}] routing decision at ${workers} workers: p50 ${out[String(workers)]!.p50} µs, p99 ${out[String(workers)]!.p99} µs`);
    }
    return out;
  } finally {
    await child.stop();
  }
}

async function main(): Promise<void> {
  // Before anything is measured: a run that would stop at baseline 2 after minutes of the others says so now.
  const missing = only.includes('bull') ? redisMissing() : undefined;
  if (missing) {
    console.error(`Cannot run the bench: ${missing}.`);
    process.exit(1);
  }
  const runtime = compileChildren(flag('tsx'));
  console.log(`Switchboard bench, ${plan.name} mode: ${only.join(', ')}; servers on core ${placement.serverCore ?? 'any'}, generators on core ${placement.generatorCore ?? 'any'}; load average ${loadavg()[0]!.toFixed(2)}`);
  const warnings: string[] = [];
  if (loadavg()[0]! > 1.5) warnings.push(`the machine was busy when the bench started (load average ${loadavg()[0]!.toFixed(2)}): figures are pessimistic`);
  const phases: PhaseResult[] = [];
  let frameBytes = DEFAULT_FRAME_BYTES;
  for (const phase of plan.phases) {
    console.log(`Phase: ${phase.agents} agents`);
    for (const system of only) {
      const result = await runPhase(system, phase, placement, frameBytes);
      if (system === 'hub' && result.offerFrameBytes) frameBytes = result.offerFrameBytes;
      phases.push(result);
    }
  }
  const routing: BenchResults['routingCost'] = {};
  console.log('Routing decision cost, in-process:');
  if (only.includes('hub')) routing.hub = await routingCost('hub');
  if (only.includes('bull')) routing.bull = await routingCost('bull');
  for (const p of phases) {
    if (p.loadAverage[1] > 2.5) warnings.push(`${p.system} at ${p.agents} agents: load average ${p.loadAverage.join(' -> ')} (other work on the machine)`);
    if (p.facts['store'] && p.facts['store'] !== 'SqliteStore') warnings.push(`the hub ran on ${String(p.facts['store'])}, not the durable SQLite store`);
  }
  const finishedAt = new Date();
  const results: BenchResults = {
    mode: plan.name,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine: { cpus: cpus().length, node: process.version, loadAverageAtStart: loadavg(), runtime },
    placement: { serverCore: placement.serverCore, generatorCore: placement.generatorCore, nice: benchPriority.nice },
    offerFrameBytes: frameBytes,
    phases,
    routingCost: routing,
    warnings: [...new Set(warnings)],
  };
  const json = writeResults(results);
  publish(results, `Results: ${json}`);
}

/** Writes the Markdown, the chart and the README section of `results`, and prints the table. */
function publish(results: BenchResults, where: string): void {
  const table = renderTable(results);
  const targets = renderTargets(checkTargets(results));
  const markdown = `${table}\n\nTargets (hub):\n\n${targets}\n${results.warnings.length > 0 ? '\nWarnings:\n' + results.warnings.map((w) => `- ${w}`).join('\n') + '\n' : ''}`;
  writeFileSync(`${RESULTS_DIR}latest-${results.mode}.md`, markdown);
  writeFileSync(`${RESULTS_DIR}latest-${results.mode}.svg`, renderSvg(results));
  updateReadme(results, markdown);
  console.log(`\n${markdown}\nOffer frames: ${results.offerFrameBytes} bytes. Took ${results.durationS} s. ${where}, chart: ${RESULTS_DIR}latest-${results.mode}.svg`);
}

const rendering = option('render');
(rendering ? Promise.resolve(publish(JSON.parse(readFileSync(rendering, 'utf8')) as BenchResults, `Rendered ${rendering}`)) : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
