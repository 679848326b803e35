import type { ClientMessage } from '../../../shared/protocol.js';
import type { Agenda, Scheduled } from './agenda.js';
import type { Prng } from './prng.js';
import type { SimLedger } from './sim-ledger.js';
import type { SimLink } from './sim-link.js';

/** A frame the simulated hub sends an agent. */
export type AgentFrame =
  | { type: 'snapshot'; reservations: Array<{ sid: string; taskSid: string; status: string }> }
  | { type: 'reply'; ref: string; ok: boolean; status?: number }
  | { type: 'push'; event: string; reservationSid: string; taskSid: string };

/** What an agent needs from the simulated world. */
export interface AgentWorld {
  agenda: Agenda;
  prng: Prng;
  ledger: SimLedger;
  /** Opens a link to the hub, or null while the hub is down. */
  connect(agent: SimAgent): SimLink | null;
  activities: { available: string; unavailable: string };
}

/** How long an agent waits for a reply before it sends the command again (virtual ms). */
const REPLY_TIMEOUT_MS = 4_000;
/** Sends of one command before the agent gives up on it. */
const ATTEMPTS = 2;

type Command = ClientMessage extends infer M ? (M extends { ref: string } ? Omit<M, 'ref'> : never) : never;

/** Told a command's fate: `status` is 0 when no reply came (the link is down, or every send went unanswered). */
type OnReply = (ok: boolean, status: number) => void;

interface Request {
  frame: ClientMessage;
  attempts: number;
  timeout: Scheduled;
  onReply: OnReply;
}

/**
 * A simulated agent behind a faulty link, acting as a person with the SDK would: it accepts,
 * rejects or ignores each offer after a think time, completes what it accepted after a handle
 * time, takes breaks, and reconnects after a disconnect, resynchronising from the hub's snapshot.
 * A command without a reply is sent again (the hub must cope with the duplicate), then given up.
 */
export class SimAgent {
  private link: SimLink | null = null;
  private readonly offers = new Map<string, string>();
  private readonly deciding = new Set<string>();
  private readonly completing = new Set<string>();
  /** Reservation of each task it holds, by task SID. */
  private readonly held = new Map<string, string>();
  private readonly requests = new Map<string, Request>();
  private refs = 0;
  private onBreak = false;

  constructor(
    readonly workerSid: string,
    private readonly world: AgentWorld,
  ) {}

  /** Whether its link is up. */
  get connected(): boolean {
    return this.link?.isUp ?? false;
  }

  /** Starts the agent: it connects and keeps its own schedule from now on. */
  start(): void {
    this.reconnect();
    this.scheduleBreak();
  }

  /** Cuts its link (the network's doing); it reconnects by itself. */
  disconnect(): void {
    this.link?.cut();
  }

  /** The link went down: forget it and try again after a backoff. */
  closed(): void {
    this.link = null;
    this.world.agenda.after(this.world.prng.int(200, 3_000), () => this.reconnect());
  }

  /** A frame from the hub. */
  receive(frame: AgentFrame): void {
    switch (frame.type) {
      case 'snapshot':
        this.offers.clear();
        for (const r of frame.reservations) {
          if (r.status === 'pending') this.offer(r.sid, r.taskSid);
          else if (r.status === 'accepted' || r.status === 'wrapping') {
            this.held.set(r.taskSid, r.sid);
            this.scheduleCompletion(r.taskSid);
          }
        }
        break;
      case 'reply': {
        const request = this.requests.get(frame.ref);
        if (!request) return; // A reply to a duplicate, or after the agent gave up.
        this.requests.delete(frame.ref);
        request.timeout.cancelled = true;
        request.onReply(frame.ok, frame.status ?? 200);
        break;
      }
      case 'push':
        if (frame.event === 'reservation.created') this.offer(frame.reservationSid, frame.taskSid);
        else this.offers.delete(frame.reservationSid);
        break;
    }
  }

