/**
 * Slowloris: a thousand connections that send their request a byte at a time (or not at all) are
 * all dropped once the header or request deadline passes, while healthy REST traffic and open
 * worker sockets are served as before.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWorker, startSocketHarness } from '../ws/ws-test-client.js';
import { closeAllHarnesses, seedWorkspace, TEST_CREDENTIALS } from './test-harness.js';

afterEach(closeAllHarnesses);

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const BASIC = Buffer.from(`${TEST_CREDENTIALS.accountSid}:${TEST_CREDENTIALS.authToken}`).toString('base64');
/** Node checks the deadlines every quarter of the header timeout; a loaded machine (and the listen backlog) adds some. */
const SLACK_MS = 3000;

/** What an attacking connection sends before it starts to dribble, and what it dribbles. */
const KINDS = {
  /** Headers of a REST request, never finished. */
  headers: { count: 600, opening: 'GET /v1/Workspaces HTTP/1.1\r\nHost: hub\r\nX-Slow: ', drip: 'a' },
  /** Headers of a socket upgrade, never finished. */
  upgrade: { count: 200, opening: 'GET /v1/sockets HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: ', drip: 'a' },
  /** Complete headers with good credentials, then a body that never finishes. */
  body: {
    count: 150,
    opening: `POST /v1/Workspaces HTTP/1.1\r\nHost: hub\r\nAuthorization: Basic ${BASIC}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n`,
    drip: 'F',
  },
  /** Connects and says nothing. */
  silent: { count: 50, opening: '', drip: '' },
} as const;

interface Attacker {
  kind: keyof typeof KINDS;
  socket: net.Socket;
  opened: number;
  /** How long the hub let it live (ms), once it closed. */
  lived?: number;
  answer: string;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Opens one attacking connection; resolves once connected. */
function attack(port: number, kind: keyof typeof KINDS): Promise<Attacker> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const attacker: Attacker = { kind, socket, opened: 0, answer: '' };
    socket.on('data', (chunk) => (attacker.answer += chunk.toString('latin1')));
    socket.on('close', () => (attacker.lived = performance.now() - attacker.opened));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      attacker.opened = performance.now();
      if (KINDS[kind].opening) socket.write(KINDS[kind].opening);
      resolve(attacker);
    });
  });
}

describe('slow clients', () => {
  it('drops 1,000 slowloris connections within the deadlines while REST and sockets keep their latency', async () => {
    const { h, wsUrl } = await startSocketHarness({}, { connections: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS } });
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const { socket: agent } = await connectWorker(wsUrl, await h.token(ws.sid, workers[0].sid));
    const healthy = async () => {
      const started = performance.now();
      const res = await h.request('GET', `/v1/Workspaces/${ws.sid}/Workers`);
      expect(res.status).toBe(200);
      return performance.now() - started;
    };
    const before: number[] = [];
    for (let i = 0; i < 100; i += 1) before.push(await healthy());

    const port = Number(new URL(h.url).port);
    const attackers: Attacker[] = [];
    const attackStarted = performance.now();
    for (const kind of Object.keys(KINDS) as Array<keyof typeof KINDS>) {
      // In batches, so the listen backlog never overflows into SYN retries.
      for (let left = KINDS[kind].count; left > 0; left -= 100) {
        attackers.push(...(await Promise.all(Array.from({ length: Math.min(100, left) }, () => attack(port, kind)))));
      }
    }
    const opened = round(performance.now() - attackStarted);
    // A byte per connection every 200 ms: each one keeps showing signs of life.
    const drip = setInterval(() => {
      for (const a of attackers) if (a.lived === undefined && KINDS[a.kind].drip) a.socket.write(KINDS[a.kind].drip);
    }, 200);

    const during: number[] = [];
    try {
      while (attackers.some((a) => a.lived === undefined)) {
        during.push(await healthy());
        if (performance.now() - attackStarted > REQUEST_TIMEOUT_MS * 4 + 10_000) break;
      }
    } finally {
      clearInterval(drip);
    }
    const alive = attackers.filter((a) => a.lived === undefined);
    for (const a of alive) a.socket.destroy();
    expect(alive.length, 'connections still open long after the deadlines').toBe(0);

    const lived = (kind: keyof typeof KINDS) => attackers.filter((a) => a.kind === kind).map((a) => a.lived!);
    const worst = {
      headers: Math.max(...lived('headers'), ...lived('upgrade'), ...lived('silent')),
      body: Math.max(...lived('body')),
    };
    expect(worst.headers).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(worst.body).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    // None got past its deadline by dribbling, and none was dropped before it (the hub cut them, not a crash).
    expect(Math.min(...lived('headers'), ...lived('upgrade'), ...lived('silent'))).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(Math.min(...lived('body'))).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    const answered408 = attackers.filter((a) => a.answer.startsWith('HTTP/1.1 408')).length;
    expect(answered408).toBeGreaterThan(attackers.length * 0.9);

    // Healthy traffic: served throughout, and the worker's socket was not touched by the deadlines.
    const p = (values: number[]) => ({ p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) });
    const figures = { before: p(before), during: p(during) };
    expect(during.length).toBeGreaterThan(20);
    expect(figures.during.p99).toBeLessThan(Math.max(250, figures.before.p99 * 10));
    expect(await agent.request({ type: 'ping' })).toMatchObject({ ok: true });
    console.log(
      `slowloris: ${attackers.length} connections opened in ${opened} ms, all dropped by the hub ` +
        `(worst ${round(worst.headers)} ms for header deadline ${HEADERS_TIMEOUT_MS} ms, ${round(worst.body)} ms for request deadline ${REQUEST_TIMEOUT_MS} ms; ` +
        `${answered408} answered 408); healthy GET latency ms before ${JSON.stringify(figures.before)}, during ${JSON.stringify(figures.during)} over ${during.length} requests`,
    );
  }, 60_000);

  it('closes an idle keep-alive connection after the keep-alive timeout, not before', async () => {
    const { h } = await startSocketHarness({}, { connections: { keepAliveTimeoutMs: 300 } });
    const { port } = new URL(h.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
    socket.write('GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n');
    await new Promise<void>((resolve) => socket.on('data', () => resolve()));
    const answered = performance.now();
    const idleMs = Math.round((await closed) - answered);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.toLowerCase()).toContain('keep-alive: timeout=');
    expect(idleMs).toBeGreaterThanOrEqual(250);
    // Node keeps the socket a second past the timeout it announces, so that clients close first.
    expect(idleMs).toBeLessThan(2500);
    console.log(`keep-alive: an idle connection was closed ${idleMs} ms after its answer (timeout 300 ms)`);
  });
});
