/** Sessions of a worker: several at once, reconnects, takeovers, going offline, and shutdown. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

async function setup(options: Parameters<typeof startSocketHarness>[0] = {}) {
  const { h, wsUrl, sockets } = await startSocketHarness(options);
  const seeded = await seedWorkspace(h, { workers: 1 });
  const base = `/v1/Workspaces/${seeded.ws.sid}`;
  const worker = seeded.workers[0];
  const token = () => h.token(seeded.ws.sid, worker.sid);
  const createTask = async () => (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seeded.workflow.sid })).body;
  const activityOf = async () => (await h.request('GET', `${base}/Workers/${worker.sid}`)).body.activity_name as string;
  return { h, wsUrl, sockets, base, worker, token, createTask, activityOf, ...seeded };
}

describe('worker sessions', () => {
  it('pushes to every session of the worker, once each', async () => {
    const { wsUrl, token, createTask, sockets } = await setup();
    const { socket: a } = await connectWorker(wsUrl, await token());
    const { socket: b } = await connectWorker(wsUrl, await token());
    expect(sockets.sessionCount()).toBe(2);
    const task = await createTask();
    for (const s of [a, b]) {
      await s.waitForType('reservation.created');
      expect(s.ofType('reservation.created').map((f) => f.reservation.task_sid)).toEqual([task.sid]);
    }
  });

  it('gives a reconnecting client a fresh snapshot with what it missed', async () => {
    const { wsUrl, token, createTask } = await setup();
    const { socket, snapshot } = await connectWorker(wsUrl, await token());
    expect(snapshot.reservations).toEqual([]);
    socket.close();
    await socket.closed;
    const task = await createTask();
    const { snapshot: again } = await connectWorker(wsUrl, await token());
    expect(again.reservations).toHaveLength(1);
    expect(again.reservations[0]).toMatchObject({ task_sid: task.sid, reservation_status: 'pending', task: { sid: task.sid } });
  });

  it('keeps accepted reservations in the snapshot until the task completes', async () => {
    const { wsUrl, token, createTask } = await setup();
    const { socket } = await connectWorker(wsUrl, await token());
    const task = await createTask();
    const created = await socket.waitForType('reservation.created');
    await socket.request({ type: 'reservation.accept', reservationSid: created.reservation.sid });
    socket.close();
    const { socket: back, snapshot } = await connectWorker(wsUrl, await token());
    expect(snapshot.reservations).toMatchObject([{ sid: created.reservation.sid, reservation_status: 'accepted', task: { assignment_status: 'assigned' } }]);
    await back.request({ type: 'task.complete', taskSid: task.sid });
    const { snapshot: done } = await connectWorker(wsUrl, await token());
    expect(done.reservations).toEqual([]);
  });

  it('closes the other sessions with 4000 on closeExistingSessions', async () => {
    const { wsUrl, token, sockets } = await setup();
    const { socket: first } = await connectWorker(wsUrl, await token());
    const { socket: second } = await connectWorker(wsUrl, await token());
    const { socket: third } = await connectWorker(wsUrl, await token(), { closeExistingSessions: true });
    expect(await first.closed).toEqual({ code: 4000, reason: 'replaced by a new session' });
    expect((await second.closed).code).toBe(4000);
    expect(sockets.sessionCount()).toBe(1);
    expect(await third.request({ type: 'ping' })).toMatchObject({ ok: true });
  });

  it('moves the worker to Offline when its last session drops, if asked', async () => {
    const { wsUrl, token, activityOf } = await setup();
    const { socket: a } = await connectWorker(wsUrl, await token(), { setWorkerOfflineIfDisconnected: true });
    const { socket: b } = await connectWorker(wsUrl, await token(), { setWorkerOfflineIfDisconnected: true });
    a.close();
    await a.closed;
    await b.request({ type: 'ping' });
    expect(await activityOf()).toBe('Available');
    b.close();
    await b.closed;
    await expect.poll(activityOf).toBe('Offline');
  });

  it('leaves the worker as it is when not asked, and on hub shutdown', async () => {
    const { h, wsUrl, token, activityOf, sockets } = await setup();
    const { socket } = await connectWorker(wsUrl, await token());
    socket.close();
    await socket.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await activityOf()).toBe('Available');

    const { socket: flagged } = await connectWorker(wsUrl, await token(), { setWorkerOfflineIfDisconnected: true });
    await sockets.close();
    expect((await flagged.closed).code).toBe(1001);
    expect(await activityOf()).toBe('Available');
    await expect(TestSocket.connect(`${h.url.replace(/^http/, 'ws')}/v1/sockets`)).rejects.toThrow();
  });
});
