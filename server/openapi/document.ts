/**
 * The OpenAPI 3.1 document of the hub's HTTP API, generated from its route registry: each
 * operation's parameters are the JSON Schema (`z.toJSONSchema`, input side) of the very zod
 * schemas its handler validates with, so the document cannot drift from what the hub accepts.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../../shared/errors.js';
import type { ParamsSchema, RouteDoc } from './route-registry.js';

type Json = Record<string, unknown>;

/** What the document says about itself. */
export interface DocumentInfo {
  version: string;
  /** Absolute origin(s) to list under `servers` (default: none, i.e. relative to the document). */
  servers?: string[];
}

/** Path parameters by name (and, for a shared name, by the segment before it). */
const PATH_PARAMS: Record<string, { description: string; prefix?: string }> = {
  ws: { description: 'Workspace SID', prefix: 'WS' },
  wk: { description: 'Worker SID', prefix: 'WK' },
  wq: { description: 'Task queue SID', prefix: 'WQ' },
  ww: { description: 'Workflow SID', prefix: 'WW' },
  wt: { description: 'Task SID', prefix: 'WT' },
  wr: { description: 'Reservation SID', prefix: 'WR' },
  ev: { description: 'Event SID', prefix: 'EV' },
  'Activities/sid': { description: 'Activity SID', prefix: 'WA' },
  'TaskChannels/sid': { description: 'Task channel SID (TC...) or unique name' },
  'Channels/wc': { description: 'Worker channel SID (WC...) or task channel unique name' },
};

const STATUS_NAMES: Record<number, string> = {};
for (const [name, value] of Object.entries(ERROR_CODES)) STATUS_NAMES[value.status] ??= name;

/** `/v1/Workspaces/:ws` -> `/v1/Workspaces/{ws}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

const singular = (word: string) => (word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.endsWith('s') && !word.endsWith('Statistics') ? word.slice(0, -1) : word);

/** A stable, unique operation id from method and path: `listWorkers`, `updateTaskReservation`, ... */
export function operationId(method: string, path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== 'v1');
  const words: string[] = [];
  parts.forEach((part, i) => {
    if (part.startsWith(':')) return;
    const followedByParam = parts[i + 1]?.startsWith(':') ?? false;
    words.push(followedByParam ? singular(part) : part);
  });
  // `Workspace` prefixes everything under a workspace; keep it only where it is the subject.
  if (words.length > 1 && words[0] === 'Workspace' && !/Statistics$/.test(words[1]!)) words.shift();
  const instance = parts.at(-1)?.startsWith(':') ?? false;
  const statistics = /Statistics$/.test(words.at(-1) ?? '');
  const verb =
    method === 'DELETE' ? 'delete' : method === 'POST' ? (instance ? 'update' : 'create') : statistics ? 'get' : instance ? 'fetch' : 'list';
  if (verb === 'create') words.push(singular(words.pop() ?? ''));
  return verb + words.join('');
}

/** The group of a route: its tag, or the resource its path names. */
function tagOf(route: RouteDoc): string {
  if (route.tag) return route.tag;
  const parts = route.path.split('/').filter((p) => p !== '' && p !== 'v1' && !p.startsWith(':'));
  return parts.length > 1 && parts[0] === 'Workspaces' ? parts[1]! : (parts[0] ?? 'Operations');
}

interface ParamSchema {
  properties: Record<string, Json>;
  required: Set<string>;
}

/** The input-side JSON Schema of one or more parameter sets, merged (the first set to name a parameter wins). */
function paramSchema(schemas: readonly ParamsSchema[]): ParamSchema {
  const properties: Record<string, Json> = {};
  const required = new Set<string>();
  for (const schema of schemas) {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    for (const [name, property] of Object.entries((json['properties'] ?? {}) as Record<string, Json>)) {
      if (name in properties) continue;
      properties[name] = property;
      if (((json['required'] ?? []) as string[]).includes(name)) required.add(name);
    }
  }
  return { properties, required };
}

function pathParameters(path: string): Json[] {
  const parts = path.split('/');
  return parts.flatMap((part, i) => {
    if (!part.startsWith(':')) return [];
    const name = part.slice(1);
    const info = PATH_PARAMS[`${parts[i - 1]}/${name}`] ?? PATH_PARAMS[name] ?? { description: name };
    const schema: Json = { type: 'string' };
    if (info.prefix) schema['pattern'] = `^${info.prefix}[0-9a-f]{32}$`;
    return [{ name, in: 'path', required: true, description: info.description, schema }];
  });
}

