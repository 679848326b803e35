import { MAX_FRAME_BYTES, ServerMessageSchema, type ClientMessage, type ServerMessage } from '../../shared/protocol.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { SwitchboardError } from './sdk-error.js';

/** The part of the WebSocket API the SDK uses; the browser's `WebSocket` and the `ws` package both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: unknown) => void): void;
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string) => SocketLike;

/** A command without its `ref`, which the connection assigns. */
export type Command = ClientMessage extends infer M ? (M extends { ref: string } ? Omit<M, 'ref'> : never) : never;

/** Commands that timed out and are still remembered, so that their late replies can be used. */
const MAX_UNANSWERED = 100;

/** Close codes of the hub after which retrying with the same token is pointless. */
const REPLACED = 4000;
const UNAUTHORIZED = 4401;

/** Close codes the SDK reports for connections it ended itself. */
export const LOCAL_CLOSE = {
  /** No frame arrived for `deadAfterMs`: the network or the hub is gone. */
  KEEPALIVE: { code: 4900, reason: 'no frame from the hub within the keep-alive window' },
  /** The browser reported that it went offline. */
  OFFLINE: { code: 4901, reason: 'the browser went offline' },
  /** `disconnect()` was called. */
  CLIENT: { code: 1000, reason: 'disconnected by the client' },
} as const;

/** Timings of a connection. */
export interface ConnectionTimings {
  /** Interval of app-level pings (default 10 s). */
  pingIntervalMs?: number;
  /** A connection silent this long is treated as dead (default two ping intervals: two missed heartbeats). */
  deadAfterMs?: number;
  /** A command without a reply after this long fails (default 15 s). */
  requestTimeoutMs?: number;
  /** Reconnect delays. */
  backoff?: BackoffOptions;
}

/** Why the connection is down. */
export interface DownInfo {
  code: number;
  reason: string;
  /** Whether the SDK retries by itself. */
  willReconnect: boolean;
  /** Delay before the next attempt, ms (null when not retrying). */
  retryInMs: number | null;
}

/** What the connection reports to its worker. */
export interface ConnectionEvents {
  /** A decoded frame other than a reply: the snapshot, pushes, errors. */
  message: ServerMessage;
  /** The connection is down. */
  down: DownInfo;
  /** The hub refused the token (or it expired): no retry until a new one is given. */
  refused: SwitchboardError;
  /** A problem outside any command: a frame that could not be decoded, a session replaced by another. */
  error: SwitchboardError;
  /** The data of a successful reply that came after its command had timed out (rejected with 503). */
  late: unknown;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: SwitchboardError): void;
  timer: ReturnType<typeof setTimeout>;
}

type Phase = 'idle' | 'authenticating' | 'open' | 'waiting' | 'refused' | 'stopped';

/**
 * One logical connection to the hub over successive sockets: authenticates each socket first,
 * matches replies to commands by `ref`, keeps the socket alive with app-level pings, notices a
 * dead one (no frame for `deadAfterMs`, or the browser going offline) and reconnects with
 * full-jitter exponential backoff until stopped or refused.
 */
export class Connection extends Emitter<ConnectionEvents> {
  private socket: SocketLike | null = null;
  private phase: Phase = 'idle';
  private attempt = 0;
  private nextRef = 0;
  private readonly pending = new Map<string, Pending>();
  /** Refs of commands on the current socket that timed out: the hub may still answer them. */
  private readonly unanswered = new Set<string>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private deadTimer: ReturnType<typeof setTimeout> | undefined;
  /** The token changed after the current socket's `auth` left: that socket presents an old one. */
  private helloOutdated = false;
  /** When the last frame arrived (or the socket was opened): the dead timer measures silence from it. */
  private lastHeardAt = 0;
  private readonly timings: Required<Omit<ConnectionTimings, 'backoff'>> & { backoff: BackoffOptions };
  private readonly onOnline = () => {
    // Only a connection waiting out a backoff retries early; a refused token stays refused.
    if (this.phase === 'waiting') this.reconnectNow();
  };
  private readonly onOffline = () => {
    if (this.socket) this.drop(LOCAL_CLOSE.OFFLINE.code, LOCAL_CLOSE.OFFLINE.reason);
  };

  constructor(
    private readonly url: string,
    private readonly WebSocketImpl: WebSocketConstructor,
    /** Builds the `auth` frame for each new socket (so it carries the current token). */
    private readonly hello: () => Extract<Command, { type: 'auth' }>,
    timings: ConnectionTimings = {},
    private readonly random: () => number = Math.random,
  ) {
    super();
    const pingIntervalMs = timings.pingIntervalMs ?? 10_000;
    this.timings = {
      pingIntervalMs,
      deadAfterMs: timings.deadAfterMs ?? 2 * pingIntervalMs,
      requestTimeoutMs: timings.requestTimeoutMs ?? 15_000,
      backoff: timings.backoff ?? {},
    };
  }

  /** True once the current socket is authenticated. */
  get isOpen(): boolean {
    return this.phase === 'open';
  }

