/**
 * Every open socket of the endpoint, and the index workerSid -> its authenticated sessions, so a
 * push costs O(sessions of that worker) whatever the number of connected workers. It also paces
 * the keep-alive: each socket is visited once per interval, but the sockets are spread over the
 * interval's slots, so a tick pings a slot's share of them. Pinging 10,000 sockets in one go holds
 * the event loop for about 200 ms (a write each), a stall every offer of that moment would wait out.
 */

/** What the registry needs to know of a session. */
export interface RegisteredSession {
  /** The worker it speaks for, once authenticated. */
  readonly workerSid: string | undefined;
  /** Keep-alive tick: false when the socket was cut because its previous ping went unanswered. */
  heartbeat(): boolean;
}

/** A keep-alive tick every this many ms at most (one slot's share of the sockets each). */
const KEEP_ALIVE_TICK_MS = 50;
const MAX_KEEP_ALIVE_SLOTS = 300;

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
  private readonly byWorker = new Map<string, Set<S>>();
  private authenticated = 0;
  /** Keep-alive slots: a socket stays in the slot it joined, so it is visited exactly once per interval. */
  private readonly slots: Set<S>[];
  /** Every open socket, with its keep-alive slot. */
  private readonly slotOf = new Map<S, Set<S>>();
  private joined = 0;
  private cursor = 0;
  private readonly keepAlive: NodeJS.Timeout;
  readonly counters = { slowConsumersCut: 0, deadPeersCut: 0, rateLimited: 0, invalidFrames: 0, tooManySockets: 0 };

  /** Starts the keep-alive: every socket's `heartbeat` once per `keepAliveMs`. */
  constructor(keepAliveMs: number) {
    const count = Math.max(1, Math.min(MAX_KEEP_ALIVE_SLOTS, Math.round(keepAliveMs / KEEP_ALIVE_TICK_MS)));
    this.slots = Array.from({ length: count }, () => new Set<S>());
    this.keepAlive = setInterval(() => this.tick(), keepAliveMs / count);
    this.keepAlive.unref();
  }

  /** Tracks a new socket. */
  open(session: S): void {
    const slot = this.slots[this.joined++ % this.slots.length]!;
    slot.add(session);
    this.slotOf.set(session, slot);
  }

  /** Stops the keep-alive (the endpoint is closing). */
  stop(): void {
    clearInterval(this.keepAlive);
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
    this.slotOf.get(session)?.delete(session);
    this.slotOf.delete(session);
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
    return [...this.slotOf.keys()];
  }

  /** Number of authenticated sessions. */
  sessionCount(): number {
    return this.authenticated;
  }

  private tick(): void {
    const slot = this.slots[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.slots.length;
    for (const session of [...slot]) if (!session.heartbeat()) this.counters.deadPeersCut += 1;
  }

  /** A copy of the counters. */
  stats(): SocketStats {
    return { sockets: this.slotOf.size, sessions: this.authenticated, ...this.counters };
  }
}