function queryParameters({ properties, required }: ParamSchema): Json[] {
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

function requestBody({ properties, required }: ParamSchema): Json {
  const schema: Json = { type: 'object', properties, ...(required.size > 0 ? { required: [...required] } : {}) };
  return {
    required: required.size > 0,
    content: { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } },
  };
}

function successStatus(route: RouteDoc): number {
  if (route.status !== undefined) return route.status;
  if (route.method === 'DELETE') return 204;
  return route.method === 'POST' && !route.path.split('/').at(-1)?.startsWith(':') ? 201 : 200;
}

function responses(route: RouteDoc, hasParams: boolean): Json {
  const out: Json = {};
  const status = successStatus(route);
  if (status === 204) out['204'] = { description: 'Done; no content' };
  else {
    const type = route.produces ?? 'application/json';
    const schema = type === 'application/json' ? { type: 'object' } : { type: 'string' };
    out[String(status)] = { description: route.summary, content: { [type]: { schema } } };
  }
  const failures = new Set<number>(route.errors ?? []);
  if (hasParams) failures.add(400);
  if (route.auth !== 'public') failures.add(401);
  if (route.auth === 'account-or-worker') failures.add(403);
  if (route.path.includes('/:')) failures.add(404);
  for (const failure of [...failures].sort()) out[String(failure)] = { $ref: `#/components/responses/${STATUS_NAMES[failure] ?? 'Error'}` };
  return out;
}

function security(route: RouteDoc): Json[] | undefined {
  switch (route.auth) {
    case 'account':
      return undefined; // the document's default
    case 'account-or-worker':
      return [{ accountBasic: [] }, { workerToken: [] }];
    case 'metrics':
      return [{ accountBasic: [] }, { metricsToken: [] }];
    case 'public':
      return [];
  }
}

function operation(route: RouteDoc): Json {
  const reads = [...(route.params ? [route.params] : []), ...(route.alsoReads ?? [])];
  const params = paramSchema(reads);
  const inBody = route.method === 'POST';
  const op: Json = {
    operationId: route.operationId ?? operationId(route.method, route.path),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [tagOf(route)],
    parameters: [...pathParameters(route.path), ...(inBody ? [] : queryParameters(params))],
  };
  if (inBody && Object.keys(params.properties).length > 0) op['requestBody'] = requestBody(params);
  op['responses'] = responses(route, reads.length > 0);
  const sec = security(route);
  if (sec !== undefined) op['security'] = sec;
  return op;
}

const ERROR_SCHEMA: Json = {
  type: 'object',
  description: "Twilio's error shape",
  required: ['code', 'message', 'more_info', 'status'],
  properties: {
    code: { type: 'integer', description: 'Twilio-style numeric code' },
    message: { type: 'string' },
    more_info: { type: 'string', format: 'uri' },
    status: { type: 'integer', description: 'The HTTP status' },
  },
};

/** Builds the document for a list of routes. */
export function buildOpenApiDocument(routes: readonly RouteDoc[], info: DocumentInfo): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  const errorResponses: Record<string, Json> = { Error: { description: 'Failure', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } };
  for (const [name, value] of Object.entries(ERROR_CODES)) {
    errorResponses[name] = { description: `${value.status} ${name.replace(/_/g, ' ').toLowerCase()}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  const tags = [...new Set(routes.map(tagOf))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard',
      version: info.version,
      summary: 'A self-hostable task router with Twilio TaskRouter v1 semantics',
      description:
        'REST API of a Switchboard hub. Parameters are form-encoded PascalCase (JSON bodies are accepted too); replies are snake_case JSON; failures use the `Error` shape.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(info.servers && info.servers.length > 0 ? { servers: info.servers.map((url) => ({ url })) } : {}),
    tags,
    security: [{ accountBasic: [] }],
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      responses: errorResponses,
      securitySchemes: {
        accountBasic: { type: 'http', scheme: 'basic', description: 'AccountSid:AuthToken, or an API key SK...:secret' },
        workerToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A worker token (Twilio AccessToken form with a task_router grant)' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'SWITCHBOARD_METRICS_TOKEN, when set' },
      },
    },
  };
}
