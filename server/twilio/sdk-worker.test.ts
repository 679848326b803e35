/** The unmodified `twilio-taskrouter` Worker against a real hub: `ready`, activities, attributes, versions. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../http/test-harness.js';
import { closeAllSdkClients, mintToken, next, openWorker, type SdkWorker } from './sdk-test-kit.js';

afterEach(async () => {
  closeAllSdkClients();
  await closeAllHarnesses();
});

async function setup(workers = 1) {
  const h = await startHarness();
  const seeded = await seedWorkspace(h, { workers });
  const base = `/v1/Workspaces/${seeded.ws.sid}`;
  const token = (i = 0) => mintToken(h.credentials, { workspaceSid: seeded.ws.sid, workerSid: seeded.workers[i].sid });
  const rest = async (method: string, path: string, params = {}) => {
    const r = await h.request(method, `${base}${path}`, params);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { h, ...seeded, base, token, rest };
}

function activitySid(worker: SdkWorker, name: string): string {
  const found = [...worker.activities.values()].find((a) => a.name === name);
  if (!found) throw new Error(`no activity ${name}`);
  return found.sid;
}

describe('the Worker SDK against the hub', () => {
  it('is ready with its worker, the activities, its channels and the reservations it already has', async () => {
    const { h, ws, workers, workflow, rest, token } = await setup();
    const task = await rest('POST', '/Tasks', { WorkflowSid: workflow.sid, Attributes: JSON.stringify({ customer: 'Ada' }) });
    const worker = await openWorker(h.url, token());

    expect(worker.sid).toBe(workers[0].sid);
    expect(worker.workspaceSid).toBe(ws.sid);
    expect(worker.accountSid).toBe(h.credentials.accountSid);
    expect(worker.name).toBe('agent-0');
    expect(worker.activity.name).toBe('Available');
    expect(worker.dateCreated).toBeInstanceOf(Date);
    expect(Math.abs(worker.dateCreated!.getTime() - Date.parse(workers[0].date_created))).toBeLessThan(1000);
    expect([...worker.activities.values()].map((a) => [a.name, a.available])).toEqual([
      ['Offline', false],
      ['Available', true],
      ['Unavailable', false],
    ]);
    expect([...worker.channels.values()].map((c) => [c.taskChannelUniqueName, c.capacity, c.available]).sort()).toEqual([
      ['chat', 1, true],
      ['default', 1, true],
      ['sms', 1, true],
      ['voice', 1, true],
    ]);
    const [reservation] = [...worker.reservations.values()];
    expect(worker.reservations.size).toBe(1);
    expect(reservation!.status).toBe('pending');
    expect(reservation!.task.sid).toBe(task.sid);
    expect(reservation!.task.attributes).toEqual({ customer: 'Ada' });
    expect(reservation!.task.status).toBe('reserved');
    expect(reservation!.timeout).toBeGreaterThan(100);
  });

  it('changes its activity with setAsCurrent, and hears of changes made elsewhere', async () => {
    const { h, workers, rest, token } = await setup();
    const worker = await openWorker(h.url, token());
    const heard = next<[SdkWorker]>(worker, 'activityUpdated');

    const unavailable = worker.activities.get(activitySid(worker, 'Unavailable'))!;
    await unavailable.setAsCurrent();
    expect(worker.activity.name).toBe('Unavailable');
    expect(unavailable.isCurrent).toBe(true);
    expect((await heard)[0].activity.name).toBe('Unavailable');
    expect((await rest('GET', `/Workers/${workers[0].sid}`)).activity_name).toBe('Unavailable');

    const again = next<[SdkWorker]>(worker, 'activityUpdated');
    await rest('POST', `/Workers/${workers[0].sid}`, { ActivitySid: activitySid(worker, 'Available') });
    expect((await again)[0].activity.name).toBe('Available');
    expect(worker.activity.isCurrent).toBe(true);
  });

  it('sets its attributes, and hears of attributes set elsewhere', async () => {
    const { h, workers, rest, token } = await setup();
    const worker = await openWorker(h.url, token());
    const heard = next<[SdkWorker]>(worker, 'attributesUpdated');

    await worker.setAttributes({ skills: ['billing'], level: 3 });
    expect(worker.attributes).toEqual({ skills: ['billing'], level: 3 });
    await heard;
    expect(JSON.parse((await rest('GET', `/Workers/${workers[0].sid}`)).attributes)).toEqual({ skills: ['billing'], level: 3 });

    const again = next<[SdkWorker]>(worker, 'attributesUpdated');
    await rest('POST', `/Workers/${workers[0].sid}`, { Attributes: JSON.stringify({ skills: ['sales'] }) });
    expect((await again)[0].attributes).toEqual({ skills: ['sales'] });
  });

  it('moves to connectActivitySid once connected', async () => {
    const { h, workers, rest, token, offline } = await setup();
    const worker = await openWorker(h.url, token(), { connectActivitySid: offline.sid });
    if (worker.activity.sid !== offline.sid) await next(worker, 'activityUpdated');
    expect(worker.activity.name).toBe('Offline');
    expect((await rest('GET', `/Workers/${workers[0].sid}`)).activity_name).toBe('Offline');
  });

  it('sends If-Match with enableVersionCheck, and the versions it holds match the hub', async () => {
    const { h, workers, rest, token } = await setup();
    const worker = await openWorker(h.url, token(), { enableVersionCheck: true });
    const before = Number(worker.version);
    await worker.setAttributes({ a: 1 });
    await worker.activities.get(activitySid(worker, 'Unavailable'))!.setAsCurrent();
    await worker.setAttributes({ a: 2 });
    expect(Number(worker.version)).toBe(before + 3);
    expect((await rest('GET', `/Workers/${workers[0].sid}`)).attributes).toBe('{"a":2}');
    // Another client's change reaches the SDK as a push, with the version to send next.
    const heard = next(worker, 'attributesUpdated');
    await rest('POST', `/Workers/${workers[0].sid}`, { Attributes: '{"b":1}' });
    await heard;
    expect(Number(worker.version)).toBe(before + 4);
    await worker.setAttributes({ a: 3 });
    // A copy that missed a change is refused, and changes nothing.
    worker.version = String(before + 4);
    await expect(worker.setAttributes({ a: 4 })).rejects.toThrow(/status code 412\. If-Match/);
    expect((await rest('GET', `/Workers/${workers[0].sid}`)).attributes).toBe('{"a":3}');
  });

  it('keeps its version in step across an offer, which moves the worker’s version on both sides', async () => {
    const { h, workflow, rest, token } = await setup();
    const worker = await openWorker(h.url, token(), { enableVersionCheck: true });
    const offered = next(worker, 'reservationCreated');
    await rest('POST', '/Tasks', { WorkflowSid: workflow.sid });
    await offered;
    await worker.setAttributes({ after: 'offer' });
    expect(worker.attributes).toEqual({ after: 'offer' });
  });

  it('reads the worker again with fetchLatestVersion', async () => {
    const { h, workers, rest, token } = await setup();
    const worker = await openWorker(h.url, token());
    await rest('POST', `/Workers/${workers[0].sid}`, { FriendlyName: 'renamed' });
    await worker.fetchLatestVersion();
    expect(worker.name).toBe('renamed');
  });
});
