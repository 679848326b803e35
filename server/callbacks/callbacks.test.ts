import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness, type Harness } from '../http/test-harness.js';

/** A webhook receiver: records every POST and answers with what `reply` says. */
async function receiver(reply: (path: string) => { status: number; body: string; hang?: boolean }) {
  const calls: Array<{ path: string; params: URLSearchParams }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', params: new URLSearchParams(body) });
      const answer = reply(req.url ?? '');
      if (answer.hang) return;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receivers.push(server);
  return { url, calls };
}
const receivers: http.Server[] = [];

/** Polls `read` until `done` holds (no fixed sleeps); fails after `ms`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(async () => {
  await closeAllHarnesses();
  for (const server of receivers.splice(0)) server.closeAllConnections(), server.close();
});
afterAll(closeAllHarnesses);

async function setup(h: Harness, callbacks: { url?: string; fallback?: string }) {
  const seeded = await seedWorkspace(h, { workers: 1 });
  const base = `/v1/Workspaces/${seeded.ws.sid}`;
  const updated = await h.request('POST', `${base}/Workflows/${seeded.workflow.sid}`, {
    ...(callbacks.url ? { AssignmentCallbackUrl: callbacks.url } : {}),
    ...(callbacks.fallback ? { FallbackAssignmentCallbackUrl: callbacks.fallback } : {}),
  });
  expect(updated.status).toBe(200);
  const task = await h.request('POST', `${base}/Tasks`, { Attributes: '{"type":"support"}', WorkflowSid: seeded.workflow.sid });
  expect(task.status).toBe(201);
  const reservations = () => h.request('GET', `${base}/Tasks/${task.body.sid}/Reservations`).then((r) => r.body.reservations as any[]);
  return { seeded, base, task: task.body, reservations };
}

describe('assignment callbacks', () => {
  it('posts TaskRouter parameters and applies an accept instruction', async () => {
    const hook = await receiver(() => ({ status: 200, body: '{"instruction":"accept"}' }));
    const h = await startHarness();
    const { seeded, task, reservations } = await setup(h, { url: `${hook.url}/assign` });
    const [reservation] = await eventually(reservations, (rs) => rs[0]?.reservation_status === 'accepted');
    const params = hook.calls[0]!.params;
    expect(params.get('TaskSid')).toBe(task.sid);
    expect(params.get('ReservationSid')).toBe(reservation.sid);
    expect(params.get('WorkerSid')).toBe(seeded.workers[0].sid);
    expect(params.get('WorkspaceSid')).toBe(seeded.ws.sid);
    expect(JSON.parse(params.get('TaskAttributes')!)).toEqual({ type: 'support' });
    expect(params.get('TaskQueueSid')).toBe(seeded.queue.sid);
  });

  it('applies a reject instruction with an activity', async () => {
    let offlineSid = '';
    const hook = await receiver(() => ({ status: 200, body: JSON.stringify({ instruction: 'reject', activity_sid: offlineSid }) }));
    const h = await startHarness();
    const seeded = await seedWorkspace(h, { workers: 1 });
    offlineSid = seeded.offline.sid;
    const base = `/v1/Workspaces/${seeded.ws.sid}`;
    await h.request('POST', `${base}/Workflows/${seeded.workflow.sid}`, { AssignmentCallbackUrl: hook.url });
    const task = await h.request('POST', `${base}/Tasks`, { WorkflowSid: seeded.workflow.sid });
    await eventually(
      () => h.request('GET', `${base}/Tasks/${task.body.sid}/Reservations`).then((r) => r.body.reservations as any[]),
      (rs) => rs[0]?.reservation_status === 'rejected',
    );
    const worker = await h.request('GET', `${base}/Workers/${seeded.workers[0].sid}`);
    expect(worker.body.activity_sid).toBe(offlineSid);
  });

  it('calls the fallback URL when the primary fails, and acts on its answer', async () => {
    const primary = await receiver(() => ({ status: 500, body: 'boom' }));
    const fallback = await receiver(() => ({ status: 200, body: '{"instruction":"accept"}' }));
    const h = await startHarness();
    const { reservations } = await setup(h, { url: primary.url, fallback: fallback.url });
    await eventually(reservations, (rs) => rs[0]?.reservation_status === 'accepted');
    expect(primary.calls).toHaveLength(1);
    expect(fallback.calls).toHaveLength(1);
  });

  it('leaves the reservation pending on an empty answer', async () => {
    const hook = await receiver(() => ({ status: 200, body: '' }));
    const h = await startHarness();
    const { reservations, base } = await setup(h, { url: hook.url });
    await eventually(async () => hook.calls.length, (n) => n === 1);
    // The answer was handled once the hub is idle again: no error event, still pending.
    await h.hub.flush();
    expect((await reservations())[0].reservation_status).toBe('pending');
    const errors = await h.request('GET', `${base}/Events`, { EventType: 'callback.error' });
    expect(errors.body.events).toHaveLength(0);
  });

  it.each([
    ['a voice-only instruction', '{"instruction":"dequeue"}', 40135],
    ['JSON without an instruction', '{"foo":1}', 40005],
    ['a non-JSON answer', 'hello', 40001],
  ])('reports %s as a callback.error event and keeps the reservation pending', async (_, body, code) => {
    const hook = await receiver(() => ({ status: 200, body }));
    const h = await startHarness();
    const { reservations, base } = await setup(h, { url: hook.url });
    const events = await eventually(
      () => h.request('GET', `${base}/Events`, { EventType: 'callback.error' }).then((r) => r.body.events as any[]),
      (es) => es.length === 1,
    );
    expect(events[0].event_data.error_code).toBe(code);
    expect((await reservations())[0].reservation_status).toBe('pending');
  });
});

describe('event callbacks', () => {
  it('posts each event that passes EventsFilter, with TaskRouter parameters', async () => {
    const hook = await receiver(() => ({ status: 204, body: '' }));
    const h = await startHarness();
    const seeded = await seedWorkspace(h, { workers: 1 });
    const base = `/v1/Workspaces/${seeded.ws.sid}`;
    const ws = await h.request('POST', base, { EventCallbackUrl: hook.url, EventsFilter: 'task.created,reservation.accepted' });
    expect(ws.status).toBe(200);
    const task = await h.request('POST', `${base}/Tasks`, { Attributes: '{"n":1}', WorkflowSid: seeded.workflow.sid });
    const [reservation] = (await h.request('GET', `${base}/Tasks/${task.body.sid}/Reservations`)).body.reservations;
    await h.request('POST', `${base}/Tasks/${task.body.sid}/Reservations/${reservation.sid}`, { ReservationStatus: 'accepted' });
    const calls = await eventually(async () => hook.calls, (c) => c.length === 2);
    expect(calls.map((c) => c.params.get('EventType'))).toEqual(['task.created', 'reservation.accepted']);
    const accepted = calls[1]!.params;
    expect(accepted.get('TaskSid')).toBe(task.body.sid);
    expect(accepted.get('ReservationSid')).toBe(reservation.sid);
    expect(accepted.get('WorkerSid')).toBe(seeded.workers[0].sid);
    expect(accepted.get('AccountSid')).toBe(h.credentials.accountSid);
    expect(accepted.get('Sid')).toMatch(/^EV[0-9a-f]{32}$/);
  });

  it('does not slow routing when the endpoint never answers', async () => {
    const hook = await receiver(() => ({ status: 200, body: '', hang: true }));
    const h = await startHarness();
    const seeded = await seedWorkspace(h, { workers: 1 });
    const base = `/v1/Workspaces/${seeded.ws.sid}`;
    await h.request('POST', base, { EventCallbackUrl: hook.url });
    const started = performance.now();
    const task = await h.request('POST', `${base}/Tasks`, { WorkflowSid: seeded.workflow.sid });
    const elapsed = performance.now() - started;
    expect(task.status).toBe(201);
    // The offer was made in the same request, while the webhook is still hanging.
    const reservations = await h.request('GET', `${base}/Tasks/${task.body.sid}/Reservations`);
    expect(reservations.body.reservations).toHaveLength(1);
    expect(elapsed).toBeLessThan(1000);
    await eventually(async () => hook.calls.length, (n) => n > 0);
  });
});
