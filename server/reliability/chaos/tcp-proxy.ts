/**
 * A TCP proxy for chaos tests, on `node:net` only: every accepted connection is a `ChaosLink` to
 * the target whose two directions can be delayed (latency plus jitter, byte order kept), black-holed
 * (half-open: nothing passes, nothing closes) and resumed, or reset (RST to both peers). The proxy
 * can also drop every connection at once.
 */
import net from 'node:net';
import { TcpPipe } from './tcp-pipe.js';

/** The delay added to each chunk of one direction: `latencyMs` plus a uniform draw from [0, `jitterMs`). */
export interface Delay {
  latencyMs: number;
  jitterMs: number;
}

/** A direction of a link: `up` is client to target, `down` target to client. */
export type Direction = 'up' | 'down' | 'both';

const NO_DELAY: Delay = { latencyMs: 0, jitterMs: 0 };

/** One proxied connection: a client socket, its upstream socket, and a pipe each way. */
export class ChaosLink {
  /** When the client connected, epoch ms. */
  readonly openedAt = Date.now();
  /** Settles once both sockets are closed. */
  readonly closed: Promise<void>;
  private readonly up: TcpPipe;
  private readonly down: TcpPipe;
  private delay: Delay;

  constructor(
    /** Sequence number of the link in its proxy, from 1. */
    readonly id: number,
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    delay: Delay,
    random: () => number,
  ) {
    this.delay = delay;
    const draw = () => this.delay.latencyMs + (this.delay.jitterMs > 0 ? random() * this.delay.jitterMs : 0);
    this.up = new TcpPipe(client, upstream, draw);
    this.down = new TcpPipe(upstream, client, draw);
    const gone = (socket: net.Socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
    this.closed = Promise.all([gone(client), gone(upstream)]).then(() => undefined);
  }

  /** True until both sockets are closed (or being destroyed). */
  get isOpen(): boolean {
    return !this.client.destroyed || !this.upstream.destroyed;
  }

  /** Whether a direction is black-holed. */
  isHeld(direction: 'up' | 'down'): boolean {
    return this[direction].isHeld;
  }

  /** Bytes forwarded so far in each direction. */
  get bytes(): { up: number; down: number } {
    return { up: this.up.forwarded, down: this.down.forwarded };
  }

  /** Changes the delay of both directions for the chunks that arrive from now on. */
  setDelay(delay: Delay): void {
    this.delay = delay;
  }

  /** Stops forwarding in a direction (or both) without closing anything, as a dead route would. */
  blackHole(direction: Direction = 'both'): void {
    if (direction !== 'down') this.up.hold();
    if (direction !== 'up') this.down.hold();
  }

  /** Forwards again in both directions, held data first. */
  resume(): void {
    this.up.release();
    this.down.release();
  }

  /** Aborts the connection: both peers get a TCP RST at once, whatever is queued or held. */
  reset(): void {
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }
}

/** Where the proxy listens and what it forwards to. */
export interface ChaosProxyOptions {
  target: { host: string; port: number };
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Listen port (default 0: any free port). */
  port?: number;
  /** Delay of new links (default none). */
  delay?: Delay;
  /** Source of the jitter draws (default `Math.random`). */
  random?: () => number;
}

/** A listening chaos proxy. */
export class ChaosProxy {
  private readonly live = new Set<ChaosLink>();
  private readonly listeners = new Set<(link: ChaosLink) => void>();
  private delay: Delay;
  private nextId = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly options: ChaosProxyOptions,
  ) {
    this.delay = options.delay ?? NO_DELAY;
    server.on('connection', (client) => this.accept(client));
  }

  /** Starts a proxy to `options.target`; resolves once it listens. */
  static async start(options: ChaosProxyOptions): Promise<ChaosProxy> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true });
    const proxy = new ChaosProxy(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `http://host:port` of the proxy. */
  get url(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Links with at least one socket still open, oldest first. */
  links(): ChaosLink[] {
    return [...this.live].filter((link) => link.isOpen);
  }

  /** Links accepted so far. */
  get accepted(): number {
    return this.nextId;
  }

  /** Calls `listener` with every new link; returns the unsubscribe function. */
  onLink(listener: (link: ChaosLink) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sets the delay of every open link and of the links to come. */
  setDelay(delay: Delay): void {
    this.delay = delay;
    for (const link of this.live) link.setDelay(delay);
  }

  /** Resets every open link at once; returns how many. */
  dropAll(): number {
    const links = this.links();
    for (const link of links) link.reset();
    return links.length;
  }

  /** Stops listening and resets every link. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropAll();
    await closed;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ ...this.options.target, allowHalfOpen: true, noDelay: true });
    const link = new ChaosLink(++this.nextId, client, upstream, this.delay, this.options.random ?? Math.random);
    this.live.add(link);
    void link.closed.then(() => this.live.delete(link));
    for (const listener of this.listeners) listener(link);
  }
}
