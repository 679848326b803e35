/**
 * Throughput at saturation: open-loop runs at rising arrival rates with eager agents (accept at
 * once, complete at once), each task created over REST, routed, persisted, pushed, accepted and
 * completed. A step passes when it is valid, every task was accepted and the end-to-end p99
 * (intended create -> accept reply) is within the bound; the figure is the last passing step.
 */
import type { Generators } from '../gen/generators.js';
import type { SystemUnderTest } from '../systems/system.js';
import { loadRun, type LoadRunResult } from './load-run.js';

/** The ladder and the bound. */
export interface SaturationOptions {
  rates: number[];
  durationMs: number;
  warmupMs: number;
  /** End-to-end p99 a passing step must stay within, ms. */
  p99BoundMs: number;
  /** Longest wait for a step's backlog to drain, ms. */
  drainCapMs?: number;
}

/** The result: the best passing step, and every step run. */
export interface SaturationResult {
  /** Tasks accepted per second at the best passing rate (0 when none passed). */
  tasksPerSecond: number;
  best: LoadRunResult | undefined;
  /** Why the ladder stopped. */
  stoppedBy: string;
  steps: Array<Pick<LoadRunResult, 'rate' | 'acceptedPerSecond' | 'e2e' | 'offer' | 'valid' | 'problems' | 'system' | 'generator'>>;
}

/** Climbs the ladder until a step fails. */
export async function saturation(system: SystemUnderTest, gens: Generators, o: SaturationOptions, profileFile: (rate: number) => string | undefined = () => undefined): Promise<SaturationResult> {
  const steps: SaturationResult['steps'] = [];
  let best: LoadRunResult | undefined;
  let stoppedBy = 'top of the ladder reached';
  for (const rate of o.rates) {
    const run = await loadRun(system, gens, { rate, durationMs: o.durationMs, warmupMs: o.warmupMs, maxReserved: 1, behavior: {}, drainCapMs: o.drainCapMs, profileFile: profileFile(rate) });
    const { acceptedPerSecond, e2e, offer, valid, problems, system: stats, generator } = run;
    steps.push({ rate, acceptedPerSecond, e2e, offer, valid, problems, system: stats, generator });
    const slow = e2e.p99 > o.p99BoundMs;
    console.log(`    ${rate}/s: accepted ${acceptedPerSecond}/s, e2e p99 ${e2e.p99} ms, hub cpu ${stats.cpuPercent}%${valid ? '' : ' — ' + problems.join('; ')}`);
    if (!valid || slow) {
      stoppedBy = !valid ? `${rate}/s: ${problems.join('; ')}` : `${rate}/s: end-to-end p99 ${e2e.p99} ms > ${o.p99BoundMs} ms`;
      break;
    }
    best = run;
    // Let queues drain before the next step.
    await new Promise((r) => setTimeout(r, 500));
  }
  return { tasksPerSecond: best?.acceptedPerSecond ?? 0, best, stoppedBy, steps };
}
