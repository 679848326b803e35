/**
 * The thin layer every REST route goes through: it gathers the caller, the parameters and the
 * hub's public URL into a `Call`, checks a worker token's reach, runs the handler and writes its
 * reply. Methods a path does not serve answer 405. Each route is recorded, with the zod schema
 * its handler validates with, in the registry the OpenAPI document is generated from.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { fail } from '../../shared/errors.js';
import type { WorkerGrant } from '../auth/tokens.js';
import type { Actor, Command } from '../engine/commands.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import type { Hub } from '../hub.js';
import type { ParamsSchema, RouteRegistry } from '../openapi/route-registry.js';
import type { Principal } from './auth.js';
import { IdempotencyCache } from './idempotency.js';
import { parseParams } from './params.js';
import type { UrlBase } from './serialize.js';

/**
 * Largest request body accepted, in bytes, by the routes that take a workflow's `Configuration`
 * (up to 1,038,576 bytes, as TaskRouter's).
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Largest request body every other route accepts: its longest parameters (`Attributes`, at most
 * 4,096 characters) fit several times over, and a body past it is refused from its
 * `Content-Length` before a byte of it is read or parsed.
 */
export const DEFAULT_BODY_BYTES = 64 * 1024;

/** What a handler answers: a status, a JSON body, and the version to send as `ETag`. */
export interface Reply {
  status: number;
  body?: unknown;
  etag?: number;
}

/** One REST call, decoded. */
export interface Call<S extends ParamsSchema = ParamsSchema> {
  req: FastifyRequest;
  /** Path parameters (`ws`, `wk`, ...). */
  path: Record<string, string>;
  /** Query and body parameters together, raw. */
  input: Record<string, unknown>;
  /** The route's parameters validated by its schema (parsed on first use; a bad one throws a 400 naming it). */
  params(): z.output<S>;
  principal: Principal;
  actor: Actor;
  base: UrlBase;
  hub: Hub;
  ifMatch: string | undefined;
}

/** Who may call a route with a worker token: nobody (`'account'`), or whom the predicate admits. */
export type Access = 'account' | ((call: Call, grant: WorkerGrant, state: WorkspaceState) => boolean);

type Handler<S extends ParamsSchema> = (call: Call<S>) => Promise<Reply> | Reply;

/** What a route declares besides its handler: its summary and the parameters it validates. */
export interface RouteSpec<S extends ParamsSchema = ParamsSchema> {
  summary: string;
  description?: string;
  /** Group in the document (default: the resource in the path). */
  tag?: string;
  /** The parameters `call.params()` validates: query for GET/DELETE, body for POST. */
  params?: S;
  /** Other parameter sets the handler validates (paging, time window), for the document. */
  alsoReads?: readonly ParamsSchema[];
  /** Failure statuses worth documenting beyond 400/401/403/404. */
  errors?: readonly number[];
  /** Largest body the route reads, in bytes (default DEFAULT_BODY_BYTES): past it, 413. */
  bodyLimit?: number;
}

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH'] as const;
type Method = (typeof METHODS)[number];

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/** The origin a request was sent to, from its Host header (or the socket's address when that is missing or odd). */
function originOf(req: FastifyRequest): string {
  const host = req.headers.host;
  const authority = host && HOST.test(host) ? host : `${req.socket.localAddress}:${req.socket.localPort}`;
  return `${req.protocol}://${authority}`;
}

/** Registers routes on a Fastify app with the hub's conventions. */
export class Api {
  private readonly paths = new Map<string, Set<Method>>();
  /** Answers of POSTs sent with an `Idempotency-Key`, for their retries. */
  private readonly idempotency: IdempotencyCache<Reply>;

  constructor(
    readonly app: FastifyInstance,
    readonly hub: Hub,
    private readonly publicUrl: string | undefined,
    private readonly registry: RouteRegistry,
  ) {
    this.idempotency = new IdempotencyCache<Reply>(hub.now);
  }

  /** A GET route. */
  get<S extends ParamsSchema = ParamsSchema>(path: string, spec: RouteSpec<S>, handler: Handler<S>, access: Access = 'account'): void {
    this.route('GET', path, spec, handler, access);
  }

  /** A POST route (create, or update of an instance). */
  post<S extends ParamsSchema = ParamsSchema>(path: string, spec: RouteSpec<S>, handler: Handler<S>, access: Access = 'account'): void {
    this.route('POST', path, spec, handler, access);
  }

  /** A DELETE route. */
  delete<S extends ParamsSchema = ParamsSchema>(path: string, spec: RouteSpec<S>, handler: Handler<S>, access: Access = 'account'): void {
    this.route('DELETE', path, spec, handler, access);
  }

