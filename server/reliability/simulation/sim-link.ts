import type { Agenda, Scheduled } from './agenda.js';
import type { Prng } from './prng.js';

/** A link's faults: delay (virtual ms) and the chances that a frame is dropped or duplicated. */
export interface LinkFaults {
  latencyMs: readonly [number, number];
  dropRate: number;
  duplicateRate: number;
}

/** What happened to the frames of every link. */
export interface LinkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  /** Frames lost in flight when their link was cut. */
  cutOff: number;
}

/** Which way a frame travels. */
export type Direction = 'toHub' | 'toAgent';

/**
 * One simulated socket between an agent and the hub. Frames arrive in order after a random delay
 * (as over TCP), except that by chance one is dropped or delivered twice; `cut` ends the link at
 * both ends and loses whatever is in flight.
 */
export class SimLink {
  private up = true;
  private readonly inFlight = new Set<Scheduled>();
  private readonly lastArrival: Record<Direction, number> = { toHub: 0, toAgent: 0 };

  constructor(
    private readonly agenda: Agenda,
    private readonly prng: Prng,
    private readonly faults: LinkFaults,
    private readonly stats: LinkStats,
    private readonly ends: { [D in Direction]: (frame: unknown) => void } & { closed: () => void },
  ) {}

  /** Whether the link still carries frames. */
  get isUp(): boolean {
    return this.up;
  }

  /** Sends a frame one way; a no-op once the link is cut. */
  send(direction: Direction, frame: unknown): void {
    if (!this.up) return;
    this.stats.sent += 1;
    if (this.prng.chance(this.faults.dropRate)) {
      this.stats.dropped += 1;
      return;
    }
    const copies = this.prng.chance(this.faults.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated += 1;
    for (let i = 0; i < copies; i += 1) {
      const [min, max] = this.faults.latencyMs;
      const at = Math.max(this.lastArrival[direction], this.agenda.now + this.prng.int(min, max));
      this.lastArrival[direction] = at;
      const entry = this.agenda.at(at, () => {
        this.inFlight.delete(entry);
        this.stats.delivered += 1;
        this.ends[direction](frame);
      });
      this.inFlight.add(entry);
    }
  }

  /** Disconnects: frames in flight are lost and both ends are told, once. */
  cut(): void {
    if (!this.up) return;
    this.up = false;
    for (const entry of this.inFlight) entry.cancelled = true;
    this.stats.cutOff += this.inFlight.size;
    this.inFlight.clear();
    this.ends.closed();
  }
}
