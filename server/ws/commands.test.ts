/** The snapshot, the commands and the pushes of an authenticated worker socket. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { connectWorker, startSocketHarness } from './ws-test-client.js';

afterEach(closeAllHarnesses);

async function setup(workers = 2) {
  const { h, wsUrl, sockets } = await startSocketHarness();
  const seeded = await seedWorkspace(h, { workers });
  const base = `/v1/Workspaces/${seeded.ws.sid}`;
  const createTask = async (attributes = '{"type":"support"}') => (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seeded.workflow.sid, Attributes: attributes })).body;
  const token = (i: number) => h.token(seeded.ws.sid, seeded.workers[i].sid);
  return { h, wsUrl, sockets, ...seeded, base, createTask, token };
}

describe('worker socket commands and pushes', () => {
  it('sends a snapshot of the worker, activities, channels and active reservations', async () => {
    const { wsUrl, ws, workers, available, createTask, token } = await setup(1);
    const task = await createTask();
    const { socket, snapshot } = await connectWorker(wsUrl, await token(0));
    expect(snapshot.worker).toMatchObject({ sid: workers[0].sid, friendly_name: 'agent-0', activity_sid: available.sid, available: true });
    expect(snapshot.worker).toMatchObject({ workspace_sid: ws.sid, account_sid: expect.stringMatching(/^AC/) });
    // The REST shape without its addresses: a page has no use for REST URLs.
    expect(JSON.stringify(snapshot)).not.toMatch(/"(url|links)":/);
    expect(snapshot.activities.map((a) => a['friendly_name']).sort()).toEqual(['Available', 'Offline', 'Unavailable']);
    expect(snapshot.channels.map((c) => c['task_channel_unique_name']).sort()).toEqual(['chat', 'default', 'sms', 'voice']);
    expect(snapshot.reservations).toHaveLength(1);
    const [reservation] = snapshot.reservations;
    expect(reservation).toMatchObject({ reservation_status: 'pending', worker_sid: workers[0].sid, task_sid: task.sid, task: { sid: task.sid, attributes: '{"type":"support"}', assignment_status: 'reserved' } });
    expect(Date.parse(reservation!.timeout_at) - Date.parse(String(reservation!['date_created']))).toBe(120_000);
    expect(Date.parse(snapshot.token_expires_at)).toBeGreaterThan(Date.now());
    expect(socket.invalid).toEqual([]);
  });

  it('pushes reservation.created, accepts it, and completes the task', async () => {
    const { h, wsUrl, base, workers, createTask, token } = await setup(1);
    const { socket } = await connectWorker(wsUrl, await token(0));
    // A second page of the same worker (another tab) follows along through pushes.
    const { socket: tab } = await connectWorker(wsUrl, await token(0));
    const task = await createTask();
    const created = await socket.waitForType('reservation.created');
    expect(created.reservation).toMatchObject({ task_sid: task.sid, worker_sid: workers[0].sid, reservation_status: 'pending', task: { assignment_status: 'reserved' } });

    const accepted = await socket.request({ type: 'reservation.accept', reservationSid: created.reservation.sid });
    expect(accepted).toMatchObject({ ok: true, data: { sid: created.reservation.sid, reservation_status: 'accepted', task: { assignment_status: 'assigned' } } });
    const seenByTab = await tab.waitForType('reservation.accepted');
    expect(seenByTab.reservation).toEqual((accepted as { data: unknown }).data);
    // The reply came after the commit: REST sees the same state at once.
    expect((await h.request('GET', `${base}/Tasks/${task.sid}`)).body.assignment_status).toBe('assigned');

    const again = await socket.request({ type: 'reservation.accept', reservationSid: created.reservation.sid });
    expect(again).toMatchObject({ ok: false, error: { status: 410, code: 20410 } });

    // Wrapping up and completing answer with the reservation that held the task, the task in it.
    const wrapped = await socket.request({ type: 'task.wrap', taskSid: task.sid, reason: 'call ended' });
    expect(wrapped).toMatchObject({ ok: true, data: { sid: created.reservation.sid, reservation_status: 'wrapping', task: { sid: task.sid, assignment_status: 'wrapping' } } });
    expect((await tab.waitForType('reservation.wrapup')).reservation).toEqual((wrapped as { data: unknown }).data);
    const completed = await socket.request({ type: 'task.complete', taskSid: task.sid, reason: 'done' });
    expect(completed).toMatchObject({ ok: true, data: { sid: created.reservation.sid, reservation_status: 'completed', task: { assignment_status: 'completed', reason: 'done' } } });
    const pushed = await tab.waitForType('reservation.completed');
    expect(pushed).toMatchObject({ reservation: { reservation_status: 'completed', task: { assignment_status: 'completed' } } });
    // The page that acted had the reservation in each reply: the same frames were not pushed to it again.
    // (A commit's pushes leave before its replies: one sent to this page would have come before the reply.)
    expect(socket.frames.filter((f) => ['reservation.accepted', 'reservation.wrapup', 'reservation.completed'].includes(f.type))).toEqual([]);
    expect(socket.invalid).toEqual([]);
  });

  it("refuses another worker's reservation (404) and task (403), changing nothing", async () => {
    const { h, wsUrl, base, workers, createTask, token } = await setup(2);
    const { socket: a } = await connectWorker(wsUrl, await token(0));
    const { socket: b } = await connectWorker(wsUrl, await token(1));
    const task = await createTask();
    const offered = await Promise.race([a, b].map((s) => s.waitForType('reservation.created').then((frame) => ({ s, frame }))));
    const owner = offered.s;
    const other = owner === a ? b : a;
    const reservationSid = offered.frame.reservation.sid;

    expect(await other.request({ type: 'reservation.accept', reservationSid })).toMatchObject({ ok: false, error: { status: 404, code: 20404 } });
    expect(await other.request({ type: 'reservation.reject', reservationSid })).toMatchObject({ ok: false, error: { status: 404 } });
    expect((await h.request('GET', `${base}/Tasks/${task.sid}/Reservations/${reservationSid}`)).body.reservation_status).toBe('pending');

    expect((await owner.request({ type: 'reservation.accept', reservationSid })).ok).toBe(true);
    expect(await other.request({ type: 'task.complete', taskSid: task.sid })).toMatchObject({ ok: false, error: { status: 403, code: 20403 } });
    expect(await other.request({ type: 'task.wrap', taskSid: task.sid })).toMatchObject({ ok: false, error: { status: 403 } });
    expect(await other.request({ type: 'task.complete', taskSid: 'WT' + '0'.repeat(32) })).toMatchObject({ ok: false, error: { status: 404 } });
    expect((await h.request('GET', `${base}/Tasks/${task.sid}`)).body.assignment_status).toBe('assigned');
    expect(workers).toHaveLength(2);
  });

  it('rejects with an activity, and pushes activity.update', async () => {
    const { wsUrl, offline, createTask, token } = await setup(1);
    const { socket } = await connectWorker(wsUrl, await token(0));
    await createTask();
    const created = await socket.waitForType('reservation.created');
    const rejected = await socket.request({ type: 'reservation.reject', reservationSid: created.reservation.sid, activitySid: offline.sid });
    expect(rejected).toMatchObject({ ok: true, data: { reservation_status: 'rejected' } });
    const update = await socket.waitForType('activity.update');
    expect(update).toMatchObject({ worker: { activity_sid: offline.sid, activity_name: 'Offline', available: false } });
    // The reply carried the rejected reservation; the activity change is a push of its own.
    expect(socket.frames.filter((f) => f.type === 'reservation.rejected')).toEqual([]);
  });

  it('updates activity and attributes (as an object), and a channel, with their pushes', async () => {
    const { h, wsUrl, base, workers, offline, token } = await setup(1);
    const { socket } = await connectWorker(wsUrl, await token(0));
    const moved = await socket.request({ type: 'worker.update', activitySid: offline.sid });
    expect(moved).toMatchObject({ ok: true, data: { sid: workers[0].sid, activity_name: 'Offline' } });
    expect(await socket.waitForType('activity.update')).toMatchObject({ worker: { activity_name: 'Offline', available: false } });

    const attributes = { skills: ['en', 'fr'], level: 3 };
    const changed = await socket.request({ type: 'worker.update', attributes });
    expect(changed).toMatchObject({ ok: true, data: { attributes: JSON.stringify(attributes) } });
    expect(await socket.waitForType('attributes.update')).toMatchObject({ worker: { attributes: JSON.stringify(attributes) } });
    expect((await h.request('GET', `${base}/Workers/${workers[0].sid}`)).body.attributes).toBe(JSON.stringify(attributes));

    const channel = await socket.request({ type: 'channel.update', channel: 'chat', capacity: 3 });
    expect(channel).toMatchObject({ ok: true, data: { task_channel_unique_name: 'chat', configured_capacity: 3 } });
    expect(await socket.waitForType('channel.update')).toMatchObject({ channel: { configured_capacity: 3 } });
    const off = await socket.request({ type: 'channel.update', channel: 'voice', available: false });
    expect(off).toMatchObject({ ok: true, data: { task_channel_unique_name: 'voice', available: false } });

    const tooBig = await socket.request({ type: 'channel.update', channel: 'chat', capacity: 51 });
    expect(tooBig).toMatchObject({ ok: false, error: { status: 400 } });
    const unknown = await socket.request({ type: 'worker.update', activitySid: 'WA' + '0'.repeat(32) });
    expect(unknown).toMatchObject({ ok: false, error: { status: 400 } });
    const bigAttributes = await socket.request({ type: 'worker.update', attributes: { blob: 'x'.repeat(5000) } });
    expect(bigAttributes).toMatchObject({ ok: false, error: { status: 400 } });
    expect((await h.request('GET', `${base}/Workers/${workers[0].sid}`)).body.attributes).toBe(JSON.stringify(attributes));
    expect(socket.invalid).toEqual([]);
  });

  it('tells a worker its reservation was canceled when the task is deleted', async () => {
    const { h, wsUrl, base, createTask, token } = await setup(1);
    const { socket } = await connectWorker(wsUrl, await token(0));
    const task = await createTask();
    await socket.waitForType('reservation.created');
    expect((await h.request('DELETE', `${base}/Tasks/${task.sid}`)).status).toBe(204);
    const canceled = await socket.waitForType('reservation.canceled');
    expect(canceled).toMatchObject({ reservation: { task_sid: task.sid, reservation_status: 'canceled' } });
  });

  it('closes the sessions of a deleted worker with 4004', async () => {
    const { h, wsUrl, base, workers, token, sockets } = await setup(1);
    const { socket } = await connectWorker(wsUrl, await token(0));
    expect((await h.request('DELETE', `${base}/Workers/${workers[0].sid}`)).status).toBe(204);
    expect(await socket.closed).toEqual({ code: 4004, reason: 'worker not found' });
    expect(sockets.sessionCount()).toBe(0);
  });

  it("closes the sessions of a deleted workspace's workers with 4004, and only those", async () => {
    const { h, wsUrl, ws, token, sockets } = await setup(2);
    const other = await seedWorkspace(h, { workers: 1 });
    const { socket: a } = await connectWorker(wsUrl, await token(0));
    const { socket: b } = await connectWorker(wsUrl, await token(1));
    const { socket: elsewhere } = await connectWorker(wsUrl, await h.token(other.ws.sid, other.workers[0].sid));
    expect((await h.request('DELETE', `/v1/Workspaces/${ws.sid}`)).status).toBe(204);
    expect(await a.closed).toEqual({ code: 4004, reason: 'worker not found' });
    expect(await b.closed).toEqual({ code: 4004, reason: 'worker not found' });
    expect(sockets.sessionCount()).toBe(1);
    expect(await elsewhere.request({ type: 'ping' })).toMatchObject({ ok: true });
  });
});
