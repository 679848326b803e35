/**
 * Duplicate deliveries are harmless. At the message level (a TCP proxy cannot duplicate bytes
 * without breaking WebSocket framing), a raw client sends each worker command twice with the same
 * `ref`, as a retransmission would: the second gets a clear reply and changes nothing durable. End
 * to end, an SDK accept whose reply is lost in a half-open connection is applied once, the page
 * learns the outcome from the resync, and the app's retry is refused with 410 without moving anything.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientMessage } from '../../../shared/protocol.js';
import { closeAllHarnesses, seedWorkspace } from '../../http/test-harness.js';
import { connectWorker, startSocketHarness, type Reply, type TestSocket } from '../../ws/ws-test-client.js';
import { durableSnapshot, eventually, table } from '../support.js';
import { nextEvent, startSdkWorker } from './sdk-worker.js';
import { ChaosProxy } from './tcp-proxy.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await closeAllHarnesses();
});

/** Sends one frame and waits for the `n`-th reply carrying its ref. */
async function deliver(socket: TestSocket, frame: ClientMessage, n: number): Promise<Reply> {
  socket.sendRaw(frame);
  await eventually(() => socket.ofType('reply').filter((f) => f.ref === frame.ref).length >= n, 5000, `reply ${n} to ${frame.type}`);
  return socket.ofType('reply').filter((f) => f.ref === frame.ref)[n - 1]!;
}

const outcome = (reply: Reply) => (reply.ok ? 'ok' : `${reply.error.status} ${reply.error.message}`);

describe('duplicate deliveries', () => {
  it('every worker command delivered twice with the same ref: the second gets a clear reply and changes nothing', async () => {
    const { h, wsUrl } = await startSocketHarness();
    const seed = await seedWorkspace(h, { workers: 1 });
    const base = `/v1/Workspaces/${seed.ws.sid}`;
    const workerSid: string = seed.workers[0].sid;
    const { socket } = await connectWorker(wsUrl, await h.token(seed.ws.sid, workerSid));
    cleanups.push(() => socket.close());
    const activities: any[] = (await h.request('GET', `${base}/Activities`)).body.activities;
    const unavailable = activities.find((a) => a.friendly_name === 'Unavailable').sid;

    /** The worker's pending offer, once there is one. */
    async function pendingOffer(): Promise<any> {
      let offer: any;
      await eventually(async () => {
        offer = (await h.request('GET', `${base}/Workers/${workerSid}/Reservations`, { ReservationStatus: 'pending' })).body.reservations[0];
        return offer !== undefined;
      }, 5000, 'an offer');
      return offer;
    }
    let taskSid = '';
    const commands: Array<{ label: string; frame: () => Promise<ClientMessage> }> = [
      { label: 'reservation.reject', frame: async () => ({ type: 'reservation.reject', ref: 'dup-reject', reservationSid: (await offerOfNewTask()).sid }) },
      {
        label: 'reservation.accept',
        frame: async () => {
          const offer = await offerOfNewTask();
          taskSid = offer.task_sid;
          return { type: 'reservation.accept', ref: 'dup-accept', reservationSid: offer.sid };
        },
      },
      { label: 'task.wrap', frame: async () => ({ type: 'task.wrap', ref: 'dup-wrap', taskSid }) },
      { label: 'task.complete', frame: async () => ({ type: 'task.complete', ref: 'dup-complete', taskSid }) },
      { label: 'worker.update', frame: async () => ({ type: 'worker.update', ref: 'dup-update', activitySid: unavailable }) },
    ];
    async function offerOfNewTask(): Promise<any> {
      await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid });
      return pendingOffer();
    }

    const rows: string[][] = [];
    for (const { label, frame } of commands) {
      const message = await frame();
      const first = await deliver(socket, message, 1);
      expect(first.ok, `${label} first delivery: ${outcome(first)}`).toBe(true);
      const before = await durableSnapshot(h.hub);
      const second = await deliver(socket, message, 2);
      expect(await durableSnapshot(h.hub), `${label} applied twice`).toBe(before);
      rows.push([label, outcome(first), outcome(second)]);
      // The same answer (a state the worker already has) or a refusal that says why: never a silent second change.
      if (!second.ok) expect([409, 410]).toContain(second.error.status);
      // A repeated wrap-up or completion: the worker held the task, so the answer says it is done already.
      if (label === 'task.wrap' || label === 'task.complete') expect(second.ok ? 200 : second.error.status).toBe(409);
    }
    console.log(`duplicate frames (same ref, delivered after the first was applied):\n${table(['command', 'first', 'second'], rows)}`);
    const events: any[] = await h.hub.queryEvents({ workspaceSid: seed.ws.sid, limit: 1000 });
    const count = (type: string) => events.filter((e) => e.eventType === type).length;
    expect([count('reservation.accepted'), count('reservation.rejected'), count('task.wrapup'), count('task.completed')]).toEqual([1, 1, 1, 1]);
  });

  it('an accept whose reply is lost to a half-open connection is applied once; the page learns it from the resync; a retry is refused 410', async () => {
    const { h } = await startSocketHarness({ pingIntervalMs: 200 });
    const seed = await seedWorkspace(h, { workers: 1 });
    const base = `/v1/Workspaces/${seed.ws.sid}`;
    const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: Number(new URL(h.url).port) } });
    cleanups.push(() => proxy.close());
    const worker = await startSdkWorker(proxy.url, await h.token(seed.ws.sid, seed.workers[0].sid), { pingIntervalMs: 200 });
    cleanups.push(() => worker.disconnect());
    let acceptedEvents = 0;
    worker.on('reservation.accepted', () => (acceptedEvents += 1));

    const offered = nextEvent(worker, 'reservation.created');
    const task = (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid })).body;
    const r = await offered;
    const link = proxy.links().at(-1)!;
    // Replies and pushes are held from here; the accept still reaches the hub.
    link.blackHole('down');
    const resynced = nextEvent(worker, 'connected');
    const sentAt = performance.now();
    const lost = await r.accept().then(
      () => 'answered',
      (error: { status?: number }) => error.status,
    );
    expect(lost).toBe(503);
    expect((await h.request('GET', `${base}/Tasks/${task.sid}/Reservations/${r.sid}`)).body.reservation_status).toBe('accepted');
    await resynced;
    const learnedMs = performance.now() - sentAt;
    expect(r.status).toBe('accepted');
    expect(worker.reservations.get(r.sid)?.task.assignmentStatus).toBe('assigned');

    // The app retries, and the held frames of the old connection arrive late: neither moves anything.
    const before = await durableSnapshot(h.hub);
    const retry = await r.accept().then(
      () => ({ status: 200, message: 'ok' }),
      (error: { status: number; message: string }) => error,
    );
    link.resume();
    await eventually(() => link.bytes.down > 0 || !link.isOpen, 2000, 'the held frames to be delivered or dropped');
    expect(retry.status).toBe(410);
    expect(r.status).toBe('accepted');
    expect(await durableSnapshot(h.hub)).toBe(before);
    const events: any[] = await h.hub.queryEvents({ workspaceSid: seed.ws.sid, eventType: 'reservation.accepted', limit: 100 });
    expect(events).toHaveLength(1);
    expect(acceptedEvents).toBe(1);
    expect((await h.request('GET', `${base}/Workers/${seed.workers[0].sid}/Channels/default`)).body.assigned_tasks).toBe(1);
    console.log(
      `lost accept reply: applied once (1 reservation.accepted event), page saw 'accepted' once, ${learnedMs.toFixed(0)} ms after sending (resync); retry -> ${retry.status} "${retry.message}"`,
    );
  });
});