  /** Opens the first socket and starts watching the browser's online state. */
  start(): void {
    if (this.phase !== 'idle') return;
    if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
      window.addEventListener('online', this.onOnline);
      window.addEventListener('offline', this.onOffline);
    }
    this.open();
  }

  /** Retries at once (the browser came back online, or there is a new token). */
  reconnectNow(): void {
    if (this.phase !== 'waiting' && this.phase !== 'refused') return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.open();
  }

  /**
   * The token changed. A socket whose `auth` carried the old one presents the new one once it is
   * in, or, if the hub refuses the old one, is followed at once by one that carries the new; a
   * connection waiting or refused retries at once.
   */
  tokenChanged(): void {
    if (this.phase === 'authenticating') this.helloOutdated = true;
    else this.reconnectNow();
  }

  /** Closes for good: no more retries; pending commands fail. */
  stop(): void {
    if (this.phase === 'stopped') return;
    const wasUp = this.socket !== null;
    this.phase = 'stopped';
    clearTimeout(this.retryTimer);
    if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') {
      window.removeEventListener('online', this.onOnline);
      window.removeEventListener('offline', this.onOffline);
    }
    this.release(LOCAL_CLOSE.CLIENT.code, LOCAL_CLOSE.CLIENT.reason);
    if (wasUp) this.emit('down', { ...LOCAL_CLOSE.CLIENT, willReconnect: false, retryInMs: null });
  }

  /** Sends a command; resolves with the reply's `data`, rejects with the hub's error (or 503 when not connected). */
  request(command: Command): Promise<unknown> {
    if (this.phase !== 'open' || !this.socket) {
      return Promise.reject(SwitchboardError.local('UNAVAILABLE', 'Not connected to the hub'));
    }
    return this.send(this.socket, command);
  }

  private send(socket: SocketLike, command: Command): Promise<unknown> {
    const ref = String(++this.nextRef);
    let frame: string;
    try {
      frame = JSON.stringify({ ...command, ref });
    } catch (error) {
      // A cycle or a BigInt in the attributes: the page's mistake, not the connection's.
      return Promise.reject(SwitchboardError.local('BAD_REQUEST', `The ${command.type} command cannot be sent as JSON: ${(error as Error).message}`));
    }
    // The hub closes the socket on a frame over its limit (1009), failing every command in flight
    // with it; one that cannot pass is refused here instead. (A UTF-16 unit is at most 3 UTF-8 bytes.)
    if (frame.length > MAX_FRAME_BYTES / 3) {
      const bytes = new TextEncoder().encode(frame).length;
      if (bytes > MAX_FRAME_BYTES) {
        return Promise.reject(SwitchboardError.local('BAD_REQUEST', `The ${command.type} command is ${bytes} bytes; the hub accepts at most ${MAX_FRAME_BYTES} bytes`));
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        this.unanswered.add(ref);
        if (this.unanswered.size > MAX_UNANSWERED) this.unanswered.delete(this.unanswered.values().next().value!);
        reject(SwitchboardError.local('UNAVAILABLE', `The hub did not reply within ${this.timings.requestTimeoutMs} ms`));
      }, this.timings.requestTimeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
      try {
        socket.send(frame);
      } catch {
        clearTimeout(timer);
        this.pending.delete(ref);
        reject(SwitchboardError.local('UNAVAILABLE', 'Not connected to the hub'));
      }
    });
  }

  private open(): void {
    let socket: SocketLike;
    try {
      socket = new this.WebSocketImpl(this.url);
    } catch (error) {
      this.emit('error', SwitchboardError.local('BAD_REQUEST', `Cannot open ${this.url}: ${(error as Error).message}`));
      this.retry(1006, 'could not open the socket');
      return;
    }
    this.socket = socket;
    this.phase = 'authenticating';
    // A handshake that hangs (a black-holed network) counts as silence too.
    this.touch();
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      this.touch();
      this.helloOutdated = false;
      this.send(socket, this.hello()).then(
        () => this.markOpen(socket),
        (error: SwitchboardError) => {
          if (this.socket !== socket) return;
          if (error.status === 401 || error.status === 403) this.refuse(error);
          else this.drop(1011, `authentication failed: ${error.message}`);
        },
      );
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.receive(socket, (event as { data?: unknown }).data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      const { code = 1006, reason = '' } = event as { code?: number; reason?: string };
      this.closed(code, reason);
    });
    // An 'error' is always followed by a 'close', which does the work.
    socket.addEventListener('error', () => {});
  }

  private receive(socket: SocketLike, data: unknown): void {
    this.touch();
    let json: unknown;
    try {
      json = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      this.emit('error', SwitchboardError.local('BAD_REQUEST', 'The hub sent a frame that is not JSON'));
      return;
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) {
      const type = typeof json === 'object' && json !== null ? String((json as { type?: unknown }).type) : typeof json;
      this.emit('error', SwitchboardError.local('BAD_REQUEST', `The hub sent a frame this SDK cannot read (type ${type})`));
      return;
    }
    const message = parsed.data;
    if (message.type === 'reply') {
      const waiting = this.pending.get(message.ref);
      if (!waiting) {
        // The change of a command that timed out is made all the same: what the reply carries is
        // news to the page (the hub pushes no copy of it to the session that caused it).
        if (this.unanswered.delete(message.ref) && message.ok) this.emit('late', message.data);
        return; // else a reply nobody waits for
      }
      this.pending.delete(message.ref);
      clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.data);
      else waiting.reject(SwitchboardError.from(message.error));
      return;
    }
    // The snapshot proves the hub accepted the token, whichever of it and the reply comes first.
    if (message.type === 'snapshot') this.markOpen(socket);
    this.emit('message', message);
  }

  private markOpen(socket: SocketLike): void {
    if (this.socket !== socket || this.phase !== 'authenticating') return;
    this.phase = 'open';
    this.attempt = 0;
    if (this.helloOutdated) {
      this.helloOutdated = false;
      this.send(socket, { type: 'token.update', token: this.hello().token }).catch(() => {});
    }
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      // Fire and forget: the reply only matters as a frame that resets the dead timer. A recent
      // frame already did: no ping then (on a busy page, most rounds). Recent enough that the next
      // round's ping, if it comes to that, still has half an interval for its reply before the
      // dead line: with the defaults, a frame within the last 5 s; with a dead line of 1.5
      // intervals or less, never (every round pings).
      const skipWithinMs = this.timings.deadAfterMs - 1.5 * this.timings.pingIntervalMs;
      if (this.socket !== socket || Date.now() - this.lastHeardAt < skipWithinMs) return;
      this.send(socket, { type: 'ping' }).catch(() => {});
    }, this.timings.pingIntervalMs);
  }

  /**
   * Any frame proves the connection alive: push the dead-line back. Only the time is noted; the
   * one timer, when it fires, looks at how long the socket has really been silent and waits out
   * the rest (re-arming a timer on each of thousands of frames a second cost more than reading them).
   */
  private touch(): void {
    this.lastHeardAt = Date.now();
    if (this.deadTimer === undefined) this.armDeadline(this.timings.deadAfterMs);
  }

  private armDeadline(ms: number): void {
    this.deadTimer = setTimeout(() => {
      this.deadTimer = undefined;
      const silent = Date.now() - this.lastHeardAt;
      if (silent >= this.timings.deadAfterMs) this.drop(LOCAL_CLOSE.KEEPALIVE.code, LOCAL_CLOSE.KEEPALIVE.reason);
      else this.armDeadline(this.timings.deadAfterMs - silent);
    }, ms);
  }

  /** Ends the current socket without waiting for a closing handshake that may never come. */
  private drop(code: number, reason: string): void {
    if (!this.socket) return;
    this.release(code, reason);
    this.retry(code, reason);
  }

  private closed(code: number, reason: string): void {
    this.release(code, reason);
    if (code === UNAUTHORIZED) this.refuse(SwitchboardError.local('UNAUTHORIZED', reason || 'The hub refused the token'), code, reason);
    else if (code === REPLACED) {
      this.phase = 'stopped';
      this.emit('error', SwitchboardError.local('CONFLICT', reason || 'replaced by a new session'));
      this.emit('down', { code, reason: reason || 'replaced by a new session', willReconnect: false, retryInMs: null });
    } else this.retry(code, reason);
  }

  private refuse(error: SwitchboardError, code = UNAUTHORIZED, reason = error.message): void {
    this.release(code, reason);
    if (this.helloOutdated) {
      // The hub refused a token the page has replaced already: try the new one now.
      this.helloOutdated = false;
      this.emit('down', { code, reason, willReconnect: true, retryInMs: 0 });
      this.attempt = 0;
      this.open();
      return;
    }
    this.phase = 'refused';
    this.emit('refused', error);
    this.emit('down', { code, reason, willReconnect: false, retryInMs: null });
  }

  /** Detaches the socket, stops its timers and fails its pending commands. */
  private release(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    clearInterval(this.pingTimer);
    clearTimeout(this.deadTimer);
    this.deadTimer = undefined;
    if (socket) {
      try {
        socket.close(code >= 4000 || code === 1000 ? code : 1000, reason.slice(0, 120));
      } catch {
        // Closing a socket that never opened may throw in some implementations.
      }
    }
    this.unanswered.clear();
    for (const [ref, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      this.pending.delete(ref);
      waiting.reject(SwitchboardError.local('UNAVAILABLE', 'The connection to the hub was lost before it replied'));
    }
  }

  private retry(code: number, reason: string): void {
    if (this.phase === 'stopped' || this.phase === 'refused') return;
    this.phase = 'waiting';
    const delay = backoffDelay(this.attempt++, this.timings.backoff, this.random);
    this.emit('down', { code, reason, willReconnect: true, retryInMs: delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.tryAgain(), delay);
  }

  private tryAgain(): void {
    if (this.phase !== 'waiting') return;
    // While the browser says it is offline, wait (longer each time) for its 'online' event.
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.retryTimer = setTimeout(() => this.tryAgain(), backoffDelay(this.attempt++, this.timings.backoff, this.random));
      return;
    }
    this.open();
  }
}
