/**
 * Every open socket of the endpoint, and the index workerSid -> its authenticated sessions, so a
 * push costs O(sessions of that worker) whatever the number of connected workers.
 */

/** What the registry needs to know of a session. */
export interface RegisteredSession {
  /** The worker it speaks for, once authenticated. */
  readonly workerSid: string | undefined;
}

/** Counters an operator (and the tests) can read. */
export interface SocketStats {
  /** Open sockets, authenticated or not. */
  sockets: number;
  /** Authenticated sessions. */
  sessions: number;
  /** Sockets cut off because their send buffer passed the limit. */
  slowConsumersCut: number;
  /** Sockets cut off because they missed a ping. */
  deadPeersCut: number;
  /** Client messages refused by the rate limit. */
  rateLimited: number;
  /** Client frames refused as invalid. */
  invalidFrames: number;
  /** Sockets refused because their worker already held as many as it may. */
  tooManySockets: number;
}

/** The set of sockets and the per-worker index. */
export class SessionRegistry<S extends RegisteredSession> {
  private readonly all = new Set<S>();
  private readonly byWorker = new Map<string, Set<S>>();
  private authenticated = 0;
  readonly counters = { slowConsumersCut: 0, deadPeersCut: 0, rateLimited: 0, invalidFrames: 0, tooManySockets: 0 };

  /** Tracks a new socket. */
  open(session: S): void {
    this.all.add(session);
  }

  /** Indexes a session under its worker once it has authenticated. */
  bind(session: S, workerSid: string): void {
    let set = this.byWorker.get(workerSid);
    if (!set) this.byWorker.set(workerSid, (set = new Set()));
    if (!set.has(session)) {
      set.add(session);
      this.authenticated += 1;
    }
  }

  /** Forgets a session; true when it was its worker's last one. */
  remove(session: S): boolean {
    this.all.delete(session);
    const workerSid = session.workerSid;
    if (workerSid === undefined) return false;
    const set = this.byWorker.get(workerSid);
    if (!set?.delete(session)) return false;
    this.authenticated -= 1;
    if (set.size > 0) return false;
    this.byWorker.delete(workerSid);
    return true;
  }

  /** The authenticated sessions of a worker (live view; copy before ending any). */
  sessionsOf(workerSid: string): ReadonlySet<S> | undefined {
    return this.byWorker.get(workerSid);
  }

  /** Every open socket. */
  sockets(): S[] {
    return [...this.all];
  }

  /** Number of authenticated sessions. */
  sessionCount(): number {
    return this.authenticated;
  }

  /** A copy of the counters. */
  stats(): SocketStats {
    return { sockets: this.all.size, sessions: this.authenticated, ...this.counters };
  }
}
