/**
 * A chaos schedule over a proxy's links: every tick one fault hits a random open link (a reset, a
 * black hole that stays, a short outage that heals, a new latency and jitter), and now and then
 * every link drops at once. `stop()` ends it: outages still open are cut (never healed late),
 * every delay goes back to none, and the counts of what was done are returned.
 */
import type { ChaosLink, ChaosProxy } from './tcp-proxy.js';

/** What the schedule did. */
export interface ChaosCounts {
  resets: number;
  blackHoles: number;
  outages: number;
  delayChanges: number;
  dropAlls: number;
}

/** Runs faults on `proxy` every `tickMs` until stopped. */
export class LinkChaos {
  readonly counts: ChaosCounts = { resets: 0, blackHoles: 0, outages: 0, delayChanges: 0, dropAlls: 0 };
  private readonly timer: NodeJS.Timeout;
  private readonly healing = new Map<ChaosLink, NodeJS.Timeout>();

  constructor(
    private readonly proxy: ChaosProxy,
    private readonly random: () => number,
    tickMs = 100,
  ) {
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  /** Stops the faults; resolves with their counts. */
  stop(): ChaosCounts {
    clearInterval(this.timer);
    for (const [link, timer] of this.healing) {
      clearTimeout(timer);
      link.reset();
    }
    this.healing.clear();
    this.proxy.setDelay({ latencyMs: 0, jitterMs: 0 });
    return this.counts;
  }

  private tick(): void {
    if (this.random() < 0.03) {
      this.proxy.dropAll();
      this.counts.dropAlls += 1;
      return;
    }
    const links = this.proxy.links().filter((l) => !l.isHeld('up') && !l.isHeld('down'));
    const link = links[Math.floor(this.random() * links.length)];
    if (!link) return;
    const roll = this.random();
    if (roll < 0.25) {
      link.reset();
      this.counts.resets += 1;
    } else if (roll < 0.4) {
      link.blackHole(this.pick(['both', 'up', 'down'] as const));
      this.counts.blackHoles += 1;
    } else if (roll < 0.6) {
      // A short outage: held, then delivered late, perhaps after a peer gave up on it.
      link.blackHole('both');
      this.healing.set(
        link,
        setTimeout(() => {
          this.healing.delete(link);
          link.resume();
        }, 50 + this.random() * 400),
      );
      this.counts.outages += 1;
    } else {
      link.setDelay({ latencyMs: this.random() * 60, jitterMs: this.random() * 60 });
      this.counts.delayChanges += 1;
    }
  }

  private pick<T>(options: readonly T[]): T {
    return options[Math.floor(this.random() * options.length)]!;
  }
}
