/**
 * What `bench/run.ts` runs, in quick and full mode. Each phase starts every system fresh (so its
 * memory and state are not left over from another phase), connects the phase's agents, measures
 * memory at the listed points, then runs the load scenarios.
 */
import type { BehaviorConfig } from './gen/agent-behavior.js';
import type { SaturationOptions } from './scenarios/saturation.js';

/** An open-loop run's shape. */
export interface RunShape {
  rate: number;
  durationMs: number;
  warmupMs: number;
  behavior: Partial<BehaviorConfig>;
  /** Longest wait for a backlog to drain after the run, ms. */
  drainCapMs?: number;
}

/** One phase: a fresh system, its agents, and what to measure with them. */
export interface Phase {
  agents: number;
  /** Agent counts to measure memory at, ascending, the last equal to `agents`. */
  memoryAt: number[];
  /**
   * Window of the idle-CPU reading at each memory point, ms (default 3 s). Keep-alives come every
   * 10 s (SDK) and 15 s (hub pings): a shorter window reads whichever share of them falls in it.
   */
  idleMs?: number;
  /** Offer/accept latency with MaxReservedWorkers 1. */
  latency?: RunShape;
  /** Multi-offer with MaxReservedWorkers 50: offer and rescind latency. */
  rescind?: RunShape;
  saturation?: SaturationOptions;
  rest?: { concurrency: number; durationMs: number; warmupMs: number };
  /** Start the system over after a run that left a backlog (else the next runs inherit it and say so). */
  restartOnBacklog?: boolean;
}

/** A whole bench. */
export interface Plan {
  name: 'quick' | 'full';
  phases: Phase[];
  routingCost: { workers: number[]; decisions: number };
}

/** Agents answer offers after 5-15 ms and hold a won task 50 ms, as a fast scripted client would. */
export const AGENT: Partial<BehaviorConfig> = { thinkMs: 5, thinkJitterMs: 10, holdMs: 50 };
/**
 * In multi-offer runs each offered agent decides within 20 ms to 1 s (a person's reaction spread):
 * the quickest accepts first (about 40 ms in), the others are rescinded before most of them click.
 */
const RACE: Partial<BehaviorConfig> = { thinkMs: 20, thinkJitterMs: 1000, holdMs: 50 };
const LADDER = [250, 500, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000];

/** Under two minutes for all three systems: one phase of 1,000 agents, short windows. */
export const QUICK: Plan = {
  name: 'quick',
  phases: [
    {
      agents: 1000,
      memoryAt: [500, 1000],
      latency: { rate: 1000, durationMs: 3000, warmupMs: 1000, behavior: AGENT, drainCapMs: 3000 },
      rescind: { rate: 100, durationMs: 3000, warmupMs: 1000, behavior: RACE, drainCapMs: 3000 },
      saturation: { rates: [500, 2000, 5000], durationMs: 2000, warmupMs: 500, p99BoundMs: 50, drainCapMs: 3000 },
      rest: { concurrency: 64, durationMs: 1500, warmupMs: 500 },
    },
  ],
  routingCost: { workers: [1000, 10000], decisions: 3000 },
};

/** A whole keep-alive cycle (the hub pings every 15 s, the SDK every 10 s) for the full run's idle CPU. */
const IDLE_WINDOW_MS = 30_000;

/** Every figure of the issue at 1,000 and 10,000 agents, memory up to 19,000. */
export const FULL: Plan = {
  name: 'full',
  phases: [
    {
      agents: 1000,
      memoryAt: [1000],
      idleMs: IDLE_WINDOW_MS,
      latency: { rate: 1000, durationMs: 15000, warmupMs: 3000, behavior: AGENT },
      saturation: { rates: LADDER, durationMs: 8000, warmupMs: 2000, p99BoundMs: 50 },
      restartOnBacklog: true,
    },
    {
      agents: 10000,
      memoryAt: [10000],
      idleMs: IDLE_WINDOW_MS,
      latency: { rate: 1000, durationMs: 20000, warmupMs: 5000, behavior: AGENT },
      rescind: { rate: 100, durationMs: 15000, warmupMs: 3000, behavior: RACE },
      saturation: { rates: LADDER, durationMs: 8000, warmupMs: 2000, p99BoundMs: 50 },
      rest: { concurrency: 64, durationMs: 10000, warmupMs: 2000 },
      restartOnBacklog: true,
    },
    { agents: 19000, memoryAt: [19000], idleMs: IDLE_WINDOW_MS },
  ],
  routingCost: { workers: [1000, 10000], decisions: 30000 },
};
