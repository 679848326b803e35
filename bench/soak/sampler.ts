/**
 * A soak's slices: every few seconds the fleets hand over their window (and open the next), the
 * task source its counters, the hub its process figures (its window then starts over). One slice
 * is one `Sample`: what happened in it, and the backlog at its end: tasks the source has sent and
 * no agent has accepted yet, whether the hub has created them already or not yet answered the
 * creation (when REST is what falls behind, that is where the backlog waits). The offer-latency histograms stay here, encoded, to be merged over the whole run.
 */
import { loadavg } from 'node:os';
import type { Generators } from '../gen/generators.js';
import type { StoreFigures } from '../hub/store-meter.js';
import { summarizeEncoded } from '../lib/histogram.js';
import type { SystemUnderTest } from '../systems/system.js';

/** One slice of a soak. */
export interface Sample {
  /** Seconds since the first task was due, at the end of the slice. */
  atS: number;
  windowS: number;
  /** Task creations sent in the slice (the schedule's, unless the source fell behind). */
  sent: number;
  /** Tasks whose creation was answered 2xx in the slice. */
  created: number;
  accepted: number;
  completed: number;
  offerP50: number;
  offerP99: number;
  rssMiB: number;
  heapUsedMiB: number;
  eldP99: number;
  /** The hub's event-loop delay max in the slice, ms (a single long pause hides below the p99). */
  eldMax: number;
  /** Share of the slice the hub spent in garbage-collection pauses, percent, and its longest pause, ms. */
  gcPercent: number;
  gcMaxMs: number;
  /** The hub's CPU, all threads, and its main thread's part (undefined off Linux), percent of one core. */
  cpuPercent: number;
  mainThreadCpuPercent?: number;
  /** Share of the slice the hub's loop spent blocked in store commits, percent, and a commit's p99, ms. */
  commitBlockedPercent: number;
  commitP99: number;
  /** A commit's time until it was durable (the writer's work included), p99 and max, ms. */
  durableP99: number;
  durableMax: number;
  /** `hubClientErrors`: connections the hub answered (408, 400, 413, 431) and closed before a request reached its API. */
  errors: { failedCreates: number; serverErrors: number; disconnects: number; agentErrors: number; hubClientErrors: number };
  /** Sent minus accepted (and minus failed creations) since the start, at the end of the slice. */
  backlog: number;
  /** Of the backlog, creations not yet answered. */
  pendingCreates: number;
  /** The worst generator event-loop delay p99 of the slice, ms (beyond 50 ms the generators set the pace). */
  fleetEldP99: number;
  /** The worst generator event-loop delay max of the slice, ms (a generator's stall shows in the latencies). */
  fleetEldMax: number;
  /** Machine load average (1 minute) at the end of the slice. */
  loadAverage: number;
}

/** First `firstError` seen, for the report. */
export interface SampleNotes {
  firstAgentError?: string;
  firstFailedCreate?: string;
}

/** Takes consecutive samples of one running soak. */
export class Sampler {
  private sent = 0;
  private created = 0;
  private accepted = 0;
  private failed = 0;
  private serverErrors = 0;
  private hubClientErrors = 0;
  private lastAtUs: number;
  /** Every slice's encoded offer histograms (one per fleet), in order. */
  readonly offers: string[][] = [];
  readonly samples: Sample[] = [];
  readonly notes: SampleNotes = {};

  constructor(
    private readonly system: SystemUnderTest,
    private readonly gens: Generators,
    private readonly startUs: number,
  ) {
    this.lastAtUs = startUs;
  }

  /** Closes the current slice and opens the next; resolves with its sample. */
  async take(nowUs: number): Promise<Sample> {
    const [fleets, source, hub] = await Promise.all([this.gens.roll(), this.gens.sourceProgress(), this.system.readStats()]);
    await this.system.resetStats();
    const sum = (pick: (c: (typeof fleets)[number]['counts']) => number) => fleets.reduce((a, f) => a + pick(f.counts), 0);
    const accepted = sum((c) => c.accepted);
    const sent = source.sent - this.sent;
    const created = source.ok - this.created;
    const failedCreates = source.failed - this.failed;
    const serverErrors = source.serverErrors - this.serverErrors;
    this.sent = source.sent;
    this.created = source.ok;
    this.failed = source.failed;
    this.serverErrors = source.serverErrors;
    this.accepted += accepted;
    this.notes.firstAgentError ??= fleets.find((f) => f.firstError)?.firstError;
    this.notes.firstFailedCreate ??= source.firstFailure;
    const store = hub.store as StoreFigures | undefined;
    const clientErrorsTotal = hub.clientErrors ?? this.hubClientErrors;
    const clientErrors = clientErrorsTotal - this.hubClientErrors;
    this.hubClientErrors = clientErrorsTotal;
    const encoded = fleets.map((f) => f.offer);
    const offer = summarizeEncoded(encoded);
    this.offers.push(encoded);
    const sample: Sample = {
      atS: Math.round((nowUs - this.startUs) / 1e5) / 10,
      windowS: Math.round((nowUs - this.lastAtUs) / 1e5) / 10,
      sent,
      created,
      accepted,
      completed: sum((c) => c.completed),
      offerP50: offer.p50,
      offerP99: offer.p99,
      rssMiB: hub.rssMiB,
      heapUsedMiB: hub.heapUsedMiB,
      eldP99: hub.eld.p99,
      eldMax: hub.eld.max,
      gcPercent: hub.gc.percent,
      gcMaxMs: hub.gc.maxMs,
      cpuPercent: hub.cpuPercent,
      ...(hub.mainThreadCpuPercent !== undefined ? { mainThreadCpuPercent: hub.mainThreadCpuPercent } : {}),
      commitBlockedPercent: store?.blockedPercent ?? 0,
      commitP99: store?.blocking.p99 ?? 0,
      durableP99: store?.settled.p99 ?? 0,
      durableMax: store?.settled.max ?? 0,
      errors: { failedCreates, serverErrors, disconnects: sum((c) => c.disconnects), agentErrors: sum((c) => c.errors), hubClientErrors: clientErrors },
      backlog: this.sent - this.accepted - this.failed,
      pendingCreates: source.pending,
      fleetEldP99: Math.max(0, ...fleets.map((f) => f.stats.eld.p99)),
      fleetEldMax: Math.max(0, ...fleets.map((f) => f.stats.eld.max)),
      loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    };
    this.lastAtUs = nowUs;
    this.samples.push(sample);
    return sample;
  }
}
