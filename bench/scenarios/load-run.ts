/**
 * One open-loop run against a system with its agents connected: tasks at a fixed rate for a fixed
 * time, the first `warmupMs` discarded, then every latency figure merged from the generator
 * processes, the system's own CPU/RSS/event-loop delay over the window, and every reason the run
 * is not valid (the source fell behind, a generator was overloaded, tasks failed or were lost).
 */
import type { BehaviorConfig } from '../gen/agent-behavior.js';
import type { FleetResult, Generators } from '../gen/generators.js';
import { newHistogram, nowUs, recordUs, summarize, summarizeEncoded, type LatencySummary } from '../lib/histogram.js';
import type { ProcessStats } from '../lib/process-stats.js';
import type { SystemUnderTest } from '../systems/system.js';

/** What to run. */
export interface LoadRunOptions {
  rate: number;
  durationMs: number;
  warmupMs: number;
  maxReserved: number;
  behavior: Partial<BehaviorConfig>;
  /** Measure rescinds (multi-offer runs). */
  trackRescinds?: boolean;
  /** Longest wait for the system to go quiet after the run, ms (default 30 s). */
  drainCapMs?: number;
  /** Write a CPU profile of the server over the measured window to this file. */
  profileFile?: string | undefined;
}

/**
 * Rescind latency: winning accept sent -> the last other offer of the task rescinded. `incomplete`
 * counts tasks some of whose other offers were never rescinded; `meanOffers` is how many agents a
 * task reached (fewer than MaxReservedWorkers when too few agents were free).
 */
export type RescindSummary = LatencySummary & { incomplete: number; meanOffers: number };

/** What a run measured. */
export interface LoadRunResult {
  rate: number;
  agents: number;
  maxReserved: number;
  offer: LatencySummary;
  accept: LatencySummary;
  /** Intended create -> winning accept's reply. */
  e2e: LatencySummary;
  /** Intended create -> REST response. */
  rest: LatencySummary;
  rescind?: RescindSummary;
  /** Tasks intended inside the window, and how many of them were accepted. */
  measured: number;
  accepted: number;
  acceptedPerSecond: number;
  failedCreates: number;
  counts: Record<string, number>;
  system: ProcessStats;
  generator: { fleetEldP99: number; fleetCpu: number; sourceCpu: number; sendLatenessP99: number };
  valid: boolean;
  problems: string[];
}

/** Fleet event-loop delay p99 beyond which the generators, not the system, set the latency. */
const MAX_FLEET_ELD_P99_MS = 50;

function rescindSummary(reports: FleetResult[]): RescindSummary {
  const winners = new Map<string, number>();
  const last = new Map<string, [number, number]>();
  const offers = new Map<string, number>();
  for (const r of reports) {
    for (const [key, at] of r.winners) winners.set(key, at);
    for (const [key, n] of r.offersOf) offers.set(key, (offers.get(key) ?? 0) + n);
    for (const [key, at, n] of r.rescinds) {
      const seen = last.get(key);
      last.set(key, seen ? [Math.max(seen[0], at), seen[1] + n] : [at, n]);
    }
  }
  const h = newHistogram();
  let incomplete = 0;
  let offered = 0;
  for (const [key, sentUs] of winners) {
    const others = (offers.get(key) ?? 1) - 1;
    offered += others + 1;
    const seen = last.get(key) ?? [sentUs, 0];
    if (seen[1] < others) incomplete += 1;
    else if (others > 0) recordUs(h, seen[0] - sentUs);
  }
  const summary = { ...summarize(h), incomplete, meanOffers: winners.size > 0 ? Math.round((offered / winners.size) * 10) / 10 : 0 };
  h.destroy();
  return summary;
}

/** Runs one open-loop load against `system` with `gens` holding its agents. */
export async function loadRun(system: SystemUnderTest, gens: Generators, o: LoadRunOptions): Promise<LoadRunResult> {
  await system.setMaxReserved(o.maxReserved);
  await gens.behave(o.behavior);
  const startUs = nowUs() + 300_000;
  const fromUs = startUs + o.warmupMs * 1000;
  await gens.measure(fromUs, o.trackRescinds === true);
  const resetAt = setTimeout(() => {
    void system.resetStats();
    if (o.profileFile) void system.startProfile().then(() => gens.startProfiles());
  }, Math.max(0, (fromUs - nowUs()) / 1000));
  const source = await gens.runSource('run', system.taskRequest(false), { rate: o.rate, startUs, durationMs: o.durationMs, warmupMs: o.warmupMs });
  clearTimeout(resetAt);
  const stats = await system.readStats();
  if (o.profileFile) {
    await system.stopProfile(o.profileFile);
    await gens.stopProfiles(o.profileFile.replace(/\.cpuprofile$/, ''));
  }
  const behavior = { thinkMs: 0, thinkJitterMs: 0, holdMs: 0, ...o.behavior };
  await new Promise((r) => setTimeout(r, 500 + behavior.thinkMs + behavior.thinkJitterMs + behavior.holdMs));
  // A backlog left behind would leak into the next run: wait for the system to go quiet.
  const drained = await gens.drain(1000, o.drainCapMs ?? 30_000);
  const reports = await gens.reports();
  const counts: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + v;
  const accepted = counts['accepted'] ?? 0;
  const windowS = (o.durationMs - o.warmupMs) / 1000;
  const fleetEldP99 = Math.max(0, ...reports.map((r) => r.stats.eld.p99));
  const problems: string[] = [];
  if (!source.valid && source.reason) problems.push(source.reason);
  if (source.failed > 0) problems.push(`${source.failed} task creations failed (${source.firstFailure ?? '?'})`);
  if (fleetEldP99 > MAX_FLEET_ELD_P99_MS) problems.push(`generator overloaded (fleet event-loop delay p99 ${fleetEldP99} ms)`);
  const expected = o.behavior.ignoreShare || o.behavior.rejectShare ? 0 : source.measured;
  if (expected > 0 && accepted < expected * 0.99) problems.push(`only ${accepted} of ${expected} tasks accepted`);
  if (!drained.quiet) problems.push(`still busy ${Math.round(drained.ms / 1000)} s after the last task was created (backlog)`);
  if ((counts['errors'] ?? 0) > 0) problems.push(`${counts['errors']} agent errors (${reports.find((r) => r.firstError)?.firstError})`);
  const result: LoadRunResult = {
    rate: o.rate,
    agents: gens.agents,
    maxReserved: o.maxReserved,
    offer: summarizeEncoded(reports.map((r) => r.offer)),
    accept: summarizeEncoded(reports.map((r) => r.accept)),
    e2e: summarizeEncoded(reports.map((r) => r.e2e)),
    rest: summarizeEncoded([source.rest]),
    measured: source.measured,
    accepted,
    acceptedPerSecond: Math.round(accepted / windowS),
    failedCreates: source.failed,
    counts,
    system: stats,
    generator: {
      fleetEldP99,
      fleetCpu: Math.round(reports.reduce((a, r) => a + r.stats.cpuPercent, 0)),
      sourceCpu: source.stats.cpuPercent,
      sendLatenessP99: source.lateness.p99,
    },
    valid: problems.length === 0,
    problems,
  };
  if (o.trackRescinds) {
    result.rescind = rescindSummary(reports);
    if (result.rescind.incomplete > 0) problems.push(`${result.rescind.incomplete} tasks missed some rescinds`);
    result.valid = problems.length === 0;
  }
  return result;
}
