/**
 * Real-time statistics over REST, read from the engine's task tally: counts by status and
 * priority, the longest waiting task, per workspace, queue and workflow, on every channel and on
 * one, as tasks are created, offered, canceled, reprioritized and completed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../test-harness.js';

afterEach(closeAllHarnesses);

describe('real-time statistics', () => {
  it('count tasks by status and priority and name the longest waiting task in every scope, following each change', async () => {
    const h = await startHarness();
    // One worker taking one task at a time: the first task is reserved, the others wait.
    const { ws, queue, workflow } = await seedWorkspace(h, { workers: 1 });
    const base = `/v1/Workspaces/${ws.sid}`;
    expect((await h.request('POST', base, { MultiTaskEnabled: 'false' })).status).toBe(200);
    const create = async (params: Record<string, string>) => {
      const r = await h.request('POST', `${base}/Tasks`, { Attributes: '{}', ...params });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.sid as string;
    };
    const first = await create({ WorkflowSid: workflow.sid, Priority: '5' });
    const second = await create({ WorkflowSid: workflow.sid, Priority: '5', TaskChannel: 'voice' });
    const third = await create({ WorkflowSid: workflow.sid, Priority: '1' });
    // Outside the workflow: straight into the queue.
    const direct = await create({ TaskQueueSid: queue.sid, TaskChannel: 'voice' });

    const get = async (path: string, query: Record<string, string> = {}) => {
      const r = await h.request('GET', `${base}${path}`, query);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const statuses = (counts: Partial<Record<string, number>>) => ({ pending: 0, reserved: 0, assigned: 0, wrapping: 0, completed: 0, canceled: 0, ...counts });

    expect(await get('/RealTimeStatistics')).toMatchObject({
      total_tasks: 4,
      tasks_by_status: statuses({ reserved: 1, pending: 3 }),
      tasks_by_priority: { '5': 2, '1': 1, '0': 1 },
      longest_task_waiting_sid: first,
    });
    expect(await get(`/TaskQueues/${queue.sid}/RealTimeStatistics`)).toMatchObject({
      total_tasks: 4,
      longest_task_waiting_sid: first,
      longest_relative_task_sid_in_queue: first,
      total_eligible_workers: 1,
    });
    expect(await get(`/Workflows/${workflow.sid}/RealTimeStatistics`)).toMatchObject({ total_tasks: 3, tasks_by_status: statuses({ reserved: 1, pending: 2 }) });
    // On one channel, named by unique name or by SID; a channel nobody uses, and one that does not exist, count nothing.
    const voice = await get('/RealTimeStatistics', { TaskChannel: 'voice' });
    expect(voice).toMatchObject({ total_tasks: 2, tasks_by_status: statuses({ pending: 2 }), longest_task_waiting_sid: second });
    const channels = (await get('/TaskChannels')).task_channels as Array<{ sid: string; unique_name: string }>;
    const voiceSid = channels.find((c) => c.unique_name === 'voice')!.sid;
    expect(await get('/RealTimeStatistics', { TaskChannel: voiceSid })).toMatchObject({ total_tasks: 2, longest_task_waiting_sid: second });
    expect(await get(`/Workflows/${workflow.sid}/RealTimeStatistics`, { TaskChannel: 'voice' })).toMatchObject({ total_tasks: 1, longest_task_waiting_sid: second });
    for (const channel of ['sms', 'no-such-channel']) {
      expect(await get(`/TaskQueues/${queue.sid}/RealTimeStatistics`, { TaskChannel: channel })).toMatchObject({
        total_tasks: 0,
        tasks_by_status: statuses({}),
        tasks_by_priority: {},
        longest_task_waiting_sid: null,
        longest_relative_task_sid_in_queue: null,
      });
    }

    // Canceling the oldest waiting task hands the title on; a new priority is counted at once.
    expect((await h.request('POST', `${base}/Tasks/${second}`, { AssignmentStatus: 'canceled' })).status).toBe(200);
    expect((await h.request('POST', `${base}/Tasks/${third}`, { Priority: '9' })).status).toBe(200);
    expect(await get('/RealTimeStatistics')).toMatchObject({
      total_tasks: 4,
      tasks_by_status: statuses({ reserved: 1, pending: 2, canceled: 1 }),
      tasks_by_priority: { '5': 1, '9': 1, '0': 1 },
      longest_task_waiting_sid: first,
    });
    expect((await get('/RealTimeStatistics', { TaskChannel: 'voice' })).longest_task_waiting_sid).toBe(direct);

    // The reserved task is accepted and completed: it stops waiting, and the worker takes the next one.
    const reservations = (await get(`/Tasks/${first}/Reservations`)).reservations as Array<{ sid: string; worker_sid: string }>;
    const [offer] = reservations;
    expect((await h.request('POST', `${base}/Tasks/${first}/Reservations/${offer!.sid}`, { ReservationStatus: 'accepted' })).status).toBe(200);
    expect(await get(`/Workflows/${workflow.sid}/RealTimeStatistics`)).toMatchObject({ tasks_by_status: statuses({ assigned: 1, pending: 1, canceled: 1 }), longest_task_waiting_sid: third });
    expect((await h.request('POST', `${base}/Tasks/${first}`, { AssignmentStatus: 'completed', Reason: 'done' })).status).toBe(200);
    expect(await get('/RealTimeStatistics')).toMatchObject({
      total_tasks: 4,
      tasks_by_status: statuses({ completed: 1, reserved: 1, pending: 1, canceled: 1 }),
      tasks_by_priority: { '9': 1, '0': 1 },
      longest_task_waiting_sid: third,
    });
  });

  it("count a queue's eligible workers by activity and the available ones, following activity changes", async () => {
    const h = await startHarness();
    const ws = (await h.request('POST', '/v1/Workspaces', { FriendlyName: 'Floor' })).body;
    const base = `/v1/Workspaces/${ws.sid}`;
    const activities = (await h.request('GET', `${base}/Activities`)).body.activities as Array<{ sid: string; friendly_name: string }>;
    const sidOf = (name: string) => activities.find((a) => a.friendly_name === name)!.sid;
    const queue = (await h.request('POST', `${base}/TaskQueues`, { FriendlyName: 'Billing', TargetWorkers: 'skills HAS "billing"' })).body;
    const worker = async (name: string, skills: string[], activity: string) => {
      const r = await h.request('POST', `${base}/Workers`, { FriendlyName: name, Attributes: JSON.stringify({ skills }), ActivitySid: sidOf(activity) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.sid as string;
    };
    await worker('ann', ['billing'], 'Available');
    await worker('ben', ['billing', 'sales'], 'Available');
    const cid = await worker('cid', ['billing'], 'Unavailable');
    await worker('dee', ['billing'], 'Offline');
    await worker('eve', ['sales'], 'Available'); // not in the queue
    const stats = async () => (await h.request('GET', `${base}/TaskQueues/${queue.sid}/RealTimeStatistics`)).body;
    const byActivity = (body: { activity_statistics: Array<{ friendly_name: string; workers: number }> }) =>
      Object.fromEntries(body.activity_statistics.map((a) => [a.friendly_name, a.workers]));

    let body = await stats();
    expect(byActivity(body)).toEqual({ Offline: 1, Available: 2, Unavailable: 1 });
    expect(body).toMatchObject({ total_eligible_workers: 4, total_available_workers: 2 });
    // Every queue on one page reads the same.
    const page = (await h.request('GET', `${base}/TaskQueues/Statistics`)).body.task_queues_statistics as Array<{ realtime: unknown }>;
    expect(page[0]!.realtime).toMatchObject({ total_eligible_workers: 4, total_available_workers: 2 });

    expect((await h.request('POST', `${base}/Workers/${cid}`, { ActivitySid: sidOf('Available') })).status).toBe(200);
    body = await stats();
    expect(byActivity(body)).toEqual({ Offline: 1, Available: 3, Unavailable: 0 });
    expect(body).toMatchObject({ total_eligible_workers: 4, total_available_workers: 3 });
  });
});
