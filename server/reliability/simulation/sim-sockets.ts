import type { ClientMessage } from '../../../shared/protocol.js';
import type { EventRecord } from '../../engine/model.js';
import type { Hub } from '../../hub.js';
import { handleCommand, type CommandContext } from '../../ws/command-handlers.js';
import type { Agenda } from './agenda.js';
import type { Prng } from './prng.js';
import type { AgentFrame, SimAgent } from './sim-agent.js';
import { SimLink, type LinkFaults, type LinkStats } from './sim-link.js';

/** What links are made of: the agenda, their randomness, their faults, and shared counters. */
export interface SimNetwork {
  agenda: Agenda;
  prng: Prng;
  faults: LinkFaults;
  stats: LinkStats;
}

/**
 * The socket endpoint of one hub process: each agent's link ends here, where its commands run
 * through the socket layer's own handlers (`handleCommand`) and are answered once durable, and
 * where committed reservation events are pushed to the worker's link. Its links die with it.
 */
export class SimSockets {
  private readonly links = new Map<string, SimLink>();
  private closed = false;

  constructor(
    private readonly hub: Hub,
    private readonly workspaceSid: string,
    private readonly network: SimNetwork,
    /** Told of each command that reaches the hub. */
    private readonly onCommand: () => void,
  ) {}

  /** Opens an agent's link (replacing an older one of its worker) and sends it its snapshot. */
  connect(agent: SimAgent): SimLink | null {
    if (this.closed) return null;
    const { agenda, prng, faults, stats } = this.network;
    const link: SimLink = new SimLink(agenda, prng, faults, stats, {
      toHub: (frame) => this.serve(link, agent.workerSid, frame as ClientMessage),
      toAgent: (frame) => agent.receive(frame as AgentFrame),
      closed: () => {
        if (this.links.get(agent.workerSid) === link) this.links.delete(agent.workerSid);
        agent.closed();
      },
    });
    this.links.get(agent.workerSid)?.cut();
    this.links.set(agent.workerSid, link);
    // As after a socket's authentication: every reservation of the worker, so a reconnect resynchronises.
    const state = this.hub.engine(this.workspaceSid)!.state;
    const reservations = state.allReservationsOfWorker(agent.workerSid).map((r) => ({ sid: r.sid, taskSid: r.taskSid, status: r.status }));
    link.send('toAgent', { type: 'snapshot', reservations } satisfies AgentFrame);
    return link;
  }

  /** Pushes a committed reservation event to its worker's link, if connected. */
  push(event: EventRecord): void {
    const workerSid = event.data['worker_sid'];
    const reservationSid = event.data['reservation_sid'];
    if (this.closed || !event.eventType.startsWith('reservation.') || typeof workerSid !== 'string' || typeof reservationSid !== 'string') return;
    const frame: AgentFrame = { type: 'push', event: event.eventType, reservationSid, taskSid: String(event.data['task_sid']) };
    this.links.get(workerSid)?.send('toAgent', frame);
  }

  /** The process is gone: every link is cut. */
  close(): void {
    this.closed = true;
    for (const link of [...this.links.values()]) link.cut();
  }

  private serve(link: SimLink, workerSid: string, frame: ClientMessage): void {
    if (this.closed) return;
    this.onCommand();
    const ctx: CommandContext = {
      hub: this.hub,
      workspaceSid: this.workspaceSid,
      workerSid,
      origin: link,
      updateToken: async () => ({ ok: true }),
    };
    handleCommand(ctx, frame).then(
      (result) => link.send('toAgent', { type: 'reply', ref: frame.ref, ok: result.ok, status: result.ok ? 200 : result.error.status } satisfies AgentFrame),
      // A failed commit: the socket layer answers 503.
      () => link.send('toAgent', { type: 'reply', ref: frame.ref, ok: false, status: 503 } satisfies AgentFrame),
    );
  }
}
