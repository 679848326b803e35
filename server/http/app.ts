/**
 * The REST API's Fastify app, TaskRouter v1 compatible: Basic or worker-token auth, form or JSON
 * parameters, Twilio-style error bodies for every failure (unknown routes, 405, bad JSON, 413, 500).
 */
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { ERROR_CODES, fail, SwitchboardError, type ErrorCode } from '../../shared/errors.js';
import type { Credentials } from '../auth/tokens.js';
import type { Hub } from '../hub.js';
import { Api } from './api.js';
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

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the REST API needs. */
export interface HttpAppDeps {
  hub: Hub;
  credentials: Credentials;
  /** Origin for `url`/`links` (e.g. `https://tr.example.com`); default: the request's own Host. */
  publicUrl?: string;
  /** Fastify's logger option (default off). */
  logger?: FastifyServerOptions['logger'];
}

/** Maps a Fastify/transport error (which carries only an HTTP status) to one of our codes. */
function codeForStatus(status: number): ErrorCode {
  for (const [code, value] of Object.entries(ERROR_CODES)) if (value.status === status) return code as ErrorCode;
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}

function toSwitchboardError(error: unknown): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 500) return fail('INTERNAL', 'Internal server error');
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail('PAYLOAD_TOO_LARGE', `Request body is larger than ${MAX_BODY_BYTES} bytes`);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail('BAD_REQUEST', 'Content-Type must be application/x-www-form-urlencoded or application/json');
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return fail('BAD_REQUEST', 'The JSON body is empty');
  if (error instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return fail('BAD_REQUEST', 'The request body is not valid JSON');
  return fail(codeForStatus(status), e.message ?? 'Bad request');
}

/** Builds the REST app (not listening): every route under `/v1`. */
export function createHttpApp(deps: HttpAppDeps): FastifyInstance {
  const logger = deps.logger ?? false;
  const level = typeof logger === 'object' && logger !== null && 'level' in logger ? String(logger.level) : '';
  const app = Fastify({
    logger,
    // Per-request lines only when debugging: at thousands of requests a second they cost more than the request.
    logController: new LogController({ disableRequestLogging: level !== 'debug' && level !== 'trace' }),
    bodyLimit: MAX_BODY_BYTES,
    return503OnClosing: false,
  });
  const auth = new Authenticator(deps.credentials, deps.hub.now);
  app.decorateRequest('principal', null);
  app.register(formbody, { bodyLimit: MAX_BODY_BYTES });

  app.addHook('onRequest', (req, _reply, done) => {
    const result = auth.authenticate(req.headers.authorization);
    // Basic auth answers synchronously; only a new worker token needs a promise.
    if (!(result instanceof Promise)) return result.ok ? ((req.principal = result.principal), done()) : done(result.error);
    result.then((r) => (r.ok ? ((req.principal = r.principal), done()) : done(r.error)), done);
  });

  app.setErrorHandler((error, req, reply) => {
    const failure = toSwitchboardError(error);
    if (failure.status >= 500) req.log.error({ err: error }, 'request failed');
    if (failure.status === 401) reply.header('www-authenticate', AUTH_CHALLENGE);
    return reply.code(failure.status).type('application/json').send(failure.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const failure = fail('NOT_FOUND', `The requested resource ${req.url.split('?')[0]} was not found`);
    return reply.code(404).send(failure.toBody());
  });

  const api = new Api(app, deps.hub, deps.publicUrl?.replace(/\/+$/, ''));
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
