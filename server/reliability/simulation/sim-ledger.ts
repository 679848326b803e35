import type { WorkspaceState } from '../../engine/workspace-state.js';

/** Statuses of a reservation that won its task. */
const WON = new Set(['accepted', 'wrapping', 'completed']);

/** An accept the hub acknowledged, and whether the task's completion was acknowledged since. */
export interface SimAccept {
  taskSid: string;
  workerSid: string;
  completion: 'none' | 'sent' | 'done';
}

/**
 * What the simulated hub acknowledged, which every restart must still show, and which tasks a
 * durable event ended (a completed or canceled task is purged five minutes later).
 */
export class SimLedger {
  /** Tasks whose create was acknowledged. */
  readonly tasks = new Set<string>();
  /** Acknowledged accepts, by reservation SID. */
  readonly accepts = new Map<string, SimAccept>();
  /** Tasks a committed event completed, canceled or deleted. */
  readonly ended = new Set<string>();
  /** Requests that never got a reply (a crash, a dropped frame). */
  unanswered = 0;
  /** Refusals, by `command status`. */
  readonly refusals = new Map<string, number>();

  /** Counts a refusal. */
  refused(what: string, status: number): void {
    const key = `${what} ${status}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  }

  /** Acknowledged completions. */
  get completions(): number {
    let n = 0;
    for (const a of this.accepts.values()) if (a.completion === 'done') n += 1;
    return n;
  }

  /** Every acknowledged change the restored state no longer shows. */
  lostIn(state: WorkspaceState): string[] {
    const lost: string[] = [];
    for (const sid of this.tasks) {
      if (!state.findTask(sid) && !this.ended.has(sid)) lost.push(`task ${sid} was acknowledged but is gone`);
    }
    for (const [sid, accept] of this.accepts) {
      const r = state.findReservation(sid);
      if (!r) {
        if (!this.ended.has(accept.taskSid)) lost.push(`reservation ${sid} got an acknowledged accept but is gone`);
      } else if (!WON.has(r.status)) {
        lost.push(`reservation ${sid} got an acknowledged accept but is ${r.status}`);
      } else if (accept.completion === 'done' && r.status !== 'completed') {
        lost.push(`reservation ${sid} got an acknowledged completion but is ${r.status}`);
      }
    }
    return lost;
  }
}
