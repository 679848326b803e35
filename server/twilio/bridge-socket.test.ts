/** The event-bridge socket on the wire (a raw `ws` client): init first, heartbeats, refusals, push shapes. */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../http/test-harness.js';
import { attachBridgeSockets } from './bridge-sockets.js';
import { mintToken, SDK_REQUIRED_KEYS as REQUIRED, until } from './sdk-test-kit.js';

afterEach(closeAllHarnesses);

interface Frame {
  event_type: string;
  payload: Record<string, any>;
}

/** A raw socket that records text frames as received (heartbeats included). */
async function rawSocket(url: string) {
  const ws = new WebSocket(url);
  const texts: string[] = [];
  ws.on('message', (data) => texts.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('error', () => undefined);
  const frames = () => texts.filter((t) => t.trim().length > 0).map((t) => JSON.parse(t) as Frame);
  const frame = (type: string) => until(() => frames().find((f) => f.event_type === type));
  return { ws, texts, frames, frame, closed };
}

async function setup() {
  const h = await startHarness({ attachSockets: (upgrades, hub, credentials) => attachBridgeSockets(upgrades, hub, credentials, { path: '/test/wschannels', heartbeatMs: 100 }) });
  const seeded = await seedWorkspace(h, { workers: 1 });
  const url = (token: string, query = '') => `${h.url.replace(/^http/, 'ws')}/test/wschannels?token=${token}&closeExistingSessions=false&clientVersion=2.1.1${query}`;
  const token = (ttl = 3600) => mintToken(h.credentials, { workspaceSid: seeded.ws.sid, workerSid: seeded.workers[0].sid, ttl });
  return { h, ...seeded, url, token };
}

describe('the event-bridge socket', () => {
  it('sends init first, with the token lifetime in milliseconds, then heartbeats', async () => {
    const { h, ws, workers, url, token } = await setup();
    const socket = await rawSocket(url(token(600)));
    await until(() => socket.texts.length >= 3);
    const init = JSON.parse(socket.texts[0]!) as Frame;
    expect(init.event_type).toBe('init');
    expect(init.payload).toMatchObject({ channel_id: workers[0].sid, account_sid: h.credentials.accountSid, workspace_sid: ws.sid });
    expect(init.payload['token_lifetime']).toBeGreaterThan(598_000);
    expect(init.payload['token_lifetime']).toBeLessThanOrEqual(600_000);
    expect(socket.texts.slice(1, 3)).toEqual([' ', ' ']);
    socket.ws.close();
  });

  it('closes with 4401 and the reason for a bad token, and 4004 for a worker that does not exist', async () => {
    const { h, ws, url } = await setup();
    const bad = await rawSocket(url('not-a-jwt'));
    expect(await bad.closed).toEqual({ code: 4401, reason: 'Token is invalid' });
    const ghost = mintToken(h.credentials, { workspaceSid: ws.sid, workerSid: 'WK' + '0'.repeat(32) });
    const gone = await rawSocket(url(ghost));
    expect((await gone.closed).code).toBe(4004);
  });

  it("closes with 4004 when the worker's workspace is deleted, and leaves other workspaces' sockets open", async () => {
    const { h, ws, url, token } = await setup();
    const socket = await rawSocket(url(token()));
    await socket.frame('init');
    const other = await seedWorkspace(h, { workers: 1 });
    const elsewhere = await rawSocket(url(mintToken(h.credentials, { workspaceSid: other.ws.sid, workerSid: other.workers[0].sid })));
    await elsewhere.frame('init');
    expect((await h.request('DELETE', `/v1/Workspaces/${ws.sid}`)).status).toBe(204);
    expect((await socket.closed).code).toBe(4004);
    await h.request('POST', `/v1/Workspaces/${other.ws.sid}/Tasks`, { WorkflowSid: other.workflow.sid });
    expect((await elsewhere.frame('reservation.created')).payload['worker_sid']).toBe(other.workers[0].sid);
    elsewhere.ws.close();
  });

  it('pushes events in the SDK’s internal shapes: epoch seconds, attributes as text, every required key', async () => {
    const { h, ws, workers, workflow, url, token } = await setup();
    const socket = await rawSocket(url(token()));
    await socket.frame('init');
    await h.request('POST', `/v1/Workspaces/${ws.sid}/Tasks`, { WorkflowSid: workflow.sid, Attributes: '{"x":1}' });
    const created = await socket.frame('reservation.created');
    expect(Object.keys(created.payload)).toEqual(expect.arrayContaining(REQUIRED.reservation));
    expect(Object.keys(created.payload['task'])).toEqual(expect.arrayContaining(REQUIRED.task));
    expect(created.payload['task']['attributes']).toBe('{"x":1}');
    expect(created.payload['reservation_status']).toBe('pending');
    const nowSeconds = Date.now() / 1000;
    for (const date of [created.payload['date_created'], created.payload['task']['date_created'], created.payload['task']['virtual_start_time']]) {
      expect(Number.isInteger(date) && Math.abs(date - nowSeconds) < 5).toBe(true);
    }

    await h.request('POST', `/v1/Workspaces/${ws.sid}/Workers/${workers[0].sid}`, { Attributes: '{"skills":["a"]}' });
    const attributes = await socket.frame('worker.attributes.update');
    expect(Object.keys(attributes.payload)).toEqual(expect.arrayContaining(REQUIRED.worker));
    expect(attributes.payload['attributes']).toBe('{"skills":["a"]}');

    await h.request('POST', `/v1/Workspaces/${ws.sid}/Workers/${workers[0].sid}/Channels/chat`, { Capacity: 3 });
    const capacity = await socket.frame('worker.capacity.update');
    expect(Object.keys(capacity.payload)).toEqual(expect.arrayContaining(REQUIRED.channel));
    expect(capacity.payload).toMatchObject({ configured_capacity: 3, task_channel_unique_name: 'chat' });
    expect(capacity.payload['sid']).toMatch(/^WC/);
    socket.ws.close();
  });

  it('sends a task event to the worker holding the task, with the status the event saw', async () => {
    const { h, ws, workflow, url, token } = await setup();
    const socket = await rawSocket(url(token()));
    await socket.frame('init');
    const base = `/v1/Workspaces/${ws.sid}`;
    const task = (await h.request('POST', `${base}/Tasks`, { WorkflowSid: workflow.sid })).body;
    await socket.frame('reservation.created');
    await h.request('POST', `${base}/Tasks/${task.sid}`, { AssignmentStatus: 'canceled' });
    const canceled = await socket.frame('task.canceled');
    expect(canceled.payload).toMatchObject({ sid: task.sid, assignment_status: 'canceled' });
    const order = socket.frames().map((f) => f.event_type);
    expect(order.indexOf('reservation.canceled')).toBeLessThan(order.indexOf('task.canceled'));
    socket.ws.close();
  });
});
