/**
 * Multi-reservation across transports: two unmodified `twilio-taskrouter` workers and one worker on
 * the native socket protocol are offered the same task; one accept wins, the others are rescinded,
 * and a late accept fails with 410 on either protocol.
 */
import { afterEach, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../http/test-harness.js';
import { connectWorker } from '../ws/ws-test-client.js';
import { closeAllSdkClients, mintToken, next, openWorker, type SdkReservation } from './sdk-test-kit.js';

afterEach(async () => {
  closeAllSdkClients();
  await closeAllHarnesses();
});

async function setup() {
  const h = await startHarness();
  const seeded = await seedWorkspace(h, { workers: 3, maxReservedWorkers: 3 });
  const { ws, workers, workflow } = seeded;
  const token = (i: number) => mintToken(h.credentials, { workspaceSid: ws.sid, workerSid: workers[i].sid });
  const alice = await openWorker(h.url, token(0));
  const bob = await openWorker(h.url, token(1));
  const { socket: carol } = await connectWorker(`${h.url.replace(/^http/, 'ws')}/v1/sockets`, await h.token(ws.sid, workers[2].sid));
  const aliceOffer = next<[SdkReservation]>(alice, 'reservationCreated');
  const bobOffer = next<[SdkReservation]>(bob, 'reservationCreated');
  const task = (await h.request('POST', `/v1/Workspaces/${ws.sid}/Tasks`, { WorkflowSid: workflow.sid, Attributes: '{"topic":"refund"}' })).body;
  const [a] = await aliceOffer;
  const [b] = await bobOffer;
  const c = (await carol.waitForType('reservation.created')).reservation;
  for (const r of [a, b, c]) expect((r as { task: { sid: string } }).task.sid).toBe(task.sid);
  return { h, ws, task, alice, bob, carol, a, b, c };
}

it('offers one task to two SDK workers and a native one; the first accept wins and the others are rescinded', async () => {
  const { h, ws, task, a, b, c, carol } = await setup();
  const bobRescinded = next<[SdkReservation]>(b, 'rescinded');

  const accepted = await a.accept();
  expect(accepted.status).toBe('accepted');
  expect((await bobRescinded)[0].status).toBe('rescinded');
  const carolRescinded = await carol.waitForType('reservation.rescinded');
  expect(carolRescinded.reservation.sid).toBe(c.sid);

  // Late accepts: the SDK's promise rejects with the 410, the native reply carries it.
  await expect(b.accept()).rejects.toThrow(/Request failed with status code 410\. Reservation WR[0-9a-f]{32} is no longer pending: it was rescinded/);
  const late = await carol.request({ type: 'reservation.accept', reservationSid: c.sid });
  expect(late).toMatchObject({ ok: false, error: { status: 410 } });

  const reservations = (await h.request('GET', `/v1/Workspaces/${ws.sid}/Tasks/${task.sid}/Reservations`)).body.reservations;
  expect(reservations.map((r: { reservation_status: string }) => r.reservation_status).sort()).toEqual(['accepted', 'rescinded', 'rescinded']);
});

it('lets exactly one of three concurrent accepts win', async () => {
  const { h, ws, task, a, b, c, carol } = await setup();
  const results = await Promise.allSettled([
    a.accept(),
    b.accept(),
    carol.request({ type: 'reservation.accept', reservationSid: c.sid }).then((reply) => (reply.ok ? reply : Promise.reject(reply))),
  ]);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  for (const r of results) {
    if (r.status === 'rejected') expect(String((r.reason as Error).message ?? JSON.stringify(r.reason))).toMatch(/410/);
  }
  expect((await h.request('GET', `/v1/Workspaces/${ws.sid}/Tasks/${task.sid}`)).body.assignment_status).toBe('assigned');
});
