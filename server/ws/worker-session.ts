/**
 * One worker socket: the `auth` handshake and its deadline, the snapshot, commands and their
 * replies, the token's expiry, the rate limit and the bounded send buffer. Pushes are built by the
 * endpoint and handed to `push`; this class only decides whether and when they leave.
 */
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import { fail } from '../../shared/errors.js';
import type { ClientMessage, ServerMessage } from '../../shared/protocol.js';
import { verifyWorkerToken, type Credentials, type WorkerGrant } from '../auth/tokens.js';
import { isoDate } from '../http/serialize.js';
import type { Hub } from '../hub.js';
import { handleCommand, type CommandContext, type CommandResult } from './command-handlers.js';
import { asSwitchboardError, decodeFrame, errorReply, type Decoded, failureFrame, okReply, pingRef, pingReply } from './frames.js';
import { buildSnapshot } from './payloads.js';
import { TokenBucket } from './rate-limit.js';
import type { SessionRegistry } from './session-registry.js';
import { CLOSE, type CloseReason, type ResolvedSocketOptions } from './socket-options.js';
import { TokenClock } from './token-clock.js';

/** What a session shares with the endpoint that accepted it. */
export interface SessionHost {
  hub: Hub;
  credentials: Credentials;
  options: ResolvedSocketOptions;
  registry: SessionRegistry<WorkerSession>;
  /** Told once when a session ends; `last` when it was its worker's last session. */
  ended(session: WorkerSession, last: boolean): void;
}

/** One socket of one worker. */
export class WorkerSession {
  private grant: WorkerGrant | undefined;
  private authenticating: Promise<void> | undefined;
  /** Pushes held back until the snapshot has gone out, so none can overtake it. */
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private closed = false;
  private alive = true;
  /** Frames are being held for one write at the end of this turn. */
  private corked = false;
  private readonly bucket: TokenBucket;
  private readonly tokenClock: TokenClock;
  private readonly authTimer: NodeJS.Timeout;
  /** Move the worker offline when its last session drops (from this session's `auth`). */
  offlineOnDisconnect = false;
  /** Settles when the underlying connection has closed. */
  readonly disconnected: Promise<void>;

