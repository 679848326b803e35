/**
 * One event-bridge socket of one worker. It only ever sends: the `init` frame first, then pushes,
 * and a blank heartbeat frame on every keep-alive tick (the SDK reconnects after 30–60 s without a
 * frame). The token's expiry closes it; a peer that stops reading or answering pings is cut off.
 */
import { WebSocket } from 'ws';
import type { WorkerGrant } from '../auth/tokens.js';
import type { SessionRegistry } from '../ws/session-registry.js';
import { CLOSE, type CloseReason } from '../ws/socket-options.js';
import { TokenClock } from '../ws/token-clock.js';
import { encodeFrame } from './event-frames.js';

/** What a session shares with the endpoint that accepted it. */
export interface BridgeSessionHost {
  registry: SessionRegistry<BridgeSession>;
  now: () => number;
  /** A socket whose unsent data would pass this many bytes is cut off. */
  maxBufferedBytes: number;
  /** How long a peer being closed has to finish the handshake before it is cut. */
  closeGraceMs: number;
  /** Told once when a session ends; `last` when it was its worker's last session. */
  ended(session: BridgeSession, last: boolean): void;
}

/** The heartbeat: any frame resets the SDK's watchdog, and blank ones are skipped. */
const HEARTBEAT = Buffer.from(' ');

/** One socket of one worker. */
export class BridgeSession {
  private closed = false;
  private alive = true;
  private readonly tokenClock: TokenClock;
  readonly workerSid: string;
  readonly workspaceSid: string;
  /** Settles when the underlying connection has closed. */
  readonly disconnected: Promise<void>;

  constructor(
    private readonly socket: WebSocket,
    grant: WorkerGrant,
    /** Move the worker offline when its last session drops (`setWorkerOfflineIfDisconnected`). */
    readonly offlineOnDisconnect: boolean,
    private readonly host: BridgeSessionHost,
  ) {
    this.workerSid = grant.workerSid;
    this.workspaceSid = grant.workspaceSid;
    this.disconnected = new Promise((resolve) => socket.once('close', () => resolve()));
    this.tokenClock = new TokenClock(host.now, 0, { expiring: () => undefined, expired: () => this.end(CLOSE.TOKEN_EXPIRED) });
    socket.on('pong', () => (this.alive = true));
    socket.on('close', () => this.end('closed'));
    socket.on('error', () => this.end('closed'));
    host.registry.open(this);
    host.registry.bind(this, grant.workerSid);
    this.tokenClock.arm(grant.expiresAt);
    const init = {
      channel_id: grant.workerSid,
      account_sid: grant.accountSid,
      workspace_sid: grant.workspaceSid,
      token_lifetime: Math.max(0, grant.expiresAt - host.now()),
    };
    this.push(encodeFrame('init', init));
  }

  /** Sends an encoded frame, or cuts the peer off when its unsent data would pass the limit. */
  push(frame: Buffer): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount + frame.length > this.host.maxBufferedBytes) return this.cutOff();
    this.socket.send(frame, { binary: false });
  }

  /** Keep-alive tick: false (and the socket cut) when the previous ping went unanswered. */
  heartbeat(): boolean {
    if (this.closed) return true;
    if (!this.alive) {
      this.end('terminate');
      return false;
    }
    this.alive = false;
    this.socket.ping();
    this.push(HEARTBEAT);
    return true;
  }

  /** Ends the session: closes with a code, cuts the connection, or records that the peer closed. */
  end(how: CloseReason | 'terminate' | 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.tokenClock.stop();
    const last = this.host.registry.remove(this);
    if (how === 'terminate') this.socket.terminate();
    else if (how !== 'closed' && this.socket.readyState === WebSocket.OPEN) this.socket.close(how.code, how.reason);
    this.host.ended(this, last);
  }

  /** Drops the connection at once, even when a closing handshake is under way. */
  terminate(): void {
    this.end('terminate');
    this.socket.terminate();
  }

  private cutOff(): void {
    this.host.registry.counters.slowConsumersCut += 1;
    this.end(CLOSE.SLOW_CONSUMER);
    setTimeout(() => this.socket.terminate(), this.host.closeGraceMs).unref();
  }
}
