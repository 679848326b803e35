/**
 * What a soak runs, from its command line: the load (`--rate`, `--agents`), how long
 * (`--minutes`), how often it reports (`--every`, seconds), the warm-up left out of the slopes and
 * the overall figures (`--warmup`, minutes) and the bounds it is judged by (`--rss-bound`, MiB per
 * hour; `--max-backlog`, seconds of arrivals, past which it stops early; 0 never stops), and how
 * many agents one generator process holds (`--per-fleet`).
 */

/** A soak's shape and bounds. */
export interface SoakOptions {
  rate: number;
  agents: number;
  minutes: number;
  everyS: number;
  warmupMinutes: number;
  /** RSS growth beyond which the soak fails, MiB per hour. */
  rssBoundMiBPerHour: number;
  /** Backlog, in seconds of arrivals, at which the soak stops early as runaway (0: never). */
  maxBacklogS: number;
  pinned: boolean;
  nice: number;
  /** Run the processes from the sources through tsx (`--tsx`) instead of compiled, as the hub ships. */
  tsx: boolean;
  /**
   * Agents per generator process. Smaller than the bench's 5,000: a fleet holding 5,000 SDK workers
   * pauses for its own collections up to 0.5-0.7 s, and an offer reaching it then is measured late.
   */
  agentsPerFleet: number;
}

/**
 * The load, 1,000 tasks/s over 10,000 agents, a line every 30 s, for an hour: 40 minutes of
 * it measured after a 20-minute warm-up. The warm-up outlasts what the hub fills before it is
 * steady: finished tasks kept 5 minutes, then the collector sizing its heap for them. At 1,000
 * tasks/s the heap's peak, and RSS with it, stepped up until 9-10 minutes in in two 30-minute runs
 * of 2026-12-07 and until 17.5 minutes in the third, then stayed level. A slope over a shorter
 * stretch is mostly the sawtooth of the heap, so the verdict judges it over `MIN_SLOPE_MINUTES` or
 * more (see verdict.ts); over 40 minutes the slope's noise is about a third of what it is over 20.
 */
export const SOAK_DEFAULTS: SoakOptions = {
  rate: 1000,
  agents: 10000,
  minutes: 60,
  everyS: 30,
  warmupMinutes: 20,
  rssBoundMiBPerHour: 50,
  maxBacklogS: 60,
  pinned: true,
  nice: 0,
  tsx: false,
  agentsPerFleet: 2500,
};

const FLAGS: Record<string, keyof SoakOptions> = {
  rate: 'rate',
  agents: 'agents',
  minutes: 'minutes',
  every: 'everyS',
  warmup: 'warmupMinutes',
  'rss-bound': 'rssBoundMiBPerHour',
  'max-backlog': 'maxBacklogS',
  nice: 'nice',
  'per-fleet': 'agentsPerFleet',
};

/** Parses `--name=value` flags (and `--no-pin`, `--tsx`) over the defaults; throws on anything else. */
export function parseSoakArgs(args: string[]): SoakOptions {
  const options: SoakOptions = { ...SOAK_DEFAULTS };
  for (const arg of args) {
    if (arg === '--no-pin') {
      options.pinned = false;
      continue;
    }
    if (arg === '--tsx') {
      options.tsx = true;
      continue;
    }
    const match = /^--([a-z-]+)=(.+)$/.exec(arg);
    const key = match ? FLAGS[match[1]!] : undefined;
    const value = Number(match?.[2]);
    if (!key || !Number.isFinite(value) || (key !== 'nice' && value < 0)) throw new Error(`unknown or bad flag ${arg}`);
    (options as unknown as Record<string, number>)[key] = value;
  }
  if (options.rate <= 0 || options.agents <= 0 || options.minutes <= 0 || options.everyS <= 0 || options.agentsPerFleet <= 0) {
    throw new Error('--rate, --agents, --minutes, --every and --per-fleet must be positive');
  }
  return options;
}
