/**
 * The one `upgrade` listener of the hub's HTTP server: sends each WebSocket upgrade to the endpoint
 * of its path (`/v1/sockets`, `/v1/wschannels`) after the checks every socket shares, and answers
 * everything else on the raw connection with a proper HTTP error: 404 for an unknown path, 403 for
 * a browser page from an origin not allowed, 429 past the sockets allowed per client address.
 * An endpoint that neither accepts nor refuses an upgrade in time has the connection cut.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { fail, type SwitchboardError } from '../../shared/errors.js';

/** An endpoint's side of an upgrade: settles once it has accepted (101) or refused the connection. */
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => Promise<void> | void;

/** The checks applied to every upgrade; each field has a default. */
export interface UpgradeLimits {
  /**
   * Origins (`https://app.example.com`) whose pages may open a socket; `undefined` (the default)
   * allows any. A request without `Origin` (not from a browser) and a page of the hub's own origin
   * always pass.
   */
  allowedOrigins?: readonly string[];
  /** Open sockets per client address, over all paths (default 10,000; 0: no limit). */
  maxSocketsPerIp?: number;
  /** An upgrade not accepted or refused after this long has its connection cut (default 10 s). */
  handshakeTimeoutMs?: number;
}

/** Counters of refused and cut upgrades, for operators and tests. */
export interface UpgradeStats {
  notFound: number;
  forbiddenOrigin: number;
  tooManyFromAddress: number;
  handshakeTimeouts: number;
}

/** The normalised origin of `value` (`scheme://host[:port]`, lower case), or null when it is not one. */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin.toLowerCase();
  } catch {
    return null;
  }
}

/** Writes an HTTP error on a connection that never became a WebSocket, then closes it. */
function refuse(socket: Duplex, error: SwitchboardError, reason: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(error.toBody());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${error.status} ${reason}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Routes the upgrades of one server. */
export class UpgradeRouter {
  private readonly routes = new Map<string, UpgradeHandler>();
  private readonly perAddress = new Map<string, number>();
  private readonly allowed: ReadonlySet<string> | undefined;
  private readonly maxPerIp: number;
  private readonly handshakeTimeoutMs: number;
  private readonly counters: UpgradeStats = { notFound: 0, forbiddenOrigin: 0, tooManyFromAddress: 0, handshakeTimeouts: 0 };
  private readonly listener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.dispatch(req, socket, head);

  constructor(
    private readonly server: http.Server,
    limits: UpgradeLimits = {},
  ) {
    this.allowed = limits.allowedOrigins && new Set(limits.allowedOrigins.map((o) => normalizeOrigin(o) ?? o));
    this.maxPerIp = limits.maxSocketsPerIp ?? 10_000;
    this.handshakeTimeoutMs = limits.handshakeTimeoutMs ?? 10_000;
    server.on('upgrade', this.listener);
  }

  /** Sends upgrades on `path` to `handler`; returns the function that takes the route away again. */
  route(path: string, handler: UpgradeHandler): () => void {
    if (this.routes.has(path)) throw new Error(`An endpoint already serves upgrades on ${path}`);
    this.routes.set(path, handler);
    return () => {
      if (this.routes.get(path) === handler) this.routes.delete(path);
    };
  }

  /** Open sockets from each client address. */
  socketsFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** A copy of the counters. */
  stats(): UpgradeStats {
    return { ...this.counters };
  }

  /** Stops listening: later upgrades get Node's default (the connection is closed). */
  close(): void {
    this.server.off('upgrade', this.listener);
  }

  private dispatch(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // A connection reset mid-handshake must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    let pathname: string | undefined;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = undefined;
    }
    const handler = pathname === undefined ? undefined : this.routes.get(pathname);
    if (!handler) {
      this.counters.notFound += 1;
      return refuse(socket, fail('NOT_FOUND', `No WebSocket endpoint at ${pathname ?? 'this URL'}`), 'Not Found');
    }
    if (!this.originAllowed(req)) {
      this.counters.forbiddenOrigin += 1;
      return refuse(socket, fail('FORBIDDEN', `Sockets from pages of ${String(req.headers.origin)} are not allowed`), 'Forbidden');
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    const open = this.socketsFrom(address);
    if (this.maxPerIp > 0 && open >= this.maxPerIp) {
      this.counters.tooManyFromAddress += 1;
      return refuse(socket, fail('TOO_MANY_REQUESTS', `More than ${this.maxPerIp} open sockets from ${address}`), 'Too Many Requests');
    }
    this.perAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    this.handOver(handler, req, socket, head);
  }

  private handOver(handler: UpgradeHandler, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      this.counters.handshakeTimeouts += 1;
      socket.destroy();
    }, this.handshakeTimeoutMs);
    timer.unref();
    const settle = () => {
      settled = true;
      clearTimeout(timer);
    };
    socket.once('close', settle);
    let handled: Promise<void> | void;
    try {
      handled = handler(req, socket, head);
    } catch {
      handled = Promise.reject(new Error('upgrade handler failed'));
    }
    Promise.resolve(handled).then(settle, () => {
      settle();
      refuse(socket, fail('INTERNAL', 'Internal error'), 'Internal Server Error');
    });
  }

  /** True when the request comes from no browser page, from the hub's own origin, or from an allowed one. */
  private originAllowed(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!this.allowed || origin === undefined) return true;
    const normalized = normalizeOrigin(origin);
    if (normalized === null) return false;
    if (this.allowed.has('*') || this.allowed.has(normalized)) return true;
    // Same origin: the page was served by this hub (under the Host the browser used).
    return req.headers.host !== undefined && new URL(normalized).host === req.headers.host.toLowerCase();
  }
}
