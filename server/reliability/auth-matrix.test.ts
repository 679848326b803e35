/**
 * Authorization matrix: every REST route Fastify registered (the Twilio envelope included) and every
 * socket command, against a worker token for another worker, a token for another workspace, an
 * expired token, a forged signature, a tampered payload, `alg: none`, and no credentials. Every cell
 * must be refused, and the hub's durable records must be byte-for-byte what they were before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, registeredRoutes } from '../http/app.js';
import { closeAllHarnesses, seedWorkspace, type Harness, type Seeded, type TestAuth } from '../http/test-harness.js';
import { registerEnvelopeEndpoint } from '../twilio/envelope-endpoint.js';
import { COMMAND_HANDLERS } from '../ws/command-handlers.js';
import { connectWorker, startSocketHarness, TestSocket, type Reply } from '../ws/ws-test-client.js';
import { durableSnapshot, hostileTokens, table, type HostileTokens } from './support.js';

const CASES = ['none', 'expired', 'forged', 'tampered', 'algNone', 'otherWorker', 'otherWorkspace'] as const;
type Case = (typeof CASES)[number];
const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'GET /v1/openapi.json']);
const SECRET = 'attr-secret-7f3a9';

let h: Harness;
let wsUrl: string;
let one: Seeded;
let two: Seeded;
let A: string; // the victim worker, holding a pending reservation
let B: string; // another worker of the same workspace
let taskSid: string;
let reservationSid: string;
let tokens: HostileTokens;
let tokenB: string;
let tokenC: string;
let tokenA: string;
let before: string;

beforeAll(async () => {
  ({ h, wsUrl } = await startSocketHarness());
  one = await seedWorkspace(h, { workers: 2 });
  two = await seedWorkspace(h, { workers: 1 });
  A = one.workers[0].sid;
  B = one.workers[1].sid;
  const base = `/v1/Workspaces/${one.ws.sid}`;
  await h.request('POST', `${base}/Workers/${A}`, { Attributes: JSON.stringify({ secret: SECRET }) });
  await h.request('POST', `${base}/Workers/${B}`, { ActivitySid: one.offline.sid });
  const task = await h.request('POST', `${base}/Tasks`, { WorkflowSid: one.workflow.sid, Attributes: JSON.stringify({ secret: SECRET }) });
  taskSid = task.body.sid;
  const pending = await h.request('GET', `${base}/Workers/${A}/Reservations`, { ReservationStatus: 'pending' });
  reservationSid = pending.body.reservations[0].sid;
  tokenA = await h.token(one.ws.sid, A);
  tokenB = await h.token(one.ws.sid, B);
  tokenC = await h.token(two.ws.sid, two.workers[0].sid);
  tokens = await hostileTokens(h.credentials, one.ws.sid, A, tokenB);
  before = await durableSnapshot(h.hub);
});
afterAll(closeAllHarnesses);

function authFor(c: Case): TestAuth {
  switch (c) {
    case 'none':
      return 'none';
    case 'otherWorker':
      return { bearer: tokenB };
    case 'otherWorkspace':
      return { bearer: tokenC };
    default:
      return { bearer: tokens[c] };
  }
}

/** A body that the rightful caller could have used, so that a bypass would change something. */
function bodyFor(method: string, url: string): Record<string, string> {
  if (method !== 'POST') return {};
  if (url.endsWith('/Reservations/:wr')) return { ReservationStatus: 'accepted' };
  if (url.endsWith('/Workers/:wk')) return { ActivitySid: one.offline.sid };
  if (url.endsWith('/Tasks/:wt')) return { AssignmentStatus: 'canceled' };
  if (url.endsWith('/Channels/:wc')) return { Capacity: '5' };
  if (url.endsWith('/Tasks')) return { WorkflowSid: one.workflow.sid, Attributes: '{}' };
  if (url.endsWith('/Workflows')) return { FriendlyName: 'pwned', Configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: one.queue.sid } } }) };
  if (url.endsWith('/TaskChannels')) return { FriendlyName: 'pwned', UniqueName: 'pwned' };
  return { FriendlyName: 'pwned' };
}

function fill(url: string, eventSid: string): string {
  return url
    .replace(':ws', one.ws.sid)
    .replace(':wk', A)
    .replace(':wt', taskSid)
    .replace(':wr', reservationSid)
    .replace(':wq', one.queue.sid)
    .replace(':ww', one.workflow.sid)
    .replace(':wc', 'default')
    .replace(':ev', eventSid)
    .replace(':sid', url.includes('TaskChannels') ? 'default' : one.available.sid);
}

