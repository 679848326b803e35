/** Offers through the unmodified SDK: created, accepted, rejected with an activity, timed out, canceled, wrapped up, completed. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../http/test-harness.js';
import { closeAllSdkClients, mintToken, next, openWorker, type SdkReservation, type SdkWorker } from './sdk-test-kit.js';

afterEach(async () => {
  closeAllSdkClients();
  await closeAllHarnesses();
});

async function setup() {
  const h = await startHarness();
  const seeded = await seedWorkspace(h, { workers: 1 });
  const base = `/v1/Workspaces/${seeded.ws.sid}`;
  const rest = async (method: string, path: string, params = {}) => {
    const r = await h.request(method, `${base}${path}`, params);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const worker = await openWorker(h.url, mintToken(h.credentials, { workspaceSid: seeded.ws.sid, workerSid: seeded.workers[0].sid }));
  /** Creates a task and resolves with the reservation the SDK was offered for it. */
  const offer = async (attributes: Record<string, unknown> = { type: 'support' }) => {
    const created = next<[SdkReservation]>(worker, 'reservationCreated');
    const task = await rest('POST', '/Tasks', { WorkflowSid: seeded.workflow.sid, Attributes: JSON.stringify(attributes) });
    const [reservation] = await created;
    expect(reservation.task.sid).toBe(task.sid);
    return reservation;
  };
  return { h, ...seeded, rest, worker, offer };
}

