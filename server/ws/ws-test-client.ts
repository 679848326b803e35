/**
 * A real `ws` client for the socket tests: records every frame (checked against
 * `ServerMessageSchema`), sends commands with fresh refs, and waits for frames or the close.
 * With `paused`, the test holds the TCP socket and can stop reading, as a stuck browser would.
 */
import net from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { ServerMessageSchema, type ClientMessage, type ServerMessage } from '../../shared/protocol.js';
import { attachWorkerSockets, type WorkerSockets } from './attach.js';
import type { SocketOptions } from './socket-options.js';
import { startHarness, type Harness, type HarnessOptions } from '../http/test-harness.js';

/** A failed or successful reply frame. */
export type Reply = Extract<ServerMessage, { type: 'reply' }>;

/** How the socket ended. */
export interface Closed {
  code: number;
  reason: string;
}

/** The frame of one type (the reservation facts share one schema, so `Extract` alone would miss them). */
export type FrameOf<T extends ServerMessage['type']> = ServerMessage extends infer M
  ? M extends { type: infer U }
    ? T extends U
      ? M & { type: T }
      : never
    : never
  : never;

type Command = ClientMessage extends infer M ? (M extends { ref: string } ? Omit<M, 'ref'> : never) : never;

let refs = 0;

/** A test hub with the worker socket endpoint attached. */
export async function startSocketHarness(options: SocketOptions = {}, start: HarnessOptions = {}): Promise<{ h: Harness; sockets: WorkerSockets; wsUrl: string }> {
  let sockets: WorkerSockets | undefined;
  const h = await startHarness({ ...start, attachSockets: (upgrades, hub, credentials) => (sockets = attachWorkerSockets(upgrades, hub, credentials, options)) });
  return { h, sockets: sockets!, wsUrl: `${h.url.replace(/^http/, 'ws')}/v1/sockets` };
}

/** One client connection. */
export class TestSocket {
  /** Every frame received, decoded. */
  readonly frames: ServerMessage[] = [];
  /** Frames that did not match the protocol (should stay empty). */
  readonly invalid: unknown[] = [];
  /** Settles when the socket closes. */
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly ws: WebSocket,
    /** The TCP connection under the socket. */
    readonly tcp: net.Socket | undefined,
  ) {
    ws.on('message', (data) => {
      const value: unknown = JSON.parse(String(data));
      const parsed = ServerMessageSchema.safeParse(value);
      if (parsed.success) this.frames.push(parsed.data);
      else this.invalid.push(value);
      for (const wake of this.waiters) wake();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket to `url`. */
  static async connect(url: string, options: ClientOptions = {}): Promise<TestSocket> {
    let tcp: net.Socket | undefined;
    const ws = new WebSocket(url, { ...options, createConnection: (opts: object) => (tcp = net.connect(opts as net.NetConnectOpts)) });
    // `ws` opens the connection inside its constructor, so `tcp` is set by now.
    const socket = new TestSocket(ws, tcp);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return socket;
  }

  /** Sends raw data: an object is JSON-encoded, a string or buffer goes as is. */
  sendRaw(data: unknown, options: { binary?: boolean } = {}): void {
    const payload = typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data);
    this.ws.send(payload, { binary: options.binary ?? false });
  }

  /** Sends a command with a fresh ref and resolves with its reply. */
  async request(command: Command, timeoutMs = 5000): Promise<Reply> {
    const ref = `r${++refs}`;
    this.sendRaw({ ...command, ref });
    return (await this.waitFor((f) => f.type === 'reply' && f.ref === ref, timeoutMs)) as Reply;
  }

  /** Resolves with the first frame (already received or coming) that matches. */
  waitFor(match: (frame: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.frames.find(match);
        if (!found) return false;
        this.waiters = this.waiters.filter((w) => w !== wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(new Error(`no matching frame in ${timeoutMs} ms; got ${this.frames.map((f) => f.type).join(', ')}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(wake);
    });
  }

  /** Resolves with the first frame of a type (and matching `match`), already received or coming. */
  async waitForType<T extends ServerMessage['type']>(type: T, match: (frame: FrameOf<T>) => boolean = () => true, timeoutMs = 5000): Promise<FrameOf<T>> {
    return (await this.waitFor((f) => f.type === type && match(f as FrameOf<T>), timeoutMs)) as FrameOf<T>;
  }

  /** Frames of one type. */
  ofType<T extends ServerMessage['type']>(type: T): Array<FrameOf<T>> {
    return this.frames.filter((f) => f.type === type) as Array<FrameOf<T>>;
  }

  /** Closes from the client side. */
  close(): void {
    this.ws.close();
  }
}

/** Connects and authenticates as a worker; resolves with the socket and its snapshot. */
export async function connectWorker(
  url: string,
  token: string,
  extra: { closeExistingSessions?: boolean; setWorkerOfflineIfDisconnected?: boolean } = {},
): Promise<{ socket: TestSocket; snapshot: Extract<ServerMessage, { type: 'snapshot' }> }> {
  const socket = await TestSocket.connect(url);
  const reply = await socket.request({ type: 'auth', token, ...extra });
  if (!reply.ok) throw new Error(`auth refused: ${reply.error.message}`);
  return { socket, snapshot: socket.ofType('snapshot')[0]! };
}

/** Sends a WebSocket upgrade request by hand and resolves with everything the server wrote before it closed. */
export function rawUpgrade(httpUrl: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  const { hostname, port } = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}
