/**
 * What keeps the hub healthy whatever the peers do: dead peers are cut by the keep-alive, a client
 * that stops reading is cut before it can grow the hub's memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

describe('worker socket liveness', () => {
  it('cuts a peer that stops answering pings, and keeps one that answers', async () => {
    const { h, wsUrl, sockets } = await startSocketHarness({ pingIntervalMs: 100 });
    const { ws, workers } = await seedWorkspace(h, { workers: 1 });
    const token = await h.token(ws.sid, workers[0].sid);
    const { socket: healthy } = await connectWorker(wsUrl, token);
    const mute = await TestSocket.connect(wsUrl, { autoPong: false });
    expect(await mute.request({ type: 'auth', token })).toMatchObject({ ok: true });
    expect((await mute.closed).code).toBe(1006);
    expect(sockets.stats().deadPeersCut).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await healthy.request({ type: 'ping' })).toMatchObject({ ok: true });
    expect(sockets.sessionCount()).toBe(1);
  });

  it('cuts off a client that stops reading once its send buffer passes the limit', async () => {
    const { h, wsUrl, sockets } = await startSocketHarness({ maxBufferedBytes: 256 * 1024, closeGraceMs: 5000 });
    const { ws, workers } = await seedWorkspace(h, { workers: 2 });
    const [slowWorker, otherWorker] = [workers[0].sid, workers[1].sid];
    const { socket: slow } = await connectWorker(wsUrl, await h.token(ws.sid, slowWorker));
    const { socket: other } = await connectWorker(wsUrl, await h.token(ws.sid, otherWorker));
    slow.tcp!.pause();

    // Each update pushes ~5 KB to the slow worker; the kernel's buffers fill first, then ours.
    for (let round = 0; round < 200 && sockets.stats().slowConsumersCut === 0; round += 1) {
      for (let i = 0; i < 50; i += 1) {
        const attributes = JSON.stringify({ round, i, pad: 'x'.repeat(4000) });
        h.hub.dispatchNow(ws.sid, { type: 'worker.update', sid: slowWorker, attributes });
      }
      await h.hub.flush();
    }
    expect(sockets.stats().slowConsumersCut).toBe(1);
    expect(sockets.sessionCount()).toBe(1);
    console.log(`send buffer: a client that stopped reading was cut off (limit ${256 * 1024} bytes)`);
    // A client that reads again gets what was already queued, then learns why it was closed.
    slow.tcp!.resume();
    expect(await slow.closed).toEqual({ code: 4008, reason: 'send buffer full' });
    // Everyone else is served as before.
    expect(await other.request({ type: 'ping' })).toMatchObject({ ok: true });
    const res = await h.request('POST', `/v1/Workspaces/${ws.sid}/Workers/${otherWorker}`, { Attributes: '{"ok":true}' });
    expect(res.status).toBe(200);
    expect(await other.waitForType('attributes.update')).toMatchObject({ worker: { attributes: '{"ok":true}' } });
  });
});
