/**
 * A lean HTTP/1.1 keep-alive client for the task source: up to `maxConnections` sockets, one
 * request in flight per socket, requests queued in order when all are busy (so server backpressure
 * shows up as latency, never as a skipped send). It writes prebuilt request text and reads only
 * the status and `content-length`, so the generator spends its core on load, not on parsing.
 */
import { connect, type Socket } from 'node:net';

/** Called with the status and the response body; status 0 when no answer came, the body then saying why. */
export type Done = (status: number, body: Buffer) => void;

interface Job {
  head: string;
  body: Buffer;
  done: Done;
}

interface Conn {
  socket: Socket;
  job: Job | undefined;
  buffer: Buffer;
  /** When it last became idle (`performance.now()`). */
  idleSince: number;
  /** When it connected, how many answers it carried, and its socket error: to say why a request failed. */
  openedAt: number;
  answers: number;
  error: string | undefined;
  lastAnswer: number;
  sentAt: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * An idle connection older than this is closed instead of reused. A server closes an idle
 * keep-alive connection after its timeout (Node's default: 5 s); a request written just as it
 * does is lost with the connection (status 0). Reusing only connections fresher than any
 * server's timeout leaves no such race (as undici does).
 */
const IDLE_REUSE_MS = 4_000;

/**
 * How often idle connections past IDLE_REUSE_MS are closed. The most recently idle connection is
 * reused first, so after a burst the older ones would sit unused until the server cut them (a
 * connection that never sent a request is cut after the server's header timeout).
 */
const SWEEP_MS = 1_000;

/** A pool of keep-alive connections to one `host:port`. */
export class HttpPool {
  private readonly idle: Conn[] = [];
  private readonly queue: Job[] = [];
  private open = 0;
  private readonly sweep = setInterval(() => this.closeStale(), SWEEP_MS).unref();
  /** Requests waiting for a free connection right now. */
  get queued(): number {
    return this.queue.length;
  }

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxConnections: number,
    private readonly localAddress?: string,
  ) {}

  /** Sends `method path` with extra header lines (each ending in CRLF) and a body. */
  request(method: string, path: string, headers: string, body: string | Buffer, done: Done): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nConnection: keep-alive\r\n${headers}Content-Length: ${bytes.length}\r\n\r\n`;
    const job = { head, body: bytes, done };
    const now = performance.now();
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
      if (now - conn.idleSince < IDLE_REUSE_MS) return this.start(conn, job);
      conn.socket.destroy();
    }
    this.queue.push(job);
    if (this.open < this.maxConnections) this.connect();
  }

  /** Closes every connection. */
  close(): void {
    clearInterval(this.sweep);
    for (const c of this.idle) c.socket.destroy();
    this.idle.length = 0;
  }

  /** Closes the idle connections too old to reuse (the oldest are first in `idle`). */
  private closeStale(): void {
    const now = performance.now();
    while (this.idle[0] && now - this.idle[0].idleSince >= IDLE_REUSE_MS) this.idle.shift()?.socket.destroy();
  }

  private connect(): void {
    this.open += 1;
    const socket = connect({ host: this.host, port: this.port, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
    socket.setNoDelay(true);
    const conn: Conn = { socket, job: undefined, buffer: Buffer.alloc(0), idleSince: 0, openedAt: performance.now(), answers: 0, error: undefined, lastAnswer: 0, sentAt: 0 };
    socket.once('connect', () => this.release(conn));
    socket.on('data', (data) => this.receive(conn, data));
    socket.once('close', () => {
      this.open -= 1;
      const i = this.idle.indexOf(conn);
      if (i >= 0) this.idle.splice(i, 1);
      const job = conn.job;
      conn.job = undefined;
      const age = Math.round(performance.now() - conn.openedAt);
      job?.done(0, Buffer.from(`connection closed before the answer (${conn.error ?? 'by the peer'}; ${conn.answers} answers on it over ${age} ms; port ${conn.socket.localPort}; last answer ${Math.round(performance.now() - conn.lastAnswer)} ms ago; sent ${Math.round(performance.now() - conn.sentAt)} ms ago)`));
      if (this.queue.length > 0 && this.open < this.maxConnections) this.connect();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      conn.error = error.code ?? error.message;
    });
  }

  private start(conn: Conn, job: Job): void {
    conn.job = job;
    conn.sentAt = performance.now();
    conn.socket.cork();
    conn.socket.write(job.head);
    if (job.body.length > 0) conn.socket.write(job.body);
    conn.socket.uncork();
  }

  private release(conn: Conn): void {
    const next = this.queue.shift();
    if (next) this.start(conn, next);
    else {
      conn.idleSince = performance.now();
      this.idle.push(conn);
    }
  }

  private receive(conn: Conn, data: Buffer): void {
    conn.buffer = conn.buffer.length === 0 ? data : Buffer.concat([conn.buffer, data]);
    for (;;) {
      const end = conn.buffer.indexOf(HEADER_END);
      if (end < 0) return;
      if (!conn.job) {
        // An answer to no request (a server cutting an idle connection, say): the connection is done.
        conn.socket.destroy();
        return;
      }
      const head = conn.buffer.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!match) {
        // The bench servers all answer with a length; anything else is a broken exchange.
        const job = conn.job;
        conn.job = undefined;
        conn.socket.destroy();
        job?.done(0, Buffer.from(`an answer without content-length: ${head.slice(0, 300)}`));
        return;
      }
      const total = end + 4 + Number(match[1]);
      if (conn.buffer.length < total) return;
      const body = conn.buffer.subarray(end + 4, total);
      conn.buffer = conn.buffer.length === total ? Buffer.alloc(0) : conn.buffer.subarray(total);
      const job = conn.job;
      conn.job = undefined;
      conn.answers += 1;
      conn.lastAnswer = performance.now();
      this.release(conn);
      job?.done(status, body);
    }
  }
}
