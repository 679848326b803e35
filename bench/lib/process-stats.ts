/**
 * What a system under test reports about itself over a measurement window: CPU (percent of one
 * core), RSS and heap, event-loop delay from `monitorEventLoopDelay`, and on request a CPU profile
 * of the window only (taken in-process with the inspector, not the start-up or the seeding). Every
 * server process of the bench exposes these through the same IPC commands.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { Handlers } from './ipc.js';
import { mainThreadCpu } from './thread-cpu.js';

/** One window's figures. */
export interface ProcessStats {
  /** CPU time over the window as a percentage of one core: every thread (the hub's store writer included). */
  cpuPercent: number;
  /** The main thread's (the event loop's) share of that, where the platform tells it (Linux). */
  mainThreadCpuPercent?: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** Event-loop delay in ms beyond the 10 ms sampling interval. */
  eld: { p50: number; p99: number; max: number };
  /** Garbage-collection pauses over the window: their total share of it (percent), the longest, and the major ones. */
  gc: { percent: number; maxMs: number; majorCount: number; majorMaxMs: number };
  windowMs: number;
  /** The hub's store figures (hub only; see hub/store-meter.ts). */
  store?: unknown;
  /** The hub's connections answered and closed before a request reached its API, in total. */
  clientErrors?: number;
}

const MiB = 1024 * 1024;
/** Sampling interval of the event-loop delay monitor; Node reports it inside every sample, so it is taken out. */
const RESOLUTION_MS = 10;
const delayMs = (ns: number) => round(Math.max(0, ns / 1e6 - RESOLUTION_MS));
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Starts measuring; `reset()` opens a new window, `read()` closes it. */
export function statsProbe(): { reset(): void; read(): ProcessStats } {
  const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  eld.enable();
  const gc = { totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      if ((entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.majorCount += 1;
        gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration);
      }
    }
  }).observe({ entryTypes: ['gc'] });
  let cpu = process.cpuUsage();
  let mainCpu = mainThreadCpu();
  let since = performance.now();
  return {
    reset() {
      eld.reset();
      Object.assign(gc, { totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 });
      cpu = process.cpuUsage();
      mainCpu = mainThreadCpu();
      since = performance.now();
    },
    read() {
      const used = process.cpuUsage(cpu);
      const windowMs = performance.now() - since;
      const memory = process.memoryUsage();
      const mainNow = mainThreadCpu();
      return {
        cpuPercent: round(((used.user + used.system) / 1000 / Math.max(1, windowMs)) * 100, 1),
        ...(mainNow !== undefined && mainCpu !== undefined ? { mainThreadCpuPercent: round(((mainNow - mainCpu) / Math.max(1, windowMs)) * 100, 1) } : {}),
        rssMiB: round(memory.rss / MiB),
        heapUsedMiB: round(memory.heapUsed / MiB),
        eld: { p50: delayMs(eld.percentile(50)), p99: delayMs(eld.percentile(99)), max: delayMs(eld.max) },
        gc: { percent: round((gc.totalMs / Math.max(1, windowMs)) * 100, 1), maxMs: round(gc.maxMs), majorCount: gc.majorCount, majorMaxMs: round(gc.majorMaxMs) },
        windowMs: Math.round(windowMs),
      };
    },
  };
}

/** Full garbage collections until RSS settles (needs `--expose-gc`); resolves with RSS in bytes. */
export async function collectGarbage(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i += 1) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rss = process.memoryUsage().rss;
    if (Math.abs(last - rss) < 256 * 1024) return rss;
    last = rss;
  }
  return process.memoryUsage().rss;
}

/** IPC handlers `profile.start` and `profile.stop` {file}: a `.cpuprofile` of the window between them. */
export function profileHandlers(): Handlers {
  let session: Session | undefined;
  return {
    'profile.start': async () => {
      if (session) return;
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    },
    'profile.stop': async (args) => {
      if (!session) return;
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      writeFileSync(String(args['file']), JSON.stringify(profile));
    },
  };
}

/**
 * The IPC handlers every measured process offers: `stats.reset`, `stats.read`, `gc`,
 * `profile.start`, `profile.stop`, and `stats.run.reset` / `stats.run.read`: a second window,
 * independent of the first, for figures over a whole run while the first is read in slices.
 */
export function statsHandlers(): Handlers {
  const probe = statsProbe();
  const run = statsProbe();
  return {
    ...profileHandlers(),
    'stats.reset': () => probe.reset(),
    'stats.read': () => probe.read(),
    'stats.run.reset': () => run.reset(),
    'stats.run.read': () => run.read(),
    gc: async () => ({ rss: await collectGarbage() }),
  };
}
