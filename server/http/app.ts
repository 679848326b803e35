/**
 * The REST API's Fastify app, TaskRouter v1 compatible: Basic or worker-token auth, form or JSON
 * parameters, Twilio-style error bodies for every failure (unknown routes, 405, bad JSON, 413, 500).
 * Beside it: the operator endpoints (health, metrics), the OpenAPI document, request ids, and a
 * debug line and a latency sample per request.
 */
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { ERROR_CODES, fail, SwitchboardError, type ErrorCode } from '../../shared/errors.js';
import type { Credentials } from '../auth/tokens.js';
import type { Hub } from '../hub.js';
import { Health } from '../observability/health.js';
import { safeUrl, silentLogger, type Logger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { operationalRoutes } from '../observability/routes.js';
import { openApiRoute } from '../openapi/route.js';
import { RouteRegistry } from '../openapi/route-registry.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import { Api, DEFAULT_BODY_BYTES } from './api.js';
import { AUTH_CHALLENGE, Authenticator } from './auth.js';
import { activityRoutes } from './routes/activities.js';
import { eventRoutes } from './routes/events.js';
import { reservationRoutes } from './routes/reservations.js';
import { statisticsRoutes } from './routes/statistics.js';
import { taskChannelRoutes } from './routes/task-channels.js';
import { taskQueueRoutes } from './routes/task-queues.js';
import { taskRoutes } from './routes/tasks.js';
import { workerRoutes } from './routes/workers.js';
import { workflowRoutes } from './routes/workflows.js';
import { workspaceRoutes } from './routes/workspaces.js';

/** What the REST API needs. */
export interface HttpAppDeps {
  hub: Hub;
  credentials: Credentials;
  /** Origin for `url`/`links` (e.g. `https://tr.example.com`); default: the request's own Host. */
  publicUrl?: string;
  /** The logger (default: silent). */
  logger?: Logger;
  /** A debug line per request (default: true; shown only when the logger's level is debug or lower). */
  logRequests?: boolean;
  /** Readiness for `/readyz` (default: one that only probes the hub's store). */
  health?: Health;
  /** The metrics `/metrics` serves and requests feed (default: a fresh set). */
  metrics?: Metrics;
  /** A bearer token that may read `/metrics` besides the account credentials. */
  metricsToken?: string;
  /** Serve on this (already listening) server instead of one of Fastify's own; `listen` is then not called. */
  server?: http.Server;
  /** Receives the request handler to route the server's requests to once the app is ready (with `server`). */
  onHandler?: (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => void;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the REST credentials (the route checks what it needs itself). */
    public?: boolean;
    /** The 405 answer of a path for the methods it does not serve. */
    methodNotAllowed?: boolean;
  }
}

/** The routes Fastify registered on an app (from its onRoute hook), for tests that compare them with the document. */
const routeTables = new WeakMap<FastifyInstance, Array<{ method: string; url: string; methodNotAllowed: boolean }>>();

/** Every route of an app made by `createHttpApp`, as Fastify registered it (HEAD twins included). */
export function registeredRoutes(app: FastifyInstance): ReadonlyArray<{ method: string; url: string; methodNotAllowed: boolean }> {
  return routeTables.get(app) ?? [];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's `X-Request-Id` when it is a sane token, else a new one. */
function requestId(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Whether a route needs the REST credentials: REST routes (and unknown paths) under `/v1`, unless marked public. */
function needsAuth(req: FastifyRequest): boolean {
  if (req.routeOptions.config.public === true) return false;
  const pattern = req.routeOptions.url ?? req.url;
  return pattern === '/v1' || pattern.startsWith('/v1/') || pattern.startsWith('/v1?');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Maps a Fastify/transport error (which carries only an HTTP status) to one of our codes. */
function codeForStatus(status: number): ErrorCode {
  for (const [code, value] of Object.entries(ERROR_CODES)) if (value.status === status) return code as ErrorCode;
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}

function toSwitchboardError(error: unknown, bodyLimit = DEFAULT_BODY_BYTES): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 500) return fail('INTERNAL', 'Internal server error');
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail('PAYLOAD_TOO_LARGE', `Request body is larger than ${bodyLimit} bytes`);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail('BAD_REQUEST', 'Content-Type must be application/x-www-form-urlencoded or application/json');
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return fail('BAD_REQUEST', 'The JSON body is empty');
  if (error instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return fail('BAD_REQUEST', 'The request body is not valid JSON');
  return fail(codeForStatus(status), e.message ?? 'Bad request');
}

/**
 * Each request's logger (with its `reqId`), made only when the request logs something: a pino
 * child runs the redaction over its bindings, which cost more than routing the request. Its
 * methods live on the prototype: a request makes one small object, not a closure per level.
 */
class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.log('fatal', args);
  }

  error(...args: unknown[]): void {
    this.log('error', args);
  }

  warn(...args: unknown[]): void {
    this.log('warn', args);
  }

  info(...args: unknown[]): void {
    this.log('info', args);
  }

  debug(...args: unknown[]): void {
    this.log('debug', args);
  }

  trace(...args: unknown[]): void {
    this.log('trace', args);
  }

  silent(...args: unknown[]): void {
    this.log('silent', args);
  }

  child(more: Bindings, moreOptions?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(more, moreOptions);
  }

  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private log(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent', args: unknown[]): void {
    const logger = this.real();
    (logger[level] as (...a: unknown[]) => void).apply(logger, args);
  }
}

function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}

