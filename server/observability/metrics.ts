/**
 * The hub's Prometheus metrics (prom-client), one registry per running hub. Counters and
 * histograms move as things happen (hub events, the hub's step/commit observer, HTTP replies);
 * gauges of workers and tasks are read from engine state when scraped, and so are the sources the
 * transports provide (connected workers, socket and callback counters). Labels are names, never
 * SIDs, and each label's values are capped.
 */
import { readdir } from 'node:fs/promises';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Hub, HubObserver } from '../hub.js';
import { CLIENT_ERROR_REASONS, type ClientErrorCounts } from '../http/client-errors.js';
import { hubVersion } from './version.js';
import { collectHubState } from './state-gauges.js';

/** Counters the socket transport keeps (`attachWorkerSockets().stats()`). */
export interface SocketCounters {
  /** Sockets cut off because their send buffer passed its limit. */
  slowConsumersCut: number;
  /** Sockets refused because their worker already held as many as it may. */
  tooManySockets?: number;
}

/** Sockets refused or cut before they became sessions, by reason, as the socket layer counts them. */
export interface SocketRefusals {
  /** Upgrades on a path no endpoint serves. */
  not_found: number;
  /** Upgrades from a page whose origin is not allowed. */
  origin: number;
  /** Upgrades past the sockets allowed from one address. */
  per_address: number;
  /** Sockets past the sockets allowed for one worker. */
  per_worker: number;
  /** Upgrades not completed in time. */
  handshake_timeout: number;
}

/** Counters the event-callback sender keeps (`startEventCallbacks().stats()`). */
export interface EventCallbackCounters {
  delivered: number;
  failed: number;
  dropped: number;
  queued: number;
}

/** Which outbound callback a measurement is of. */
export type CallbackKind = 'assignment' | 'event';

const PREFIX = 'switchboard_';

/**
 * prom-client's default collectors whose scrape holds the event loop for a time that grows with the
 * open sockets: the active handles and resources are listed one by one (twice each, for the count and
 * the total), and the open descriptors are read with a synchronous `readdir` of `/proc/self/fd`.
 * With 9,000 sockets open they held the loop for 16-24 ms a scrape (`npm run bench:monitoring`), and every
 * offer of that moment waited. `switchboard_connected_workers` counts the sockets; the descriptors are
 * counted off the loop.
 */
const PER_SOCKET_COLLECTORS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'process_open_fds',
];

/** Default process metrics (CPU, memory, event-loop delay, GC, descriptors), collected once per process. */
let processRegistry: Registry | undefined;
export function processMetrics(): Registry {
  if (!processRegistry) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    for (const name of PER_SOCKET_COLLECTORS) registry.removeSingleMetric(name);
    if (process.platform === 'linux') {
      new Gauge({
        name: 'process_open_fds',
        help: 'Number of open file descriptors.',
        registers: [registry],
        // The directory is listed on libuv's thread pool, not on the loop; its own descriptor is not counted.
        async collect() {
          const fds = await readdir('/proc/self/fd').catch(() => undefined);
          if (fds) this.set(fds.length - 1);
        },
      });
    }
    processRegistry = registry;
  }
  return processRegistry;
}

/** A counter fed from a monotonic total read at scrape time (it only ever moves up by the difference). */
function deltaFeeder(counter: { inc(value: number): void }) {
  let last = 0;
  return (total: number) => {
    if (total > last) counter.inc(total - last);
    last = Math.max(last, total);
  };
}

/** A labelled counter fed from monotonic totals by label value, read at scrape time. */
function labelledDeltaFeeder<Totals extends { [label in keyof Totals]: number }>(counter: Counter<string>) {
  const feeds = new Map<string, (total: number) => void>();
  return (totals: Totals) => {
    for (const [label, total] of Object.entries(totals) as Array<[string, number]>) {
      let feedOne = feeds.get(label);
      if (!feedOne) feeds.set(label, (feedOne = deltaFeeder(counter.labels(label))));
      feedOne(total);
    }
  };
}

/** The metrics of one hub. */
export class Metrics {
  readonly registry = new Registry();
  /** Bumped by the socket layer when it drops a socket whose send buffer is full (also fed from `setSocketStatsSource`). */
  readonly wsSendBufferDrops: Counter<string>;
  readonly tasksCreated: Counter<string>;
  readonly offersCreated: Counter<string>;
  readonly offersEnded: Counter<'outcome'>;
  readonly offerWait: Histogram<string>;
  readonly acceptLatency: Histogram<string>;
  readonly routingStep: Histogram<'command'>;
  readonly commitSeconds: Histogram<string>;
  readonly commitBatchSize: Histogram<string>;
  readonly callbackSeconds: Histogram<'kind' | 'result'>;
  readonly assignmentCallbackErrors: Counter<string>;
  readonly httpSeconds: Histogram<'method' | 'route' | 'status_code'>;
  private connectedWorkers: () => number = () => 0;
  private socketStats: (() => SocketCounters) | undefined;
  private eventCallbackStats: (() => EventCallbackCounters) | undefined;
  private socketRefusals: (() => SocketRefusals) | undefined;
  private httpClientErrors: (() => ClientErrorCounts) | undefined;
  private hub: Hub | undefined;
  /** Brings the scrape-time metrics up to date. */
  private readonly refresh: () => void;