  private reconnect(): void {
    if (this.link) return;
    this.link = this.world.connect(this);
    if (!this.link) this.world.agenda.after(this.world.prng.int(500, 3_000), () => this.reconnect());
  }

  private offer(reservationSid: string, taskSid: string): void {
    this.offers.set(reservationSid, taskSid);
    if (this.deciding.has(reservationSid)) return;
    this.deciding.add(reservationSid);
    const { prng, agenda } = this.world;
    agenda.after(prng.int(300, 10_000), () => {
      this.deciding.delete(reservationSid);
      if (!this.offers.has(reservationSid)) return;
      const roll = prng.next();
      if (roll < 0.65) this.accept(reservationSid, taskSid);
      else if (roll < 0.8) {
        this.request({ type: 'reservation.reject', reservationSid }, (ok, status) => {
          if (!ok && status > 0) this.world.ledger.refused('reject', status);
        });
      }
      // Otherwise the offer is left to time out.
    });
  }

  private accept(reservationSid: string, taskSid: string): void {
    this.request({ type: 'reservation.accept', reservationSid }, (ok, status) => {
      if (!ok) return status > 0 ? this.world.ledger.refused('accept', status) : undefined;
      this.offers.delete(reservationSid);
      this.held.set(taskSid, reservationSid);
      if (!this.world.ledger.accepts.has(reservationSid)) {
        this.world.ledger.accepts.set(reservationSid, { taskSid, workerSid: this.workerSid, completion: 'none' });
      }
      this.scheduleCompletion(taskSid);
    });
  }

  private scheduleCompletion(taskSid: string): void {
    if (this.completing.has(taskSid)) return;
    this.completing.add(taskSid);
    const { prng, agenda, ledger } = this.world;
    agenda.after(prng.int(5_000, 120_000), () => {
      this.completing.delete(taskSid);
      const reservationSid = this.held.get(taskSid);
      const accept = reservationSid === undefined ? undefined : ledger.accepts.get(reservationSid);
      if (accept && accept.completion === 'none') accept.completion = 'sent';
      this.request({ type: 'task.complete', taskSid }, (ok, status) => {
        if (ok) this.held.delete(taskSid);
        if (ok && accept) accept.completion = 'done';
        if (!ok && status > 0) ledger.refused('complete', status);
      });
    });
  }

  private scheduleBreak(): void {
    const { prng, agenda, activities } = this.world;
    agenda.after(prng.int(120_000, 1_200_000), () => {
      if (this.onBreak) return this.scheduleBreak();
      this.request({ type: 'worker.update', activitySid: activities.unavailable, rejectPendingReservations: prng.chance(0.5) }, (ok) => {
        if (ok) this.onBreak = true;
      });
      agenda.after(prng.int(30_000, 300_000), () => this.endBreak());
      this.scheduleBreak();
    });
  }

  private endBreak(): void {
    this.request({ type: 'worker.update', activitySid: this.world.activities.available }, (ok) => {
      if (ok) this.onBreak = false;
      else this.world.agenda.after(5_000, () => this.endBreak());
    });
  }

  /** Sends a command; without a reply in time it is sent again, then given up as unanswered. */
  private request(command: Command, onReply: OnReply): void {
    if (!this.link) {
      this.world.ledger.unanswered += 1;
      return onReply(false, 0);
    }
    const frame = { ...command, ref: `${this.workerSid.slice(-6)}-${(this.refs += 1)}` } as ClientMessage;
    const send = (attempts: number) => {
      this.link?.send('toHub', frame);
      const timeout = this.world.agenda.after(REPLY_TIMEOUT_MS, () => {
        if (attempts < ATTEMPTS && this.link) return send(attempts + 1);
        this.requests.delete(frame.ref);
        this.world.ledger.unanswered += 1;
        onReply(false, 0);
      });
      this.requests.set(frame.ref, { frame, attempts, timeout, onReply });
    };
    send(1);
  }
}