  constructor(
    private readonly socket: WebSocket,
    private readonly host: SessionHost,
    /** The TCP (or TLS) connection under the WebSocket, when known: frames of one turn leave in one write. */
    private readonly connection?: Duplex,
  ) {
    const { options } = host;
    this.disconnected = new Promise((resolve) => socket.once('close', () => resolve()));
    this.bucket = new TokenBucket(options.messagesPerSecond, options.messageBurst, performance.now());
    this.tokenClock = new TokenClock(options.now, options.tokenWarningMs, {
      expiring: (expiresAt) => this.push(Buffer.from(JSON.stringify({ type: 'token.expiring', expires_at: isoDate(expiresAt) } satisfies ServerMessage))),
      expired: () => this.end(CLOSE.TOKEN_EXPIRED),
    });
    this.authTimer = setTimeout(() => {
      if (!this.grant && !this.authenticating) this.end(CLOSE.AUTH_TIMEOUT);
    }, options.authTimeoutMs);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => (this.alive = true));
    socket.on('close', () => this.end('closed'));
    // On a protocol error (an oversized or malformed frame) `ws` closes with the right code itself.
    socket.on('error', () => this.end('closed'));
    host.registry.open(this);
  }

  /** The authenticated worker, if any. */
  get workerSid(): string | undefined {
    return this.grant?.workerSid;
  }

  /** The authenticated workspace, if any. */
  get workspaceSid(): string | undefined {
    return this.grant?.workspaceSid;
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
    return true;
  }

  /** Sends an already encoded push, held while the snapshot is pending. */
  push(frame: Buffer): void {
    if (!this.held) return this.send(frame);
    this.held.push(frame);
    this.heldBytes += frame.length;
    if (this.heldBytes > this.host.options.maxBufferedBytes) this.cutOff();
  }

  /** Ends the session: closes with a code, cuts the connection, or records that the peer closed. */
  end(how: CloseReason | 'terminate' | 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    this.tokenClock.stop();
    this.held = undefined;
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

  private send(frame: Buffer | ServerMessage): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    const bytes = Buffer.isBuffer(frame) ? frame : Buffer.from(JSON.stringify(frame));
    if (this.socket.bufferedAmount + bytes.length > this.host.options.maxBufferedBytes) return this.cutOff();
    this.coalesce();
    this.socket.send(bytes, { binary: false });
  }

  /**
   * Holds this turn's frames (a reply and the pushes of the same commit, usually) in the
   * connection's buffer and writes them together once the turn's callbacks have run: one system
   * call instead of one per frame.
   */
  private coalesce(): void {
    const connection = this.connection;
    if (!connection || this.corked) return;
    this.corked = true;
    connection.cork();
    process.nextTick(() => {
      this.corked = false;
      connection.uncork();
    });
  }

  private cutOff(): void {
    this.host.registry.counters.slowConsumersCut += 1;
    // Nothing more is queued. The close frame waits behind the unread data, so a peer that was only
    // paused learns why; one that never reads again is cut when the grace runs out.
    this.end(CLOSE.SLOW_CONSUMER);
    setTimeout(() => this.socket.terminate(), this.host.options.closeGraceMs).unref();
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    // An authenticated session's keep-alive skips the decoding; anything else is decoded in full.
    const ping = this.grant ? pingRef(data, isBinary) : undefined;
    const decoded: Decoded = ping === undefined ? decodeFrame(data, isBinary) : { ok: true, message: { type: 'ping', ref: ping } };
    if (!this.bucket.take(performance.now())) {
      this.host.registry.counters.rateLimited += 1;
      const ref = decoded.ok ? decoded.message.ref : decoded.ref;
      return this.send(failureFrame(ref, fail('TOO_MANY_REQUESTS', `More than ${this.host.options.messagesPerSecond} messages per second`)));
    }
    if (ping !== undefined) return this.send(pingReply(ping));
    if (!decoded.ok) {
      this.host.registry.counters.invalidFrames += 1;
      return this.send(failureFrame(decoded.ref, decoded.error));
    }
    const message = decoded.message;
    // Frames sent right behind `auth` wait for its outcome, in order.
    const handled = this.authenticating ? this.authenticating.then(() => this.handle(message)) : this.handle(message);
    // A bug in handling one frame costs this socket, never the process.
    handled.catch(() => this.end(CLOSE.INTERNAL));
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (this.closed) return;
    if (!this.grant) {
      if (message.type !== 'auth') return this.send(errorReply(message.ref, fail('UNAUTHORIZED', 'Authenticate first: the first frame must be auth')));
      this.authenticating = this.authenticate(message)
        .catch(() => {
          this.send(errorReply(message.ref, fail('INTERNAL', 'Internal error')));
          this.end(CLOSE.INTERNAL);
        })
        .finally(() => (this.authenticating = undefined));
      return;
    }
    let result: CommandResult;
    try {
      result = await handleCommand(this.context(this.grant), message);
    } catch (error) {
      result = { ok: false, error: asSwitchboardError(error) };
    }
    this.send(result.ok ? okReply(message.ref, result.data) : errorReply(message.ref, result.error));
  }

  private context(grant: WorkerGrant): CommandContext {
    return {
      hub: this.host.hub,
      workspaceSid: grant.workspaceSid,
      workerSid: grant.workerSid,
      origin: this,
      updateToken: (token) => this.updateToken(token),
    };
  }

  private async authenticate(message: Extract<ClientMessage, { type: 'auth' }>): Promise<void> {
    const { hub, credentials, options, registry } = this.host;
    const verified = await verifyWorkerToken(message.token, credentials, options.now());
    if (this.closed) return;
    if (!verified.ok) {
      this.send(errorReply(message.ref, verified.error));
      return this.end(/expired/i.test(verified.error.message) ? CLOSE.TOKEN_EXPIRED : CLOSE.UNAUTHORIZED);
    }
    const grant = verified.grant;
    const state = hub.engine(grant.workspaceSid)?.state;
    // Built in the same tick as `bind`: every later event reaches this session as a push.
    const snapshot = state && buildSnapshot(state, grant.workerSid, hub.now(), grant.expiresAt);
    if (!snapshot) {
      this.send(errorReply(message.ref, fail('NOT_FOUND', `Worker ${grant.workerSid} not found in workspace ${grant.workspaceSid}`)));
      return this.end(CLOSE.WORKER_GONE);
    }
    const open = registry.sessionsOf(grant.workerSid)?.size ?? 0;
    // A session that replaces the others takes no extra slot: they are about to close.
    if (!message.closeExistingSessions && open >= options.maxSocketsPerWorker) {
      registry.counters.tooManySockets += 1;
      this.send(errorReply(message.ref, fail('TOO_MANY_REQUESTS', `Worker ${grant.workerSid} already has ${open} open sockets, the most allowed`)));
      return this.end(CLOSE.TOO_MANY_SOCKETS);
    }
    clearTimeout(this.authTimer);
    this.grant = grant;
    this.offlineOnDisconnect = message.setWorkerOfflineIfDisconnected === true;
    this.held = [];
    registry.bind(this, grant.workerSid);
    if (message.closeExistingSessions) {
      for (const other of [...(registry.sessionsOf(grant.workerSid) ?? [])]) if (other !== this) other.end(CLOSE.REPLACED);
    }
    this.tokenClock.arm(grant.expiresAt);
    const encoded = Buffer.from(JSON.stringify(snapshot));
    try {
      // The snapshot may show changes of this tick: it leaves once they are durable, as pushes do.
      await hub.flush();
    } catch {
      this.send(errorReply(message.ref, fail('UNAVAILABLE', 'The hub could not commit its state')));
      return this.end(CLOSE.INTERNAL);
    }
    const held = this.held ?? [];
    this.held = undefined;
    this.send(encoded);
    this.send(okReply(message.ref, { worker_sid: grant.workerSid, workspace_sid: grant.workspaceSid, token_expires_at: isoDate(grant.expiresAt) }));
    for (const frame of held) this.send(frame);
  }

  private async updateToken(token: string): Promise<CommandResult> {
    const current = this.grant;
    const verified = await verifyWorkerToken(token, this.host.credentials, this.host.options.now());
    if (!verified.ok) return verified;
    const next = verified.grant;
    if (!current || next.workerSid !== current.workerSid || next.workspaceSid !== current.workspaceSid) {
      return { ok: false, error: fail('FORBIDDEN', 'The new token is for another worker; open a new socket for it') };
    }
    if (this.closed) return { ok: true };
    this.grant = next;
    this.tokenClock.arm(next.expiresAt);
    return { ok: true, data: { token_expires_at: isoDate(next.expiresAt) } };
  }
}
