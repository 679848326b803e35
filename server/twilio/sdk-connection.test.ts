/** The SDK's connection through the hub's life: token expiry, a hub restart, taking over sessions, going offline. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config.js';
import { closeAllHarnesses, seedWorkspace, startHarness, TEST_CREDENTIALS } from '../http/test-harness.js';
import { startServer, type RunningServer } from '../server.js';
import { MemoryStore } from '../store/memory-store.js';
import { closeAllSdkClients, createWorker, mintToken, next, openWorker, until, type SdkReservation, type SdkWorker } from './sdk-test-kit.js';

const restarted: RunningServer[] = [];

afterEach(async () => {
  closeAllSdkClients();
  await Promise.all(restarted.splice(0).map((r) => r.close()));
  await closeAllHarnesses();
});

async function setup(store = new MemoryStore()) {
  const h = await startHarness({ store, closeGraceMs: 300 });
  const seeded = await seedWorkspace(h, { workers: 1 });
  const base = `/v1/Workspaces/${seeded.ws.sid}`;
  const token = (ttl?: number) => mintToken(h.credentials, { workspaceSid: seeded.ws.sid, workerSid: seeded.workers[0].sid, ...(ttl ? { ttl } : {}) });
  const activityName = async () => (await h.request('GET', `${base}/Workers/${seeded.workers[0].sid}`)).body.activity_name as string;
  const createTask = async () => (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seeded.workflow.sid })).body;
  return { h, store, ...seeded, base, token, activityName, createTask };
}

describe('the SDK connection', () => {
  it('fires tokenExpired before the token expires, is cut off at expiry, and carries on after updateToken', async () => {
    const { h, token, createTask } = await setup();
    const expiresAt = Date.now() + 6000;
    const worker = createWorker(h.url, token(6));
    const events: string[] = [];
    worker.on('tokenExpired', () => events.push('tokenExpired'));
    const closed = next<[{ message: string }]>(worker, 'disconnected', 10_000);
    await next(worker, 'ready');
    // The init frame's token_lifetime (ms) arms the SDK's timer 5 s before expiry; the hub cuts at expiry.
    const [{ message }] = await closed;
    expect(message).toBe('token expired');
    expect(events).toEqual(['tokenExpired']);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 1000);
    await expect(worker.setAttributes({ late: true })).rejects.toThrow(/status code 401\. Token has expired/);

    const ready = next<[SdkWorker]>(worker, 'ready');
    worker.updateToken(token());
    await ready;
    // Its socket dropped, so the hub sent it Offline (setWorkerOfflineIfDisconnected defaults to true).
    expect(worker.activity.name).toBe('Offline');
    await [...worker.activities.values()].find((a) => a.name === 'Available')!.setAsCurrent();
    const offered = next<[SdkReservation]>(worker, 'reservationCreated');
    await createTask();
    expect((await (await offered)[0].accept()).status).toBe('accepted');
  }, 20_000);

  it('reconnects after the hub restarts on the same port and store, and carries on', async () => {
    const { h, store, token, createTask, activityName } = await setup();
    const worker = await openWorker(h.url, token());
    const offered = next<[SdkReservation]>(worker, 'reservationCreated');
    const before = await createTask();
    const [first] = await offered;
    expect(first.task.sid).toBe(before.sid);

    const disconnected = next(worker, 'disconnected');
    await h.running.close();
    await disconnected;
    const config: Config = { port: Number(new URL(h.url).port), host: '127.0.0.1', data: ':memory:', demo: false, logLevel: 'silent' };
    const ready = next<[SdkWorker]>(worker, 'ready', 10_000);
    restarted.push(await startServer(config, { store, credentials: TEST_CREDENTIALS, logRequests: false, closeGraceMs: 300 }));
    await ready;

    // The offer made before the restart survived it; the worker was not sent Offline by the shutdown.
    expect([...worker.reservations.keys()]).toEqual([first.sid]);
    expect(await activityName()).toBe('Available');
    const reservation = worker.reservations.get(first.sid)!;
    expect((await reservation.accept()).status).toBe('accepted');
    const completed = next(reservation, 'completed');
    await reservation.task.complete('after restart');
    await completed;
  }, 20_000);

  it('closes the worker’s other sessions with closeExistingSessions', async () => {
    const { h, token } = await setup();
    const first = await openWorker(h.url, token());
    const replaced = next<[{ message: string }]>(first, 'disconnected');
    await openWorker(h.url, token(), { closeExistingSessions: true });
    expect((await replaced)[0].message).toBe('replaced by a new session');
    first.disconnect();
  });

  it('moves the worker Offline when its last session drops, unless told not to', async () => {
    const { h, token, activityName } = await setup();
    const stays = await openWorker(h.url, token(), { setWorkerOfflineIfDisconnected: false });
    stays.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await activityName()).toBe('Available');

    const first = await openWorker(h.url, token());
    const second = await openWorker(h.url, token());
    first.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await activityName()).toBe('Available');
    second.disconnect();
    await until(async () => (await activityName()) === 'Offline');
  });
});
