/**
 * `/metrics` after scripted scenarios: offers created, accepted, rescinded, rejected and timed out,
 * histograms, state gauges, callbacks, sockets; and who may scrape.
 */
import http from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness, type Harness } from '../http/test-harness.js';
import { Hub } from '../hub.js';
import { MemoryStore } from '../store/memory-store.js';
import { connectWorker } from '../ws/ws-test-client.js';
import { Metrics } from './metrics.js';
import { MAX_QUEUE_LABELS, OTHER } from './state-gauges.js';

afterEach(closeAllHarnesses);

/** Samples of a Prometheus text page, keyed `name{a="x",b="y"}` (labels in page order). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

const basic = (user: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });

/** GETs `/metrics` as text (the harness's `request` parses JSON). */
async function scrapeText(h: Harness, headers: Record<string, string> = {}): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${h.url}/metrics`, { headers });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** Scrapes with the account's credentials. */
async function scrape(h: Harness): Promise<Map<string, number>> {
  const res = await scrapeText(h, basic(h.credentials.accountSid, h.credentials.authToken));
  expect(res.status).toBe(200);
  return parseMetrics(res.text);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('/metrics after a scripted scenario', () => {
  it('counts offers by outcome, fills the latency histograms and reads state at scrape time', async () => {
    const h = await startHarness();
    const seed = await seedWorkspace(h, { workers: 2, maxReservedWorkers: 2 });
    const base = `/v1/Workspaces/${seed.ws.sid}`;
    // A 1-second reservation timeout, so the scenario can see one time out.
    expect((await h.request('POST', `${base}/Workflows/${seed.workflow.sid}`, { TaskReservationTimeout: 1 })).status).toBe(200);
    const before = await scrape(h);
    const [a, b] = seed.workers as [{ sid: string }, { sid: string }];
    const reservations = async (taskSid: string) => (await h.request('GET', `${base}/Tasks/${taskSid}/Reservations`)).body.reservations as Array<{ sid: string; worker_sid: string; reservation_status: string }>;

    // Task 1 is offered to both workers; A accepts, so B's offer is rescinded.
    const t1 = (await h.request('POST', `${base}/Tasks`, { Attributes: '{"n":1}' })).body;
    const offers1 = await reservations(t1.sid);
    expect(offers1).toHaveLength(2);
    const ofA = offers1.find((r) => r.worker_sid === a.sid)!;
    expect((await h.request('POST', `${base}/Tasks/${t1.sid}/Reservations/${ofA.sid}`, { ReservationStatus: 'accepted' })).status).toBe(200);

    // Task 2 can only go to B (A is busy); B rejects it.
    const t2 = (await h.request('POST', `${base}/Tasks`, { Attributes: '{"n":2}' })).body;
    const offers2 = await reservations(t2.sid);
    expect(offers2.map((r) => r.worker_sid)).toEqual([b.sid]);
    expect((await h.request('POST', `${base}/Tasks/${t2.sid}/Reservations/${offers2[0]!.sid}`, { ReservationStatus: 'rejected' })).status).toBe(200);

    // A completes task 1 and is offered task 2, and lets the offer time out.
    expect((await h.request('POST', `${base}/Tasks/${t1.sid}`, { AssignmentStatus: 'completed' })).status).toBe(200);
    await until(async () => (await reservations(t2.sid)).some((r) => r.worker_sid === a.sid && r.reservation_status === 'timeout'), 'the timeout', 6000);
    const after = await scrape(h);
    const moved = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

    expect(moved('switchboard_tasks_created_total')).toBe(2);
    expect(moved('switchboard_offers_created_total')).toBe(4);
    expect(moved('switchboard_offers_ended_total{outcome="accepted"}')).toBe(1);
    expect(moved('switchboard_offers_ended_total{outcome="rescinded"}')).toBe(1);
    expect(moved('switchboard_offers_ended_total{outcome="rejected"}')).toBe(1);
    expect(moved('switchboard_offers_ended_total{outcome="timeout"}')).toBe(1);
    expect(moved('switchboard_offers_ended_total{outcome="canceled"}')).toBe(0);
    expect(moved('switchboard_offer_wait_seconds_count')).toBe(4);
    expect(moved('switchboard_offer_accept_seconds_count')).toBe(1);
    // Task 2 waited for A past the REST calls before it: its offer lands in a higher bucket than +0.
    expect(moved('switchboard_offer_wait_seconds_sum')).toBeGreaterThan(0);
    expect(moved('switchboard_offer_accept_seconds_bucket{le="+Inf"}')).toBe(1);
    expect(moved('switchboard_engine_step_seconds_count{command="task.create"}')).toBe(2);
    expect(moved('switchboard_engine_step_seconds_count{command="reservation.update"}')).toBe(2);
    expect(moved('switchboard_engine_step_seconds_count{command="timer.fired"}')).toBeGreaterThanOrEqual(1);
    expect(moved('switchboard_store_commit_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(moved('switchboard_store_commit_batch_size_sum')).toBeGreaterThanOrEqual(moved('switchboard_store_commit_seconds_count'));
    expect(moved('switchboard_http_request_duration_seconds_count{method="POST",route="/v1/Workspaces/:ws/Tasks",status_code="201"}')).toBe(2);

    // Gauges come from state: task 1 completed, task 2 pending again; A timed out into Offline.
    expect(after.get('switchboard_workspaces')).toBe(1);
    expect(after.get('switchboard_tasks{workspace="Seeded",queue="Queue",status="completed"}')).toBe(1);
    expect(after.get('switchboard_tasks{workspace="Seeded",queue="Queue",status="pending"}')).toBe(1);
    expect(after.get('switchboard_tasks{workspace="Seeded",queue="Queue",status="assigned"}')).toBe(0);
    expect(after.get('switchboard_workers{workspace="Seeded",activity="Offline"}')).toBe(1);
    expect(after.get('switchboard_workers{workspace="Seeded",activity="Available"}')).toBe(1);
    // No SID is ever a label value.
    expect([...after.keys()].filter((k) => /"(WS|WK|WT|WR|WQ|WW)[0-9a-f]{32}"/.test(k))).toEqual([]);
    // The process's default metrics are there, event-loop delay included.
    expect(after.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
  }, 20_000);

  it('counts connected workers from the socket layer and its send-buffer drops', async () => {
    const h = await startHarness();
    const seed = await seedWorkspace(h, { workers: 1 });
    const wsUrl = `${h.url.replace(/^http/, 'ws')}/v1/sockets`;
    const { socket } = await connectWorker(wsUrl, await h.token(seed.ws.sid, seed.workers[0].sid));
    expect((await scrape(h)).get('switchboard_connected_workers')).toBe(1);
    socket.close();
    await socket.closed;
    await until(async () => (await scrape(h)).get('switchboard_connected_workers') === 0, 'the disconnect');

    // The drop counter follows the socket layer's total and can be bumped directly.
    const metrics = new Metrics();
    let cut = 0;
    metrics.setSocketStatsSource(() => ({ slowConsumersCut: cut }));
    cut = 3;
    metrics.wsSendBufferDrops.inc();
    let page = parseMetrics(await metrics.scrape());
    expect(page.get('switchboard_ws_send_buffer_drops_total')).toBe(4);
    cut = 5;
    page = parseMetrics(await metrics.scrape());
    expect(page.get('switchboard_ws_send_buffer_drops_total')).toBe(6);
  });

  it('counts event-callback deliveries and assignment-callback errors', async () => {
    const posts: string[] = [];
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push(`${req.url} ${body}`);
        res.writeHead(req.url === '/assign' ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
      const h = await startHarness();
      const seed = await seedWorkspace(h, { workers: 1 });
      const base = `/v1/Workspaces/${seed.ws.sid}`;
      await h.request('POST', base, { EventCallbackUrl: `${sinkUrl}/events`, EventsFilter: 'task.created' });
      await h.request('POST', `${base}/Workflows/${seed.workflow.sid}`, { AssignmentCallbackUrl: `${sinkUrl}/assign` });
      expect((await h.request('POST', `${base}/Tasks`, { Attributes: '{}' })).status).toBe(201);
      await until(async () => {
        const page = await scrape(h);
        return page.get('switchboard_event_callbacks_delivered_total') === 1 && page.get('switchboard_assignment_callback_errors_total') === 1;
      }, 'the callbacks');
      const page = await scrape(h);
      expect(page.get('switchboard_event_callbacks_failed_total')).toBe(0);
      expect(page.get('switchboard_event_callbacks_queued')).toBe(0);
      expect(posts.filter((p) => p.startsWith('/events'))).toHaveLength(1);
    } finally {
      await new Promise((r) => sink.close(r));
    }
  });

  it('counts open file descriptors, and leaves out the collectors that list every socket', async () => {
    const h = await startHarness();
    const before = await scrape(h);
    // 200 connections held open, both ends in this process: 400 more descriptors.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const accepted: Socket[] = [];
    server.on('connection', (socket) => accepted.push(socket));
    const open = () =>
      new Promise<Socket>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
      });
    const clients = await Promise.all(Array.from({ length: 200 }, open));
    await until(async () => accepted.length === 200, 'the connections');
    try {
      const after = await scrape(h);
      if (process.platform === 'linux') {
        const opened = after.get('process_open_fds')! - before.get('process_open_fds')!;
        expect(opened).toBeGreaterThanOrEqual(395);
        expect(opened).toBeLessThanOrEqual(420);
      }
      // They list every socket on the loop, for as long as thousands of agents take.
      expect([...after.keys()].filter((k) => /^nodejs_active_(handles|resources)/.test(k))).toEqual([]);
      expect(after.has('process_resident_memory_bytes')).toBe(true);
    } finally {
      for (const socket of [...clients, ...accepted]) socket.destroy();
      server.close();
    }
  });
});

describe('who may scrape', () => {
  it('takes the account or an API key, or the metrics token when set; never a worker token', async () => {
    const h = await startHarness();
    const seed = await seedWorkspace(h, { workers: 1 });
    const [keySid, keySecret] = [...h.credentials.apiKeys.entries()][0]!;
    const ok = await scrapeText(h, basic(h.credentials.accountSid, h.credentials.authToken));
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(ok.text).toContain('# TYPE switchboard_offers_created_total counter');
    expect((await scrapeText(h, basic(keySid, keySecret))).status).toBe(200);
    expect((await scrapeText(h)).status).toBe(401);
    expect((await scrapeText(h, basic(h.credentials.accountSid, 'wrong-token-0123456789'))).status).toBe(401);
    const worker = await h.token(seed.ws.sid, seed.workers[0].sid);
    expect((await scrapeText(h, { authorization: `Bearer ${worker}` })).status).toBe(401);
    // Without a metrics token configured, no bearer is accepted.
    expect((await scrapeText(h, { authorization: 'Bearer anything-at-all-0123456789' })).status).toBe(401);
  });

  it('accepts SWITCHBOARD_METRICS_TOKEN as a bearer', async () => {
    const { startServer } = await import('../server.js');
    const { MemoryStore } = await import('../store/memory-store.js');
    const { TEST_CREDENTIALS } = await import('../http/test-harness.js');
    const running = await startServer(
      { port: 0, host: '127.0.0.1', data: ':memory:', demo: false, logLevel: 'silent', metricsToken: 'scrape-me-0123456789abcdef' },
      { store: new MemoryStore(), credentials: TEST_CREDENTIALS, attachSockets: false },
    );
    try {
      const get = (authorization?: string) => fetch(`${running.url}/metrics`, { headers: authorization ? { authorization } : {} }).then((r) => r.status);
      expect(await get('Bearer scrape-me-0123456789abcdef')).toBe(200);
      expect(await get('Bearer scrape-me-0123456789abcdeX')).toBe(401);
      expect(await get()).toBe(401);
      expect(await get(basic(TEST_CREDENTIALS.accountSid, TEST_CREDENTIALS.authToken).authorization)).toBe(200);
    } finally {
      await running.close();
    }
  });
});

describe('label cardinality', () => {
  it('caps queue labels and sums the rest under "other"', async () => {
    const hub = await Hub.open({ store: new MemoryStore(), accountSid: 'AC' + 'f'.repeat(32) });
    const ws = await hub.createWorkspace({ friendlyName: 'Big' });
    const extra = 5;
    for (let i = 0; i < MAX_QUEUE_LABELS + extra; i += 1) {
      const made = await hub.dispatch(ws.sid, { type: 'taskQueue.create', friendlyName: `q${i}` });
      expect(made.ok).toBe(true);
    }
    const metrics = new Metrics();
    metrics.observeHub(hub);
    const page = parseMetrics(await metrics.scrape());
    const queues = new Set([...page.keys()].filter((k) => k.startsWith('switchboard_tasks{')).map((k) => /queue="([^"]*)"/.exec(k)![1]));
    expect(queues.size).toBe(MAX_QUEUE_LABELS + 1);
    expect(queues.has(OTHER)).toBe(true);
    expect(queues.has(`q${MAX_QUEUE_LABELS}`)).toBe(false);
    await hub.close();
  });
});
