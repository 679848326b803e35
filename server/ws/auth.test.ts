/** The socket's handshake: auth first, tokens checked, the deadline, and the token's lifetime. */
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerToken } from '../auth/tokens.js';
import { closeAllHarnesses, seedWorkspace, TEST_CREDENTIALS } from '../http/test-harness.js';
import { connectWorker, rawUpgrade, startSocketHarness, TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

describe('worker socket authentication', () => {
  it('answers every frame before auth with a 401 reply and nothing else', async () => {
    const { h, wsUrl, sockets } = await startSocketHarness();
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const socket = await TestSocket.connect(wsUrl);
    const ping = await socket.request({ type: 'ping' });
    expect(ping).toMatchObject({ ok: false, error: { status: 401, code: 20003 } });
    const accept = await socket.request({ type: 'reservation.accept', reservationSid: 'WR' + '0'.repeat(32) });
    expect(accept).toMatchObject({ ok: false, error: { status: 401 } });
    expect(socket.frames.map((f) => f.type)).toEqual(['reply', 'reply']);
    expect(sockets.sessionCount()).toBe(0);

    const auth = await socket.request({ type: 'auth', token: await h.token(ws.sid, workers[0].sid) });
    expect(auth).toMatchObject({ ok: true, data: { worker_sid: workers[0].sid, workspace_sid: ws.sid } });
    expect(socket.frames.map((f) => f.type)).toEqual(['reply', 'reply', 'snapshot', 'reply']);
    expect(await socket.request({ type: 'ping' })).toMatchObject({ ok: true });
    expect(sockets.sessionCount()).toBe(1);
    expect(socket.invalid).toEqual([]);
  });

  it('refuses forged, expired and foreign tokens and closes with 4401', async () => {
    const { h, wsUrl } = await startSocketHarness();
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const good = await h.token(ws.sid, workers[0].sid);
    const [header, payload] = good.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    const otherAccount = await createWorkerToken({
      credentials: { ...TEST_CREDENTIALS, authToken: 'another-secret-0123456789abcdef' },
      workspaceSid: ws.sid,
      workerSid: workers[0].sid,
    });
    const expired = await h.token(ws.sid, workers[0].sid, { ttl: 60, now: Math.floor(Date.now() / 1000) - 3600 });
    for (const [token, reason] of [[forged, 'unauthorized'], [otherAccount, 'unauthorized'], [expired, 'token expired'], ['garbage', 'unauthorized']] as const) {
      const socket = await TestSocket.connect(wsUrl);
      const reply = await socket.request({ type: 'auth', token });
      expect(reply).toMatchObject({ ok: false, error: { status: 401 } });
      expect(await socket.closed).toEqual({ code: 4401, reason });
      expect(socket.ofType('snapshot')).toEqual([]);
    }
  });

  it('refuses a valid token whose worker does not exist (4004)', async () => {
    const { h, wsUrl } = await startSocketHarness();
    const { ws } = await seedWorkspace(h, { workers: 1 });
    const socket = await TestSocket.connect(wsUrl);
    const reply = await socket.request({ type: 'auth', token: await h.token(ws.sid, 'WK' + 'f'.repeat(32)) });
    expect(reply).toMatchObject({ ok: false, error: { status: 404 } });
    expect((await socket.closed).code).toBe(4004);
  });

  it('ignores a token in the URL: the socket still has to authenticate', async () => {
    const { h, wsUrl } = await startSocketHarness();
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const token = await h.token(ws.sid, workers[0].sid);
    const socket = await TestSocket.connect(`${wsUrl}?token=${token}&access_token=${token}`);
    expect(await socket.request({ type: 'ping' })).toMatchObject({ ok: false, error: { status: 401 } });
  });

  it('closes a socket that never authenticates with 4001', async () => {
    const { wsUrl, sockets } = await startSocketHarness({ authTimeoutMs: 100 });
    const started = performance.now();
    const socket = await TestSocket.connect(wsUrl);
    expect(await socket.closed).toEqual({ code: 4001, reason: 'authentication timeout' });
    const ms = Math.round(performance.now() - started);
    expect(ms).toBeGreaterThanOrEqual(90);
    expect(sockets.stats().sockets).toBe(0);
    console.log(`auth deadline: a socket that never authenticated was closed with 4001 after ${ms} ms (deadline 100 ms)`);
  });

  it('answers an upgrade on an unknown path with a 404 in Twilio’s error shape', async () => {
    const { h } = await startSocketHarness();
    const refused = await TestSocket.connect(`${h.url.replace(/^http/, 'ws')}/v1/nowhere`).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(refused).toBe('Unexpected server response: 404');
    // The raw answer: a complete HTTP response, then the connection closes.
    const raw = await rawUpgrade(h.url, '/v1/nowhere');
    expect(raw).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(JSON.parse(raw.split('\r\n\r\n')[1]!)).toMatchObject({ status: 404, code: 20404, message: 'No WebSocket endpoint at /v1/nowhere' });
  });

  it('warns before the token expires, swaps it with token.update, and closes 4401 at expiry', async () => {
    const { h, wsUrl } = await startSocketHarness({ tokenWarningMs: 1500 });
    const { ws, workers } = await seedWorkspace(h, { workers: 2 });
    const { socket, snapshot } = await connectWorker(wsUrl, await h.token(ws.sid, workers[0].sid, { ttl: 2 }));
    const firstExpiry = Date.parse(snapshot.token_expires_at);
    const warning = await socket.waitForType('token.expiring', undefined, 3000);
    expect(warning).toEqual({ type: 'token.expiring', expires_at: snapshot.token_expires_at });

    const foreign = await socket.request({ type: 'token.update', token: await h.token(ws.sid, workers[1].sid) });
    expect(foreign).toMatchObject({ ok: false, error: { status: 403 } });
    const bad = await socket.request({ type: 'token.update', token: 'garbage' });
    expect(bad).toMatchObject({ ok: false, error: { status: 401 } });
    const renewed = await socket.request({ type: 'token.update', token: await h.token(ws.sid, workers[0].sid, { ttl: 3600 }) });
    expect(renewed.ok).toBe(true);
    expect(Date.parse((renewed as { data: { token_expires_at: string } }).data.token_expires_at)).toBeGreaterThan(firstExpiry);

    // Past the first token's expiry the session lives on, on the new token.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstExpiry - Date.now()) + 300));
    expect(await socket.request({ type: 'ping' })).toMatchObject({ ok: true });

    const { socket: short } = await connectWorker(wsUrl, await h.token(ws.sid, workers[1].sid, { ttl: 2 }));
    expect(await short.closed).toEqual({ code: 4401, reason: 'token expired' });
    expect(short.ofType('token.expiring')).toHaveLength(1);
  });
});
