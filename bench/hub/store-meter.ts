/**
 * Wraps the hub's store to count what the bench needs to explain a latency: commits, their
 * changes and events, and how long each `commit` took on the event loop (the synchronous part:
 * for the SQLite store, building the rows and handing them to its writer thread; a batch larger
 * than one slice hands the rest over in later turns, not counted here) and until it settled.
 */
import type { Store } from '../../server/store/store.js';
import { newHistogram, recordUs, summarize, type LatencySummary } from '../lib/histogram.js';

/** Figures since the last reset. */
export interface StoreFigures {
  commits: number;
  changes: number;
  events: number;
  /** Time the event loop spent inside `commit` before it returned, ms. */
  blocking: LatencySummary;
  /** Time until the commit's promise settled, ms. */
  settled: LatencySummary;
  /** Share of the window's wall time the loop spent blocked in commits, percent. */
  blockedPercent: number;
}

/** The store with its commits measured, and the figures. */
export function meterStore(store: Store): { store: Store; reset(): void; read(): StoreFigures } {
  let blocking = newHistogram();
  let settled = newHistogram();
  let commits = 0;
  let changes = 0;
  let events = 0;
  let blockedUs = 0;
  let since = performance.now();
  const commit = store.commit.bind(store);
  store.commit = (batch) => {
    const t0 = performance.now();
    const done = commit(batch);
    const t1 = performance.now();
    commits += 1;
    changes += batch.changes.length;
    events += batch.events.length;
    blockedUs += (t1 - t0) * 1000;
    recordUs(blocking, (t1 - t0) * 1000);
    return done.finally(() => recordUs(settled, (performance.now() - t0) * 1000));
  };
  return {
    store,
    reset() {
      blocking = newHistogram();
      settled = newHistogram();
      commits = changes = events = blockedUs = 0;
      since = performance.now();
    },
    read() {
      const wallUs = (performance.now() - since) * 1000;
      return { commits, changes, events, blocking: summarize(blocking), settled: summarize(settled), blockedPercent: Math.round((blockedUs / wallUs) * 1000) / 10 };
    },
  };
}