  /** Answers 405 for every method a registered path does not serve; call once, after all routes. */
  finish(): void {
    for (const [path, served] of this.paths) {
      const missing = METHODS.filter((m) => !served.has(m));
      if (missing.length === 0) continue;
      this.app.route({
        method: missing,
        url: path,
        config: { methodNotAllowed: true },
        handler: async (req) => {
          throw fail('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path.replace(/:(\w+)/g, '{$1}')}`);
        },
      });
    }
  }

  private route<S extends ParamsSchema>(method: 'GET' | 'POST' | 'DELETE', path: string, spec: RouteSpec<S>, handler: Handler<S>, access: Access): void {
    const url = `/v1${path}`;
    let served = this.paths.get(url);
    if (!served) this.paths.set(url, (served = new Set()));
    served.add(method);
    this.registry.add({ method, path: url, ...spec, auth: access === 'account' ? 'account' : 'account-or-worker' });
    this.app.route({ method, url, bodyLimit: spec.bodyLimit ?? DEFAULT_BODY_BYTES, handler: (req, reply) => this.run(req, reply, spec.params, handler, access) });
  }

  private async run<S extends ParamsSchema>(req: FastifyRequest, reply: FastifyReply, schema: S | undefined, handler: Handler<S>, access: Access): Promise<unknown> {
    const principal = req.principal;
    if (!principal) throw fail('UNAUTHORIZED', 'Authentication is required');
    const input = this.input(req);
    let parsed: { value: z.output<S> } | undefined;
    const call: Call<S> = {
      req,
      path: req.params as Record<string, string>,
      input,
      params: () => (parsed ??= { value: schema ? parseParams(schema, input) : ({} as z.output<S>) }).value,
      principal,
      actor: principal.type === 'worker' ? { type: 'worker', sid: principal.grant.workerSid } : { type: 'account' },
      base: { baseUrl: this.publicUrl ?? originOf(req), accountSid: this.hub.accountSid },
      hub: this.hub,
      ifMatch: typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined,
    };
    let result: Reply;
    try {
      if (principal.type === 'worker') this.admit(call, principal.grant, access);
      const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
      if (typeof key === 'string') {
        const scope = principal.type === 'worker' ? `worker:${principal.grant.workerSid}` : 'account';
        const once = await this.idempotency.run(scope, key, [req.method, req.url.split('?')[0], input], async () => handler(call));
        result = once.result;
        if (once.replayed) reply.header('idempotent-replayed', 'true');
      } else result = await handler(call);
    } catch (error) {
      // A refusal may rest on changes of this tick whose commit is not done: it waits for them too.
      await this.hub.flush();
      throw error;
    }
    // A read may show changes of this tick whose commit is not done: it leaves once they are durable,
    // as a command's reply does (`dispatch` waited for its commit), and after a failed commit it is the hub's 503.
    if (req.method === 'GET') await this.hub.flush();
    reply.code(result.status);
    if (result.etag !== undefined) reply.header('etag', `"${result.etag}"`);
    return result.status === 204 ? reply.send() : reply.send(result.body);
  }

  private admit(call: Call<ParamsSchema>, grant: WorkerGrant, access: Access): void {
    const denied = () => fail('FORBIDDEN', 'This worker token does not grant access to this resource');
    if (access === 'account' || call.path['ws'] !== grant.workspaceSid) throw denied();
    const state = this.hub.engine(grant.workspaceSid)?.state;
    if (!state || !access(call, grant, state)) throw denied();
  }

  private input(req: FastifyRequest): Record<string, unknown> {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const body = req.body;
    if (body === undefined || body === null) return query;
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw fail('BAD_REQUEST', 'The request body must be form-encoded parameters or a JSON object');
    }
    return { ...query, ...(body as Record<string, unknown>) };
  }
}

/** The state of the call's workspace, or 404. */
export function stateOf(call: Call): WorkspaceState {
  const sid = call.path['ws'] ?? '';
  const state = call.hub.engine(sid)?.state;
  if (!state) throw fail('NOT_FOUND', `Workspace ${sid} not found`);
  return state;
}

/** Runs a command in the call's workspace as the caller; throws the engine's error on refusal. */
export async function dispatch<T>(call: Call, command: Command): Promise<T> {
  const outcome = await call.hub.dispatch(call.path['ws'] ?? '', compact(command), call.actor);
  if (!outcome.ok) throw outcome.error;
  return outcome.value as T;
}

/** A copy without the keys whose value is undefined: absent parameters are left out, since handlers spread commands over defaults. */
function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

/** A record of the workspace by SID, or 404 naming the resource. */
export function found<T>(records: ReadonlyMap<string, T> | ((sid: string) => T | undefined), sid: string | undefined, resource: string): T {
  const record = sid === undefined ? undefined : typeof records === 'function' ? records(sid) : records.get(sid);
  if (record === undefined) throw fail('NOT_FOUND', `${resource} ${sid} not found`);
  return record;
}
