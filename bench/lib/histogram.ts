/**
 * Latency histograms for the bench: HdrHistogram in whole microseconds (3 significant digits, up
 * to 10 minutes), encoded as compressed base64 to cross process boundaries and merged by the
 * parent. Summaries are in milliseconds and never an average alone.
 */
import * as hdr from 'hdr-histogram-js';

/** A histogram of microsecond values. */
export type Histogram = hdr.Histogram;

/** What a latency figure reports: percentiles and max in ms, and how many samples. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

const HIGHEST_US = 600_000_000;

/** A fresh histogram of microseconds. */
export function newHistogram(): Histogram {
  return hdr.build({ numberOfSignificantValueDigits: 3, highestTrackableValue: HIGHEST_US, useWebAssembly: false });
}

/** Microseconds on the machine's monotonic clock (CLOCK_MONOTONIC): comparable across processes. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Records a duration in microseconds, clamped into the trackable range. */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(0, Math.round(us))));
}

/** The histogram as a compact string. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Merges encoded histograms (from several processes) into one. */
export function mergeHistograms(encoded: Iterable<string>): Histogram {
  const total = newHistogram();
  for (const text of encoded) {
    const part = hdr.decodeFromCompressedBase64(text, 'packed', false);
    total.add(part);
    part.destroy();
  }
  return total;
}

const ms = (us: number) => Math.round(us) / 1000;

/** Percentiles of a histogram, in milliseconds. */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

/** Merges encoded histograms and summarizes them. */
export function summarizeEncoded(encoded: Iterable<string>): LatencySummary {
  const h = mergeHistograms(encoded);
  const summary = summarize(h);
  h.destroy();
  return summary;
}

/** `p50 / p99 / p99.9 / max (n)` for a table cell. */
export function formatSummary(s: LatencySummary | undefined): string {
  if (!s || s.count === 0) return 'n/a';
  return `${s.p50} / ${s.p99} / ${s.p999} / ${s.max} ms (n=${s.count})`;
}
