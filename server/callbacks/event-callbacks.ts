import type { EventRecord } from '../engine/model.js';
import type { Hub } from '../hub.js';
import { DeliveryLanes } from './delivery-lanes.js';
import { postForm } from './post-form.js';

/** Limits of the event-callback sender. */
export interface EventCallbackOptions {
  /** Events waiting beyond this are dropped, oldest of the longest-waiting URL first (default 10,000). */
  maxQueued?: number;
  /** Concurrent POSTs (default 8). */
  concurrency?: number;
  /** Concurrent POSTs to one URL (default 4), so one that hangs leaves senders for the others. */
  concurrencyPerUrl?: number;
  /** Attempts per event (default 3). */
  attempts?: number;
  /** Per-attempt deadline (default 15 s, as TaskRouter). */
  timeoutMs?: number;
  /** Delay before retry n (default 500 ms × 2^n). */
  retryDelayMs?: (attempt: number) => number;
  /** Told of every POST's outcome and duration, for metrics. */
  observe?: (ok: boolean, seconds: number) => void;
}

type Delivery = { url: string; params: Record<string, string>; attempt: number };

/** Counters of the sender, for metrics and tests. */
export interface EventCallbackStats {
  delivered: number;
  failed: number;
  dropped: number;
  queued: number;
}

const pascal = (key: string) => key.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** TaskRouter's event-callback parameters for an event. */
export function eventCallbackParams(event: EventRecord, accountSid: string, workspaceName: string): Record<string, string> {
  const params: Record<string, string> = {
    EventType: event.eventType,
    AccountSid: accountSid,
    WorkspaceSid: event.workspaceSid,
    WorkspaceName: workspaceName,
    EventDescription: event.description,
    ResourceType: event.resourceType,
    ResourceSid: event.resourceSid,
    Sid: event.sid,
    Timestamp: String(Math.floor(event.date / 1000)),
    TimestampMs: String(event.date),
  };
  for (const [key, value] of Object.entries(event.data)) {
    if (value === null || value === undefined) continue;
    params[pascal(key)] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return params;
}

/**
 * Sends every durable event to its workspace's `EventCallbackUrl` (honouring `EventsFilter`) from a
 * bounded queue with a few concurrent senders (a few per URL) and retries, so a slow or broken
 * endpoint never slows routing, grows memory, or holds up the events of other URLs.
 */
export function startEventCallbacks(hub: Hub, options: EventCallbackOptions = {}): { stop(): void; stats(): EventCallbackStats } {
  const maxQueued = options.maxQueued ?? 10_000;
  const concurrency = options.concurrency ?? 8;
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const retryDelay = options.retryDelayMs ?? ((n: number) => 500 * 2 ** n);
  const queue = new DeliveryLanes<Delivery>(maxQueued, options.concurrencyPerUrl ?? 4);
  const stats: EventCallbackStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 };
  let inFlight = 0;
  let stopped = false;

  const pump = () => {
    while (!stopped && inFlight < concurrency) {
      const next = queue.take();
      if (!next) break;
      const delivery = next.item;
      inFlight += 1;
      const started = performance.now();
      void postForm(delivery.url, delivery.params, timeoutMs).then((result) => {
        inFlight -= 1;
        queue.done(delivery.url);
        options.observe?.(result.ok, (performance.now() - started) / 1000);
        if (result.ok) stats.delivered += 1;
        else if (delivery.attempt + 1 < attempts && !stopped) {
          setTimeout(() => enqueue({ ...delivery, attempt: delivery.attempt + 1 }), retryDelay(delivery.attempt)).unref();
        } else stats.failed += 1;
        pump();
      });
    }
    stats.queued = queue.waiting;
  };
  const enqueue = (delivery: Delivery) => {
    if (stopped) return;
    if (queue.push(delivery.url, delivery)) stats.dropped += 1;
    pump();
  };

  const unsubscribe = hub.onEvent((event, engine) => {
    const ws = engine.state.workspace;
    if (!ws.eventCallbackUrl) return;
    if (ws.eventsFilter) {
      const wanted = ws.eventsFilter.split(',').map((s) => s.trim());
      if (!wanted.includes(event.eventType)) return;
    }
    const delivery: Delivery = { url: ws.eventCallbackUrl, params: eventCallbackParams(event, ws.accountSid, ws.friendlyName), attempt: 0 };
    return () => enqueue(delivery);
  });
  return {
    stop() {
      stopped = true;
      unsubscribe();
    },
    stats: () => ({ ...stats, queued: queue.waiting }),
  };
}
