/**
 * Callback URLs that hang, fail or redirect forever: routing keeps its latency while they do, and
 * each ends in its documented outcome (assignment: a `callback.error` event after the 5 s deadline
 * or at once, the reservation left pending, and a bound on the sockets one URL may hold; events:
 * retried, then counted as failed, from a bounded queue with a few senders per URL).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, type Harness } from '../http/test-harness.js';
import { until } from '../twilio/sdk-test-kit.js';
import { connectWorker, startSocketHarness } from '../ws/ws-test-client.js';
import { ASSIGNMENT_CALLBACK_TIMEOUT_MS } from './assignment-callbacks.js';

const FAULTS = ['hang', 'error', 'loop'] as const;
type Fault = (typeof FAULTS)[number];

/** A webhook receiver with one faulty path per fault and use (`/assign/hang`, `/event/loop`, ...). */
async function faultyEndpoint() {
  const hits = new Map<string, number>();
  const hanging = new Map<string, { now: number; most: number }>();
  const server = http.createServer((req, res) => {
    req.resume();
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.endsWith('/hang')) {
      const held = hanging.get(path) ?? { now: 0, most: 0 };
      hanging.set(path, held);
      held.now += 1;
      held.most = Math.max(held.most, held.now);
      req.socket.once('close', () => (held.now -= 1));
      return;
    }
    if (path.endsWith('/error')) return void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    res.writeHead(302, { location: path }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (use: 'assign' | 'event', fault: Fault) => `${origin}/${use}/${fault}`,
    hits: (path: string) => hits.get(path) ?? 0,
    /** The most requests to `path` held unanswered at once. */
    mostHanging: (path: string) => hanging.get(path)?.most ?? 0,
    close: () => (server.closeAllConnections(), new Promise((resolve) => server.close(resolve))),
  };
}

const endpoints: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await closeAllHarnesses();
  for (const endpoint of endpoints.splice(0)) await endpoint.close();
});

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  const r = (ms: number) => Math.round(ms * 10) / 10;
  return { n: sorted.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(sorted[sorted.length - 1]!) };
}

/** Creates a task and resolves with the time (ms) until its offer reached a worker's socket. */
async function offerLatency(h: Harness, base: string, workflowSid: string, arrivals: Map<string, number>): Promise<number> {
  const started = performance.now();
  const task = await h.request('POST', `${base}/Tasks`, { WorkflowSid: workflowSid });
  expect(task.status).toBe(201);
  const arrived = await until(() => arrivals.get(task.body.sid as string));
  return arrived - started;
}

