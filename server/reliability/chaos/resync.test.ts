/**
 * Resync under network chaos: SDK workers reach a real hub through the chaos proxy (latency,
 * jitter, resets, black holes, short outages that heal late, drop-everything) while tasks are
 * created and canceled over REST, offered to three workers at a time, accepted, rejected, rescinded,
 * wrapped and completed, and activities flip from both the pages and REST. Once the chaos stops,
 * every page shows the hub's truth (fetched over REST), no task was ever given to two workers, and
 * a final drop of every connection resyncs to the same truth.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from '../../../client/sdk/index.js';
import { closeAllHarnesses, seedWorkspace } from '../../http/test-harness.js';
import { startSocketHarness } from '../../ws/ws-test-client.js';
import { eventually, table } from '../support.js';
import { ChaosAgent, newTally } from './chaos-agent.js';
import { LinkChaos } from './link-chaos.js';
import { Prng } from '../simulation/prng.js';
import { startSdkWorker } from './sdk-worker.js';
import { ChaosProxy } from './tcp-proxy.js';
import { hubViews, mismatches, restGet, type WorkerView } from './worker-view.js';

const LONG = process.env['SWITCHBOARD_LONG'] === '1';
const SEED = Number(process.env['SWITCHBOARD_CHAOS_SEED'] ?? 20_261_128);
const WORKERS = 16;
const TASKS = LONG ? 1500 : 200;
const HEARTBEAT_MS = 300;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await closeAllHarnesses();
});

/** Waits until every page shows `truth`; on timeout, fails with the pages that do not. */
async function converged(workers: Worker[], truth: Map<string, WorkerView>, timeoutMs: number): Promise<void> {
  try {
    await eventually(() => workers.every((w) => w.connectionState === 'connected') && mismatches(truth, workers).length === 0, timeoutMs, 'every page to show the truth');
  } catch (error) {
    const states = workers.map((w) => w.connectionState).filter((s) => s !== 'connected');
    throw new Error(`${(error as Error).message}; not connected: ${states.length}; mismatches: ${JSON.stringify(mismatches(truth, workers), null, 1)}`);
  }
}

