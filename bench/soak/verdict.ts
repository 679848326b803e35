/**
 * A soak's summary and verdict from its samples: the RSS slope (least squares over the samples
 * after the warm-up, MiB per hour), the hub's event-loop delay and CPU over the run, every error,
 * offer latency over the run, and whether the backlog stayed bounded. The soak fails on any error,
 * on an RSS slope past the bound (measured over at least `MIN_SLOPE_MINUTES`), and on a backlog
 * that grew without bound, and says which.
 */
import { cpus } from 'node:os';
import type { LatencySummary } from '../lib/histogram.js';
import type { ProcessStats } from '../lib/process-stats.js';
import type { SoakOptions } from './options.js';
import type { Sample } from './sampler.js';

/** What a soak concluded. */
export interface SoakSummary {
  /** Samples the slopes and overall figures are taken over (those after the warm-up). */
  measuredSamples: number;
  /**
   * The slope after the warm-up, and over the second half of the run alone: state the hub keeps
   * for a while (terminal tasks, 5 minutes) fills in the first minutes, then should level off.
   */
  rss: {
    firstMiB: number;
    lastMiB: number;
    maxMiB: number;
    slopeMiBPerHour: number | undefined;
    secondHalfSlopeMiBPerHour: number | undefined;
    /** Whether the slope was measured over long enough to be judged (`MIN_SLOPE_MINUTES`). */
    judged: boolean;
  };
  heap: { firstMiB: number; lastMiB: number; slopeMiBPerHour: number | undefined };
  /** The hub over the measured part of the run (one window): event-loop delay and CPU. */
  hub: { eldP99: number; eldMax: number; cpuPercent: number } | undefined;
  /** The worst slice's event-loop delay p99, ms. */
  worstSliceEldP99: number;
  offer: LatencySummary;
  tasks: { sent: number; created: number; accepted: number; completed: number; acceptedPerSecond: number };
  errors: { failedCreates: number; serverErrors: number; disconnects: number; agentErrors: number; hubClientErrors: number; total: number };
  backlog: { last: number; lastCreating: number; max: number; slopePerSecond: number | undefined; bounded: boolean };
  generators: { fleetEldP99Max: number; sourceLatenessP99: number };
  loadAverage: { start: number; mean: number; max: number };
  /** Why the soak failed; empty when it passed. */
  failures: string[];
  /** What makes a figure doubtful without failing the soak. */
  warnings: string[];
}

/** Least-squares slope of y over x; undefined with fewer than 3 points. */
export function slope(points: Array<[number, number]>): number | undefined {
  if (points.length < 3) return undefined;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? undefined : num / den;
}

/**
 * The least stretch after the warm-up an RSS slope is judged over, minutes. The heap rises and
 * falls by 300-500 MiB between major collections at 1,000 tasks/s: over five minutes that sawtooth
 * alone makes slopes of several hundred MiB/h either way, over twenty it averages out.
 */
export const MIN_SLOPE_MINUTES = 10;

/** A backlog is runaway when it rises by more than this share of the arrival rate... */
const BACKLOG_SLOPE_SHARE = 0.01;
/** ...and ends above this many seconds of arrivals. */
const BACKLOG_BOUND_S = 10;
/** Generator event-loop delay p99 and source lateness p99 beyond which the load itself was late, ms. */
const MAX_FLEET_ELD_MS = 50;
/** A generator pause this long, longer than the hub's own in the same slice, is named in the warnings. */
const FLEET_PAUSE_MS = 100;
const MAX_LATENESS_MS = 5;

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Inputs besides the samples. */
export interface VerdictInputs {
  options: SoakOptions;
  samples: Sample[];
  /** Overall offer latency over the measured samples. */
  offer: LatencySummary;
  /** The hub's figures over the measured part of the run. */
  hub: ProcessStats | undefined;
  sourceLatenessP99: number;
  loadAverageAtStart: number;
  /** Why the run stopped before its time, if it did. */
  stoppedEarly: string | undefined;
  firstAgentError: string | undefined;
  firstFailedCreate: string | undefined;
}

/** The samples after the warm-up, or all of them when fewer than 3 come after it. */
export function measuredSamples(samples: Sample[], warmupS: number): Sample[] {
  const after = samples.filter((s) => s.atS > warmupS);
  return after.length >= 3 ? after : samples;
}

