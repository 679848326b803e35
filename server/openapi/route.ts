/** Serves the OpenAPI document at `GET /v1/openapi.json`, built once from the registry after every route is in. */
import type { FastifyInstance } from 'fastify';
import { hubVersion } from '../observability/version.js';
import { buildOpenApiDocument } from './document.js';
import type { RouteRegistry } from './route-registry.js';

/** Where the document is served. */
export const OPENAPI_PATH = '/v1/openapi.json';

/** Registers the document route (no credentials: it describes the API, not its data). */
export function openApiRoute(app: FastifyInstance, registry: RouteRegistry, publicUrl: string | undefined): void {
  registry.add({ method: 'GET', path: OPENAPI_PATH, operationId: 'getOpenApiDocument', summary: 'This OpenAPI 3.1 document', tag: 'Operations', auth: 'public' });
  let document: string | undefined;
  app.get(OPENAPI_PATH, { config: { public: true } }, async (_req, reply) => {
    document ??= JSON.stringify(buildOpenApiDocument(registry.all(), { version: hubVersion(), ...(publicUrl ? { servers: [publicUrl] } : {}) }));
    return reply.type('application/json; charset=utf-8').send(document);
  });
}