describe('resync under network chaos', () => {
  it('after resets, black holes and jitter during offers, accepts, rescinds and activity changes, every page shows the truth; never double-assigned', async () => {
    const prng = new Prng(SEED);
    const random = () => prng.next();
    const { h } = await startSocketHarness({ pingIntervalMs: HEARTBEAT_MS, messagesPerSecond: 1000 });
    const seed = await seedWorkspace(h, { workers: WORKERS, maxReservedWorkers: 3 });
    const wsSid: string = seed.ws.sid;
    const base = `/v1/Workspaces/${wsSid}`;
    const get = restGet(h.url, h.credentials.accountSid, h.credentials.authToken);
    const activities: any[] = (await get(`${base}/Activities`)).activities;
    const unavailable: string = activities.find((a) => a.friendly_name === 'Unavailable').sid;

    const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: Number(new URL(h.url).port) }, delay: { latencyMs: 5, jitterMs: 20 }, random });
    cleanups.push(() => proxy.close());
    const timings = { pingIntervalMs: HEARTBEAT_MS, requestTimeoutMs: 2000, backoff: { baseMs: 100, maxMs: 1000 } };
    const workers = await Promise.all(seed.workers.map(async (w) => startSdkWorker(proxy.url, await h.token(wsSid, w.sid), timings)));
    cleanups.push(() => workers.forEach((w) => w.disconnect()));

    // What the pages saw: who accepted each task, offers, rescinds and reconnects.
    const acceptedBy = new Map<string, Set<string>>();
    const seen = { offers: 0, rescinds: 0, reconnects: 0 };
    for (const w of workers) {
      w.on('reservation.created', () => (seen.offers += 1));
      w.on('reservation.rescinded', () => (seen.rescinds += 1));
      w.on('connected', () => (seen.reconnects += 1));
      w.on('reservation.accepted', (r) => {
        const set = acceptedBy.get(r.task.sid) ?? new Set<string>();
        acceptedBy.set(r.task.sid, set.add(w.sid));
      });
    }

    const tally = newTally();
    const agents = workers.map((w) => new ChaosAgent(w, { available: seed.available.sid, unavailable }, random, tally));
    const agentTimer = setInterval(() => {
      const now = Date.now();
      for (const agent of agents) agent.tick(now);
    }, 25);
    cleanups.push(() => clearInterval(agentTimer));

    // The REST side, straight to the hub: tasks arrive, some are canceled, some activities move.
    const rest = { created: 0, canceled: 0, activityMoves: 0 };
    const taskSids: string[] = [];
    const restCalls = new Set<Promise<unknown>>();
    const call = (promise: Promise<unknown>) => {
      restCalls.add(promise);
      void promise.finally(() => restCalls.delete(promise));
    };
    const driverTimer = setInterval(() => {
      if (rest.created >= TASKS) return;
      const roll = random();
      if (roll < 0.75) {
        rest.created += 1;
        call(h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid, Attributes: JSON.stringify({ n: rest.created }) }).then((r) => taskSids.push(r.body.sid)));
      } else if (roll < 0.85 && taskSids.length > 0) {
        const sid = taskSids[Math.max(0, taskSids.length - 1 - Math.floor(random() * 10))]!;
        call(h.request('POST', `${base}/Tasks/${sid}`, { AssignmentStatus: 'canceled' }).then((r) => void (r.status === 200 && (rest.canceled += 1))));
      } else {
        const w = seed.workers[Math.floor(random() * WORKERS)];
        call(h.request('POST', `${base}/Workers/${w.sid}`, { ActivitySid: random() < 0.6 ? seed.available.sid : unavailable }).then((r) => void (r.status === 200 && (rest.activityMoves += 1))));
      }
    }, 30);
    cleanups.push(() => clearInterval(driverTimer));

    const chaos = new LinkChaos(proxy, random, 100);
    cleanups.push(() => chaos.stop());
    const chaosStarted = performance.now();
    await eventually(() => rest.created >= TASKS, 120_000, `${TASKS} tasks to be created`);
    const chaosMs = performance.now() - chaosStarted;

    // The chaos stops; what is in flight finishes (or fails) and the hub is left alone.
    clearInterval(driverTimer);
    const counts = chaos.stop();
    const stoppedAt = performance.now();
    clearInterval(agentTimer);
    while (restCalls.size > 0) await Promise.allSettled([...restCalls]);
    await Promise.all(agents.map((a) => a.settled()));
    await h.hub.flush();

    const truth = await hubViews(get, wsSid);
    await converged(workers, truth, 10_000);
    const convergeMs = performance.now() - stoppedAt;

    // Never double-assigned, on the hub or on the pages.
    let assigned = 0;
    const tasks: any[] = [];
    for (let page = await get(`${base}/Tasks?PageSize=1000`); ; page = await get(page.meta.next_page_url)) {
      tasks.push(...page.tasks);
      if (!page.meta.next_page_url) break;
    }
    for (const task of tasks) {
      const reservations: any[] = (await get(`${base}/Tasks/${task.sid}/Reservations?PageSize=100`)).reservations;
      const holders = reservations.filter((r) => ['accepted', 'wrapping', 'completed'].includes(r.reservation_status));
      expect(holders.length, `task ${task.sid}`).toBeLessThanOrEqual(1);
      if (['assigned', 'wrapping', 'completed'].includes(task.assignment_status)) {
        expect(holders.length, `task ${task.sid}`).toBe(1);
        assigned += 1;
      }
      const onPages = acceptedBy.get(task.sid);
      if (onPages) expect([...onPages], `pages that accepted ${task.sid}`).toEqual([holders[0]?.worker_sid]);
    }
    for (const w of seed.workers) {
      expect((await get(`${base}/Workers/${w.sid}/Channels/default`)).assigned_tasks).toBeLessThanOrEqual(1);
    }

    // Every connection drops at once: each page resyncs from its snapshot alone, to the same truth.
    const reconnected = new Set<string>();
    for (const w of workers) w.once('connected', () => reconnected.add(w.sid));
    const dropAt = performance.now();
    expect(proxy.dropAll()).toBeGreaterThanOrEqual(WORKERS);
    await eventually(() => reconnected.size === WORKERS, 10_000, 'every page to reconnect');
    const resyncMs = performance.now() - dropAt;
    expect(await hubViews(get, wsSid)).toEqual(truth);
    expect(mismatches(truth, workers)).toEqual([]);

    const live = [...truth.values()].flatMap((v) => v.reservations);
    console.log(
      `chaos resync (seed ${SEED}, ${WORKERS} workers, MaxReservedWorkers 3, ${(chaosMs / 1000).toFixed(1)} s of chaos):\n` +
        table(
          ['what', 'count'],
          [
            ['tasks created / canceled (REST)', `${rest.created} / ${rest.canceled}`],
            ['offers seen by pages', String(seen.offers)],
            ['accepted / rejected / completed (pages)', `${tally.accepted} / ${tally.rejected} / ${tally.completed}`],
            ['rescinds seen by pages', String(seen.rescinds)],
            ['answers refused 410 / lost to the network', `${tally.gone} / ${tally.lost}`],
            ['other refusals', JSON.stringify(tally.other)],
            ['activity flips: pages / REST', `${tally.activityFlips} / ${rest.activityMoves}`],
            ['faults: resets / black holes / outages / delay changes / drop-alls', `${counts.resets} / ${counts.blackHoles} / ${counts.outages} / ${counts.delayChanges} / ${counts.dropAlls}`],
            ['proxy connections / page (re)connects', `${proxy.accepted} / ${seen.reconnects}`],
            ['tasks assigned at some point / double assignments', `${assigned} / 0`],
            ['live reservations at the end: pending / accepted+wrapping', `${live.filter((r) => r.status === 'pending').length} / ${live.filter((r) => r.status !== 'pending').length}`],
          ],
        ),
    );
    console.log(`chaos resync: every page matched the hub ${convergeMs.toFixed(0)} ms after the chaos stopped (commands in flight settled, truth fetched); after dropping all ${WORKERS}, all resynced in ${resyncMs.toFixed(0)} ms`);
    expect(seen.offers).toBeGreaterThan(0);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(seen.rescinds).toBeGreaterThan(0);
    expect(counts.resets + counts.blackHoles + counts.outages).toBeGreaterThan(0);
  }, LONG ? 300_000 : 120_000);
});
