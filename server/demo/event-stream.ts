/**
 * Server-sent events for the demo dashboard: every open stream gets the dashboard state when it
 * connects and again (coalesced) after each change; comments keep proxies from timing it out.
 */
import type { ServerResponse } from 'node:http';

/** Delay used to coalesce bursts of changes into one push, ms. */
const COALESCE_MS = 50;
/** Interval of keep-alive comments, ms. */
const HEARTBEAT_MS = 15_000;

/** A set of open SSE responses that all receive the same `state` messages. */
export class DashboardStream {
  private readonly clients = new Set<ServerResponse>();
  private pending: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly snapshot: () => unknown) {
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Number of open streams. */
  get size(): number {
    return this.clients.size;
  }

  /** Starts streaming to `res` (already hijacked from the framework). */
  open(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.write(res, this.snapshot());
  }

  /** Schedules one push of the current state to every stream. */
  changed(): void {
    if (this.pending || this.clients.size === 0) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const state = this.snapshot();
      for (const res of this.clients) this.write(res, state);
    }, COALESCE_MS);
    this.pending.unref();
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.pending);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private write(res: ServerResponse, state: unknown): void {
    res.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
  }
}
