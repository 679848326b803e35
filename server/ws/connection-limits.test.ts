/**
 * What one client may hold open on either socket path: sockets per worker, sockets per address,
 * pages of which origins, and how long an endpoint may take to answer an upgrade.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadConfig } from '../config.js';
import { closeAllHarnesses, seedWorkspace, type Harness } from '../http/test-harness.js';
import { until } from '../twilio/sdk-test-kit.js';
import { UpgradeRouter } from './upgrade-router.js';
import { connectWorker, rawUpgrade, startSocketHarness, TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

const wsBase = (h: Harness) => h.url.replace(/^http/, 'ws');

/** `switchboard_ws_refused_total` of one reason, as the hub's `/metrics` reports it. */
async function refusedMetric(h: Harness, reason: string): Promise<number> {
  const basic = Buffer.from(`${h.credentials.accountSid}:${h.credentials.authToken}`).toString('base64');
  const text = await (await fetch(`${h.url}/metrics`, { headers: { authorization: `Basic ${basic}` } })).text();
  return Number(new RegExp(`^switchboard_ws_refused_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

/** Opens an event-bridge socket as twilio-taskrouter does; resolves once it is open, with its close. */
async function bridgeSocket(url: string, options: { localAddress?: string } = {}) {
  const ws = new WebSocket(url, options);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, closed };
}

/** The status line of a refused upgrade, or `open` when the socket opened (then closed at once). */
async function upgradeOutcome(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<string> {
  return TestSocket.connect(url, { headers, ...(localAddress ? { localAddress } : {}) }).then(
    (socket) => (socket.close(), 'open'),
    (error: Error) => error.message.replace('Unexpected server response: ', ''),
  );
}

describe('sockets per worker', () => {
  it('refuses the 11th socket of one worker with a 429 reply and 4029; a replacing session gets in', async () => {
    const { h, wsUrl, sockets } = await startSocketHarness();
    const { ws, workers } = await seedWorkspace(h, { workers: 2 });
    const token = await h.token(ws.sid, workers[0].sid);
    const open = [];
    for (let i = 0; i < 10; i += 1) open.push((await connectWorker(wsUrl, token)).socket);

    const eleventh = await TestSocket.connect(wsUrl);
    const reply = await eleventh.request({ type: 'auth', token });
    expect(reply).toMatchObject({ ok: false, error: { status: 429, code: 20429, message: `Worker ${workers[0].sid} already has 10 open sockets, the most allowed` } });
    expect(await eleventh.closed).toEqual({ code: 4029, reason: 'too many sockets for this worker' });
    expect(eleventh.ofType('snapshot')).toEqual([]);
    expect(sockets.stats()).toMatchObject({ sessions: 10, tooManySockets: 1 });
    expect(await refusedMetric(h, 'per_worker')).toBe(1);

    // Another worker is not affected; a session that replaces the others takes no extra slot.
    await connectWorker(wsUrl, await h.token(ws.sid, workers[1].sid));
    const { socket: replacing } = await connectWorker(wsUrl, token, { closeExistingSessions: true });
    for (const socket of open) expect((await socket.closed).code).toBe(4000);
    expect(await replacing.request({ type: 'ping' })).toMatchObject({ ok: true });
    await until(() => sockets.sessionCount() === 2);
    console.log(`sockets per worker: 10 accepted, the 11th refused (4029); ${sockets.sessionCount()} sessions after a replace`);
  });

  it('applies the configured limit to the event-bridge path too', async () => {
    const { h } = await startSocketHarness({}, { connections: { maxSocketsPerWorker: 2 } });
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const url = `${wsBase(h)}/v1/wschannels?token=${await h.token(ws.sid, workers[0].sid)}&closeExistingSessions=false`;
    const first = await bridgeSocket(url);
    const second = await bridgeSocket(url);
    const third = await bridgeSocket(url);
    expect(await third.closed).toEqual({ code: 4029, reason: `Worker ${workers[0].sid} already has 2 open sockets, the most allowed` });
    expect(await refusedMetric(h, 'per_worker')).toBe(1);
    first.ws.close();
    await first.closed;
    const again = await bridgeSocket(url);
    // The freed slot is taken: a refusal would come before the answer to this ping.
    again.ws.ping();
    const outcome = await Promise.race([new Promise((resolve) => again.ws.once('pong', () => resolve('open'))), again.closed]);
    expect(outcome).toBe('open');
    second.ws.close();
    again.ws.close();
  });
});

describe('sockets per client address', () => {
  it('refuses sockets past the limit with 429 on both paths, counts each address alone, and frees a slot on close', async () => {
    const { h, wsUrl } = await startSocketHarness({}, { connections: { maxSocketsPerIp: 20 } });
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const bridgeUrl = `${wsBase(h)}/v1/wschannels?token=${await h.token(ws.sid, workers[0].sid)}&closeExistingSessions=false`;
    const native: TestSocket[] = [];
    for (let i = 0; i < 15; i += 1) native.push(await TestSocket.connect(wsUrl));
    const bridges = [];
    for (let i = 0; i < 5; i += 1) bridges.push(await bridgeSocket(bridgeUrl));

    expect(await upgradeOutcome(wsUrl)).toBe('429');
    expect(await upgradeOutcome(bridgeUrl)).toBe('429');
    const raw = await rawUpgrade(h.url, '/v1/sockets');
    expect(raw).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\n/);
    expect(JSON.parse(raw.split('\r\n\r\n')[1]!)).toMatchObject({ status: 429, code: 20429, message: 'More than 20 open sockets from 127.0.0.1' });
    // Another address is counted alone; REST is not a socket and is not limited.
    expect(await refusedMetric(h, 'per_address')).toBe(3);
    expect(await upgradeOutcome(wsUrl, {}, '127.0.0.2')).toBe('open');
    expect((await h.request('GET', '/v1/Workspaces')).status).toBe(200);

    native[0]!.close();
    await native[0]!.closed;
    expect(await until(async () => ((await upgradeOutcome(wsUrl)) === 'open' ? 'open' : false))).toBe('open');
    console.log('sockets per address: 20 open from 127.0.0.1 (15 native + 5 event-bridge), the 21st refused with 429; 127.0.0.2 unaffected');
    for (const socket of native) socket.close();
    for (const bridge of bridges) bridge.ws.close();
  });
});

describe('Origin allow-list', () => {
  it('refuses pages of other origins with 403 on both paths, and lets non-browser clients and the hub’s own pages in', async () => {
    const { h, wsUrl } = await startSocketHarness({}, { connections: { allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] } });
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const bridgeUrl = `${wsBase(h)}/v1/wschannels?token=${await h.token(ws.sid, workers[0].sid)}&closeExistingSessions=true`;
    const outcomes: Record<string, string[]> = {};
    for (const [name, headers] of [
      ['another origin', { Origin: 'https://evil.example' }],
      ['a lookalike', { Origin: 'https://app.example.com.evil.example' }],
      ['a malformed origin', { Origin: 'null' }],
      ['an allowed origin', { Origin: 'https://app.example.com' }],
      ['an allowed origin in other case', { Origin: 'HTTP://LOCALHOST:5173' }],
      ['the hub’s own pages', { Origin: h.url }],
      ['no Origin (not a browser)', {}],
    ] as Array<[string, Record<string, string>]>) {
      outcomes[name] = [await upgradeOutcome(wsUrl, headers), await upgradeOutcome(bridgeUrl, headers)];
    }
    expect(outcomes).toEqual({
      'another origin': ['403', '403'],
      'a lookalike': ['403', '403'],
      'a malformed origin': ['403', '403'],
      'an allowed origin': ['open', 'open'],
      'an allowed origin in other case': ['open', 'open'],
      'the hub’s own pages': ['open', 'open'],
      'no Origin (not a browser)': ['open', 'open'],
    });
    const raw = await rawUpgrade(h.url, '/v1/sockets', { Origin: 'https://evil.example' });
    expect(raw).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(JSON.parse(raw.split('\r\n\r\n')[1]!)).toMatchObject({ status: 403, code: 20403, message: 'Sockets from pages of https://evil.example are not allowed' });
    expect(await refusedMetric(h, 'origin')).toBe(7);
    console.log('Origin allow-list (native, event bridge):', JSON.stringify(outcomes));
  });

  it('allows every origin when no list is configured', async () => {
    const { wsUrl } = await startSocketHarness();
    expect(await upgradeOutcome(wsUrl, { Origin: 'https://anywhere.example' })).toBe('open');
  });
});

describe('upgrade handshake deadline', () => {
  it('cuts a connection whose endpoint neither accepts nor refuses the upgrade in time; a failing endpoint answers 500', async () => {
    const server = http.createServer();
    const router = new UpgradeRouter(server, { handshakeTimeoutMs: 200 });
    router.route('/stuck', () => new Promise<void>(() => undefined));
    router.route('/broken', () => {
      throw new Error('boom');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const started = performance.now();
      const stuck = await rawUpgrade(url, '/stuck');
      const ms = Math.round(performance.now() - started);
      expect(stuck).toBe('');
      expect(ms).toBeGreaterThanOrEqual(190);
      expect(ms).toBeLessThan(2000);
      expect(router.stats().handshakeTimeouts).toBe(1);
      await until(() => router.socketsFrom('127.0.0.1') === 0);
      expect(await rawUpgrade(url, '/broken')).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
      // A client that resets mid-handshake costs nothing but its connection (and frees its slot).
      const reset = net.connect(Number(new URL(url).port), '127.0.0.1');
      reset.on('error', () => undefined);
      reset.write('GET /stuck HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      await until(() => router.socketsFrom('127.0.0.1') === 1);
      reset.resetAndDestroy();
      await until(() => router.socketsFrom('127.0.0.1') === 0);
      console.log(`handshake deadline: a stuck upgrade was cut after ${ms} ms (limit 200 ms)`);
    } finally {
      router.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('connection limits from the environment', () => {
  it('reads each variable and names a bad one', () => {
    const env = {
      SWITCHBOARD_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173',
      SWITCHBOARD_MAX_SOCKETS_PER_WORKER: '3',
      SWITCHBOARD_MAX_SOCKETS_PER_IP: '0',
      SWITCHBOARD_HEADERS_TIMEOUT_MS: '5000',
      SWITCHBOARD_REQUEST_TIMEOUT_MS: '20000',
      SWITCHBOARD_KEEP_ALIVE_TIMEOUT_MS: '65000',
      SWITCHBOARD_HANDSHAKE_TIMEOUT_MS: '3000',
    };
    expect(loadConfig(env).connections).toEqual({
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
      maxSocketsPerWorker: 3,
      maxSocketsPerIp: 0,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 20000,
      keepAliveTimeoutMs: 65000,
      handshakeTimeoutMs: 3000,
    });
    expect(() => loadConfig({ SWITCHBOARD_ALLOWED_ORIGINS: 'https://app.example.com/path' })).toThrow(
      'SWITCHBOARD_ALLOWED_ORIGINS must be a comma-separated list of origins such as https://app.example.com, got "https://app.example.com/path"',
    );
    expect(() => loadConfig({ SWITCHBOARD_MAX_SOCKETS_PER_WORKER: '0' })).toThrow('SWITCHBOARD_MAX_SOCKETS_PER_WORKER must be an integer from 1 to 1000, got "0"');
    expect(() => loadConfig({ SWITCHBOARD_HEADERS_TIMEOUT_MS: 'soon' })).toThrow('SWITCHBOARD_HEADERS_TIMEOUT_MS must be an integer');
    expect(() => loadConfig({ SWITCHBOARD_HEADERS_TIMEOUT_MS: '40000' })).toThrow(
      'SWITCHBOARD_HEADERS_TIMEOUT_MS (40000) must not be longer than SWITCHBOARD_REQUEST_TIMEOUT_MS (30000)',
    );
  });
});