  constructor() {
    const registers = [this.registry];
    const r = { registers };
    new Gauge({ name: `${PREFIX}info`, help: 'Always 1; the version label says which hub is running', labelNames: ['version'], ...r }).set({ version: hubVersion() }, 1);
    const connected = new Gauge({ name: `${PREFIX}connected_workers`, help: 'Authenticated worker sessions on the native WebSocket', ...r });
    const workspaces = new Gauge({ name: `${PREFIX}workspaces`, help: 'Workspaces on this hub', ...r });
    const workers = new Gauge({ name: `${PREFIX}workers`, help: 'Workers by workspace and activity', labelNames: ['workspace', 'activity'], ...r });
    const tasks = new Gauge({ name: `${PREFIX}tasks`, help: 'Tasks by workspace, queue and assignment status', labelNames: ['workspace', 'queue', 'status'], ...r });

    this.tasksCreated = new Counter({ name: `${PREFIX}tasks_created_total`, help: 'Tasks created', ...r });
    this.offersCreated = new Counter({ name: `${PREFIX}offers_created_total`, help: 'Reservations (offers) created', ...r });
    this.offersEnded = new Counter({
      name: `${PREFIX}offers_ended_total`,
      help: 'Reservations that left pending, by outcome: accepted, rejected, timeout, canceled, rescinded',
      labelNames: ['outcome'],
      ...r,
    });
    for (const outcome of ['accepted', 'rejected', 'timeout', 'canceled', 'rescinded']) this.offersEnded.inc({ outcome }, 0);
    this.offerWait = new Histogram({
      name: `${PREFIX}offer_wait_seconds`,
      help: 'Time from a task being created to each reservation offering it',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
      ...r,
    });
    this.acceptLatency = new Histogram({
      name: `${PREFIX}offer_accept_seconds`,
      help: 'Time from a reservation being created to its accept',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      ...r,
    });
    this.routingStep = new Histogram({
      name: `${PREFIX}engine_step_seconds`,
      help: 'Time the routing engine took for one command, routing decisions included, by command type',
      labelNames: ['command'],
      buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
      ...r,
    });
    this.commitSeconds = new Histogram({
      name: `${PREFIX}store_commit_seconds`,
      help: 'Time one group commit took in the store',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      ...r,
    });
    this.commitBatchSize = new Histogram({
      name: `${PREFIX}store_commit_batch_size`,
      help: 'Records and events written by one group commit',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      ...r,
    });
    this.callbackSeconds = new Histogram({
      name: `${PREFIX}callback_duration_seconds`,
      help: 'Outbound callback POSTs by kind (assignment, event) and result (success, failure); _count counts them',
      labelNames: ['kind', 'result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      ...r,
    });
    this.assignmentCallbackErrors = new Counter({
      name: `${PREFIX}assignment_callback_errors_total`,
      help: 'Assignment callbacks that failed or answered something unusable (each is a callback.error event)',
      ...r,
    });
    const delivered = new Counter({ name: `${PREFIX}event_callbacks_delivered_total`, help: 'Event callbacks delivered', ...r });
    const failed = new Counter({ name: `${PREFIX}event_callbacks_failed_total`, help: 'Event callbacks given up after their retries', ...r });
    const dropped = new Counter({ name: `${PREFIX}event_callbacks_dropped_total`, help: 'Event callbacks dropped because the queue was full', ...r });
    const queued = new Gauge({ name: `${PREFIX}event_callbacks_queued`, help: 'Event callbacks waiting to be sent', ...r });
    this.wsSendBufferDrops = new Counter({
      name: `${PREFIX}ws_send_buffer_drops_total`,
      help: 'Worker sockets cut off because their send buffer passed its limit',
      ...r,
    });
    this.httpSeconds = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'REST requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      ...r,
    });

    const refused = new Counter({
      name: `${PREFIX}ws_refused_total`,
      help: 'WebSocket upgrades and sockets refused by reason: unknown path, origin, too many from one address or for one worker, handshake too slow',
      labelNames: ['reason'],
      ...r,
    });
    const feedRefusals = labelledDeltaFeeder<SocketRefusals>(refused);
    const httpClientErrors = new Counter({
      name: `${PREFIX}http_client_errors_total`,
      help: 'Connections answered and closed before a request reached the app, by reason: timeout (headers or body too slow), headers_too_large, body_too_large (chunk extensions), malformed',
      labelNames: ['reason'],
      ...r,
    });
    for (const reason of CLIENT_ERROR_REASONS) httpClientErrors.inc({ reason }, 0);
    const feedClientErrors = labelledDeltaFeeder<ClientErrorCounts>(httpClientErrors);

