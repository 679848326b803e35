/**
 * Memory per idle connected agent: the system's resident memory after full GCs, before any agent
 * and after N agents are created and connected (application state included: for the hub the
 * worker records, indexes and sessions; for baseline 2 Redis's memory too), divided by N; and what
 * the idle system spends keeping N agents connected.
 */
import type { SystemUnderTest } from '../systems/system.js';

/** One measured point. */
export interface MemoryPoint {
  agents: number;
  rssMiB: number;
  /** (RSS at N - RSS at 0) / N. */
  perAgentKiB: number;
  /** CPU of the idle system holding the agents (keep-alives, timers), percent of one core. */
  idleCpuPercent: number;
  /** The window that CPU was read over, ms. */
  idleWindowMs: number;
}

/** A system's memory with no agents and at each point. */
export interface MemoryResult {
  emptyMiB: number;
  points: MemoryPoint[];
}

const MiB = 1024 * 1024;
const round = (x: number) => Math.round(x * 100) / 100;

/** The empty system's memory; call before any agent exists. */
export async function emptyMemory(system: SystemUnderTest): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  return system.collect();
}

/** Measures a point with `agents` connected agents against `emptyRss`, then the idle CPU over `idleMs`. */
export async function memoryPoint(system: SystemUnderTest, agents: number, emptyRss: number, idleMs = 3000): Promise<MemoryPoint> {
  // Let handshakes, snapshots and keep-alives settle before measuring.
  await new Promise((r) => setTimeout(r, 1000));
  const rss = await system.collect();
  await system.resetStats();
  await new Promise((r) => setTimeout(r, idleMs));
  const idle = await system.readStats();
  return { agents, rssMiB: round(rss / MiB), perAgentKiB: round((rss - emptyRss) / agents / 1024), idleCpuPercent: idle.cpuPercent, idleWindowMs: idleMs };
}
