/**
 * A hundred clients that authenticate and then stop reading while the hub keeps pushing to them:
 * each is cut off once its send buffer passes the limit, the hub's heap comes back to where it
 * was, and a worker that reads is served as before.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { MemoryStore } from '../store/memory-store.js';
import { until } from '../twilio/sdk-test-kit.js';
import { connectWorker, startSocketHarness, type TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

const SLOW_CLIENTS = 100;
const MAX_BUFFERED_BYTES = 1024 * 1024;
const MB = 1024 * 1024;

/** A full garbage collection, made available at run time (vitest runs without `--expose-gc`). */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('clients that stop reading', () => {
  it(`cuts off ${SLOW_CLIENTS} of them and the hub's heap stays flat`, async () => {
    const gc = collector();
    const store = new MemoryStore();
    const { h, wsUrl, sockets } = await startSocketHarness({ maxBufferedBytes: MAX_BUFFERED_BYTES, closeGraceMs: 500 }, { store });
    const { ws, workers } = await seedWorkspace(h, { workers: SLOW_CLIENTS + 1 });
    const [reader, ...stuck] = workers.map((w) => w.sid as string);
    const { socket: healthy } = await connectWorker(wsUrl, await h.token(ws.sid, reader!));
    const slow: TestSocket[] = [];
    for (const sid of stuck) slow.push((await connectWorker(wsUrl, await h.token(ws.sid, sid))).socket);
    let rounds = 0;
    const pushRound = async () => {
      rounds += 1;
      const pad = 'x'.repeat(4000);
      for (const sid of stuck) h.hub.dispatchNow(ws.sid, { type: 'worker.update', sid, attributes: JSON.stringify({ rounds, pad }) });
      await h.hub.flush();
      // The event history is kept on purpose (with its own retention); leave it out of the figures.
      await store.purgeEvents(Number.POSITIVE_INFINITY);
    };
    // Warm up while everyone reads, so compiled code and pools are in the baseline.
    for (let i = 0; i < 20; i += 1) await pushRound();
    await until(() => slow.every((s) => s.ofType('attributes.update').length === 20));
    for (const socket of slow) socket.tcp!.pause();

    gc();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let pushedBytes = 0;
    // Each round pushes ~4 KB to every stuck worker still connected; the kernel's buffers fill first, then ours.
    while (sockets.stats().slowConsumersCut < SLOW_CLIENTS && rounds < 2000) {
      pushedBytes += 4000 * (SLOW_CLIENTS - sockets.stats().slowConsumersCut);
      await pushRound();
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
    expect(sockets.stats().slowConsumersCut).toBe(SLOW_CLIENTS);
    expect(sockets.sessionCount()).toBe(1);
    // Cut off means gone: after the close grace the hub has closed every stuck connection (a few REST ones may stay).
    const connections = () => new Promise<number>((resolve) => h.running.server.getConnections((_, n) => resolve(n)));
    await until(async () => (await connections()) < 10, 10_000);

    gc();
    const after = process.memoryUsage();
    const figures = {
      heapBeforeMB: +(before.heapUsed / MB).toFixed(1),
      heapPeakGrowthMB: +((peakHeap - before.heapUsed) / MB).toFixed(1),
      heapGrowthAfterMB: +((after.heapUsed - before.heapUsed) / MB).toFixed(1),
      rssGrowthMB: +((after.rss - before.rss) / MB).toFixed(1),
      pushedPerClientMB: +(pushedBytes / SLOW_CLIENTS / MB).toFixed(1),
      rounds,
    };
    console.log(`${SLOW_CLIENTS} clients that stop reading: all cut off (4008);`, JSON.stringify(figures));
    // Flat: what the stuck clients cost (about 100 MB at the peak) is gone once they are; on the way, bounded by the per-socket limit.
    expect(figures.heapGrowthAfterMB).toBeLessThan(16);
    expect(figures.heapPeakGrowthMB).toBeLessThan((SLOW_CLIENTS * MAX_BUFFERED_BYTES) / MB + 64);

    // The reader was never at risk.
    expect(await healthy.request({ type: 'ping' })).toMatchObject({ ok: true });
    const res = await h.request('POST', `/v1/Workspaces/${ws.sid}/Workers/${reader}`, { Attributes: '{"ok":true}' });
    expect(res.status).toBe(200);
    expect(await healthy.waitForType('attributes.update', (f) => f.worker.attributes === '{"ok":true}')).toBeTruthy();
    for (const socket of slow) socket.tcp!.destroy();
  }, 120_000);
});
