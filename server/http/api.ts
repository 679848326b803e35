/**
 * The thin layer every REST route goes through: it gathers the caller, the parameters and the
 * hub's public URL into a `Call`, checks a worker token's reach, runs the handler and writes its
 * reply. Methods a path does not serve answer 405.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fail } from '../../shared/errors.js';
import type { WorkerGrant } from '../auth/tokens.js';
import type { Actor, Command } from '../engine/commands.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import type { Hub } from '../hub.js';
import type { Principal } from './auth.js';
import type { UrlBase } from './serialize.js';

/** What a handler answers: a status, a JSON body, and the version to send as `ETag`. */
export interface Reply {
  status: number;
  body?: unknown;
  etag?: number;
}

/** One REST call, decoded. */
export interface Call {
  req: FastifyRequest;
  /** Path parameters (`ws`, `wk`, ...). */
  path: Record<string, string>;
  /** Query and body parameters together, raw. */
  input: Record<string, unknown>;
  principal: Principal;
  actor: Actor;
  base: UrlBase;
  hub: Hub;
  ifMatch: string | undefined;
}

/** Who may call a route with a worker token: nobody (`'account'`), or whom the predicate admits. */
export type Access = 'account' | ((call: Call, grant: WorkerGrant, state: WorkspaceState) => boolean);

type Handler = (call: Call) => Promise<Reply> | Reply;

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

  constructor(
    readonly app: FastifyInstance,
    readonly hub: Hub,
    private readonly publicUrl: string | undefined,
  ) {}

  /** A GET route. */
  get(path: string, handler: Handler, access: Access = 'account'): void {
    this.route('GET', path, handler, access);
  }

  /** A POST route (create, or update of an instance). */
  post(path: string, handler: Handler, access: Access = 'account'): void {
    this.route('POST', path, handler, access);
  }

  /** A DELETE route. */
  delete(path: string, handler: Handler, access: Access = 'account'): void {
    this.route('DELETE', path, handler, access);
  }

  /** Answers 405 for every method a registered path does not serve; call once, after all routes. */
  finish(): void {
    for (const [path, served] of this.paths) {
      const missing = METHODS.filter((m) => !served.has(m));
      if (missing.length === 0) continue;
      this.app.route({
        method: missing,
        url: path,
        handler: async (req) => {
          throw fail('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path.replace(/:(\w+)/g, '{$1}')}`);
        },
      });
    }
  }

  private route(method: Method, path: string, handler: Handler, access: Access): void {
    const url = `/v1${path}`;
    let served = this.paths.get(url);
    if (!served) this.paths.set(url, (served = new Set()));
    served.add(method);
    this.app.route({ method, url, handler: (req, reply) => this.run(req, reply, handler, access) });
  }

  private async run(req: FastifyRequest, reply: FastifyReply, handler: Handler, access: Access): Promise<unknown> {
    const principal = req.principal;
    if (!principal) throw fail('UNAUTHORIZED', 'Authentication is required');
    const call: Call = {
      req,
      path: req.params as Record<string, string>,
      input: this.input(req),
      principal,
      actor: principal.type === 'worker' ? { type: 'worker', sid: principal.grant.workerSid } : { type: 'account' },
      base: { baseUrl: this.publicUrl ?? originOf(req), accountSid: this.hub.accountSid },
      hub: this.hub,
      ifMatch: typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined,
    };
    if (principal.type === 'worker') this.admit(call, principal.grant, access);
    const result = await handler(call);
    reply.code(result.status);
    if (result.etag !== undefined) reply.header('etag', `"${result.etag}"`);
    return result.status === 204 ? reply.send() : reply.send(result.body);
  }

  private admit(call: Call, grant: WorkerGrant, access: Access): void {
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
export function found<T>(map: ReadonlyMap<string, T>, sid: string | undefined, resource: string): T {
  const record = sid === undefined ? undefined : map.get(sid);
  if (record === undefined) throw fail('NOT_FOUND', `${resource} ${sid} not found`);
  return record;
}
