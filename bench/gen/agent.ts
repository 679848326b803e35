/**
 * The simulated agent as the generator sees it, whatever the system: it connects, receives offers,
 * answers them, and hears of rescinds. Each system has a connector (the Switchboard SDK, a bare
 * `ws` client, socket.io-client); the behaviour and the measurements are shared.
 */

/** An offer as an agent receives it. */
export interface Offer {
  /** The task's identity across agents (rescinds and accepts of one task meet on it). */
  taskKey: string;
  /** When the task's create request was scheduled to leave (µs, monotonic clock). */
  intendedUs: number;
  /**
   * True once the system rescinded this offer: the agent's screen no longer shows it, so a decision
   * still pending is dropped (an accept already on its way can still lose with a 410).
   */
  readonly rescinded: boolean;
  /** Resolves true when this accept won, false when it was too late (410). */
  accept(): Promise<boolean>;
  reject(): Promise<void>;
  /** Completes the accepted task, freeing the agent. */
  complete(): Promise<void>;
}

/** What an agent reports to its behaviour. */
export interface AgentListener {
  offer(offer: Offer, atUs: number): void;
  rescind(taskKey: string, atUs: number): void;
  /** The agent's connection dropped after it was ready. */
  disconnected?(): void;
}

/** One agent to connect: its identity in the system, its index in the run, and its token (hub). */
export interface AgentSpec {
  id: string;
  index: number;
  token?: string;
}

/** Where and how to connect. */
export interface ConnectTarget {
  url: string;
  /** Local address to connect from (spreads ephemeral ports over 127.0.0.x). */
  localAddress?: string;
  /** Task queue to join (baseline 2). */
  queue?: string;
}

/** A connected agent. */
export interface AgentHandle {
  close(): void;
}

/** Connects one agent; resolves once it is ready to receive offers. */
export type Connector = (spec: AgentSpec, target: ConnectTarget, listener: AgentListener) => Promise<AgentHandle>;

/** Bytes of the first offer frame seen by any connector in this process (to size the baselines' frames). */
export const observed = { offerFrameBytes: 0, acceptReplyBytes: 0 };

/**
 * Marks an agent's offer of `taskKey` rescinded and forgets it. Connectors without an SDK keep their
 * agent's open offers by task, from the offer to its answer or its rescind.
 */
export function withdraw(offers: Map<string, { rescinded: boolean }>, taskKey: string): void {
  const offer = offers.get(taskKey);
  if (!offer) return;
  offer.rescinded = true;
  offers.delete(taskKey);
}
