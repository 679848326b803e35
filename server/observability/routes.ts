/**
 * The operator endpoints: `/healthz` and `/readyz` (no credentials, a status word only) and
 * `/metrics` (Prometheus text; the account's Basic credentials or the metrics bearer token).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail } from '../../shared/errors.js';
import type { RouteRegistry } from '../openapi/route-registry.js';
import { HEALTH_PATHS, type Health } from './health.js';
import type { Metrics } from './metrics.js';

/** What the operator endpoints need. */
export interface OperationalDeps {
  health: Health;
  metrics: Metrics;
  /** Whether a request may read `/metrics`. */
  mayScrape(req: FastifyRequest): boolean | Promise<boolean>;
}

/** Registers the operator endpoints (public as far as the REST auth hook goes) and documents them. */
export function operationalRoutes(app: FastifyInstance, registry: RouteRegistry, deps: OperationalDeps): void {
  const { health, metrics } = deps;
  app.get(HEALTH_PATHS.live, { config: { public: true } }, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  registry.add({ method: 'GET', path: HEALTH_PATHS.live, operationId: 'getLiveness', summary: 'Liveness: 200 while the process serves HTTP', tag: 'Operations', auth: 'public' });

  app.get(HEALTH_PATHS.ready, { config: { public: true } }, async (_req, reply) => {
    const readiness = await health.readiness();
    reply.header('cache-control', 'no-store');
    return reply.code(readiness.ready ? 200 : 503).send({ status: readiness.status });
  });
  registry.add({
    method: 'GET',
    path: HEALTH_PATHS.ready,
    operationId: 'getReadiness',
    summary: 'Readiness: 200 once the store is open and writable and recovery has finished, else 503',
    tag: 'Operations',
    auth: 'public',
    errors: [503],
  });

  app.get('/metrics', { config: { public: true } }, async (req, reply) => {
    if (!(await deps.mayScrape(req))) {
      reply.header('www-authenticate', 'Basic realm="Switchboard", Bearer realm="Switchboard metrics"');
      throw fail('UNAUTHORIZED', 'Metrics need the account credentials or the metrics token');
    }
    reply.header('cache-control', 'no-store');
    return reply.type(metrics.contentType).send(await metrics.scrape());
  });
  registry.add({
    method: 'GET',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics in the text exposition format',
    tag: 'Operations',
    auth: 'metrics',
    produces: 'text/plain',
  });
}
