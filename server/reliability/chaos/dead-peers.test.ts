/**
 * Dead peers through the chaos proxy: a connection black-holed in one or both directions (half-open:
 * nothing passes, nothing closes, as when a route dies) is found dead by the hub (its ping goes
 * unanswered) and by the SDK (no frame arrives) within two heartbeat intervals, and the SDK comes
 * back over a fresh connection. Both sides run their default rule, with a short interval.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '../../../client/sdk/index.js';
import { closeAllHarnesses, seedWorkspace, type Harness } from '../../http/test-harness.js';
import type { WorkerSockets } from '../../ws/attach.js';
import { startSocketHarness } from '../../ws/ws-test-client.js';
import { eventually, table } from '../support.js';
import { nextEvent, startSdkWorker } from './sdk-worker.js';
import { ChaosProxy, type Direction } from './tcp-proxy.js';

/** The hub's ping interval and the SDK's: one heartbeat. */
const HEARTBEAT_MS = 300;
/** Timer lateness and polling allowed on a busy machine. */
const SLACK_MS = 200;
const BOUND_MS = 2 * HEARTBEAT_MS + SLACK_MS;

let h: Harness;
let sockets: WorkerSockets;
let proxy: ChaosProxy;
let worker: Worker;

beforeAll(async () => {
  ({ h, sockets } = await startSocketHarness({ pingIntervalMs: HEARTBEAT_MS }));
  const seed = await seedWorkspace(h, { workers: 1 });
  proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: Number(new URL(h.url).port) } });
  // Only the ping interval is set: the SDK's dead line follows from it.
  worker = await startSdkWorker(proxy.url, await h.token(seed.ws.sid, seed.workers[0].sid), { pingIntervalMs: HEARTBEAT_MS });
});
afterAll(async () => {
  worker.disconnect();
  await proxy.close();
  await closeAllHarnesses();
});

describe('dead peers behind a black hole', () => {
  it('the hub and the SDK each detect a half-open connection within two heartbeats, then the SDK reconnects', async () => {
    const rounds: Direction[] = ['both', 'down', 'up', 'both', 'down', 'up', 'both', 'both'];
    const rows: string[][] = [];
    const worst = { hub: 0, sdk: 0 };
    for (const [i, direction] of rounds.entries()) {
      await eventually(() => worker.connectionState === 'connected' && sockets.sessionCount() === 1, 5000, 'one live session');
      const link = proxy.links().at(-1)!;
      const cutsBefore = sockets.stats().deadPeersCut;
      const down = nextEvent(worker, 'disconnected', 5000);
      const back = nextEvent(worker, 'connected', 10_000);
      const cutAt = performance.now();
      link.blackHole(direction);

      const hubSeen = eventually(() => sockets.stats().deadPeersCut > cutsBefore, 5000, 'the hub to cut the dead peer').then(() => performance.now() - cutAt);
      const sdkSeen = down.then((info) => ({ ms: performance.now() - cutAt, code: info.code }));
      const [hubMs, sdk] = await Promise.all([hubSeen, sdkSeen]);
      await back;
      const reconnectMs = performance.now() - cutAt;
      link.reset();

      rows.push([String(i + 1), direction, hubMs.toFixed(0), sdk.ms.toFixed(0), String(sdk.code), reconnectMs.toFixed(0)]);
      worst.hub = Math.max(worst.hub, hubMs);
      worst.sdk = Math.max(worst.sdk, sdk.ms);
      // With the replies held, only the SDK's own keep-alive can tell it; with only the way up held, the hub's cut may tell it first.
      if (direction !== 'up') expect(sdk.code).toBe(4900);
      expect(sockets.stats().deadPeersCut).toBe(cutsBefore + 1);
    }
    console.log(`dead peers, heartbeat ${HEARTBEAT_MS} ms (bound 2 x ${HEARTBEAT_MS} + ${SLACK_MS} ms), times from the black hole:\n${table(['round', 'held', 'hub ms', 'sdk ms', 'sdk code', 'back ms'], rows)}`);
    console.log(`dead peers: hub worst ${worst.hub.toFixed(0)} ms, SDK worst ${worst.sdk.toFixed(0)} ms over ${rounds.length} rounds`);
    expect(worst.hub).toBeLessThanOrEqual(BOUND_MS);
    expect(worst.sdk).toBeLessThanOrEqual(BOUND_MS);
  }, 60_000);
});
