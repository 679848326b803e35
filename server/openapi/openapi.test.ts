/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked against the official schema), the same routes
 * as Fastify serves (both ways), and parameters that are the ones the handlers validate.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, registeredRoutes } from '../http/app.js';
import { TEST_CREDENTIALS } from '../http/test-harness.js';
import { Hub } from '../hub.js';
import { MemoryStore } from '../store/memory-store.js';
import { openApiPath, operationId } from './document.js';

type Json = Record<string, any>;

let app: FastifyInstance;
let hub: Hub;
let doc: Json;
const auth = { authorization: `Basic ${Buffer.from(`${TEST_CREDENTIALS.accountSid}:${TEST_CREDENTIALS.authToken}`).toString('base64')}` };

beforeAll(async () => {
  hub = await Hub.open({ store: new MemoryStore(), accountSid: TEST_CREDENTIALS.accountSid });
  app = createHttpApp({ hub, credentials: TEST_CREDENTIALS, publicUrl: 'https://hub.example.com' });
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = res.json();
});

afterAll(async () => {
  await app.close();
  await hub.close();
});

const METHODS = ['get', 'post', 'delete', 'put', 'patch'];

function documented(): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(doc['paths'] as Json)) for (const method of Object.keys(item)) if (METHODS.includes(method)) out.add(`${method.toUpperCase()} ${path}`);
  return out;
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    expect(doc['openapi']).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator does catch a broken document.
    expect((await new Validator().validate({ ...doc, info: { title: 'no version' } })).valid).toBe(false);
    expect(doc['servers']).toEqual([{ url: 'https://hub.example.com' }]);
  });

  it('documents every route Fastify serves, and only those', () => {
    // HEAD twins of GET routes and the 405 answers are not operations of their own.
    const served = new Set(
      registeredRoutes(app)
        .filter((r) => r.method !== 'HEAD' && !r.methodNotAllowed)
        .map((r) => `${r.method} ${openApiPath(r.url)}`),
    );
    const inDocument = documented();
    expect([...served].filter((r) => !inDocument.has(r))).toEqual([]);
    expect([...inDocument].filter((r) => !served.has(r))).toEqual([]);
    expect(served.size).toBeGreaterThan(60);
    // Every documented route exists: Fastify finds a handler for it.
    for (const route of inDocument) {
      const [method, path] = route.split(' ') as [string, string];
      expect(app.hasRoute({ method, url: path.replace(/\{(\w+)\}/g, ':$1') }), route).toBe(true);
    }
  });

  it('gives every operation a unique id, a summary and a response', () => {
    const ids: string[] = [];
    for (const item of Object.values(doc['paths'] as Json)) {
      for (const op of Object.values(item as Json)) {
        ids.push(op.operationId);
        expect(op.summary).toEqual(expect.any(String));
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(operationId('GET', '/v1/Workspaces/:ws/Workers')).toBe('listWorkers');
    expect(operationId('POST', '/v1/Workspaces/:ws/Tasks/:wt/Reservations/:wr')).toBe('updateTaskReservation');
    expect(operationId('POST', '/v1/Workspaces')).toBe('createWorkspace');
    expect(operationId('GET', '/v1/Workspaces/:ws/TaskQueues/:wq/RealTimeStatistics')).toBe('getTaskQueueRealTimeStatistics');
  });

  it('shows the parameters of the zod schemas that validate them', () => {
    const paths = doc['paths'] as Json;
    const createWorker = paths['/v1/Workspaces/{ws}/Workers'].post;
    const body = createWorker.requestBody.content['application/x-www-form-urlencoded'].schema;
    expect(body.required).toEqual(['FriendlyName']);
    expect(Object.keys(body.properties)).toEqual(['FriendlyName', 'ActivitySid', 'Attributes']);
    expect(body.properties.ActivitySid).toMatchObject({ type: 'string', pattern: '^(WA)[0-9a-f]{32}$' });
    expect(createWorker.requestBody.content['application/json'].schema).toEqual(body);
    expect(createWorker.parameters).toEqual([expect.objectContaining({ name: 'ws', in: 'path', required: true, schema: { type: 'string', pattern: '^WS[0-9a-f]{32}$' } })]);

    const listWorkers = paths['/v1/Workspaces/{ws}/Workers'].get;
    const query = Object.fromEntries((listWorkers.parameters as Json[]).filter((p) => p.in === 'query').map((p) => [p.name, p]));
    expect(Object.keys(query)).toEqual(expect.arrayContaining(['ActivityName', 'Available', 'TargetWorkersExpression', 'Ordering', 'PageSize', 'Page', 'PageToken']));
    expect(query['Ordering'].schema.enum).toEqual(['DateStatusChanged:asc', 'DateStatusChanged:desc']);
    expect(query['PageSize'].description).toBe('An integer from 1 to 1000');

    const events = paths['/v1/Workspaces/{ws}/Events'].get;
    expect((events.parameters as Json[]).map((p) => p.name)).toEqual(expect.arrayContaining(['EventType', 'Minutes', 'StartDate', 'EndDate', 'PageToken']));
    const accept = paths['/v1/Workspaces/{ws}/Tasks/{wt}/Reservations/{wr}'].post;
    expect(Object.keys(accept.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '410']));
    expect(accept.security).toEqual([{ accountBasic: [] }, { workerToken: [] }]);
    expect(paths['/healthz'].get.security).toEqual([]);
    expect(paths['/metrics'].get.responses['200'].content).toHaveProperty('text/plain');
  });

  it('names as required exactly what the hub refuses to go without', async () => {
    const ws = (await app.inject({ method: 'POST', url: '/v1/Workspaces', headers: auth, payload: { FriendlyName: 'Doc' } })).json() as { sid: string };
    const paths = doc['paths'] as Json;
    let checked = 0;
    for (const [path, item] of Object.entries(paths)) {
      const op = (item as Json).post;
      // Collection creates, where no instance has to exist before the parameters are read.
      if (!op || path.endsWith('}') || !op.requestBody) continue;
      const required: string[] = op.requestBody.content['application/json'].schema.required ?? [];
      const url = path.replace('{ws}', ws.sid);
      const res = await app.inject({ method: 'POST', url, headers: auth, payload: {} });
      if (required.length === 0) {
        // Nothing is required by the schema (the engine may still refuse, as Tasks does without a workflow).
        if (res.statusCode === 400) expect(res.json().message, path).not.toMatch(/^\w+ is required$/);
      } else {
        expect(res.statusCode, path).toBe(400);
        expect(res.json().message, path).toBe(`${required[0]} is required`);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(7);
  });

  it('lists the status each delete of a resource still in use answers', async () => {
    const post = async (url: string, payload: Json) => (await app.inject({ method: 'POST', url, headers: auth, payload })).json() as Json;
    const ws = await post('/v1/Workspaces', { FriendlyName: 'In use' });
    const base = `/v1/Workspaces/${ws.sid}`;
    const queue = await post(`${base}/TaskQueues`, { FriendlyName: 'Q' });
    const workflow = await post(`${base}/Workflows`, { FriendlyName: 'W', Configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }) });
    const available = ((await app.inject({ method: 'GET', url: `${base}/Activities?FriendlyName=Available`, headers: auth })).json() as Json).activities[0];
    const worker = await post(`${base}/Workers`, { FriendlyName: 'Ann', ActivitySid: available.sid });
    const task = await post(`${base}/Tasks`, { WorkflowSid: workflow.sid });
    const reservation = ((await app.inject({ method: 'GET', url: `${base}/Tasks/${task.sid}/Reservations`, headers: auth })).json() as Json).reservations[0];
    await post(`${base}/Tasks/${task.sid}/Reservations/${reservation.sid}`, { ReservationStatus: 'accepted' });
    const inUse: [string, string][] = [
      ['/v1/Workspaces/{ws}/Activities/{sid}', `${base}/Activities/${available.sid}`],
      ['/v1/Workspaces/{ws}/TaskChannels/{sid}', `${base}/TaskChannels/default`],
      ['/v1/Workspaces/{ws}/TaskQueues/{wq}', `${base}/TaskQueues/${queue.sid}`],
      ['/v1/Workspaces/{ws}/Workflows/{ww}', `${base}/Workflows/${workflow.sid}`],
      ['/v1/Workspaces/{ws}/Workers/{wk}', `${base}/Workers/${worker.sid}`],
    ];
    for (const [path, url] of inUse) {
      const res = await app.inject({ method: 'DELETE', url, headers: auth });
      expect(res.statusCode, path).toBeGreaterThanOrEqual(400);
      expect(Object.keys((doc['paths'] as Json)[path].delete.responses), path).toContain(String(res.statusCode));
    }
  });

  it('is served without credentials', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/Workspaces' })).statusCode).toBe(401);
  });
});
