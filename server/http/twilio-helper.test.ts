/** The REST surface through the official `twilio` helper, pointed at a real hub on port 0. */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './test-harness.js';

/** Rewrites every Twilio URL (next_page_url included) to the hub's origin. */
class LocalRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super();
  }
  override request<TData>(opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData }) {
    const u = new URL(opts.uri);
    const b = new URL(this.base);
    u.protocol = b.protocol;
    u.host = b.host;
    return super.request<TData>({ ...opts, uri: u.toString() });
  }
}

let h: Harness;
let tr: ReturnType<typeof twilio>['taskrouter']['v1'];

beforeAll(async () => {
  h = await startHarness();
  tr = twilio(h.credentials.accountSid, h.credentials.authToken, { httpClient: new LocalRequestClient(h.url) }).taskrouter.v1;
});
afterAll(() => h.close());

async function setup(maxReservedWorkers: number, workers: number) {
  const ws = await tr.workspaces.create({ friendlyName: `Support ${Math.random()}` });
  const w = tr.workspaces(ws.sid);
  const available = (await w.activities.list({ friendlyName: 'Available' }))[0]!;
  const queue = await w.taskQueues.create({ friendlyName: 'Support', targetWorkers: "skills HAS 'support'", maxReservedWorkers });
  const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } });
  const workflow = await w.workflows.create({ friendlyName: 'Default', configuration });
  const created = [];
  for (let i = 0; i < workers; i += 1) {
    created.push(await w.workers.create({ friendlyName: `agent-${i}`, activitySid: available.sid, attributes: JSON.stringify({ skills: ['support'] }) }));
  }
  return { ws, w, available, queue, workflow, workers: created };
}

