/** `POST /v1/wschannels` on the wire: the envelope, CORS, internal shapes, pages, errors, reach, versions. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness, type Harness, type Seeded } from '../http/test-harness.js';
import { ALLOWED_HEADERS } from './envelope-endpoint.js';
import { mintToken, SDK_REQUIRED_KEYS } from './sdk-test-kit.js';

let h: Harness;
let seeded: Seeded;
let ws: string;
let me: string;
let other: string;

beforeEach(async () => {
  h = await startHarness();
  seeded = await seedWorkspace(h, { workers: 2 });
  ws = seeded.ws.sid;
  me = seeded.workers[0].sid;
  other = seeded.workers[1].sid;
});
afterEach(closeAllHarnesses);

const tokenFor = (workerSid = me, role: 'worker' | 'supervisor' = 'worker') => mintToken(h.credentials, { workspaceSid: ws, workerSid, role });

/** Posts an envelope as the SDK does (a JSON string labelled form-urlencoded). */
async function call(url: string, method: 'GET' | 'POST', params: Record<string, unknown> = {}, options: { token?: string; headers?: Record<string, string> } = {}) {
  const body = JSON.stringify({ url, method, params, token: options.token ?? tokenFor() });
  const response = await fetch(`${h.url}/v1/wschannels`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', apiVersion: 'v1', clientVersion: '2.1.1', ...options.headers },
    body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe('the event-bridge envelope', () => {
  it('answers a browser preflight for the SDK’s headers, and every answer carries CORS', async () => {
    const preflight = await fetch(`${h.url}/v1/wschannels`, {
      method: 'OPTIONS',
      headers: { origin: 'https://agents.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'apiversion,clientversion,if-match,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(ALLOWED_HEADERS);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const ok = await call(`Workspaces/${ws}/Workers/${me}`, 'GET');
    const failed = await call(`Workspaces/${ws}/Workers/${me}`, 'GET', {}, { token: 'nope' });
    for (const r of [ok, failed]) expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers {payload} in the internal shapes: epoch seconds, attributes as text, version as text', async () => {
    const { status, body } = await call(`Workspaces/${ws}/Workers/${me}`, 'GET');
    expect(status).toBe(200);
    expect(Object.keys(body.payload)).toEqual(expect.arrayContaining(SDK_REQUIRED_KEYS.worker));
    expect(body.payload).toMatchObject({ sid: me, attributes: '{}', activity_name: 'Available', available: true, version: '0' });
    expect(body.payload.date_created).toBe(Math.floor(Date.parse(seeded.workers[0].date_created) / 1000));
    expect(body.payload).not.toHaveProperty('url');
    const channels = (await call(`Workspaces/${ws}/Workers/${me}/WorkerChannels`, 'GET')).body.payload;
    for (const c of channels.contents) expect(Object.keys(c)).toEqual(expect.arrayContaining(SDK_REQUIRED_KEYS.channel));
    const queue = (await call(`Workspaces/${ws}/TaskQueues/${seeded.queue.sid}`, 'GET')).body.payload;
    expect(Object.keys(queue)).toEqual(expect.arrayContaining(SDK_REQUIRED_KEYS.taskQueue));
    expect(queue.lifo_queue).toBe(false);
  });

  it('pages lists as {contents, after_sid}', async () => {
    const all = (await call(`Workspaces/${ws}/Activities`, 'GET', { PageSize: 1000 })).body.payload;
    expect(all.contents.map((a: { friendly_name: string }) => a.friendly_name)).toEqual(['Offline', 'Available', 'Unavailable']);
    for (const a of all.contents) expect(Object.keys(a)).toEqual(expect.arrayContaining(SDK_REQUIRED_KEYS.activity));
    expect(all.after_sid).toBeNull();
    const first = (await call(`Workspaces/${ws}/Activities`, 'GET', { PageSize: 2 })).body.payload;
    expect(first.contents).toHaveLength(2);
    expect(first.after_sid).toBe(first.contents[1].sid);
    const rest = (await call(`Workspaces/${ws}/Activities`, 'GET', { PageSize: 2, AfterSid: first.after_sid })).body.payload;
    expect(rest).toEqual({ contents: [all.contents[2]], after_sid: null });
  });

  it('refuses a bad body, a bad token, an unknown route and a wrong method, with {message, code, status}', async () => {
    const raw = await fetch(`${h.url}/v1/wschannels`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'url=x&method=GET' });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ code: 20001, status: 400, message: expect.stringMatching(/JSON envelope/) });
    const deep = await fetch(`${h.url}/v1/wschannels`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '['.repeat(100_000) + ']'.repeat(100_000) });
    expect(await deep.json()).toMatchObject({ code: 20001, status: 400, message: 'The envelope nests deeper than 32 levels' });
    expect((await call(`Workspaces/${ws}/Workers/${me}`, 'GET', {}, { token: 'nope' })).body).toMatchObject({ status: 401, message: 'Token is invalid' });
    const expired = mintToken(h.credentials, { workspaceSid: ws, workerSid: me, ttl: -10 });
    expect((await call(`Workspaces/${ws}/Workers/${me}`, 'GET', {}, { token: expired })).status).toBe(401);
    expect((await call(`Workspaces/${ws}/Nothing`, 'GET')).status).toBe(404);
    expect((await call(`Workspaces/${ws}/Activities`, 'POST')).status).toBe(405);
    const bad = await call(`Workspaces/${ws}/Workers/${me}`, 'POST', { ActivitySid: 'nope' });
    expect(bad.body).toMatchObject({ status: 400, message: 'ActivitySid must be a SID starting with WA' });
  });

  it('keeps a worker token to its own worker, reservations and tasks', async () => {
    const forbidden = [
      await call(`Workspaces/${ws}/Workers/${other}`, 'GET'),
      await call(`Workspaces/${ws}/Workers/${other}`, 'POST', { ActivitySid: seeded.offline.sid }),
      await call(`Workspaces/${ws}/Workers/${other}/Reservations`, 'GET'),
      await call(`Workspaces/${ws}/Workers/${other}/Reservations/WR${'0'.repeat(32)}`, 'POST', { ReservationStatus: 'accepted' }),
      await call(`Workspaces/${ws}/Workers`, 'GET'),
      await call(`Workspaces/WS${'0'.repeat(32)}/Activities`, 'GET'),
    ];
    expect(forbidden.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    const task = (await h.request('POST', `/v1/Workspaces/${ws}/Tasks`, { WorkflowSid: seeded.workflow.sid })).body;
    const holder = (await h.request('GET', `/v1/Workspaces/${ws}/Tasks/${task.sid}/Reservations`)).body.reservations[0].worker_sid;
    const stranger = holder === me ? other : me;
    expect((await call(`Workspaces/${ws}/Tasks/${task.sid}`, 'GET', {}, { token: tokenFor(holder) })).status).toBe(200);
    expect((await call(`Workspaces/${ws}/Tasks/${task.sid}`, 'GET', {}, { token: tokenFor(stranger) })).status).toBe(403);
    // Offered is not held: settling needs an accepted reservation.
    expect((await call(`Workspaces/${ws}/Tasks/${task.sid}`, 'POST', { AssignmentStatus: 'completed' }, { token: tokenFor(holder) })).status).toBe(403);
    // Held to the end: a repeated completion is a conflict, as over REST and the native socket.
    const offer = (await h.request('GET', `/v1/Workspaces/${ws}/Tasks/${task.sid}/Reservations`)).body.reservations[0];
    expect((await h.request('POST', `/v1/Workspaces/${ws}/Tasks/${task.sid}/Reservations/${offer.sid}`, { ReservationStatus: 'accepted' })).status).toBe(200);
    const complete = () => call(`Workspaces/${ws}/Tasks/${task.sid}`, 'POST', { AssignmentStatus: 'completed' }, { token: tokenFor(holder) });
    expect((await complete()).status).toBe(200);
    expect((await complete()).status).toBe(409);
    expect((await call(`Workspaces/${ws}/Tasks/${task.sid}`, 'POST', { AssignmentStatus: 'completed' }, { token: tokenFor(stranger) })).status).toBe(403);
  });

  it('maps If-Match to the engine’s version check: 412 on a mismatch, nothing changed', async () => {
    const task = (await h.request('POST', `/v1/Workspaces/${ws}/Tasks`, { WorkflowSid: seeded.workflow.sid })).body;
    const reservation = (await h.request('GET', `/v1/Workspaces/${ws}/Tasks/${task.sid}/Reservations`)).body.reservations[0];
    const holder = tokenFor(reservation.worker_sid);
    const path = `Workspaces/${ws}/Workers/${reservation.worker_sid}/Reservations/${reservation.sid}`;
    const stale = await call(path, 'POST', { ReservationStatus: 'accepted' }, { token: holder, headers: { 'If-Match': '7' } });
    expect(stale.status).toBe(412);
    expect(stale.body.message).toMatch(/If-Match 7 does not match the current version 0/);
    const fresh = await call(path, 'POST', { ReservationStatus: 'accepted' }, { token: holder, headers: { 'If-Match': '0' } });
    expect(fresh.body.payload).toMatchObject({ reservation_status: 'accepted', version: '1' });
    const late = await call(path, 'POST', { ReservationStatus: 'accepted' }, { token: holder });
    expect(late.body).toMatchObject({ status: 410, code: 20410 });
  });
});
