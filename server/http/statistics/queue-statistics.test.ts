/** The list of every task queue's statistics, grouped in one pass, against each queue's own statistics. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from '../test-harness.js';

afterEach(closeAllHarnesses);

describe('TaskQueues/Statistics', () => {
  it("lists each queue's real-time and cumulative statistics as the queue's own route gives them, on every channel and on one", async () => {
    const h = await startHarness();
    // One worker, in the seeded queue only: its first task is reserved, the rest wait.
    const { ws, queue } = await seedWorkspace(h, { workers: 1 });
    const first = queue.sid as string;
    const base = `/v1/Workspaces/${ws.sid}`;
    const nobody = async (name: string) => {
      const r = await h.request('POST', `${base}/TaskQueues`, { FriendlyName: name, TargetWorkers: '1==2' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.sid as string;
    };
    const [second, third] = [await nobody('Second'), await nobody('Third')];
    const create = async (queue: string, channel = 'default') => {
      const r = await h.request('POST', `${base}/Tasks`, { TaskQueueSid: queue, TaskChannel: channel, Attributes: '{}' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.sid as string;
    };
    for (let i = 0; i < 3; i += 1) await create(first);
    const canceled = await create(second);
    await create(second);
    await create(third, 'voice');
    expect((await h.request('POST', `${base}/Tasks/${canceled}`, { AssignmentStatus: 'canceled' })).status).toBe(200);

    for (const channel of [undefined, 'voice']) {
      const query: Record<string, string> = channel ? { TaskChannel: channel } : {};
      const listed = (await h.request('GET', `${base}/TaskQueues/Statistics`, query)).body.task_queues_statistics as any[];
      expect(listed.map((s) => s.task_queue_sid)).toEqual([first, second, third]);
      for (const entry of listed) {
        const own = (await h.request('GET', `${base}/TaskQueues/${entry.task_queue_sid}/Statistics`, query)).body;
        // The window ends at the request: only the times may differ.
        expect({ ...entry.cumulative, start_time: 0, end_time: 0 }).toEqual({ ...own.cumulative, start_time: 0, end_time: 0 });
        expect(entry.realtime).toEqual(own.realtime);
      }
      const byQueue = new Map(listed.map((s) => [s.task_queue_sid, s]));
      if (channel) {
        expect(byQueue.get(first).realtime.total_tasks).toBe(0);
        expect(byQueue.get(third).realtime.total_tasks).toBe(1);
        continue;
      }
      expect(byQueue.get(first).realtime).toMatchObject({ total_tasks: 3, tasks_by_status: { reserved: 1, pending: 2 }, total_eligible_workers: 1 });
      expect(byQueue.get(first).cumulative).toMatchObject({ tasks_entered: 3, reservations_created: 1 });
      expect(byQueue.get(second).realtime).toMatchObject({ total_tasks: 2, tasks_by_status: { canceled: 1, pending: 1 }, total_eligible_workers: 0 });
      expect(byQueue.get(second).cumulative).toMatchObject({ tasks_entered: 2, tasks_canceled: 1 });
      expect(byQueue.get(third).realtime).toMatchObject({ total_tasks: 1, tasks_by_status: { pending: 1 } });
    }
  });
});
