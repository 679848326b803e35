/**
 * Builds and starts a whole hub: listening socket, store, credentials, hub, REST app, sockets,
 * callbacks, metrics. `main.ts` runs it from the environment; tests run it on port 0 with an
 * in-memory store. The socket listens before recovery, so `/healthz` answers at once and
 * `/readyz` says 503 until the hub has restored its workspaces.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAssignmentCallbacks } from './callbacks/assignment-callbacks.js';
import { startEventCallbacks } from './callbacks/event-callbacks.js';
import { resolveConnectionLimits, type Config, type ConnectionLimits } from './config.js';
import { loadCredentials, type Credentials } from './credentials.js';
import { registerDemoRoutes } from './demo/routes.js';
import { seedDemo, type DemoInfo } from './demo/seed.js';
import { createHttpApp } from './http/app.js';
import { answerClientErrors } from './http/client-errors.js';
import { Hub } from './hub.js';
import { pooledIds } from './ids.js';
import { answerWhileStarting, Health } from './observability/health.js';
import { hideSecrets, silentLogger, type Logger } from './observability/logger.js';
import { Metrics, type SocketCounters } from './observability/metrics.js';
import { MemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { attachWorkerSockets } from './ws/attach.js';
import { UpgradeRouter } from './ws/upgrade-router.js';
import { attachTwilioEdge } from './twilio/twilio-edge.js';

/** What the socket transport hands back: how to close it, and counters for metrics. */
export interface AttachedSockets {
  /** Closes every socket with 1001 (going away) and resolves once they are gone. */
  close(): Promise<void>;
  sessionCount?(): number;
  stats?(): SocketCounters;
}

/** Attaches the WebSocket endpoints to the server's upgrade router. */
export type AttachSockets = (upgrades: UpgradeRouter, hub: Hub, credentials: Credentials) => AttachedSockets;

/** Choices beyond the configuration, mostly for tests. */
export interface StartOptions {
  /** Use this store instead of opening `config.data`. */
  store?: Store;
  /** Use these credentials instead of loading them. */
  credentials?: Credentials;
  /** The WebSocket endpoints (default: the native worker sockets; `false`: none). */
  attachSockets?: AttachSockets | false;
  /** Environment to read credentials from (default: the process's). */
  env?: NodeJS.ProcessEnv;
  /** A debug line per request (default: on; written only at LOG_LEVEL debug or trace). */
  logRequests?: boolean;
  /** The logger (default: silent). */
  logger?: Logger;
  /** The metrics (default: a fresh set). */
  metrics?: Metrics;
  /** Told the URL as soon as the socket listens, before recovery. */
  onListening?: (url: string) => void;
  /** Told once if the store fails; the hub then refuses all work and should be restarted. */
  onFatal?: (error: Error) => void;
  /** How long a graceful close waits for requests and sockets to finish (default 10 s). */
  closeGraceMs?: number;
  /** Unanswered assignment-callback POSTs one URL may have at once (default 1,000). */
  assignmentCallbacksPerUrl?: number;
}

/** A running hub. */
export interface RunningServer {
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  url: string;
  hub: Hub;
  server: http.Server;
  credentials: Credentials;
  /** True when the credentials were generated on this start and must be shown to the operator. */
  generatedCredentials: boolean;
  metrics: Metrics;
  health: Health;
  /** What the demo seeded on this start (null: demo off, or the store already had workspaces). */
  demo: DemoInfo | null;
  /**
   * Stops gracefully: readiness goes to 503, no new connections, worker sockets closed with 1001,
   * in-flight requests finished, everything queued committed, the store closed. Idempotent.
   */
  close(): Promise<void>;
}

/** Opens the store of a data directory: SQLite when that adapter is present (else memory, with a warning), memory for `:memory:`. */
export async function openStore(data: string): Promise<Store> {
  if (data === ':memory:') return new MemoryStore();
  const modulePath = './store/sqlite-store.js';
  let adapter: { SqliteStore?: { open(dir: string): Promise<Store> } };
  try {
    adapter = (await import(modulePath)) as typeof adapter;
  } catch (error) {
    // Only the adapter itself being absent falls back; a broken adapter (or its driver) is an error.
    const e = error as { code?: string; message?: string };
    if (e.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('sqlite-store')) throw error;
    adapter = {};
  }
  if (adapter.SqliteStore) return adapter.SqliteStore.open(data);
  console.warn(`Switchboard: no SQLite store in this build; keeping data in memory instead of ${data}`);
  return new MemoryStore();
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    // A deep accept queue: when thousands of agents reconnect at once (a network blip, a restart),
    // Node's default of 511 overflows and the kernel drops connections that then wait seconds to retry.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting connections and resolves once the open ones have finished (cut after `graceMs`). */
function drain(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** An HTTP server that drops clients too slow to send their request, however many there are. */
function createHttpServer(limits: ConnectionLimits): http.Server {
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both deadlines on this interval (30 s by default), which would let a short timeout run long.
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  });
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}