describe('the twilio helper against the hub', () => {
  it('creates a workspace with default activities and task channels, and fetches it back', async () => {
    const ws = await tr.workspaces.create({ friendlyName: 'Fresh', template: 'FIFO' });
    expect(ws.sid).toMatch(/^WS[0-9a-f]{32}$/);
    expect(ws.accountSid).toBe(h.credentials.accountSid);
    expect(ws.defaultActivityName).toBe('Offline');
    expect(ws.url).toBe(`${h.url}/v1/Workspaces/${ws.sid}`);
    expect(ws.dateCreated).toBeInstanceOf(Date);
    const activities = await tr.workspaces(ws.sid).activities.list();
    expect(activities.map((a) => a.friendlyName).sort()).toEqual(['Available', 'Offline', 'Unavailable']);
    const channels = await tr.workspaces(ws.sid).taskChannels.list();
    expect(channels.map((c) => c.uniqueName)).toEqual(['default', 'voice', 'chat', 'sms']);
    expect((await tr.workspaces(ws.sid).workflows.list()).length).toBe(1);
    const updated = await tr.workspaces(ws.sid).update({ friendlyName: 'Renamed' });
    expect(updated.friendlyName).toBe('Renamed');
    expect((await tr.workspaces(ws.sid).fetch()).friendlyName).toBe('Renamed');
  });

  it('routes a task, accepts one reservation and answers a late accept with 410', async () => {
    const { w, queue, workflow, workers } = await setup(3, 3);
    expect(queue.maxReservedWorkers).toBe(3);
    const task = await w.tasks.create({ attributes: JSON.stringify({ type: 'support' }), workflowSid: workflow.sid });
    expect(task.assignmentStatus).toBe('reserved');
    expect(task.taskQueueFriendlyName).toBe('Support');
    expect(task.workflowFriendlyName).toBe('Default');
    expect(task.taskChannelUniqueName).toBe('default');
    const reservations = await w.tasks(task.sid).reservations.list();
    expect(reservations.map((r) => r.reservationStatus)).toEqual(['pending', 'pending', 'pending']);
    const [first, second] = reservations;
    const accepted = await w.tasks(task.sid).reservations(first!.sid).update({ reservationStatus: 'accepted' });
    expect(accepted.reservationStatus).toBe('accepted');
    expect(accepted.workerName).toMatch(/^agent-/);
    const late = await w.workers(second!.workerSid).reservations(second!.sid).update({ reservationStatus: 'accepted' }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(twilio.RestException);
    expect((late as InstanceType<typeof twilio.RestException>).status).toBe(410);
    expect((late as InstanceType<typeof twilio.RestException>).code).toBe(20410);
    const after = await w.tasks(task.sid).fetch();
    expect(after.assignmentStatus).toBe('assigned');
    const statuses = (await w.tasks(task.sid).reservations.list()).map((r) => r.reservationStatus).sort();
    expect(statuses).toEqual(['accepted', 'rescinded', 'rescinded']);
    const mine = await w.workers(first!.workerSid).reservations.list({ reservationStatus: 'accepted' });
    expect(mine.map((r) => r.sid)).toEqual([first!.sid]);
    const done = await w.tasks(task.sid).update({ assignmentStatus: 'completed', reason: 'resolved' });
    expect(done.assignmentStatus).toBe('completed');
    expect(done.reason).toBe('resolved');
    expect(workers).toHaveLength(3);
  });

  it('pages lists with small page sizes, following absolute next_page_url', async () => {
    const { w } = await setup(1, 7);
    const all = await w.workers.list({ pageSize: 2 });
    expect(all.map((x) => x.friendlyName)).toEqual(['agent-0', 'agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5', 'agent-6']);
    const limited = await w.workers.list({ pageSize: 3, limit: 4 });
    expect(limited).toHaveLength(4);
    const page = await w.workers.page({ pageSize: 3 });
    expect(page.instances).toHaveLength(3);
    expect(page.nextPageUrl).toMatch(new RegExp(`^${h.url}/v1/Workspaces/WS[0-9a-f]{32}/Workers\\?`));
    const next = await page.nextPage();
    expect(next!.instances.map((x) => x.friendlyName)).toEqual(['agent-3', 'agent-4', 'agent-5']);
    const filtered = await w.workers.list({ targetWorkersExpression: "friendly_name IN ['agent-1','agent-5']" });
    expect(filtered.map((x) => x.friendlyName)).toEqual(['agent-1', 'agent-5']);
    const available = await w.workers.list({ available: 'true' });
    expect(available).toHaveLength(7);
  });

  it('fetches statistics of the workspace, queues, workers and workflows', async () => {
    const { w, queue, workflow, workers } = await setup(2, 2);
    const task = await w.tasks.create({ attributes: '{}', workflowSid: workflow.sid, priority: 5 });
    const [r] = await w.tasks(task.sid).reservations.list({ reservationStatus: 'pending' });
    await w.tasks(task.sid).reservations(r!.sid).update({ reservationStatus: 'accepted' });
    await w.tasks.create({ attributes: '{}', workflowSid: workflow.sid });

    const rt = await w.realTimeStatistics().fetch();
    expect(rt.totalTasks).toBe(2);
    expect(rt.totalWorkers).toBe(2);
    expect(rt.tasksByStatus).toMatchObject({ assigned: 1, reserved: 1 });
    const cum = await w.cumulativeStatistics().fetch();
    expect(cum.reservationsCreated).toBe(3);
    expect(cum.reservationsAccepted).toBe(1);
    expect(cum.reservationsRescinded).toBe(1);
    expect(cum.tasksCreated).toBe(2);
    const both = await w.statistics().fetch();
    expect(both.realtime).toMatchObject({ total_tasks: 2 });
    expect(both.cumulative).toMatchObject({ tasks_created: 2 });

    const q = await w.taskQueues(queue.sid).statistics().fetch();
    expect(q.realtime).toMatchObject({ total_eligible_workers: 2, total_tasks: 2 });
    expect(q.cumulative).toMatchObject({ tasks_entered: 2, reservations_accepted: 1 });
    const qrt = await w.taskQueues(queue.sid).realTimeStatistics().fetch();
    expect(qrt.longestTaskWaitingSid).not.toBeNull();
    const listed = await w.taskQueues.statistics.list();
    expect(listed.map((s) => s.taskQueueSid)).toEqual([queue.sid]);
    expect(listed[0]!.cumulative).toMatchObject({ tasks_entered: 2, reservations_created: 3, reservations_accepted: 1, reservations_rescinded: 1 });

    const ws = await w.workers.statistics().fetch();
    expect(ws.realtime).toMatchObject({ total_workers: 2 });
    expect((await w.workers.realTimeStatistics().fetch()).totalWorkers).toBe(2);
    expect((await w.workers.cumulativeStatistics().fetch()).reservationsCreated).toBe(3);
    const one = await w.workers(workers[0]!.sid).statistics().fetch();
    expect(one.workerSid).toBe(workers[0]!.sid);
    const flow = await w.workflows(workflow.sid).statistics().fetch();
    expect(flow.realtime).toMatchObject({ total_tasks: 2 });
    expect((await w.workflows(workflow.sid).cumulativeStatistics().fetch()).tasksEntered).toBe(2);
    expect((await w.workflows(workflow.sid).realTimeStatistics().fetch()).totalTasks).toBe(2);
  });

  it('reads events, updates worker channels, honours If-Match and maps 404s', async () => {
    const { w, workflow, workers } = await setup(1, 1);
    const task = await w.tasks.create({ attributes: '{}', workflowSid: workflow.sid });
    const events = await w.events.list({ eventType: 'reservation.created' });
    expect(events).toHaveLength(1);
    expect(events[0]!.eventData).toMatchObject({ task_sid: task.sid });
    expect((await w.events(events[0]!.sid).fetch()).eventType).toBe('reservation.created');

    const channels = await w.workers(workers[0]!.sid).workerChannels.list();
    expect(channels.find((c) => c.taskChannelUniqueName === 'default')).toMatchObject({ assignedTasks: 1, configuredCapacity: 1 });
    const voice = await w.workers(workers[0]!.sid).workerChannels('voice').update({ capacity: 3 });
    expect(voice.configuredCapacity).toBe(3);
    expect(voice.availableCapacityPercentage).toBe(100);

    const stale = await w.tasks(task.sid).update({ priority: 9, ifMatch: '"999"' }).catch((e: unknown) => e);
    expect((stale as { status: number }).status).toBe(412);
    const missing = await tr.workspaces('WS' + '0'.repeat(32)).fetch().catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 20404 });
    const channel = await w.taskChannels.create({ friendlyName: 'Email', uniqueName: 'email' });
    expect(await w.taskChannels(channel.sid).remove()).toBe(true);
  });
  it('updates and deletes every resource kind, with defaults filled in', async () => {
    const ws = await tr.workspaces.create({ friendlyName: 'Crud' });
    const w = tr.workspaces(ws.sid);
    const available = (await w.activities.list({ available: 'true' }))[0]!;
    const queue = await w.taskQueues.create({ friendlyName: 'Plain' });
    expect(queue).toMatchObject({ targetWorkers: '1==1', maxReservedWorkers: 1, taskOrder: 'FIFO' });
    const worker = await w.workers.create({ friendlyName: 'solo', activitySid: available.sid });
    const task = await w.tasks.create({ taskChannel: 'chat', attributes: '{}', taskQueueSid: queue.sid });
    expect(task.assignmentStatus).toBe('reserved');
    expect(task.taskChannelUniqueName).toBe('chat');
    expect(await w.tasks(task.sid).remove()).toBe(true);
    expect((await w.tasks(task.sid).fetch().catch((e: unknown) => e)) as object).toMatchObject({ status: 404 });

    const paused = await w.activities.create({ friendlyName: 'Paused', available: false });
    expect((await w.activities(paused.sid).update({ friendlyName: 'On break' })).friendlyName).toBe('On break');
    const q2 = await w.taskQueues(queue.sid).update({ maxReservedWorkers: 5, taskOrder: 'LIFO', reservationActivitySid: paused.sid });
    expect(q2).toMatchObject({ maxReservedWorkers: 5, taskOrder: 'LIFO', reservationActivityName: 'On break' });
    const flow = await w.workflows.create({ friendlyName: 'F', configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }) });
    expect(flow.taskReservationTimeout).toBe(120);
    expect((await w.workflows(flow.sid).update({ taskReservationTimeout: 30 })).taskReservationTimeout).toBe(30);
    expect((await w.taskChannels('chat').fetch()).uniqueName).toBe('chat');
    const renamed = await w.workers(worker.sid).update({ friendlyName: 'duo', attributes: '{"level":3}' });
    expect(renamed).toMatchObject({ friendlyName: 'duo', attributes: '{"level":3}' });
    expect(await w.workflows(flow.sid).remove()).toBe(true);
    expect(await w.taskQueues(queue.sid).remove()).toBe(true);
    expect(await w.workers(worker.sid).remove()).toBe(true);
    expect(await w.activities(paused.sid).remove()).toBe(true);
    expect(await tr.workspaces(ws.sid).remove()).toBe(true);
    expect((await tr.workspaces(ws.sid).fetch().catch((e: unknown) => e)) as object).toMatchObject({ status: 404 });
  });
});
