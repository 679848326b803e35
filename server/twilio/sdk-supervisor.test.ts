/** The SDK's `Supervisor` and `Workspace` classes where their calls map onto the hub. */
import { afterEach, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../http/test-harness.js';
import { closeAllSdkClients, hubOptions, mintToken, next, openWorker, Supervisor, Workspace, type SdkReservation, type SdkWorker } from './sdk-test-kit.js';

afterEach(async () => {
  closeAllSdkClients();
  await closeAllHarnesses();
});

async function setup() {
  const h = await startHarness();
  const seeded = await seedWorkspace(h, { workers: 2 });
  const { ws, workers } = seeded;
  const token = (i: number, role: 'worker' | 'supervisor' = 'worker') => mintToken(h.credentials, { workspaceSid: ws.sid, workerSid: workers[i].sid, role });
  return { h, ...seeded, token };
}

it('lets a supervisor set another worker’s activity and attributes, which that worker hears', async () => {
  const { h, token, workers, ws } = await setup();
  const agent = await openWorker(h.url, token(1));
  const supervisor = (await openWorker(h.url, token(0, 'supervisor'), {}, Supervisor)) as InstanceType<typeof Supervisor>;
  const unavailable = [...supervisor.activities.values()].find((a) => a.name === 'Unavailable')!;

  const moved = next<[SdkWorker]>(agent, 'activityUpdated');
  await supervisor.setWorkerActivity(workers[1].sid, unavailable.sid);
  expect((await moved)[0].activity.name).toBe('Unavailable');

  const relabeled = next<[SdkWorker]>(agent, 'attributesUpdated');
  await supervisor.setWorkerAttributes(workers[1].sid, { team: 'tier-2' });
  expect((await relabeled)[0].attributes).toEqual({ team: 'tier-2' });
  expect((await h.request('GET', `/v1/Workspaces/${ws.sid}/Workers/${workers[1].sid}`)).body.attributes).toBe('{"team":"tier-2"}');
});

it('refuses a plain worker token what a supervisor may do', async () => {
  const { h, token, workers, offline } = await setup();
  const notSupervisor = (await openWorker(h.url, token(0), {}, Supervisor)) as InstanceType<typeof Supervisor>;
  await expect(notSupervisor.setWorkerActivity(workers[1].sid, offline.sid)).rejects.toThrow(/status code 403/);
});

it('answers monitor() with a clear 400: supervising needs a conference', async () => {
  const { h, token, workflow, ws, workers, offline } = await setup();
  // The supervisor is Offline, so the task goes to the agent.
  await h.request('POST', `/v1/Workspaces/${ws.sid}/Workers/${workers[0].sid}`, { ActivitySid: offline.sid });
  const agent = await openWorker(h.url, token(1));
  const offered = next<[SdkReservation]>(agent, 'reservationCreated');
  await h.request('POST', `/v1/Workspaces/${ws.sid}/Tasks`, { WorkflowSid: workflow.sid });
  const [reservation] = await offered;
  await reservation.accept();
  const supervisor = (await openWorker(h.url, token(0, 'supervisor'), {}, Supervisor)) as InstanceType<typeof Supervisor>;
  await expect(supervisor.monitor(reservation.task.sid, reservation.sid, {})).rejects.toThrow(/status code 400\. Instruction supervise needs telephony/);
});

it('reads workers, task queues and tasks through the Workspace class with a supervisor token', async () => {
  const { h, token, workers, queue, workflow, ws, available } = await setup();
  const workspace = new Workspace(token(0, 'supervisor'), { ...hubOptions(h.url), logLevel: 'silent' });
  const all = await workspace.fetchWorkers();
  expect([...all.values()].map((w) => w.friendlyName).sort()).toEqual(['agent-0', 'agent-1']);
  const named = await workspace.fetchWorkers({ FriendlyName: 'agent-1' });
  expect([...named.keys()]).toEqual([workers[1].sid]);
  const ordered = await workspace.fetchWorkers({ Ordering: 'DateStatusChanged:desc', ActivityName: 'Available' });
  expect(ordered.size).toBe(2);
  expect((await workspace.fetchWorker(workers[1].sid)).activitySid).toBe(available.sid);

  const queues = await workspace.fetchTaskQueues();
  expect([...queues.keys()]).toEqual([queue.sid]);
  const one = await workspace.fetchTaskQueue(queue.sid);
  expect([one.queueName, one.targetWorkers, one.maxReservedWorkers, one.taskOrder]).toEqual(['Queue', '1==1', 1, 'FIFO']);

  const task = (await h.request('POST', `/v1/Workspaces/${ws.sid}/Tasks`, { WorkflowSid: workflow.sid, Attributes: '{"k":"v"}' })).body;
  const fetched = await workspace.fetchTask(task.sid);
  expect([fetched.sid, fetched.attributes, fetched.queueSid]).toEqual([task.sid, { k: 'v' }, queue.sid]);

  const plain = new Workspace(token(1), { ...hubOptions(h.url), logLevel: 'silent' });
  await expect(plain.fetchWorkers()).rejects.toThrow(/status code 403/);
});