/** Fastify's routes, as the running hub registers them (the REST app plus the Twilio envelope). */
/** `h.request`, but tolerant of bodies that are not JSON (`/metrics` is text). */
async function request(method: string, path: string, params: Record<string, string>, auth: TestAuth): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = {};
  if (auth === 'account') headers['authorization'] = `Basic ${Buffer.from(`${h.credentials.accountSid}:${h.credentials.authToken}`).toString('base64')}`;
  else if (auth !== 'none' && 'bearer' in auth) headers['authorization'] = `Bearer ${auth.bearer}`;
  const url = new URL(`${h.url}${path}`);
  let body: string | undefined;
  if (method === 'POST') {
    body = new URLSearchParams(params).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const response = await fetch(url, { method, headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function allRoutes(): Promise<Array<{ method: string; url: string }>> {
  const app = createHttpApp({ hub: h.hub, credentials: h.credentials });
  registerEnvelopeEndpoint(app, { hub: h.hub, credentials: h.credentials });
  await app.ready();
  const routes = registeredRoutes(app).filter((r) => !r.methodNotAllowed && r.method !== 'HEAD' && r.method !== 'OPTIONS');
  await app.close();
  // The envelope route is registered inside a plugin scope, which the onRoute table also records.
  const seen = new Set<string>();
  return routes.filter((r) => !seen.has(`${r.method} ${r.url}`) && seen.add(`${r.method} ${r.url}`));
}

describe('authorization matrix', () => {
  it('refuses every REST route to every wrong principal and changes nothing', async () => {
    const routes = await allRoutes();
    expect(routes.length).toBeGreaterThan(60);
    expect(routes.some((r) => r.url === '/v1/wschannels')).toBe(true);
    const events = await h.request('GET', `/v1/Workspaces/${one.ws.sid}/Events`);
    const eventSid: string = events.body.events[0].sid;
    const rows: string[][] = [];
    const failures: string[] = [];
    let cells = 0;
    for (const { method, url } of routes) {
      const key = `${method} ${url}`;
      const path = fill(url, eventSid);
      const row = [key];
      // A positive control: the account (GET only, to change nothing) reaches the route, so refusals below are real.
      if (method === 'GET') {
        const ok = await request('GET', path, {}, 'account');
        row.push(String(ok.status));
        if (ok.status !== 200) failures.push(`${key} account -> ${ok.status}`);
      } else row.push('-');
      for (const c of CASES) {
        cells += 1;
        let status: number;
        let text = '';
        if (url === '/v1/wschannels') {
          // The Twilio envelope carries the token in its JSON body: aim it at A's reservation.
          const token = c === 'none' ? '' : c === 'otherWorker' ? tokenB : c === 'otherWorkspace' ? tokenC : tokens[c];
          const inner = { url: `${h.url}/v1/Workspaces/${one.ws.sid}/Workers/${A}/Reservations/${reservationSid}`, method: 'POST', params: { ReservationStatus: 'accepted' }, token };
          const r = await h.request('POST', '/v1/wschannels', {}, 'none', { raw: { body: JSON.stringify(inner), contentType: 'application/json' } });
          status = r.status;
          text = JSON.stringify(r.body);
        } else {
          const r = await request(method, path, bodyFor(method, url), authFor(c));
          status = r.status;
          text = r.text;
          if (status === 401 && r.headers.get('www-authenticate') === null) failures.push(`${key} ${c}: 401 without a challenge`);
        }
        let cell = String(status);
        // The envelope refuses a missing token at its schema (400) before authentication.
        const refused = status === 401 || status === 403 || status === 404 || (url === '/v1/wschannels' && c === 'none' && status === 400);
        if (PUBLIC.has(key)) {
          cell = `${status} public`;
          if (status !== 200) failures.push(`${key} ${c} -> ${status}`);
        } else if (!refused) {
          // Another worker of the same workspace may read workspace-wide resources, never A's.
          const ownView = c === 'otherWorker' && method === 'GET' && status === 200 && !text.includes(SECRET) && !text.includes(reservationSid) && !text.includes(A);
          if (ownView) cell = '200 own view';
          else failures.push(`${key} ${c} -> ${status} ${text.slice(0, 160)}`);
        }
        row.push(cell);
      }
      rows.push(row);
    }
    const socketRows = await socketMatrix(failures);
    console.log(`\nREST authorization matrix (${routes.length} routes x ${CASES.length} cases = ${cells} cells; "account" is the positive control)\n` + table(['route', 'account', ...CASES], rows));
    console.log(`\nSocket authorization matrix (${socketRows.length} commands x ${CASES.length} cases)\n` + table(['command', ...CASES], socketRows));
    expect(failures).toEqual([]);
    expect(await durableSnapshot(h.hub)).toBe(before);
    // The rightful owner still can: the refusals above were about who asked, not about the request.
    const { socket } = await connectWorker(wsUrl, tokenA);
    socket.close();
  });
});

/** Every client command type: the handler map is checked against the protocol at compile time. */
const COMMANDS = Object.keys(COMMAND_HANDLERS);

/** The command as the victim A would send it (its own reservation and task). */
function command(type: string): Record<string, unknown> {
  switch (type) {
    case 'auth':
      return { type, token: tokenA };
    case 'token.update':
      return { type, token: tokenA };
    case 'worker.update':
      return { type, activitySid: one.offline.sid };
    case 'channel.update':
      return { type, channel: 'default', capacity: 3 };
    case 'reservation.accept':
    case 'reservation.reject':
      return { type, reservationSid };
    case 'task.wrap':
    case 'task.complete':
      return { type, taskSid };
    default:
      return { type };
  }
}

let refs = 0;
async function send(socket: TestSocket, frame: Record<string, unknown>): Promise<Reply | undefined> {
  const ref = `m${++refs}`;
  socket.sendRaw({ ...frame, ref });
  const reply = await Promise.race([socket.waitFor((f) => f.type === 'reply' && f.ref === ref, 3000).catch(() => undefined), socket.closed.then(() => undefined)]);
  // A reply may have arrived just before the close.
  return (reply ?? socket.frames.find((f) => f.type === 'reply' && f.ref === ref)) as Reply | undefined;
}

/** Runs one socket cell; returns what it shows, and records a failure when the command went through. */
async function socketCell(type: string, c: Case, failures: string[]): Promise<string> {
  const label = `${type} ${c}`;
  const socket = await TestSocket.connect(wsUrl);
  try {
    const frame = command(type);
    if (c === 'none') {
      const reply = await send(socket, type === 'auth' ? { type, token: '' } : frame);
      if (!reply || reply.ok) failures.push(`${label}: ${JSON.stringify(reply)}`);
      return reply && !reply.ok ? `err ${reply.error.status}` : 'ACCEPTED';
    }
    if (c === 'otherWorker' || c === 'otherWorkspace') {
      // Authenticated as someone else, acting on A's reservation and task, or trying to become A.
      const auth = await send(socket, { type: 'auth', token: c === 'otherWorker' ? tokenB : tokenC });
      if (!auth?.ok) failures.push(`${label}: control auth failed`);
      if (type === 'worker.update' || type === 'channel.update' || type === 'ping') return 'n/a (own)';
      const reply = await send(socket, frame);
      if (!reply || reply.ok) failures.push(`${label}: ${JSON.stringify(reply)}`);
      return reply && !reply.ok ? `err ${reply.error.status}` : 'ACCEPTED';
    }
    const bad = tokens[c];
    if (type === 'token.update') {
      // A's own session presenting a bad token to stay on.
      await send(socket, { type: 'auth', token: tokenA });
      const reply = await send(socket, { type, token: bad });
      if (!reply || reply.ok) failures.push(`${label}: ${JSON.stringify(reply)}`);
      return reply && !reply.ok ? `err ${reply.error.status}` : 'ACCEPTED';
    }
    // The bad token's auth, with the command pipelined right behind it.
    const authRef = `m${++refs}`;
    const cmdRef = `m${++refs}`;
    socket.sendRaw({ type: 'auth', token: bad, ref: authRef });
    if (type !== 'auth') socket.sendRaw({ ...frame, ref: cmdRef });
    const closed = await Promise.race([socket.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
    const authReply = socket.frames.find((f) => f.type === 'reply' && f.ref === authRef) as Reply | undefined;
    const cmdReply = socket.frames.find((f) => f.type === 'reply' && f.ref === cmdRef) as Reply | undefined;
    if (!authReply || authReply.ok || cmdReply?.ok || closed?.code !== 4401) failures.push(`${label}: auth=${JSON.stringify(authReply)} cmd=${JSON.stringify(cmdReply)} close=${closed?.code}`);
    return `err ${authReply && !authReply.ok ? authReply.error.status : '?'}, close ${closed?.code ?? 'open'}`;
  } finally {
    socket.close();
  }
}

async function socketMatrix(failures: string[]): Promise<string[][]> {
  expect(COMMANDS.length).toBeGreaterThanOrEqual(9);
  const rows: string[][] = [];
  for (const type of COMMANDS) {
    const row = [type];
    for (const c of CASES) row.push(await socketCell(type, c, failures));
    rows.push(row);
  }
  return rows;
}
