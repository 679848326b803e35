/**
 * REST task creation rate: a closed loop keeping `concurrency` create requests in flight for a
 * fixed time, tasks sent to a queue no agent matches (so the figure is the create path itself:
 * parse, validate, route, persist, answer; for the hub, durably committed before the 201).
 */
import type { Generators } from '../gen/generators.js';
import { summarizeEncoded, type LatencySummary } from '../lib/histogram.js';
import type { ProcessStats } from '../lib/process-stats.js';
import type { SystemUnderTest } from '../systems/system.js';

/** What the REST run measured. */
export interface RestRateResult {
  perSecond: number;
  concurrency: number;
  latency: LatencySummary;
  failed: number;
  system: ProcessStats;
  sourceCpu: number;
  problems: string[];
}

/** Runs the closed loop. */
export async function restRate(
  system: SystemUnderTest,
  gens: Generators,
  o: { concurrency: number; durationMs: number; warmupMs: number; profileFile?: string | undefined },
): Promise<RestRateResult> {
  const reset = setTimeout(() => {
    void system.resetStats();
    if (o.profileFile) void system.startProfile();
  }, o.warmupMs);
  const source = await gens.runSource('closed', system.taskRequest(true), { concurrency: o.concurrency, durationMs: o.durationMs, warmupMs: o.warmupMs, connections: o.concurrency });
  clearTimeout(reset);
  const stats = await system.readStats();
  if (o.profileFile) await system.stopProfile(o.profileFile);
  const problems = source.failed > 0 ? [`${source.failed} creations failed (${source.firstFailure ?? '?'})`] : [];
  return {
    perSecond: source.perSecond,
    concurrency: o.concurrency,
    latency: summarizeEncoded([source.rest]),
    failed: source.failed,
    system: stats,
    sourceCpu: source.stats.cpuPercent,
    problems,
  };
}