describe('reservations through the SDK', () => {
  it('emits reservationCreated with the task, and accept() assigns it', async () => {
    const { worker, offer, rest } = await setup();
    const reservation = await offer({ customer: 'Grace', topic: 'billing' });
    expect(reservation.status).toBe('pending');
    expect(reservation.task.attributes).toEqual({ customer: 'Grace', topic: 'billing' });
    expect(reservation.task.queueName).toBe('Queue');
    expect(reservation.task.taskChannelUniqueName).toBe('default');
    expect(worker.reservations.get(reservation.sid)).toBe(reservation);

    const accepted = next<[SdkReservation]>(reservation, 'accepted');
    const answered = await reservation.accept();
    expect(answered.status).toBe('accepted');
    await accepted;
    expect(reservation.task.status).toBe('assigned');
    expect((await rest('GET', `/Tasks/${reservation.task.sid}`)).assignment_status).toBe('assigned');
  });

  it('rejects with an activity: the worker moves and the offer ends', async () => {
    const { worker, offer, rest, workers } = await setup();
    const reservation = await offer();
    const unavailable = [...worker.activities.values()].find((a) => a.name === 'Unavailable')!;
    const rejected = next<[SdkReservation]>(reservation, 'rejected');
    const moved = next<[SdkWorker]>(worker, 'activityUpdated');

    await reservation.reject({ activitySid: unavailable.sid });
    expect((await rejected)[0].status).toBe('rejected');
    expect((await moved)[0].activity.name).toBe('Unavailable');
    expect(worker.reservations.has(reservation.sid)).toBe(false);
    expect((await rest('GET', `/Workers/${workers[0].sid}`)).activity_name).toBe('Unavailable');
    expect((await rest('GET', `/Tasks/${reservation.task.sid}`)).assignment_status).toBe('pending');
  });

  it('times out an unanswered offer and moves the worker to the timeout activity', async () => {
    const { worker, offer, rest, workflow } = await setup();
    await rest('POST', `/Workflows/${workflow.sid}`, { TaskReservationTimeout: 1 });
    const reservation = await offer();
    expect(reservation.timeout).toBe(1);
    const moved = next<[SdkWorker]>(worker, 'activityUpdated', 5000);

    const [timedOut] = await next<[SdkReservation]>(reservation, 'timeout', 5000);
    expect(timedOut.status).toBe('timeout');
    expect((await moved)[0].activity.name).toBe('Offline');
    expect(worker.reservations.has(reservation.sid)).toBe(false);
  });

  it('tells a reserved worker that its task was canceled', async () => {
    const { offer, rest, worker } = await setup();
    const reservation = await offer();
    const canceled = next<[SdkReservation]>(reservation, 'canceled');
    const taskCanceled = next(reservation.task, 'canceled');

    await rest('POST', `/Tasks/${reservation.task.sid}`, { AssignmentStatus: 'canceled', Reason: 'caller hung up' });
    expect((await canceled)[0].status).toBe('canceled');
    await taskCanceled;
    expect(reservation.task.status).toBe('canceled');
    expect(reservation.task.reason).toBe('caller hung up');
    expect(worker.reservations.has(reservation.sid)).toBe(false);
  });

  it('wraps up and completes the task, with the reason', async () => {
    const { offer, rest, worker } = await setup();
    const reservation = await offer();
    await reservation.accept();

    const wrapup = next<[SdkReservation]>(reservation, 'wrapup');
    const taskWrapup = next(reservation.task, 'wrapup');
    await reservation.task.wrapUp({ reason: 'call ended' });
    expect((await wrapup)[0].status).toBe('wrapping');
    await taskWrapup;
    expect(reservation.task.status).toBe('wrapping');

    const completed = next<[SdkReservation]>(reservation, 'completed');
    const taskCompleted = next(reservation.task, 'completed');
    const task = await reservation.task.complete('resolved');
    expect(task.status).toBe('completed');
    expect((await completed)[0].status).toBe('completed');
    await taskCompleted;
    expect(worker.reservations.has(reservation.sid)).toBe(false);
    const rested = await rest('GET', `/Tasks/${reservation.task.sid}`);
    expect([rested.assignment_status, rested.reason]).toEqual(['completed', 'resolved']);
  });

  it('wraps and completes through the reservation too', async () => {
    const { offer, rest } = await setup();
    const reservation = await offer();
    await reservation.accept();
    expect((await reservation.wrap()).status).toBe('wrapping');
    expect((await reservation.complete()).status).toBe('completed');
    expect((await rest('GET', `/Tasks/${reservation.task.sid}`)).assignment_status).toBe('completed');
  });

  it('updates a held task: attributes and virtual start time, heard as task updated', async () => {
    const { offer, rest } = await setup();
    const reservation = await offer({ n: 1 });
    await reservation.accept();
    const updated = next(reservation.task, 'updated');
    await reservation.task.setAttributes({ n: 2, note: 'vip' });
    expect(reservation.task.attributes).toEqual({ n: 2, note: 'vip' });
    await updated;
    const start = new Date(Date.now() - 60_000);
    await reservation.task.setVirtualStartTime(start);
    expect(Math.floor(reservation.task.virtualStartTime.getTime() / 1000)).toBe(Math.floor(start.getTime() / 1000));
    expect(JSON.parse((await rest('GET', `/Tasks/${reservation.task.sid}`)).attributes)).toEqual({ n: 2, note: 'vip' });
  });

  it('creates an outbound task routed to itself with createTask', async () => {
    const { worker, workflow, queue, rest } = await setup();
    const created = next<[SdkReservation]>(worker, 'reservationCreated');
    const taskSid = await worker.createTask('+15550100', '+15550199', workflow.sid, queue.sid, { attributes: { campaign: 'renewals' } });
    const [reservation] = await created;
    expect(reservation.task.sid).toBe(taskSid);
    expect(reservation.task.attributes).toEqual({ campaign: 'renewals', outbound_to: '+15550100', from: '+15550199' });
    expect(reservation.task.routingTarget).toBe(worker.sid);
    expect((await rest('GET', `/Tasks/${taskSid}`)).routing_target).toBe(worker.sid);
  });

  it('refuses voice-only instructions with a clear error', async () => {
    const { offer } = await setup();
    const reservation = await offer();
    await expect(reservation.dequeue()).rejects.toThrow(/status code 400\. Instruction dequeue needs telephony/);
    await expect(reservation.conference()).rejects.toThrow(/status code 400\. Instruction conference needs telephony/);
    expect((await reservation.accept()).status).toBe('accepted');
  });
});
