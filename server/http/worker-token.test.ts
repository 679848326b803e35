/** What a worker token may do over REST: its own worker, channels, reservations and their tasks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness, type Harness, type Seeded } from './test-harness.js';

let h: Harness;
let seed: Seeded;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  seed = await seedWorkspace(h, { workers: 1 });
  base = `/v1/Workspaces/${seed.ws.sid}`;
});
afterAll(closeAllHarnesses);

describe('a worker token', () => {
  it('reads its worker and activities, changes its activity and attributes, not its name', async () => {
    const me = seed.workers[0];
    const auth = { bearer: await h.token(seed.ws.sid, me.sid) };
    const fetched = await h.request('GET', `${base}/Workers/${me.sid}`, {}, auth);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('etag')).toBe('"0"');
    expect((await h.request('GET', `${base}/Activities`, {}, auth)).body.activities).toHaveLength(3);
    const offline = await h.request('POST', `${base}/Workers/${me.sid}`, { ActivitySid: seed.offline.sid }, auth);
    expect(offline.body.activity_name).toBe('Offline');
    const attrs = await h.request('POST', `${base}/Workers/${me.sid}`, { Attributes: { skills: ['x'] } } as never, auth, { json: true, headers: { 'if-match': offline.headers.get('etag')! } });
    expect(attrs.status).toBe(200);
    expect(JSON.parse(attrs.body.attributes)).toEqual({ skills: ['x'] });
    expect((await h.request('POST', `${base}/Workers/${me.sid}`, { FriendlyName: 'boss' }, auth)).status).toBe(403);
    const channels = await h.request('GET', `${base}/Workers/${me.sid}/Channels`, {}, auth);
    expect(channels.body.channels.map((c: any) => c.task_channel_unique_name)).toEqual(['default', 'voice', 'chat', 'sms']);
    const chat = await h.request('POST', `${base}/Workers/${me.sid}/Channels/chat`, { Capacity: 4, Available: 'yes' }, auth);
    expect(chat.body).toMatchObject({ configured_capacity: 4, available: true, assigned_tasks: 0 });
    await h.request('POST', `${base}/Workers/${me.sid}`, { ActivitySid: seed.available.sid }, auth);
  });

  it('accepts its reservation, reads and completes the task, and cannot do more', async () => {
    const me = seed.workers[0];
    const auth = { bearer: await h.token(seed.ws.sid, me.sid) };
    const task = (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid, Attributes: '{"n":1}' })).body;
    const mine = (await h.request('GET', `${base}/Workers/${me.sid}/Reservations`, { ReservationStatus: 'pending' }, auth)).body.reservations;
    expect(mine).toHaveLength(1);
    const accepted = await h.request('POST', `${base}/Workers/${me.sid}/Reservations/${mine[0].sid}`, { ReservationStatus: 'accepted' }, auth);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('etag')).toBe('"1"');
    expect((await h.request('GET', `${base}/Tasks/${task.sid}`, {}, auth)).body.assignment_status).toBe('assigned');
    expect((await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`, {}, auth)).body.reservations).toHaveLength(1);
    expect((await h.request('POST', `${base}/Tasks/${task.sid}`, { Priority: 9 }, auth)).status).toBe(403);
    expect((await h.request('GET', `${base}/Tasks`, {}, auth)).status).toBe(403);
    expect((await h.request('GET', `${base}/Events`, {}, auth)).status).toBe(403);
    const wrapped = await h.request('POST', `${base}/Tasks/${task.sid}`, { AssignmentStatus: 'wrapping', Reason: 'call ended' }, auth);
    expect(wrapped.body.assignment_status).toBe('wrapping');
    const done = await h.request('POST', `${base}/Tasks/${task.sid}`, { AssignmentStatus: 'completed', Reason: 'resolved' }, auth);
    expect(done.body).toMatchObject({ assignment_status: 'completed', reason: 'resolved' });
    const events = (await h.request('GET', `${base}/Events`, { EventType: 'reservation.accepted' })).body.events;
    expect(events[0]).toMatchObject({ actor_type: 'worker', actor_sid: me.sid });
  });
});

describe('lists and paging over raw REST', () => {
  it('pages events newest first with cursor tokens and keeps filters in the page URLs', async () => {
    const first = (await h.request('GET', `${base}/Events`, { PageSize: 1, EventType: 'worker.activity.update' })).body;
    expect(first.events).toHaveLength(1);
    expect(first.meta.next_page_url).toContain('EventType=worker.activity.update');
    const second = (await h.request('GET', first.meta.next_page_url)).body;
    expect(second.events.length).toBeGreaterThan(0);
    const seen = [...first.events, ...second.events].map((e: any) => e.event_date_ms);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(new Set([...first.events, ...second.events].map((e: any) => e.sid)).size).toBe(first.events.length + second.events.length);
  });

  it('filters tasks, queues and activities', async () => {
    await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid, Attributes: '{"lang":"fr"}', Priority: 3 });
    const fr = (await h.request('GET', `${base}/Tasks`, { EvaluateTaskAttributes: "lang == 'fr'" })).body.tasks;
    expect(fr).toHaveLength(1);
    const byStatus = (await h.request('GET', `${base}/Tasks`, { AssignmentStatus: ['completed', 'reserved'], Ordering: 'Priority:desc' })).body.tasks;
    expect(byStatus.map((t: any) => t.assignment_status).sort()).toEqual(['completed', 'reserved']);
    expect(byStatus[0].priority).toBe(3);
    expect((await h.request('GET', `${base}/Tasks`, { TaskQueueName: 'Queue' })).body.tasks).toHaveLength(2);
    const queues = (await h.request('GET', `${base}/TaskQueues`, { EvaluateWorkerAttributes: '{"skills":["x"]}' })).body.task_queues;
    expect(queues.map((q: any) => q.sid)).toEqual([seed.queue.sid]);
    expect((await h.request('GET', `${base}/TaskQueues`, { WorkerSid: seed.workers[0].sid })).body.task_queues).toHaveLength(1);
    expect((await h.request('GET', `${base}/Activities`, { Available: 'true' })).body.activities.map((a: any) => a.friendly_name)).toEqual(['Available']);
    expect((await h.request('GET', `${base}/Workers`, { ActivityName: 'Offline' })).body.workers).toHaveLength(0);
  });

  it('filters finished tasks by their attributes too', async () => {
    const task = (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid, Attributes: '{"lang":"de","case":{"id":7}}' })).body;
    expect((await h.request('POST', `${base}/Tasks/${task.sid}`, { AssignmentStatus: 'canceled', Reason: 'test' })).status).toBe(200);
    const de = (await h.request('GET', `${base}/Tasks`, { EvaluateTaskAttributes: "lang == 'de' AND case.id == 7" })).body.tasks;
    expect(de.map((t: any) => [t.sid, t.assignment_status])).toEqual([[task.sid, 'canceled']]);
  });
});

describe('a rescinded worker and the winner\u2019s task', () => {
  it('may not complete or wrap up a task another worker accepted', async () => {
    const h = await startHarness();
    const seeded = await seedWorkspace(h, { workers: 2, maxReservedWorkers: 2 });
    const base = `/v1/Workspaces/${seeded.ws.sid}`;
    const task = await h.request('POST', `${base}/Tasks`, { WorkflowSid: seeded.workflow.sid });
    const offers = (await h.request('GET', `${base}/Tasks/${task.body.sid}/Reservations`)).body.reservations as any[];
    expect(offers).toHaveLength(2);
    const [winner, loser] = offers;
    const winnerToken = await h.token(seeded.ws.sid, winner.worker_sid);
    const loserToken = await h.token(seeded.ws.sid, loser.worker_sid);
    const accepted = await h.request('POST', `${base}/Workers/${winner.worker_sid}/Reservations/${winner.sid}`, { ReservationStatus: 'accepted' }, { bearer: winnerToken });
    expect(accepted.status).toBe(200);
    for (const status of ['completed', 'wrapping']) {
      const r = await h.request('POST', `${base}/Tasks/${task.body.sid}`, { AssignmentStatus: status, Reason: 'not mine' }, { bearer: loserToken });
      expect(r.status).toBe(403);
    }
    expect((await h.request('GET', `${base}/Tasks/${task.body.sid}`)).body.assignment_status).toBe('assigned');
    const done = await h.request('POST', `${base}/Tasks/${task.body.sid}`, { AssignmentStatus: 'completed', Reason: 'done' }, { bearer: winnerToken });
    expect(done.status).toBe(200);
    // A retried completion by the worker that held it says it is done already; the other worker still has no say.
    const again = await h.request('POST', `${base}/Tasks/${task.body.sid}`, { AssignmentStatus: 'completed', Reason: 'done' }, { bearer: winnerToken });
    expect(again.status).toBe(409);
    expect((await h.request('POST', `${base}/Tasks/${task.body.sid}`, { AssignmentStatus: 'completed' }, { bearer: loserToken })).status).toBe(403);
  });
});