/** Summarizes a soak and judges it. */
export function judge(input: VerdictInputs): SoakSummary {
  const { options, samples } = input;
  const measured = measuredSamples(samples, options.warmupMinutes * 60);
  const warnings: string[] = [];
  // Too few samples came after the warm-up, so `measured` is all of them: nothing is steady enough to judge a slope by.
  const fellBack = measured === samples && samples.some((s) => s.atS <= options.warmupMinutes * 60);
  if (fellBack) warnings.push(`fewer than 3 samples after the ${options.warmupMinutes}-minute warm-up: slopes and overall figures include it`);
  const hours = (s: Sample) => s.atS / 3600;
  const rssSlope = slope(measured.map((s) => [hours(s), s.rssMiB]));
  const secondHalf = slope(samples.filter((s) => s.atS > (samples.at(-1)?.atS ?? 0) / 2).map((s) => [hours(s), s.rssMiB]));
  const heapSlope = slope(measured.map((s) => [hours(s), s.heapUsedMiB]));
  const backlogSlope = slope(measured.map((s) => [s.atS, s.backlog]));
  const total = (pick: (s: Sample) => number) => samples.reduce((a, s) => a + pick(s), 0);
  const errors = {
    failedCreates: total((s) => s.errors.failedCreates),
    serverErrors: total((s) => s.errors.serverErrors),
    disconnects: total((s) => s.errors.disconnects),
    agentErrors: total((s) => s.errors.agentErrors),
    hubClientErrors: total((s) => s.errors.hubClientErrors ?? 0),
    total: 0,
  };
  errors.total = errors.failedCreates + errors.disconnects + errors.agentErrors;
  const last = samples.at(-1);
  const lastBacklog = last?.backlog ?? 0;
  const runaway =
    input.stoppedEarly !== undefined ||
    (backlogSlope !== undefined && backlogSlope > BACKLOG_SLOPE_SHARE * options.rate && lastBacklog > BACKLOG_BOUND_S * options.rate);
  const measuredS = measured.reduce((a, s) => a + s.windowS, 0);
  const measuredMinutes = fellBack ? 0 : measuredS / 60;
  const loads = samples.map((s) => s.loadAverage);
  const summary: SoakSummary = {
    measuredSamples: measured.length,
    rss: {
      firstMiB: measured[0]?.rssMiB ?? 0,
      lastMiB: last?.rssMiB ?? 0,
      maxMiB: Math.max(0, ...samples.map((s) => s.rssMiB)),
      slopeMiBPerHour: rssSlope === undefined ? undefined : round(rssSlope),
      secondHalfSlopeMiBPerHour: secondHalf === undefined ? undefined : round(secondHalf),
      judged: rssSlope !== undefined && measuredMinutes >= MIN_SLOPE_MINUTES,
    },
    heap: { firstMiB: measured[0]?.heapUsedMiB ?? 0, lastMiB: last?.heapUsedMiB ?? 0, slopeMiBPerHour: heapSlope === undefined ? undefined : round(heapSlope) },
    hub: input.hub ? { eldP99: input.hub.eld.p99, eldMax: input.hub.eld.max, cpuPercent: input.hub.cpuPercent } : undefined,
    worstSliceEldP99: Math.max(0, ...samples.map((s) => s.eldP99)),
    offer: input.offer,
    tasks: {
      sent: total((s) => s.sent),
      created: total((s) => s.created),
      accepted: total((s) => s.accepted),
      completed: total((s) => s.completed),
      acceptedPerSecond: measuredS > 0 ? Math.round(measured.reduce((a, s) => a + s.accepted, 0) / measuredS) : 0,
    },
    errors,
    backlog: { last: lastBacklog, lastCreating: last?.pendingCreates ?? 0, max: Math.max(0, ...samples.map((s) => s.backlog)), slopePerSecond: backlogSlope === undefined ? undefined : round(backlogSlope), bounded: !runaway },
    generators: { fleetEldP99Max: Math.max(0, ...samples.map((s) => s.fleetEldP99)), sourceLatenessP99: input.sourceLatenessP99 },
    loadAverage: { start: input.loadAverageAtStart, mean: round(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length), 2), max: Math.max(0, ...loads) },
    failures: [],
    warnings,
  };
  const f = summary.failures;
  if (errors.total > 0) {
    const parts = [`${errors.failedCreates} failed creates (${errors.serverErrors} of them 5xx)`, `${errors.disconnects} socket disconnects`, `${errors.agentErrors} agent errors`];
    const first = [input.firstFailedCreate && `first failed create: ${input.firstFailedCreate}`, input.firstAgentError && `first agent error: ${input.firstAgentError}`].filter(Boolean);
    f.push(`${errors.total} errors: ${parts.join(', ')}${first.map((x) => `; ${x}`).join('')}`);
  }
  if (rssSlope === undefined) warnings.push('too few samples for an RSS slope');
  else if (!summary.rss.judged) {
    warnings.push(`RSS slope not judged: ${round(measuredMinutes)} minutes measured after the warm-up, and a slope needs ${MIN_SLOPE_MINUTES} (over less it is mostly the heap's sawtooth)`);
  } else if (rssSlope > options.rssBoundMiBPerHour) f.push(`RSS grew ${round(rssSlope)} MiB/h, past the bound of ${options.rssBoundMiBPerHour} MiB/h`);
  if (runaway) {
    const why = input.stoppedEarly ?? `rising ${round(backlogSlope ?? 0)} tasks/s (more than ${BACKLOG_SLOPE_SHARE * 100}% of the arrival rate) to ${lastBacklog} tasks (more than ${BACKLOG_BOUND_S} s of arrivals)`;
    f.push(`the backlog grew without bound: ${why}; the hub accepted ${summary.tasks.acceptedPerSecond} tasks/s of ${options.rate}/s`);
  }
  if (summary.generators.fleetEldP99Max > MAX_FLEET_ELD_MS) warnings.push(`a generator was overloaded (fleet event-loop delay p99 up to ${summary.generators.fleetEldP99Max} ms): latencies include it`);
  // An offer that reaches a paused generator is timed when the generator runs again: its lateness is not the hub's.
  const paused = measured.filter((s) => s.fleetEldMax > FLEET_PAUSE_MS && s.fleetEldMax > s.eldMax);
  if (paused.length > 0) {
    const worst = paused.reduce((a, s) => (s.fleetEldMax > a.fleetEldMax ? s : a));
    warnings.push(
      `a generator paused longer than the hub in ${paused.length} of ${measured.length} measured slices (up to ${worst.fleetEldMax} ms, the hub's longest stall in that slice ${worst.eldMax} ms): offers it received then are measured late`,
    );
  }
  if (input.sourceLatenessP99 > MAX_LATENESS_MS) warnings.push(`the task source fell behind its schedule (send lateness p99 ${input.sourceLatenessP99} ms)`);
  if (summary.loadAverage.max > cpus().length) warnings.push(`other work on the machine (load average up to ${summary.loadAverage.max} on ${cpus().length} cores): figures are pessimistic`);
  return summary;
}
