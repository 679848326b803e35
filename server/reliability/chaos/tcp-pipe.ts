/**
 * One direction of a proxied TCP connection: bytes from `from` reach `to` after a delay drawn per
 * chunk, never out of order, and can be held (a black hole: nothing passes, nothing closes) and
 * released. The end of the stream travels like data, behind what was sent before it.
 */
import type net from 'node:net';

/** How a pipe's source ended: a clean FIN, or an abortive close (RST, error). */
export type PipeEnd = 'fin' | 'reset';

interface Queued {
  due: number;
  chunk: Buffer | PipeEnd;
}

/** A one-way forwarder between two sockets with delay and hold. */
export class TcpPipe {
  private readonly queue: Queued[] = [];
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private held = false;
  private draining = false;
  private finished = false;
  private end: Queued | undefined;
  /** Bytes that reached `to`. */
  forwarded = 0;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    /** The delay of the next chunk, ms. */
    private readonly delay: () => number,
  ) {
    from.on('data', (chunk: Buffer) => this.enqueue(chunk));
    from.on('end', () => this.enqueue('fin'));
    from.on('close', (hadError) => this.enqueue(hadError ? 'reset' : 'fin'));
    from.on('error', () => this.enqueue('reset'));
  }

  /** Whether the pipe is holding everything back. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Stops forwarding: nothing passes (not even the end of the stream) and the source is no longer read. */
  hold(): void {
    this.held = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.from.destroyed) this.from.pause();
  }

  /** Forwards again, starting with what was held back (due at once when its time has passed). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (!this.from.destroyed && !this.draining) this.from.resume();
    this.pump();
  }

  private enqueue(chunk: Buffer | PipeEnd): void {
    if (this.finished) return;
    if (this.end) {
      // Nothing follows the end of a stream, but a reset overtakes a pending FIN: an abortive close discards what was unsent.
      if (chunk === 'reset') this.end.chunk = 'reset';
      return;
    }
    // Never earlier than the chunk before it: the byte stream keeps its order whatever the jitter.
    const due = Math.max(Date.now() + Math.max(0, this.delay()), this.lastDue);
    this.lastDue = due;
    const queued: Queued = { due, chunk };
    if (typeof chunk === 'string') this.end = queued;
    this.queue.push(queued);
    this.pump();
  }

  private pump(): void {
    if (this.held || this.timer) return;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { chunk } = this.queue.shift()!;
      if (typeof chunk === 'string') return this.finish(chunk);
      if (this.to.destroyed) continue;
      this.forwarded += chunk.length;
      if (!this.to.write(chunk) && !this.draining) {
        // Backpressure: stop reading the source until the destination drains.
        this.draining = true;
        this.from.pause();
        this.to.once('drain', () => {
          this.draining = false;
          if (!this.held && !this.from.destroyed) this.from.resume();
        });
      }
    }
    const head = this.queue[0];
    if (head) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, head.due - now);
    }
  }

  private finish(end: PipeEnd): void {
    this.finished = true;
    this.queue.length = 0;
    if (this.to.destroyed) return;
    if (end === 'reset') this.to.resetAndDestroy();
    else this.to.end();
  }
}