    const feed = { delivered: deltaFeeder(delivered), failed: deltaFeeder(failed), dropped: deltaFeeder(dropped), drops: deltaFeeder(this.wsSendBufferDrops) };
    this.refresh = () => {
      connected.set(this.connectedWorkers());
      workspaces.reset();
      workers.reset();
      tasks.reset();
      if (this.hub) collectHubState(this.hub, { workspaces, workers, tasks });
      const callbacks = this.eventCallbackStats?.();
      if (callbacks) {
        feed.delivered(callbacks.delivered);
        feed.failed(callbacks.failed);
        feed.dropped(callbacks.dropped);
        queued.set(callbacks.queued);
      }
      const sockets = this.socketStats?.();
      if (sockets) feed.drops(sockets.slowConsumersCut);
      const refusals = this.socketRefusals?.();
      if (refusals) feedRefusals(refusals);
      const clientErrors = this.httpClientErrors?.();
      if (clientErrors) feedClientErrors(clientErrors);
    };
  }

  /** Where the number of connected workers comes from (the socket layer's session count). */
  setConnectedWorkersSource(source: () => number): void {
    this.connectedWorkers = source;
  }

  /** Where the socket layer's counters come from; read at scrape time. */
  setSocketStatsSource(source: () => SocketCounters): void {
    this.socketStats = source;
  }

  /** Where the counts of refused sockets come from; read at scrape time. */
  setSocketRefusalsSource(source: () => SocketRefusals): void {
    this.socketRefusals = source;
  }

  /** Where the counts of connections closed for broken or slow HTTP come from; read at scrape time. */
  setHttpClientErrorsSource(source: () => ClientErrorCounts): void {
    this.httpClientErrors = source;
  }

  /** Where the event-callback sender's counters come from; read at scrape time. */
  setEventCallbackStatsSource(source: () => EventCallbackCounters): void {
    this.eventCallbackStats = source;
  }

  /** Records one outbound callback POST. */
  observeCallback(kind: CallbackKind, ok: boolean, seconds: number): void {
    this.callbackSeconds.observe({ kind, result: ok ? 'success' : 'failure' }, seconds);
  }

  /** Records one REST reply. */
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpSeconds.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** The observer to give `Hub.open`: engine step and store commit timings. */
  hubObserver(): HubObserver {
    return {
      step: (command, ms) => this.routingStep.observe({ command }, ms / 1000),
      commit: (ms, changes, events) => {
        this.commitSeconds.observe(ms / 1000);
        this.commitBatchSize.observe(changes + events);
      },
    };
  }

  /** Counts the hub's offers and tasks from its events and reads its state at scrape time; returns the unsubscribe. */
  observeHub(hub: Hub): () => void {
    this.hub = hub;
    const unsubscribe = hub.onEvent((event, engine) => {
      const state = engine.state;
      switch (event.eventType) {
        case 'task.created':
          return () => this.tasksCreated.inc();
        case 'reservation.created': {
          const reservation = state.reservations.get(event.resourceSid);
          const task = reservation ? state.tasks.get(reservation.taskSid) : undefined;
          const wait = task ? Math.max(0, event.date - task.dateCreated) / 1000 : undefined;
          return () => {
            this.offersCreated.inc();
            if (wait !== undefined) this.offerWait.observe(wait);
          };
        }
        case 'reservation.accepted': {
          const reservation = state.reservations.get(event.resourceSid);
          const latency = reservation ? Math.max(0, event.date - reservation.dateCreated) / 1000 : undefined;
          return () => {
            this.offersEnded.inc({ outcome: 'accepted' });
            if (latency !== undefined) this.acceptLatency.observe(latency);
          };
        }
        case 'reservation.rejected':
        case 'reservation.timeout':
        case 'reservation.canceled':
        case 'reservation.rescinded': {
          const outcome = event.eventType.slice('reservation.'.length);
          return () => this.offersEnded.inc({ outcome });
        }
        case 'callback.error':
          return () => this.assignmentCallbackErrors.inc();
        default:
          return undefined;
      }
    });
    return () => {
      unsubscribe();
      if (this.hub === hub) this.hub = undefined;
    };
  }

  /** The content type of `scrape()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric, in the Prometheus text format: the process's defaults, then the hub's. */
  async scrape(): Promise<string> {
    this.refresh();
    const [process, own] = await Promise.all([processMetrics().metrics(), this.registry.metrics()]);
    return `${process.trimEnd()}\n${own}`;
  }
}
