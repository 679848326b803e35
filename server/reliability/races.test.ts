/**
 * Races, with fast-check's scheduler choosing the order: 50 accepts of one task's 50 reservations,
 * half over REST and half over sockets, against the reservation's timeout timer, a task cancel and
 * a worker's disconnect. Then duplicate requests: the same accept twice, and a task create retried
 * with the same `Idempotency-Key`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, type Harness } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, type TestSocket } from '../ws/ws-test-client.js';
import { durableSnapshot } from './support.js';

const LONG = process.env['SWITCHBOARD_LONG'] === '1';
const N = 50;

let h: Harness;
let wsUrl: string;

beforeAll(async () => {
  ({ h, wsUrl } = await startSocketHarness({ messagesPerSecond: 10_000 }));
});
afterAll(closeAllHarnesses);

describe('races under the scheduler', () => {
  it('50 mixed-transport accepts vs a timeout, a cancel and a disconnect: one winner at most, the rest 410, never double-assigned', async () => {
    let runs = 0;
    const outcomes = { winners: 0, canceledFirst: 0, gone: 0 };
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.boolean(), async (s, withCancel) => {
        runs += 1;
        const seed = await seedWorkspace(h, { workers: N, maxReservedWorkers: N });
        const base = `/v1/Workspaces/${seed.ws.sid}`;
        const task = (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid })).body;
        const reservations: any[] = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`, { PageSize: 100 })).body.reservations;
        expect(reservations).toHaveLength(N);
        const sockets = new Map<string, TestSocket>();
        const tokens = new Map<string, string>();
        for (const [i, r] of reservations.entries()) {
          tokens.set(r.worker_sid, await h.token(seed.ws.sid, r.worker_sid));
          if (i % 2 === 1) sockets.set(r.worker_sid, (await connectWorker(wsUrl, tokens.get(r.worker_sid)!, { setWorkerOfflineIfDisconnected: true })).socket);
        }
        type Result = { kind: 'accept'; worker: string; status: number } | { kind: 'other'; label: string };
        const actions: Array<{ label: string; run: () => Promise<Result> }> = reservations.map((r) => ({
          label: `accept ${r.sid.slice(-4)}`,
          run: async (): Promise<Result> => {
            const socket = sockets.get(r.worker_sid);
            if (socket && socket.ws.readyState === socket.ws.OPEN) {
              // The scheduled disconnect may close this very socket while the accept is in flight: its answer is lost (status 0).
              const reply = await Promise.race([socket.request({ type: 'reservation.accept', reservationSid: r.sid }, 10_000), socket.closed.then(() => undefined)]);
              if (!reply) return { kind: 'accept', worker: r.worker_sid, status: 0 };
              return { kind: 'accept', worker: r.worker_sid, status: reply.ok ? 200 : reply.error.status };
            }
            const res = await h.request('POST', `${base}/Workers/${r.worker_sid}/Reservations/${r.sid}`, { ReservationStatus: 'accepted' }, { bearer: tokens.get(r.worker_sid)! });
            return { kind: 'accept', worker: r.worker_sid, status: res.status };
          },
        }));
        const victim = reservations[3]!;
        actions.push({
          label: 'timeout',
          // The hub's own timer path, fired now for one reservation.
          run: async () => (await h.hub.dispatch(seed.ws.sid, { type: 'timer.fired', key: `reservation:${reservations[0]!.sid}` }, { type: 'system' }), { kind: 'other', label: 'timeout' }),
        });
        actions.push({ label: 'disconnect', run: async () => (sockets.get(victim.worker_sid)!.close(), { kind: 'other', label: 'disconnect' }) });
        if (withCancel) actions.push({ label: 'cancel', run: async () => ({ kind: 'other', label: `cancel ${(await h.request('POST', `${base}/Tasks/${task.sid}`, { AssignmentStatus: 'canceled' })).status}` }) });
        const results = actions.map((a) => s.schedule(Promise.resolve(a.label)).then(() => a.run()));
        await s.waitAll();
        const settled = await Promise.all(results);
        const accepts = settled.filter((r): r is Extract<Result, { kind: 'accept' }> => r.kind === 'accept');
        const winners = accepts.filter((r) => r.status === 200);
        expect(winners.length, String(s)).toBeLessThanOrEqual(1);
        for (const r of accepts) if (r.status !== 200 && r.status !== 0) expect(r.status, String(s)).toBe(410);
        const final = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`, { PageSize: 100 })).body.reservations as any[];
        const accepted = final.filter((r) => r.reservation_status === 'accepted');
        expect(accepted.length).toBeLessThanOrEqual(1);
        // A lost answer (status 0) may hide the winner; otherwise the state names exactly the one that was told 200.
        const lost = accepts.filter((r) => r.status === 0).map((r) => r.worker);
        if (accepted.length === 1 && winners.length === 0) expect(lost).toContain(accepted[0].worker_sid);
        else expect(accepted.length).toBe(winners.length);
        if (winners.length === 0 && accepted.length === 1) winners.push({ kind: 'accept', worker: accepted[0].worker_sid, status: 200 });
        const after = (await h.request('GET', `${base}/Tasks/${task.sid}`)).body;
        if (winners.length === 1) {
          expect(accepted[0].worker_sid).toBe(winners[0]!.worker);
          expect(after.assignment_status).toBe('assigned');
          outcomes.winners += 1;
        } else {
          expect(withCancel).toBe(true);
          expect(after.assignment_status).toBe('canceled');
          outcomes.canceledFirst += 1;
        }
        expect(final.filter((r) => r.reservation_status === 'pending')).toEqual([]);
        outcomes.gone += accepts.filter((r) => r.status === 410).length;
        // No worker holds more than its capacity: every worker's assigned tasks stay within 1.
        for (const w of seed.workers) {
          const ch = (await h.request('GET', `${base}/Workers/${w.sid}/Channels/default`)).body;
          expect(ch.assigned_tasks).toBeLessThanOrEqual(1);
        }
        for (const socket of sockets.values()) socket.close();
      }),
      { numRuns: LONG ? 60 : 6, seed: LONG ? undefined : 7_7 },
    );
    console.log(`scheduler races: ${runs} orders x ${N} accepts (+timeout, disconnect, cancel in half): ${outcomes.winners} with one winner, ${outcomes.canceledFirst} canceled first, ${outcomes.gone} accepts answered 410, 0 double assignments`);
  }, 120_000);

  it('the same accept twice: the second is 410 and changes nothing', async () => {
    const seed = await seedWorkspace(h, { workers: 1 });
    const base = `/v1/Workspaces/${seed.ws.sid}`;
    const task = (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid })).body;
    const r = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`)).body.reservations[0];
    const path = `${base}/Tasks/${task.sid}/Reservations/${r.sid}`;
    expect((await h.request('POST', path, { ReservationStatus: 'accepted' })).status).toBe(200);
    const before = await durableSnapshot(h.hub);
    const again = await h.request('POST', path, { ReservationStatus: 'accepted' });
    const { socket } = await connectWorker(wsUrl, await h.token(seed.ws.sid, r.worker_sid));
    const overSocket = await socket.request({ type: 'reservation.accept', reservationSid: r.sid });
    socket.close();
    console.log(`duplicate accept: REST ${again.status}, socket ${overSocket.ok ? 'ok' : overSocket.error.status}`);
    expect(again.status).toBe(410);
    expect(overSocket.ok ? 200 : overSocket.error.status).toBe(410);
    expect(await durableSnapshot(h.hub)).toBe(before);
  });

  it('a task create retried with the same Idempotency-Key creates one task; another body with that key is 409', async () => {
    const seed = await seedWorkspace(h, { workers: 0 });
    const base = `/v1/Workspaces/${seed.ws.sid}`;
    const params = { WorkflowSid: seed.workflow.sid, Attributes: '{"order":42}' };
    const key = { headers: { 'idempotency-key': 'order-42-create' } };
    // Sequential retries and concurrent duplicates of the same request.
    const first = await h.request('POST', `${base}/Tasks`, params, 'account', key);
    const retries = await Promise.all(Array.from({ length: 5 }, () => h.request('POST', `${base}/Tasks`, params, 'account', key)));
    expect(first.status).toBe(201);
    for (const r of retries) {
      expect(r.status).toBe(201);
      expect(r.body.sid).toBe(first.body.sid);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
    }
    const concurrentKey = { headers: { 'idempotency-key': 'burst-1' } };
    const burst = await Promise.all(Array.from({ length: 8 }, () => h.request('POST', `${base}/Tasks`, params, 'account', concurrentKey)));
    expect(new Set(burst.map((r) => r.body.sid)).size).toBe(1);
    const other = await h.request('POST', `${base}/Tasks`, { ...params, Attributes: '{"order":43}' }, 'account', key);
    expect(other.status).toBe(409);
    const bad = await h.request('POST', `${base}/Tasks`, params, 'account', { headers: { 'idempotency-key': 'x'.repeat(300) } });
    expect(bad.status).toBe(400);
    const tasks = (await h.request('GET', `${base}/Tasks`)).body.tasks;
    // One for the retried key, one for the burst; without a key, each POST is its own task.
    expect(tasks).toHaveLength(2);
    await h.request('POST', `${base}/Tasks`, params);
    await h.request('POST', `${base}/Tasks`, params);
    expect((await h.request('GET', `${base}/Tasks`)).body.tasks).toHaveLength(4);
    console.log(`Idempotency-Key: 1 + 5 retries -> 1 task; 8 concurrent -> 1 task; other body -> ${other.status}; over-long key -> ${bad.status}`);
  });
});
