import type { TimerTable } from '../../timers.js';
import type { Agenda, Scheduled } from './agenda.js';

/**
 * The hub's timers on the simulation's agenda instead of Node's: a deadline fires when virtual
 * time reaches it (one already passed fires at the next happening), in a repeatable order.
 */
export class VirtualTimers implements TimerTable {
  private readonly entries = new Map<string, Scheduled>();
  private dead = false;

  constructor(
    private readonly agenda: Agenda,
    private readonly fire: (key: string) => void,
  ) {}

  /** Number of armed timers. */
  get size(): number {
    return this.entries.size;
  }

  set(key: string, at: number): void {
    this.clear(key);
    const entry = this.agenda.at(at, () => {
      this.entries.delete(key);
      if (!this.dead) this.fire(key);
    });
    this.entries.set(key, entry);
  }

  clear(key: string): void {
    const entry = this.entries.get(key);
    if (entry) {
      entry.cancelled = true;
      this.entries.delete(key);
    }
  }

  clearAll(): void {
    for (const entry of this.entries.values()) entry.cancelled = true;
    this.entries.clear();
  }

  /** The process died: nothing it armed fires, and nothing it arms from now on. */
  kill(): void {
    this.dead = true;
    this.clearAll();
  }
}
