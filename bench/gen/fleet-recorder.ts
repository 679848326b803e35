/**
 * What one generator process measured: offer latency (intended send -> offer event), accept
 * latency (accept sent -> reply), end-to-end (intended send -> winning accept's reply), counters,
 * and for rescind runs each winner's accept time and each task's last rescind. Only tasks whose
 * intended send time is inside the window (after warm-up) count.
 */
import { encodeHistogram, newHistogram, recordUs, type Histogram } from '../lib/histogram.js';

/** Counters of one window. */
export interface FleetCounts {
  offers: number;
  accepted: number;
  /** Accepts answered 410 (another agent won). */
  lost: number;
  rejected: number;
  ignored: number;
  completed: number;
  rescinds: number;
  errors: number;
  /** Connections that dropped after the agent was ready (including a deliberate close). */
  disconnects: number;
}

/** A window's measurements, encoded to cross the process boundary. */
export interface FleetReport {
  offer: string;
  accept: string;
  e2e: string;
  counts: FleetCounts;
  /** [taskKey, accept sent µs] of every winning accept. */
  winners: Array<[string, number]>;
  /** [taskKey, last rescind µs, rescinds] per task. */
  rescinds: Array<[string, number, number]>;
  /** [taskKey, offers] per task of the window (rescind runs). */
  offersOf: Array<[string, number]>;
  firstError: string | undefined;
}

const zero = (): FleetCounts => ({ offers: 0, accepted: 0, lost: 0, rejected: 0, ignored: 0, completed: 0, rescinds: 0, errors: 0, disconnects: 0 });

/** Accumulates one window's measurements. */
export class FleetRecorder {
  private fromUs = Number.POSITIVE_INFINITY;
  private trackRescinds = false;
  private offer: Histogram = newHistogram();
  private accept: Histogram = newHistogram();
  private e2e: Histogram = newHistogram();
  private winners = new Map<string, number>();
  private rescindsOf = new Map<string, [number, number]>();
  private offersOf = new Map<string, number>();
  private firstError: string | undefined;
  counts: FleetCounts = zero();
  /** Offers and answers seen in any window: it stops moving once the system is idle. */
  activity = 0;

  /** Opens a window: tasks intended at or after `fromUs` count. */
  start(fromUs: number, trackRescinds: boolean): void {
    for (const h of [this.offer, this.accept, this.e2e]) h.reset();
    this.fromUs = fromUs;
    this.trackRescinds = trackRescinds;
    this.winners.clear();
    this.rescindsOf.clear();
    this.offersOf.clear();
    this.firstError = undefined;
    this.counts = zero();
  }

  /** Whether a task intended at `intendedUs` is measured. */
  measures(intendedUs: number): boolean {
    return intendedUs >= this.fromUs;
  }

  offered(taskKey: string, intendedUs: number, atUs: number): void {
    this.activity += 1;
    if (intendedUs < this.fromUs) return;
    this.counts.offers += 1;
    if (this.trackRescinds) this.offersOf.set(taskKey, (this.offersOf.get(taskKey) ?? 0) + 1);
    recordUs(this.offer, atUs - intendedUs);
  }

  answered(taskKey: string, intendedUs: number, sentUs: number, repliedUs: number, won: boolean): void {
    this.activity += 1;
    if (intendedUs < this.fromUs) return;
    recordUs(this.accept, repliedUs - sentUs);
    if (!won) {
      this.counts.lost += 1;
      return;
    }
    this.counts.accepted += 1;
    recordUs(this.e2e, repliedUs - intendedUs);
    if (this.trackRescinds) this.winners.set(taskKey, sentUs);
  }

  rescinded(taskKey: string, atUs: number): void {
    this.activity += 1;
    if (!this.trackRescinds) return;
    this.counts.rescinds += 1;
    const seen = this.rescindsOf.get(taskKey);
    if (seen) {
      seen[0] = Math.max(seen[0], atUs);
      seen[1] += 1;
    } else this.rescindsOf.set(taskKey, [atUs, 1]);
  }

  failed(error: unknown): void {
    this.counts.errors += 1;
    this.firstError ??= error instanceof Error ? error.message : String(error);
  }

  /** The window so far, encoded, and a new window from the same `fromUs` (a soak's slices). */
  roll(): FleetReport {
    const report = this.report();
    this.start(this.fromUs, this.trackRescinds);
    return report;
  }

  /** The window so far, encoded. */
  report(): FleetReport {
    return {
      offer: encodeHistogram(this.offer),
      accept: encodeHistogram(this.accept),
      e2e: encodeHistogram(this.e2e),
      counts: { ...this.counts },
      winners: [...this.winners],
      rescinds: [...this.rescindsOf].map(([k, [at, n]]) => [k, at, n]),
      offersOf: [...this.offersOf],
      firstError: this.firstError,
    };
  }
}
