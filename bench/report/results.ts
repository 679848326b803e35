/**
 * The bench's results as one JSON document, and lookups into it for the table, the targets and
 * the chart. Written to `bench/results/<timestamp>-<mode>.json` and `latest-<mode>.json`; the
 * table of each mode is also kept in `bench/README.md`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runtimeLabel, type ChildRuntime } from '../lib/compiled.js';
import type { PhaseResult } from '../run-phase.js';
import type { DecisionCost } from '../scenarios/routing-cost.js';
import type { SystemName } from '../systems/system.js';

/** Everything one `bench/run.ts` produced. */
export interface BenchResults {
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  durationS: number;
  /** `runtime`: how the processes ran the project (see `lib/compiled.ts`); absent in runs before it was recorded (tsx). */
  machine: { cpus: number; node: string; loadAverageAtStart: number[]; runtime?: ChildRuntime };
  placement: { serverCore: number | undefined; generatorCore: number | undefined; nice: number };
  /** Bytes of the hub's offer frame, which the baselines' frames copy. */
  offerFrameBytes: number;
  phases: PhaseResult[];
  /** Decision cost by system, then by worker count (values in µs). */
  routingCost: Partial<Record<SystemName, Record<string, DecisionCost>>>;
  /** Problems that make some figure doubtful. */
  warnings: string[];
}

/** The directory results go to. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** The phase result of a system at an agent count. */
export function phaseOf(results: BenchResults, system: SystemName, agents: number): PhaseResult | undefined {
  return results.phases.find((p) => p.system === system && p.agents === agents);
}

/** Agent counts of the phases that ran, ascending. */
export function phaseSizes(results: BenchResults): number[] {
  return [...new Set(results.phases.map((p) => p.agents))].sort((a, b) => a - b);
}

/** Every memory point of a system, by agent count. */
export function memoryPoints(results: BenchResults, system: SystemName): Array<{ agents: number; perAgentKiB: number; idleCpuPercent?: number; idleWindowMs?: number }> {
  return results.phases.filter((p) => p.system === system).flatMap((p) => p.memory);
}

/** Writes the JSON (timestamped and latest); returns the timestamped path. */
export function writeResults(results: BenchResults): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const path = `${RESULTS_DIR}${stamp}-${results.mode}.json`;
  const text = JSON.stringify(results, null, 2);
  writeFileSync(path, text);
  writeFileSync(`${RESULTS_DIR}latest-${results.mode}.json`, text);
  return path;
}

const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** Replaces the mode's section of the README (between `<!-- <mode>:start -->` and `<!-- <mode>:end -->`) with `markdown`. */
export function updateReadme(results: BenchResults, markdown: string): void {
  if (!existsSync(README)) return;
  const text = readFileSync(README, 'utf8');
  const start = `<!-- ${results.mode}:start -->`;
  const end = `<!-- ${results.mode}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  const when = `Run ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.durationS} s, Node ${results.machine.node}${runtimeLabel(results.machine.runtime)}, ${results.machine.cpus} cores, load average ${results.machine.loadAverageAtStart[0]?.toFixed(2)} at the start, offer frame ${results.offerFrameBytes} bytes.`;
  writeFileSync(README, `${text.slice(0, i + start.length)}\n${when}\n\n${markdown}\n${text.slice(j)}`);
}
