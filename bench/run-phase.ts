/**
 * One phase on one system: start it fresh pinned to the server core, measure its empty memory,
 * connect the phase's agents (from generator processes on the other core) measuring memory and
 * idle CPU on the way, then run the phase's scenarios from the lightest to the heaviest, starting
 * the system over after any run that left a backlog, and stop everything, whatever happens.
 */
import type { Phase } from './plan.js';
import { PhaseSession, type Placement } from './phase-session.js';
import { loadRun, type LoadRunResult } from './scenarios/load-run.js';
import { emptyMemory, memoryPoint, type MemoryPoint } from './scenarios/memory.js';
import { restRate, type RestRateResult } from './scenarios/rest-rate.js';
import { saturation, type SaturationResult } from './scenarios/saturation.js';
import type { SystemName } from './systems/system.js';

export type { Placement };

/** What a phase measured on a system. */
export interface PhaseResult {
  system: SystemName;
  agents: number;
  connectMs: number;
  facts: Record<string, unknown>;
  emptyMiB: number;
  memory: MemoryPoint[];
  latency?: LoadRunResult;
  rescind?: LoadRunResult;
  saturation?: SaturationResult;
  rest?: RestRateResult;
  /** Bytes of the hub's `reservation.created` frame, as the SDK received it. */
  offerFrameBytes?: number;
  error?: string;
  /** Times the system was started over because a run left a backlog. */
  restarts: number;
  /** 1-minute load average of the machine at the start and the end (other work on it skews figures). */
  loadAverage: [number, number];
}

const loadAverage = async () => Math.round((await import('node:os')).loadavg()[0]! * 100) / 100;
const BACKLOG = /backlog/;

/** Runs `phase` on a fresh `name` system; `frameBytes` sizes the baselines' offer frames. */
export async function runPhase(name: SystemName, phase: Phase, placement: Placement, frameBytes: number): Promise<PhaseResult> {
  const log = (text: string) => console.log(`  [${name} ${phase.agents}] ${text}`);
  const result: PhaseResult = { system: name, agents: phase.agents, connectMs: 0, facts: {}, emptyMiB: 0, memory: [], restarts: 0, loadAverage: [await loadAverage(), 0] };
  const profile = (what: string) => (placement.profileDir ? `${placement.profileDir}/${name}-${phase.agents}-${what}.cpuprofile` : undefined);
  const summary = (run: LoadRunResult) => (run.valid ? '' : ' — ' + run.problems.join('; '));
  let session: PhaseSession | undefined;
  const settle = async (problems: string[]) => {
    if (!session || !phase.restartOnBacklog || !problems.some((p) => BACKLOG.test(p))) return;
    log('starting over: the last run left a backlog');
    result.restarts += 1;
    await session.restart();
  };
  try {
    session = await PhaseSession.open(name, placement, frameBytes);
    result.facts = session.system.facts();
    const empty = await emptyMemory(session.system);
    result.emptyMiB = Math.round((empty / 2 ** 20) * 100) / 100;
    const started = performance.now();
    for (const at of phase.memoryAt) {
      await session.grow(at);
      const point = await memoryPoint(session.system, at, empty, phase.idleMs);
      result.memory.push(point);
      log(`memory at ${at} agents: ${point.rssMiB} MiB, ${point.perAgentKiB} KiB/agent; idle CPU ${point.idleCpuPercent}% over ${point.idleWindowMs / 1000} s`);
    }
    result.connectMs = Math.round(performance.now() - started);
    if (phase.rescind) {
      const r = phase.rescind;
      result.rescind = await loadRun(session.system, session.gens, { ...r, maxReserved: 50, trackRescinds: true, profileFile: profile(`rescind-${r.rate}`) });
      const { system, generator } = result.rescind;
      log(`rescind MRW 50 ${r.rate}/s: offer p99 ${result.rescind.offer.p99} ms, rescind p99 ${result.rescind.rescind?.p99} ms; server cpu ${system.cpuPercent}%, generators cpu ${generator.fleetCpu + generator.sourceCpu}%${summary(result.rescind)}`);
      await settle(result.rescind.problems);
    }
    if (phase.latency) {
      const l = phase.latency;
      result.latency = await loadRun(session.system, session.gens, { ...l, maxReserved: 1, profileFile: profile(`latency-${l.rate}`) });
      log(`latency ${l.rate}/s: offer p50 ${result.latency.offer.p50} p99 ${result.latency.offer.p99} ms, accept p99 ${result.latency.accept.p99} ms${summary(result.latency)}`);
      await settle(result.latency.problems);
    }
    const fleetFrame = (await session.gens.reports())[0]?.offerFrameBytes;
    if (fleetFrame) result.offerFrameBytes = fleetFrame;
    if (phase.saturation) {
      // The SDK validates and models every frame: at thousands of tasks a second the generator's
      // core would be the limit, not the hub's. Saturation drives the hub with the lean client.
      if (name === 'hub') await session.gens.useClient('hub-lean');
      log(`saturation ladder${name === 'hub' ? ' (lean protocol client)' : ''}:`);
      result.saturation = await saturation(session.system, session.gens, phase.saturation, (rate) => profile(`saturation-${rate}`));
      log(`saturation: ${result.saturation.tasksPerSecond} tasks/s (${result.saturation.stoppedBy})`);
      await settle(result.saturation.steps.at(-1)?.problems ?? []);
    }
    if (phase.rest) {
      result.rest = await restRate(session.system, session.gens, { ...phase.rest, profileFile: profile('rest') });
      log(`REST create: ${result.rest.perSecond}/s, p99 ${result.rest.latency.p99} ms`);
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`failed: ${result.error}`);
  } finally {
    await session?.close();
    result.loadAverage[1] = await loadAverage();
  }
  return result;
}