describe('faulty callback URLs', () => {
  it('do not slow routing, and each ends in its documented outcome', async () => {
    const endpoint = await faultyEndpoint();
    endpoints.push(endpoint);
    const { h, wsUrl } = await startSocketHarness();
    const seeded = await seedWorkspace(h, { workers: 100 });
    const base = `/v1/Workspaces/${seeded.ws.sid}`;
    // Every worker on a socket; the offer's arrival time is taken as the frame comes in.
    const arrivals = new Map<string, number>();
    for (const worker of seeded.workers) {
      const { socket } = await connectWorker(wsUrl, await h.token(seeded.ws.sid, worker.sid));
      socket.ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; reservation?: { task_sid: string } };
        if (frame.type === 'reservation.created' && frame.reservation) arrivals.set(frame.reservation.task_sid, performance.now());
      });
    }
    const workflows: Record<Fault, string> = { hang: '', error: '', loop: '' };
    const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: seeded.queue.sid } } });
    for (const fault of FAULTS) {
      const created = await h.request('POST', `${base}/Workflows`, { FriendlyName: fault, Configuration: configuration, AssignmentCallbackUrl: endpoint.url('assign', fault) });
      expect(created.status).toBe(201);
      workflows[fault] = created.body.sid;
    }

    // Healthy: no callbacks at all.
    const clean: number[] = [];
    for (let i = 0; i < 40; i += 1) clean.push(await offerLatency(h, base, seeded.workflow.sid, arrivals));

    // Faulty: every event goes to a faulty URL (a third of the run each), and three tasks in four
    // call a faulty assignment URL; the fourth is a plain task routed alongside.
    const plainAmongFaults: number[] = [];
    const withFaultyCallback: number[] = [];
    const faultyStarted = performance.now();
    for (let i = 0; i < 60; i += 1) {
      if (i % 20 === 0) {
        const url = endpoint.url('event', FAULTS[i / 20]!);
        expect((await h.request('POST', base, { EventCallbackUrl: url, EventsFilter: 'task.created' })).status).toBe(200);
      }
      const kind = i % 4 === 3 ? 'plain' : FAULTS[i % 4]!;
      const latency = await offerLatency(h, base, kind === 'plain' ? seeded.workflow.sid : workflows[kind], arrivals);
      (kind === 'plain' ? plainAmongFaults : withFaultyCallback).push(latency);
    }
    const faultyMs = performance.now() - faultyStarted;
    const figures = { clean: summary(clean), plainAmongFaults: summary(plainAmongFaults), withFaultyCallback: summary(withFaultyCallback) };
    console.log(`offer latency (ms, POST to the frame at the worker) without and with faulty callbacks: ${JSON.stringify(figures)}`);
    // Not meaningfully slower: a generous absolute bound, and within a few times the clean run.
    const bound = Math.max(250, figures.clean.p99 * 4);
    expect(figures.plainAmongFaults.p99).toBeLessThan(bound);
    expect(figures.withFaultyCallback.p99).toBeLessThan(bound);
    // No backlog: the 60 faulty-phase tasks were all routed long before the first hanging callback ran out.
    expect(faultyMs).toBeLessThan(ASSIGNMENT_CALLBACK_TIMEOUT_MS);

    // Outcomes. Assignment: one callback.error per reservation, the reservation still pending.
    const errors = await until(async () => {
      const events = (await h.request('GET', `${base}/Events`, { EventType: 'callback.error', PageSize: 100 })).body.events as any[];
      return events.length >= 45 && events;
    }, ASSIGNMENT_CALLBACK_TIMEOUT_MS + 5000);
    const messages = new Map<string, Set<string>>();
    for (const event of errors) {
      const url = String(event.event_data.callback_url);
      expect(event.event_data.error_code).toBe(11200);
      messages.set(url, (messages.get(url) ?? new Set()).add(String(event.event_data.error_message)));
    }
    expect(Object.fromEntries([...messages].map(([url, m]) => [url, [...m]]))).toEqual({
      [endpoint.url('assign', 'hang')]: [`Assignment callback failed: no answer within ${ASSIGNMENT_CALLBACK_TIMEOUT_MS} ms`],
      [endpoint.url('assign', 'error')]: ['Assignment callback failed: HTTP 500'],
      [endpoint.url('assign', 'loop')]: ['Assignment callback failed: fetch failed: redirect count exceeded'],
    });
    expect(errors).toHaveLength(45);
    const pending = await h.request('GET', `${base}/Tasks`, { AssignmentStatus: 'reserved', PageSize: 200 });
    expect(pending.body.tasks).toHaveLength(100);
    expect(endpoint.hits('/assign/hang')).toBe(15);
    expect(endpoint.hits('/assign/error')).toBe(15);
    // fetch follows 20 redirects, then gives up.
    expect(endpoint.hits('/assign/loop')).toBe(15 * 21);

    // Events (one per task here): an error or a redirect loop is retried, 3 attempts, then counted as
    // failed; a hanging URL holds no more than its few senders, and holds up no other URL.
    const failed = async () => {
      const basic = Buffer.from(`${h.credentials.accountSid}:${h.credentials.authToken}`).toString('base64');
      const text = await (await fetch(`${h.url}/metrics`, { headers: { authorization: `Basic ${basic}` } })).text();
      return Number(/^switchboard_event_callbacks_failed_total (\d+)/m.exec(text)?.[1] ?? 0);
    };
    await until(async () => (await failed()) === 40, 10_000);
    expect(endpoint.hits('/event/error')).toBe(20 * 3);
    expect(endpoint.hits('/event/loop')).toBe(20 * 3 * 21);
    expect(endpoint.hits('/event/hang')).toBe(4);
    expect(endpoint.mostHanging('/event/hang')).toBe(4);
    console.log(
      `callback outcomes: assignment hang/500/redirect loop -> ${errors.length} callback.error events, 100 reservations still pending; ` +
        `events: 40 failed after 3 attempts each (500, redirect loop) while the hanging URL held ${endpoint.mostHanging('/event/hang')} of the 8 senders`,
    );
  }, 60_000);

  it('lets a hanging assignment URL hold only so many sockets: past that a callback fails at once, to the fallback', async () => {
    const endpoint = await faultyEndpoint();
    endpoints.push(endpoint);
    const accepting = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"instruction":"accept"}');
    });
    endpoints.push({ close: () => (accepting.closeAllConnections(), new Promise((resolve) => accepting.close(resolve))) });
    await new Promise<void>((resolve) => accepting.listen(0, '127.0.0.1', resolve));
    const fallbackUrl = `http://127.0.0.1:${(accepting.address() as AddressInfo).port}/accept`;

    const { h } = await startSocketHarness({}, { assignmentCallbacksPerUrl: 3 });
    const seeded = await seedWorkspace(h, { workers: 6 });
    const base = `/v1/Workspaces/${seeded.ws.sid}`;
    const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: seeded.queue.sid } } });
    const workflow = async (fallback?: string) =>
      (
        await h.request('POST', `${base}/Workflows`, {
          FriendlyName: fallback ? 'with fallback' : 'hang only',
          Configuration: configuration,
          AssignmentCallbackUrl: endpoint.url('assign', 'hang'),
          ...(fallback ? { FallbackAssignmentCallbackUrl: fallback } : {}),
        })
      ).body.sid as string;
    const [hangOnly, withFallback] = [await workflow(), await workflow(fallbackUrl)];
    const createTask = async (workflowSid: string) => (await h.request('POST', `${base}/Tasks`, { WorkflowSid: workflowSid })).body.sid as string;
    const reservationOf = async (taskSid: string) => (await h.request('GET', `${base}/Tasks/${taskSid}/Reservations`)).body.reservations[0];

    for (let i = 0; i < 3; i += 1) await createTask(hangOnly);
    await until(() => endpoint.hits('/assign/hang') === 3);
    const started = performance.now();
    const refused = await createTask(hangOnly);
    const overflow = [await createTask(withFallback), await createTask(withFallback)];
    const error = await until(async () => {
      const events = (await h.request('GET', `${base}/Events`, { EventType: 'callback.error' })).body.events as any[];
      return events.find((e) => e.event_data.task_sid === refused);
    });
    expect(error.event_data).toMatchObject({ error_code: 11200, error_message: 'Assignment callback failed: not sent: 3 earlier callbacks to this URL are still unanswered' });
    for (const taskSid of overflow) await until(async () => (await reservationOf(taskSid))?.reservation_status === 'accepted');
    const ms = Math.round(performance.now() - started);
    // Well inside the 5 s the hanging ones are given: the overflow never waited for them.
    expect(ms).toBeLessThan(ASSIGNMENT_CALLBACK_TIMEOUT_MS / 2);
    expect(endpoint.hits('/assign/hang')).toBe(3);
    expect(endpoint.mostHanging('/assign/hang')).toBe(3);
    expect((await reservationOf(refused)).reservation_status).toBe('pending');
    console.log(`a hanging assignment URL held ${endpoint.mostHanging('/assign/hang')} sockets (limit 3); past it a callback failed at once and the fallback accepted in ${ms} ms`);
  });
});
