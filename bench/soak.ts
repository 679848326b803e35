/**
 * `npm run bench:soak`: steady load on the hub for a long time, to see what a short run cannot: a
 * memory leak, an event loop that slows as state piles up, errors, a backlog that creeps. The hub
 * runs as in the bench (its own process on the server core, the durable SQLite store), the agents
 * are the SDK's workers in generator processes (accept after 5-15 ms, complete 50 ms later), the
 * task source is open loop. Every `--every` seconds a line; at the end the summary, written to
 * `results/soak-latest.{json,md}`. Exits 1 on errors, on an RSS slope past the bound, or on a
 * backlog that grew without bound (stopping early once it passes `--max-backlog` seconds of
 * arrivals), saying why.
 *
 *   node --import tsx bench/soak.ts [--minutes=60] [--rate=1000] [--agents=10000] [--every=30]
 *     [--warmup=20] [--rss-bound=50] [--max-backlog=60] [--no-pin] [--nice=-10] [--tsx]
 */
import { cpus, loadavg } from 'node:os';
import { PhaseSession } from './phase-session.js';
import { compileChildren, type ChildRuntime } from './lib/compiled.js';
import { benchPriority } from './lib/ipc.js';
import { nowUs, summarizeEncoded } from './lib/histogram.js';
import type { ProcessStats } from './lib/process-stats.js';
import { AGENT } from './plan.js';
import { parseSoakArgs, type SoakOptions } from './soak/options.js';
import { renderSoak, sampleLine, writeSoak, type SoakResults } from './soak/report.js';
import { Sampler } from './soak/sampler.js';
import { judge, measuredSamples } from './soak/verdict.js';

/** Delay between the source's start command and its first task, so no task is due before it runs. */
const LEAD_US = 500_000;

const sleepUntilUs = (us: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, (us - nowUs()) / 1000)));

async function soak(o: SoakOptions): Promise<SoakResults> {
  const startedAt = new Date();
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  const pinned = o.pinned && cpus().length >= 2;
  benchPriority.nice = o.nice;
  const runtime: ChildRuntime = compileChildren(o.tsx);
  console.log(
    `Switchboard soak: ${o.rate} tasks/s, ${o.agents} agents (${o.agentsPerFleet} per generator process), ${o.minutes} min, a line every ${o.everyS} s; hub on core ${pinned ? 0 : 'any'}, generators on core ${pinned ? 1 : 'any'}; load average ${loadAtStart}`,
  );
  const session = await PhaseSession.open('hub', { serverCore: pinned ? 0 : undefined, generatorCore: pinned ? 1 : undefined, agentsPerFleet: o.agentsPerFleet }, 0);
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    console.log('Interrupted: summarizing what ran so far.');
  };
  process.once('SIGINT', interrupt);
  try {
    const { system, gens } = session;
    const connectStarted = performance.now();
    await session.grow(o.agents);
    const connectMs = Math.round(performance.now() - connectStarted);
    console.log(`Connected ${o.agents} agents in ${(connectMs / 1000).toFixed(1)} s; store ${String(system.facts()['store'])}`);
    await system.setMaxReserved(1);
    await gens.behave(AGENT);
    const startUs = nowUs() + LEAD_US;
    const durationMs = o.minutes * 60_000;
    await gens.measure(startUs, false);
    await system.resetStats();
    await system.resetRunStats?.();
    // The source runs for the whole soak; its counters are read slice by slice. Its own result is
    // not awaited (the soak may stop early), only kept from rejecting once it is stopped.
    gens.runSource('run', system.taskRequest(false), { rate: o.rate, startUs, durationMs, warmupMs: 0 }).catch(() => undefined);
    const sampler = new Sampler(system, gens, startUs);
    const warmupS = o.warmupMinutes * 60;
    let runStatsFrom = 0;
    let stoppedEarly: string | undefined;
    for (let k = 1; !interrupted; k += 1) {
      const dueUs = startUs + Math.min(k * o.everyS * 1e6, durationMs * 1000);
      await sleepUntilUs(dueUs);
      const sample = await sampler.take(nowUs());
      console.log(sampleLine(sample));
      // The hub's whole-run window (event-loop delay, CPU) opens when the warm-up ends.
      if (runStatsFrom === 0 && sample.atS >= warmupS && sample.atS < o.minutes * 60) {
        runStatsFrom = sample.atS;
        await system.resetRunStats?.();
      }
      if (o.maxBacklogS > 0 && sample.backlog > o.maxBacklogS * o.rate) {
        stoppedEarly = `stopped at ${Math.round(sample.atS)} s with ${sample.backlog} tasks waiting (more than ${o.maxBacklogS} s of arrivals)`;
        console.log(`Stopping early: ${stoppedEarly}.`);
        break;
      }
      if (dueUs >= startUs + durationMs * 1000) break;
    }
    const hub: ProcessStats | undefined = await system.readRunStats?.();
    const progress = await gens.sourceProgress();
    const measured = new Set(measuredSamples(sampler.samples, warmupS));
    const summary = judge({
      options: o,
      samples: sampler.samples,
      offer: summarizeEncoded(sampler.offers.filter((_, i) => measured.has(sampler.samples[i]!)).flat()),
      hub,
      sourceLatenessP99: progress.latenessP99,
      loadAverageAtStart: loadAtStart,
      stoppedEarly,
      firstAgentError: sampler.notes.firstAgentError,
      firstFailedCreate: sampler.notes.firstFailedCreate,
    });
    if (runStatsFrom === 0 && hub) summary.warnings.push('the run ended within its warm-up: the hub figures over the run include it');
    if (interrupted) summary.warnings.push(`interrupted after ${sampler.samples.at(-1)?.atS ?? 0} s of ${o.minutes * 60}`);
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, runtime },
      options: o,
      connectMs,
      store: String(system.facts()['store']),
      summary,
      samples: sampler.samples,
    };
  } finally {
    process.off('SIGINT', interrupt);
    await session.close();
  }
}

soak(parseSoakArgs(process.argv.slice(2))).then(
  (results) => {
    const where = writeSoak(results);
    console.log(`\n${renderSoak(results)}\nWritten to ${where} (and .json).`);
    process.exit(results.summary.failures.length === 0 ? 0 : 1);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
