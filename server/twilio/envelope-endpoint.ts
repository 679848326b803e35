/**
 * `POST /v1/wschannels`: the event bridge's request envelope. `twilio-taskrouter` posts every call
 * as a JSON string `{url, method, params, token}` (labelled form-urlencoded by axios), so the raw
 * body is parsed as JSON whatever its content type. The token is verified, the route runs, and the
 * answer is `200 {payload}` or `{code, message, more_info, status}` with an error status. CORS lets
 * browser pages on any origin call it (the token travels in the body, never in a cookie).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fail, SwitchboardError } from '../../shared/errors.js';
import type { Credentials } from '../auth/tokens.js';
import { Authenticator } from '../http/auth.js';
import type { Hub } from '../hub.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import type { EdgeRequest } from './edge-request.js';
import { findRoute } from './route-table.js';

/** The path the SDK's `ebServer` and `wsServer` point at. */
export const EVENT_BRIDGE_PATH = '/v1/wschannels';

/** Largest envelope accepted, in bytes (attributes are at most 4096 characters). */
const MAX_ENVELOPE_BYTES = 256 * 1024;

/** The headers the SDK sends, which a browser asks leave for in its preflight. */
export const ALLOWED_HEADERS = 'apiVersion, clientVersion, If-Match, Content-Type';

const EnvelopeSchema = z.object({
  url: z.string().min(1).max(2048),
  method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(['GET', 'POST'])),
  params: z.record(z.string(), z.unknown()).nullish(),
  token: z.string().min(1).max(8192),
});

/** What the endpoint needs. */
export interface EnvelopeDeps {
  hub: Hub;
  credentials: Credentials;
}

function decode(body: unknown): z.output<typeof EnvelopeSchema> {
  let value: unknown = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = String(body);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw fail('BAD_REQUEST', `The envelope nests deeper than ${MAX_JSON_DEPTH} levels`);
    try {
      value = JSON.parse(text);
    } catch {
      throw fail('BAD_REQUEST', 'The body must be the JSON envelope {url, method, params, token}');
    }
  }
  const parsed = EnvelopeSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail('BAD_REQUEST', `Invalid envelope: ${issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'bad shape'}`);
  }
  return parsed.data;
}

function cors(reply: FastifyReply): FastifyReply {
  return reply.header('access-control-allow-origin', '*').header('vary', 'origin');
}

async function answer(deps: EnvelopeDeps, auth: Authenticator, req: FastifyRequest): Promise<unknown> {
  const envelope = decode(req.body);
  const verified = await auth.authenticate(`Bearer ${envelope.token}`);
  if (!verified.ok) throw verified.error;
  if (verified.principal.type !== 'worker') throw fail('UNAUTHORIZED', 'The envelope needs a worker token');
  const { handler, path } = findRoute(envelope.url, envelope.method as 'GET' | 'POST');
  const ifMatch = req.headers['if-match'];
  const request: EdgeRequest = {
    hub: deps.hub,
    grant: verified.principal.grant,
    path,
    params: envelope.params ?? {},
    ifMatch: typeof ifMatch === 'string' && ifMatch.length > 0 ? ifMatch : undefined,
  };
  return { payload: await handler(request) };
}

/** Registers the envelope endpoint and its CORS preflight in their own scope (their own body parser). */
export function registerEnvelopeEndpoint(app: FastifyInstance, deps: EnvelopeDeps): void {
  const auth = new Authenticator(deps.credentials, deps.hub.now);
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_ENVELOPE_BYTES }, (_req, body, done) => done(null, body));
    // Set before anything can fail, so a browser can read every error too.
    scope.addHook('onRequest', async (_req, reply) => void cors(reply));
    scope.options(EVENT_BRIDGE_PATH, { config: { public: true } }, async (_req, reply) =>
      reply
        .code(204)
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .send(),
    );
    scope.post(EVENT_BRIDGE_PATH, { config: { public: true } }, async (req, reply) => {
      try {
        return reply.code(200).send(await answer(deps, auth, req));
      } catch (error) {
        const failure = error instanceof SwitchboardError ? error : fail('INTERNAL', 'Internal error');
        if (failure.status >= 500) req.log.error({ err: error }, 'event bridge request failed');
        return reply.code(failure.status).type('application/json').send(failure.toBody());
      }
    });
  });
}
