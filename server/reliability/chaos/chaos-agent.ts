/**
 * A scripted agent on top of an SDK `Worker`, for chaos runs: on each tick it answers the offers it
 * has not answered yet (accept or reject, most at once, some only seconds later), finishes accepted
 * tasks after a while (sometimes through wrap-up) and now and then flips its own activity. Every command may fail on a
 * dropped connection; an offer whose answer was lost is answered again once it shows up pending
 * after the resync. Outcomes are counted, and `settled()` waits for commands still in flight.
 */
import type { Reservation, Worker } from '../../../client/sdk/index.js';

/** Outcome counters shared by a fleet of agents. */
export interface AgentTally {
  accepted: number;
  rejected: number;
  completed: number;
  activityFlips: number;
  /** Commands refused with 410: the offer was no longer pending. */
  gone: number;
  /** Commands lost to the network (503: not connected, dropped before the reply, or no reply in time). */
  lost: number;
  /** Any other refusal, by status. */
  other: Record<string, number>;
}

/** A fresh set of counters. */
export function newTally(): AgentTally {
  return { accepted: 0, rejected: 0, completed: 0, activityFlips: 0, gone: 0, lost: 0, other: {} };
}

/** The activities an agent flips between. */
export interface AgentActivities {
  available: string;
  unavailable: string;
}

/** One agent's behaviour over its worker. */
export class ChaosAgent {
  /** When each offer seen is to be answered, epoch ms (absent once answered). */
  private readonly answerAt = new Map<string, number>();
  private readonly answered = new Set<string>();
  private readonly finishAt = new Map<string, number>();
  private readonly busy = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private flipping = false;

  constructor(
    readonly worker: Worker,
    private readonly activities: AgentActivities,
    private readonly random: () => number,
    private readonly tally: AgentTally,
  ) {}

  /** One step of behaviour; does nothing while the worker is not connected. */
  tick(now: number): void {
    if (this.worker.connectionState !== 'connected') return;
    for (const r of this.worker.reservations.values()) {
      if (this.busy.has(r.sid)) continue;
      if (r.status === 'pending' && !this.answered.has(r.sid)) this.answer(r, now);
      else if ((r.status === 'accepted' || r.status === 'wrapping') && now >= (this.finishAt.get(r.sid) ?? 0)) this.finish(r, now);
    }
    if (!this.flipping && this.random() < 0.01) this.flip();
  }

  /** Resolves when no command of this agent is in flight. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private answer(r: Reservation, now: number): void {
    const at = this.answerAt.get(r.sid);
    if (at === undefined) {
      // A slow agent leaves one offer in five for seconds: long enough to be rescinded, or to outlive a drop.
      this.answerAt.set(r.sid, now + (this.random() < 0.2 ? 1000 + this.random() * 2000 : this.random() * 150));
      return;
    }
    if (now < at) return;
    this.answerAt.delete(r.sid);
    this.answered.add(r.sid);
    const accept = this.random() < 0.75;
    this.run(r.sid, accept ? r.accept() : r.reject(), () => {
      if (accept) this.tally.accepted += 1;
      else this.tally.rejected += 1;
    });
  }

  private finish(r: Reservation, now: number): void {
    if (!this.finishAt.has(r.sid)) {
      this.finishAt.set(r.sid, now + 50 + this.random() * 250);
      return;
    }
    const wrapFirst = r.status === 'accepted' && this.random() < 0.3;
    this.run(r.sid, wrapFirst ? r.task.wrapUp() : r.task.complete(), () => {
      if (wrapFirst) this.finishAt.set(r.sid, now + 50 + this.random() * 100);
      else this.tally.completed += 1;
    });
  }

  private flip(): void {
    this.flipping = true;
    const to = this.worker.activitySid === this.activities.available ? this.activities.unavailable : this.activities.available;
    this.track(
      this.worker.update({ activitySid: to }).then(
        () => void (this.tally.activityFlips += 1),
        (error: unknown) => this.failed(error),
      ),
    ).finally(() => (this.flipping = false));
  }

  private run(sid: string, command: Promise<unknown>, done: () => void): void {
    this.busy.add(sid);
    this.track(
      command.then(done, (error: unknown) => {
        // The answer may not have reached the hub: answer again if the offer is still pending after the resync.
        if (this.failed(error) === 503) {
          this.answered.delete(sid);
          this.answerAt.set(sid, 0);
        }
      }),
    ).finally(() => this.busy.delete(sid));
  }

  private failed(error: unknown): number {
    const status = (error as { status?: number }).status ?? 0;
    if (status === 410) this.tally.gone += 1;
    else if (status === 503) this.tally.lost += 1;
    else this.tally.other[status] = (this.tally.other[status] ?? 0) + 1;
    return status;
  }

  private track(promise: Promise<unknown>): Promise<unknown> {
    this.inflight.add(promise);
    return promise.finally(() => this.inflight.delete(promise));
  }
}
