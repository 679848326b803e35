import { WebSocket } from 'ws';
import { ServerMessageSchema, type ClientMessage, type ServerMessage } from '../../shared/protocol.js';

/** A reply frame. */
export type SocketReply = Extract<ServerMessage, { type: 'reply' }>;
/** The snapshot a worker gets after `auth`. */
export type Snapshot = Extract<ServerMessage, { type: 'snapshot' }>;
/** A command without its `ref`. */
type Command = ClientMessage extends infer M ? (M extends { ref: string } ? Omit<M, 'ref'> : never) : never;

/**
 * One worker on a real socket at `/v1/sockets`, speaking the native protocol (`shared/protocol.ts`,
 * every frame decoded with `ServerMessageSchema`). A request whose socket closes before its reply
 * rejects: the hub promised nothing for it.
 */
export class SocketAgent {
  /** Frames that did not match the protocol (a correct hub sends none). */
  readonly invalid: unknown[] = [];
  /** Settles with the close code when the socket has closed, however it closed. */
  readonly closed: Promise<number>;
  private readonly waiting = new Map<string, { resolve: (reply: SocketReply) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Set<(frame: ServerMessage) => void>();
  private refs = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const parsed = ServerMessageSchema.safeParse(JSON.parse(String(data)));
      if (!parsed.success) return void this.invalid.push(String(data));
      const frame = parsed.data;
      if (frame.type === 'reply') {
        this.waiting.get(frame.ref)?.resolve(frame);
        this.waiting.delete(frame.ref);
      }
      for (const listener of this.listeners) listener(frame);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        for (const pending of this.waiting.values()) pending.reject(new Error(`socket closed (${code}) before the reply`));
        this.waiting.clear();
        resolve(code);
      }),
    );
  }

  /** Connects and authenticates; resolves with the agent and its snapshot, rejects if either fails. */
  static async connect(url: string, token: string): Promise<{ agent: SocketAgent; snapshot: Snapshot }> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const agent = new SocketAgent(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('closed while connecting')));
    });
    let snapshot: Snapshot | undefined;
    const off = agent.on((frame) => frame.type === 'snapshot' && (snapshot = frame));
    const reply = await agent.request({ type: 'auth', token }).finally(off);
    if (!reply.ok) throw new Error(`auth refused: ${reply.error.message}`);
    if (!snapshot) throw new Error('no snapshot before the auth reply');
    return { agent, snapshot };
  }

  /** Calls `listener` with every frame; returns the unsubscribe function. */
  on(listener: (frame: ServerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Sends a command with a fresh `ref`; resolves with its reply. */
  request(command: Command): Promise<SocketReply> {
    const ref = `r${++this.refs}`;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error('socket not open'));
      this.waiting.set(ref, { resolve, reject });
      this.ws.send(JSON.stringify({ ...command, ref }));
    });
  }

  /** Closes from the client side. */
  close(): void {
    this.ws.close();
  }
}