/** Builds the REST app (not listening): every route under `/v1`, plus `/healthz`, `/readyz` and `/metrics`. */
export function createHttpApp(deps: HttpAppDeps): FastifyInstance {
  const logger = deps.logger ?? silentLogger();
  const metrics = deps.metrics ?? new Metrics();
  const health = deps.health ?? new Health();
  if (!deps.health) {
    health.recovering(deps.hub.store);
    health.ready();
  }
  const external = deps.server;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own two lines per request are off: one debug summary per request is written below.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    childLoggerFactory: lazyChildLogger,
    bodyLimit: DEFAULT_BODY_BYTES,
    return503OnClosing: false,
    // A malformed URL (`%ff`) or a bad Content-Type header fails before the routes: answer in Twilio's shape too.
    frameworkErrors: (error, _req, reply) => {
      const failure = toSwitchboardError(error);
      void (reply as FastifyReply).code(failure.status).type('application/json').send(failure.toBody());
    },
    ...(external
      ? {
          serverFactory: (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => {
            deps.onHandler?.(handler);
            return external;
          },
        }
      : {}),
  });
  const routes: Array<{ method: string; url: string; methodNotAllowed: boolean }> = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, methodNotAllowed: route.config?.methodNotAllowed === true });
  });
  const auth = new Authenticator(deps.credentials, deps.hub.now);
  app.decorateRequest('principal', null);
  // Without a limit of its own, the form parser takes the route's (DEFAULT_BODY_BYTES unless the route says otherwise).
  app.register(formbody);
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return done(fail('BAD_REQUEST', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    json(req, text, done);
  });

  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    if (!needsAuth(req)) return done();
    const result = auth.authenticate(req.headers.authorization);
    // Basic auth answers synchronously; only a new worker token needs a promise.
    if (!(result instanceof Promise)) return result.ok ? ((req.principal = result.principal), done()) : done(result.error);
    result.then((r) => (r.ok ? ((req.principal = r.principal), done()) : done(r.error)), done);
  });

  // While shutting down, each connection closes after its reply (even one that arrived before), so the server drains.
  app.addHook('onSend', (_req, reply, _payload, done) => {
    if (health.current === 'draining') reply.header('connection', 'close');
    done();
  });

  const logRequests = deps.logRequests !== false;
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.observeHttp(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (logRequests && logger.isLevelEnabled('debug')) {
      req.log.debug({ method: req.method, url: safeUrl(req.url), route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    }
    done();
  });

  app.setErrorHandler((error, req, reply) => {
    const failure = toSwitchboardError(error, req.routeOptions.bodyLimit);
    if (failure.status >= 500) req.log.error({ err: error, method: req.method, url: safeUrl(req.url) }, 'request failed');
    if (failure.status === 401 || failure.status === 403) {
      req.log.info({ method: req.method, url: safeUrl(req.url), status: failure.status, reason: failure.message, remoteAddress: req.ip }, 'access denied');
    }
    if (failure.status === 401) reply.header('www-authenticate', AUTH_CHALLENGE);
    return reply.code(failure.status).type('application/json').send(failure.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const failure = fail('NOT_FOUND', `The requested resource ${req.url.split('?')[0]} was not found`);
    return reply.code(404).send(failure.toBody());
  });

  const registry = new RouteRegistry();
  const publicUrl = deps.publicUrl?.replace(/\/+$/, '');
  const metricsToken = deps.metricsToken;
  operationalRoutes(app, registry, {
    health,
    metrics,
    mayScrape(req) {
      const header = req.headers.authorization ?? '';
      if (metricsToken && header.slice(0, 7).toLowerCase() === 'bearer ') return sameSecret(header.slice(7).trim(), metricsToken);
      if (header.slice(0, 6).toLowerCase() !== 'basic ') return false;
      const result = auth.authenticate(header);
      return !(result instanceof Promise) && result.ok && result.principal.type === 'account';
    },
  });
  openApiRoute(app, registry, publicUrl);
  const api = new Api(app, deps.hub, publicUrl, registry);
  workspaceRoutes(api);
  activityRoutes(api);
  taskChannelRoutes(api);
  workerRoutes(api);
  taskQueueRoutes(api);
  workflowRoutes(api);
  taskRoutes(api);
  reservationRoutes(api);
  eventRoutes(api);
  statisticsRoutes(api);
  api.finish();
  return app;
}
