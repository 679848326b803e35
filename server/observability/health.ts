/**
 * Liveness and readiness. `/healthz` answers 200 whenever the process serves HTTP; `/readyz`
 * answers 200 only once the store is open, recovery has finished, and a probe write to the
 * store succeeds (checked at most once a second), and 503 while starting, recovering, shutting
 * down or after a store failure. Neither needs credentials, and neither says more than a word.
 */
import type http from 'node:http';
import type { Store } from '../store/store.js';

/** Where the hub is in its life. */
export type Phase = 'starting' | 'recovering' | 'ready' | 'draining' | 'failed';

/** How long a probe write may take before the store counts as not writable. */
const PROBE_TIMEOUT_MS = 2000;
/** A probe result is reused for this long, so a busy prober cannot load the store. */
const PROBE_TTL_MS = 1000;

/** A readiness answer: the HTTP status and its one-word body. */
export interface Readiness {
  ready: boolean;
  status: 'ready' | 'starting' | 'recovering' | 'draining' | 'unavailable';
}

/** The readiness state of one hub. */
export class Health {
  private phase: Phase = 'starting';
  private store: Store | undefined;
  private probe: { at: number; result: Promise<boolean> } | undefined;

  /** The current phase. */
  get current(): Phase {
    return this.phase;
  }

  /** The store is open and the hub is restoring its workspaces. */
  recovering(store: Store): void {
    this.store = store;
    if (this.phase === 'starting') this.phase = 'recovering';
  }

  /** Recovery finished: the hub takes work. */
  ready(): void {
    if (this.phase === 'starting' || this.phase === 'recovering') this.phase = 'ready';
  }

  /** Shutting down: load balancers should stop sending work. */
  draining(): void {
    if (this.phase !== 'failed') this.phase = 'draining';
  }

  /** The store failed; the hub takes no more work. */
  failed(): void {
    this.phase = 'failed';
  }

  /** Whether the hub is ready now (probing the store when it last did so over a second ago). */
  async readiness(): Promise<Readiness> {
    if (this.phase === 'starting' || this.phase === 'recovering' || this.phase === 'draining') return { ready: false, status: this.phase };
    if (this.phase === 'failed' || !this.store) return { ready: false, status: 'unavailable' };
    const now = Date.now();
    if (!this.probe || now - this.probe.at > PROBE_TTL_MS) this.probe = { at: now, result: writable(this.store, now) };
    const canWrite = await this.probe.result;
    // The phase may have moved while the probe ran.
    const phase = this.current;
    if (phase === 'ready') return canWrite ? { ready: true, status: 'ready' } : { ready: false, status: 'unavailable' };
    return { ready: false, status: phase === 'draining' ? 'draining' : 'unavailable' };
  }
}

/** Whether a small write to the store's meta area succeeds in time. */
async function writable(store: Store, now: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const write = store.setMeta('readiness_probe', new Date(now).toISOString()).then(() => true);
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)));
    return await Promise.race([write, late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Where the liveness and readiness endpoints are. */
export const HEALTH_PATHS = { live: '/healthz', ready: '/readyz' } as const;

/**
 * Answers `/healthz` and `/readyz` on a bare Node request, for the time before the REST app
 * exists (the socket listens during recovery); every other path gets 503. Returns when answered.
 */
export async function answerWhileStarting(req: http.IncomingMessage, res: http.ServerResponse, health: Health): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-type', 'application/json; charset=utf-8');
  if (path === HEALTH_PATHS.live && (req.method === 'GET' || req.method === 'HEAD')) {
    res.writeHead(200).end(JSON.stringify({ status: 'ok' }));
    return;
  }
  if (path === HEALTH_PATHS.ready && (req.method === 'GET' || req.method === 'HEAD')) {
    const readiness = await health.readiness();
    res.writeHead(503).end(JSON.stringify({ status: readiness.status }));
    return;
  }
  res.setHeader('retry-after', '1');
  res.writeHead(503).end(
    JSON.stringify({ code: 20503, message: 'The hub is starting; try again shortly', more_info: 'https://www.twilio.com/docs/errors/20503', status: 503 }),
  );
}
