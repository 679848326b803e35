/**
 * The task source, its own generator process. `run`: open loop at a fixed arrival rate, each task
 * with an intended send time on a fixed schedule from `startUs`; latency is measured from that
 * time, so a slow server is never given a break (no coordinated omission). If this process itself
 * falls behind its schedule the run says so and is invalid. `closed`: `concurrency` requests
 * always in flight for the REST creation rate. `progress`: the open loop's counters so far, while
 * it runs (a soak reads them in slices).
 */
import { encodeHistogram, newHistogram, nowUs, recordUs, summarize, type LatencySummary } from '../lib/histogram.js';
import { HttpPool } from '../lib/http-pool.js';
import { serve } from '../lib/ipc.js';
import { statsProbe } from '../lib/process-stats.js';
import { taskRequest, type TaskRequestSpec } from './task-requests.js';

/** The outcome of a run. */
export interface SourceResult {
  sent: number;
  /** Tasks intended inside the measured window. */
  measured: number;
  ok: number;
  failed: number;
  firstFailure: string | undefined;
  /**
   * Send time minus intended time over the measured window, ms: the verdict on the schedule. The
   * warm-up's sends (the pool's connections opening, code warming up) are left out, as every
   * figure leaves them out.
   */
  lateness: LatencySummary;
  /** Intended send -> response (open loop), or request -> response (closed loop), encoded. */
  rest: string;
  /** Responses per second over the window (closed loop). */
  perSecond: number;
  valid: boolean;
  reason: string | undefined;
  stats: ReturnType<ReturnType<typeof statsProbe>['read']>;
}

/** An open loop's counters so far. */
export interface SourceProgress {
  sent: number;
  /** Creations answered 2xx. */
  ok: number;
  /** Creations answered otherwise, or whose connection failed (status 0). */
  failed: number;
  /** Of `failed`, those answered 5xx. */
  serverErrors: number;
  /** Sent and not yet answered. */
  pending: number;
  /** Send lateness p99 since the run started, ms. */
  latenessP99: number;
  /** The first failed creation's status (0: the connection failed) and the start of its body. */
  firstFailure?: string;
}

/** Lateness p99 beyond which the source did not keep its schedule. */
const MAX_LATENESS_P99_MS = 5;

let pool: HttpPool | undefined;
const probe = statsProbe();
let progress: () => SourceProgress = () => ({ sent: 0, ok: 0, failed: 0, serverErrors: 0, pending: 0, latenessP99: 0 });

function target(args: Record<string, unknown>): HttpPool {
  const url = new URL(String(args['url']));
  pool?.close();
  pool = new HttpPool(url.hostname, Number(url.port), Number(args['connections'] ?? 128), args['localAddress'] as string | undefined);
  return pool;
}

function openLoop(args: Record<string, unknown>): Promise<SourceResult> {
  const http = target(args);
  const spec = args['spec'] as TaskRequestSpec;
  const rate = Number(args['rate']);
  const startUs = Number(args['startUs']);
  const fromUs = startUs + Number(args['warmupMs']) * 1000;
  const total = Math.round((rate * Number(args['durationMs'])) / 1000);
  const intervalUs = 1e6 / rate;
  // Since the run started (the soak's progress), and over the measured window (the verdict).
  const lateness = newHistogram();
  const windowLateness = newHistogram();
  const rest = newHistogram();
  let sent = 0;
  let answered = 0;
  let ok = 0;
  let measured = 0;
  let serverErrors = 0;
  let firstFailure: string | undefined;
  probe.reset();
  progress = () => ({ sent, ok, failed: answered - ok, serverErrors, pending: sent - answered, latenessP99: summarize(lateness).p99, firstFailure });
  return new Promise((resolve) => {
    const finish = () => {
      const late = summarize(windowLateness);
      const failed = sent - ok;
      const reason = late.p99 > MAX_LATENESS_P99_MS ? `task source fell behind its schedule (send lateness p99 ${late.p99} ms)` : undefined;
      resolve({ sent, measured, ok, failed, firstFailure, lateness: late, rest: encodeHistogram(rest), perSecond: 0, valid: !reason, reason, stats: probe.read() });
    };
    const send = (seq: number, intendedUs: number) => {
      const request = taskRequest(spec, seq, intendedUs);
      const lateUs = nowUs() - intendedUs;
      recordUs(lateness, lateUs);
      const inWindow = intendedUs >= fromUs;
      if (inWindow) {
        measured += 1;
        recordUs(windowLateness, lateUs);
      }
      http.request(request.method, request.path, request.headers, request.body, (status, body) => {
        answered += 1;
        if (status >= 200 && status < 300) ok += 1;
        else firstFailure ??= `${status} ${body.toString().slice(0, 200)}`;
        if (status >= 500) serverErrors += 1;
        if (inWindow) recordUs(rest, nowUs() - intendedUs);
        if (answered === total) finish();
      });
    };
    const tick = () => {
      const now = nowUs();
      while (sent < total && startUs + sent * intervalUs <= now) {
        send(sent, Math.round(startUs + sent * intervalUs));
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, (startUs + sent * intervalUs - nowUs()) / 1000)));
    };
    setTimeout(tick, Math.max(0, (startUs - nowUs()) / 1000));
    // Responses that never come must not hang the bench.
    setTimeout(finish, Number(args['durationMs']) + 30_000).unref();
  });
}

function closedLoop(args: Record<string, unknown>): Promise<SourceResult> {
  const http = target(args);
  const spec = args['spec'] as TaskRequestSpec;
  const concurrency = Number(args['concurrency'] ?? 64);
  const warmupUs = Number(args['warmupMs']) * 1000;
  const durationUs = Number(args['durationMs']) * 1000;
  const startUs = nowUs();
  const rest = newHistogram();
  let sent = 0;
  let ok = 0;
  let inWindow = 0;
  let inFlight = 0;
  let firstFailure: string | undefined;
  probe.reset();
  return new Promise((resolve) => {
    const next = () => {
      const now = nowUs();
      if (now - startUs >= durationUs) {
        if (--inFlight === 0) {
          const seconds = (durationUs - warmupUs) / 1e6;
          const perSecond = Math.round(inWindow / seconds);
          resolve({ sent, measured: inWindow, ok, failed: sent - ok, firstFailure, lateness: summarize(newHistogram()), rest: encodeHistogram(rest), perSecond, valid: true, reason: undefined, stats: probe.read() });
        }
        return;
      }
      const request = taskRequest(spec, sent, now);
      sent += 1;
      http.request(request.method, request.path, request.headers, request.body, (status, body) => {
        const done = nowUs();
        if (status >= 200 && status < 300) ok += 1;
        else firstFailure ??= `${status} ${body.toString().slice(0, 200)}`;
        if (now - startUs >= warmupUs && done - startUs <= durationUs) {
          inWindow += 1;
          recordUs(rest, done - now);
        }
        next();
      });
    };
    inFlight = concurrency;
    for (let i = 0; i < concurrency; i += 1) next();
  });
}

serve({ run: (args) => openLoop(args), closed: (args) => closedLoop(args), progress: () => progress() });
