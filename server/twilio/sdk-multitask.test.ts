/** Multitasking through the SDK: channel capacities, capacity and availability events, offers per channel. */
import { afterEach, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../http/test-harness.js';
import { closeAllSdkClients, mintToken, next, openWorker, until, type SdkReservation, type SdkWorker } from './sdk-test-kit.js';

afterEach(async () => {
  closeAllSdkClients();
  await closeAllHarnesses();
});

function channel(worker: SdkWorker, uniqueName: string) {
  const found = [...worker.channels.values()].find((c) => c.taskChannelUniqueName === uniqueName);
  if (!found) throw new Error(`no channel ${uniqueName}`);
  return found;
}

it('takes as many tasks per channel as its capacity allows, and hears capacity and availability changes', async () => {
  const h = await startHarness();
  const { ws, workers, workflow } = await seedWorkspace(h, { workers: 1 });
  const base = `/v1/Workspaces/${ws.sid}`;
  const rest = async (method: string, path: string, params = {}) => {
    const r = await h.request(method, `${base}${path}`, params);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const worker = await openWorker(h.url, mintToken(h.credentials, { workspaceSid: ws.sid, workerSid: workers[0].sid }));
  const offers: SdkReservation[] = [];
  worker.on('reservationCreated', (r: SdkReservation) => offers.push(r));
  const createTask = (channelName: string, n: number) =>
    rest('POST', '/Tasks', { WorkflowSid: workflow.sid, TaskChannel: channelName, Attributes: JSON.stringify({ n }) });

  const chat = channel(worker, 'chat');
  const capacity = next(chat, 'capacityUpdated');
  await rest('POST', `/Workers/${workers[0].sid}/Channels/chat`, { Capacity: 2 });
  await capacity;
  expect(chat.capacity).toBe(2);

  for (const n of [1, 2, 3]) await createTask('chat', n);
  await until(() => offers.length === 2);
  expect(offers.map((r) => r.task.attributes)).toEqual([{ n: 1 }, { n: 2 }]);
  for (const r of offers) await r.accept();

  // Chat is full; voice is another channel with room for one.
  const voiceTask = await createTask('voice', 4);
  await until(() => offers.length === 3);
  expect(offers[2]!.task.sid).toBe(voiceTask.sid);
  expect(offers[2]!.task.taskChannelUniqueName).toBe('voice');
  expect((await rest('GET', `/Workers/${workers[0].sid}/Channels/chat`)).assigned_tasks).toBe(2);

  // Completing one chat frees a slot: the third chat task comes.
  await offers[0]!.task.complete('done');
  await until(() => offers.length === 4);
  expect(offers[3]!.task.attributes).toEqual({ n: 3 });

  const voice = channel(worker, 'voice');
  const unavailable = next(voice, 'availabilityUpdated');
  await rest('POST', `/Workers/${workers[0].sid}/Channels/voice`, { Available: false });
  await unavailable;
  expect(voice.available).toBe(false);
  // The completed offer is gone; two chats and the voice call remain.
  expect([...worker.reservations.values()].map((r) => r.task.taskChannelUniqueName).sort()).toEqual(['chat', 'chat', 'voice']);
});
