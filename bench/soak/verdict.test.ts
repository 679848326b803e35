import { describe, expect, it } from 'vitest';
import { SOAK_DEFAULTS, type SoakOptions } from './options.js';
import type { Sample } from './sampler.js';
import { judge, MIN_SLOPE_MINUTES, slope } from './verdict.js';

const EVERY_S = 30;

/**
 * Samples every 30 s for `minutes`, RSS from `rss(atS)` plus a sawtooth of 60 MiB up and down (the
 * heap's, between major collections, as RSS shows it at 1,000 tasks/s). No errors, the backlog level.
 */
function run(minutes: number, rss: (atS: number) => number): Sample[] {
  const samples: Sample[] = [];
  for (let atS = EVERY_S; atS <= minutes * 60; atS += EVERY_S) {
    const sawtooth = (atS / EVERY_S) % 2 === 0 ? 30 : -30;
    samples.push({
      atS,
      windowS: EVERY_S,
      sent: 30_000,
      created: 30_000,
      accepted: 30_000,
      completed: 30_000,
      offerP50: 5,
      offerP99: 50,
      rssMiB: rss(atS) + sawtooth,
      heapUsedMiB: 400 + 5 * sawtooth,
      eldP99: 10,
      eldMax: 40,
      gcPercent: 5,
      gcMaxMs: 15,
      cpuPercent: 85,
      commitBlockedPercent: 14,
      commitP99: 2,
      durableP99: 12,
      durableMax: 40,
      errors: { failedCreates: 0, serverErrors: 0, disconnects: 0, agentErrors: 0, hubClientErrors: 0 },
      backlog: 15,
      pendingCreates: 0,
      fleetEldP99: 10,
      fleetEldMax: 40,
      loadAverage: 1,
    });
  }
  return samples;
}

/** RSS as a steady hub shows it: filling its retention for ten minutes, then level. */
const fillsThenLevel = (atS: number) => 400 + 900 * Math.min(1, atS / 600);

function verdict(samples: Sample[], options: Partial<SoakOptions> = {}) {
  return judge({
    options: { ...SOAK_DEFAULTS, ...options },
    samples,
    offer: { p50: 5, p99: 50, p999: 80, max: 100, count: 1000 },
    hub: undefined,
    sourceLatenessP99: 1,
    loadAverageAtStart: 0,
    stoppedEarly: undefined,
    firstAgentError: undefined,
    firstFailedCreate: undefined,
  });
}

describe('soak verdict', () => {
  it('takes the least-squares slope', () => {
    expect(slope([[0, 1], [1, 3], [2, 5]])).toBe(2);
    expect(slope([[0, 1], [1, 3]])).toBeUndefined();
  });

  it('passes a hub whose memory fills its retention and then stays level, once the warm-up outlasts the fill', () => {
    const summary = verdict(run(60, fillsThenLevel));
    console.log(`level after the fill: RSS slope ${summary.rss.slopeMiBPerHour} MiB/h over ${summary.measuredSamples} samples`);
    expect(summary.rss.judged).toBe(true);
    expect(summary.failures).toEqual([]);
    // The same run judged from an earlier point takes the end of the fill for growth.
    const early = verdict(run(30, fillsThenLevel), { warmupMinutes: 6, minutes: 30 });
    expect(early.failures.join()).toMatch(/^RSS grew \d+(\.\d)? MiB\/h, past the bound of 50 MiB\/h$/);
  });

  it('fails a leak of 100 MiB/h after the warm-up, naming it', () => {
    const leak = (atS: number) => fillsThenLevel(atS) + (100 * atS) / 3600;
    const summary = verdict(run(60, leak));
    expect(summary.rss.slopeMiBPerHour).toBeGreaterThan(80);
    expect(summary.failures).toEqual([`RSS grew ${summary.rss.slopeMiBPerHour} MiB/h, past the bound of 50 MiB/h`]);
  });

  it(`does not judge a slope over fewer than ${MIN_SLOPE_MINUTES} minutes, and says so`, () => {
    const leak = (atS: number) => 400 + (2000 * atS) / 3600;
    const summary = verdict(run(25, leak));
    expect(summary.rss.slopeMiBPerHour).toBeGreaterThan(1000);
    expect(summary.rss.judged).toBe(false);
    expect(summary.failures).toEqual([]);
    expect(summary.warnings).toContain(`RSS slope not judged: 5 minutes measured after the warm-up, and a slope needs ${MIN_SLOPE_MINUTES} (over less it is mostly the heap's sawtooth)`);
    // Long enough, the same growth fails.
    expect(verdict(run(35, leak)).failures).toHaveLength(1);
  });

  it('fails on errors whatever the memory did', () => {
    const samples = run(60, fillsThenLevel);
    samples[40]!.errors.failedCreates = 2;
    samples[40]!.errors.serverErrors = 1;
    const summary = verdict(samples);
    expect(summary.errors.total).toBe(2);
    expect(summary.failures).toEqual(['2 errors: 2 failed creates (1 of them 5xx), 0 socket disconnects, 0 agent errors']);
  });
});