/** Builds everything and listens on `config.host:config.port` (port 0 picks a free one). */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? silentLogger();
  const metrics = options.metrics ?? new Metrics();
  const health = new Health();
  const graceMs = options.closeGraceMs ?? 10_000;
  const limits = resolveConnectionLimits(config.connections);
  const server = createHttpServer(limits);
  const clientErrors = answerClientErrors(server, (reason, detail) => logger.debug({ reason, ...detail }, 'connection closed before its request reached the app'));
  metrics.setHttpClientErrorsSource(clientErrors);
  let handle: (req: http.IncomingMessage, res: http.ServerResponse) => void = (req, res) => void answerWhileStarting(req, res, health);
  server.on('request', (req, res) => handle(req, res));
  await listen(server, config.port, config.host);
  const url = `http://${displayHost(config.host)}:${(server.address() as AddressInfo).port}`;
  logger.info({ url, data: config.data }, 'listening; recovering');
  options.onListening?.(url);

  let store: Store | undefined = options.store;
  let hub: Hub | undefined;
  const stops: Array<() => void> = [];
  try {
    store ??= await openStore(config.data);
    health.recovering(store);
    const loaded = options.credentials
      ? { credentials: options.credentials, source: 'env' as const }
      : await loadCredentials(store, options.env ?? process.env);
    const credentials = loaded.credentials;
    const basic = Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString('base64');
    hideSecrets(logger, [credentials.authToken, basic, ...credentials.apiKeys.values(), config.metricsToken]);

    const recoveryStarted = performance.now();
    hub = await Hub.open({
      store,
      accountSid: credentials.accountSid,
      ids: pooledIds(),
      observer: metrics.hubObserver(),
      ...(config.eventRetentionHours !== undefined ? { eventRetentionMs: config.eventRetentionHours * 3_600_000 } : {}),
      onFatal: (error) => {
        health.failed();
        logger.fatal({ err: error }, 'store commit failed; the hub refuses all work and must be restarted');
        options.onFatal?.(error);
      },
    });
    const openHub = hub;
    logger.info({ workspaces: hub.workspaces().length, ms: Math.round(performance.now() - recoveryStarted) }, 'recovery finished');
    const demo = config.demo ? await seedDemo(hub) : null;
    if (demo) logger.info({ workspaceSid: demo.workspaceSid }, 'demo workspace created');

    stops.push(metrics.observeHub(hub));
    stops.push(
      startAssignmentCallbacks(hub, {
        observe: (ok, seconds) => metrics.observeCallback('assignment', ok, seconds),
        maxPendingPerUrl: options.assignmentCallbacksPerUrl,
      }),
    );
    const eventCallbacks = startEventCallbacks(hub, { observe: (ok, seconds) => metrics.observeCallback('event', ok, seconds) });
    stops.push(() => eventCallbacks.stop());
    metrics.setEventCallbackStatsSource(() => eventCallbacks.stats());

    let fastify: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
    const app = createHttpApp({
      hub,
      credentials,
      publicUrl: config.publicUrl,
      logger,
      logRequests: options.logRequests,
      health,
      metrics,
      metricsToken: config.metricsToken,
      server,
      onHandler: (handler) => (fastify = handler),
    });
    // The demo's live streams are long-lived requests: they end first, or they would hold the drain.
    const demoRoutes = config.demo ? registerDemoRoutes(app, { hub, credentials }) : undefined;
    // One listener takes every WebSocket upgrade and sends it to the endpoint of its path.
    const upgrades = new UpgradeRouter(server, limits);
    stops.push(() => upgrades.close());
    const perWorker = limits.maxSocketsPerWorker;
    // twilio-taskrouter's event bridge: POST /v1/wschannels on the app, its WebSocket on the router.
    const twilioEdge = attachTwilioEdge(app, upgrades, openHub, credentials, { maxSocketsPerWorker: perWorker });
    await app.ready();
    const attach = options.attachSockets ?? ((u, h, c) => attachWorkerSockets(u, h, c, { maxSocketsPerWorker: perWorker }));
    const sockets = attach === false ? undefined : attach(upgrades, hub, credentials);
    if (sockets?.sessionCount) metrics.setConnectedWorkersSource(() => sockets.sessionCount?.() ?? 0);
    if (sockets?.stats) metrics.setSocketStatsSource(() => sockets.stats?.() ?? { slowConsumersCut: 0 });
    metrics.setSocketRefusalsSource(() => {
      const refused = upgrades.stats();
      const perWorker = (sockets?.stats?.().tooManySockets ?? 0) + twilioEdge.sockets.stats().tooManySockets;
      return {
        not_found: refused.notFound,
        origin: refused.forbiddenOrigin,
        per_address: refused.tooManyFromAddress,
        per_worker: perWorker,
        handshake_timeout: refused.handshakeTimeouts,
      };
    });
    if (fastify) handle = fastify;
    health.ready();
    logger.info({ url, wsUrl: `${url.replace(/^http/, 'ws')}/v1/sockets` }, 'ready');

    let closing: Promise<void> | undefined;
    const close = async () => {
      health.draining();
      logger.info('shutting down');
      demoRoutes?.close();
      // New connections are refused at once; open ones finish their request (with `Connection: close`).
      await Promise.all([drain(server, graceMs), sockets?.close(), twilioEdge.close()]);
      for (const stop of stops) stop();
      await app.close();
      await openHub.close();
      logger.info('stopped');
    };
    return {
      url,
      hub: openHub,
      server,
      credentials,
      generatedCredentials: loaded.source === 'generated',
      metrics,
      health,
      demo,
      close: () => (closing ??= close()),
    };
  } catch (error) {
    for (const stop of stops) stop();
    await drain(server, 0);
    if (hub) await hub.close().catch(() => undefined);
    else await store?.close().catch(() => undefined);
    throw error;
  }
}
