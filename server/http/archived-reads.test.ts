/** A finished task reads the same over REST once it is archived out of the heap, until its purge. */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../durability/wait-for.js';
import { closeAllHarnesses, seedWorkspace, startHarness, type Harness } from './test-harness.js';

afterEach(closeAllHarnesses);

/** A REST body without `age`, which grows with the clock. */
const timeless = (body: any) => JSON.parse(JSON.stringify(body), (key, value: unknown) => (key === 'age' ? undefined : value));

describe('archived finished tasks over REST', () => {
  it('read, list, guard and refuse a late accept as they did live; a delete drops them', async () => {
    const h: Harness = await startHarness();
    const { ws, queue, workers } = await seedWorkspace(h, { workers: 3, maxReservedWorkers: 2 });
    const base = `/v1/Workspaces/${ws.sid}`;
    const task = (await h.request('POST', `${base}/Tasks`, { TaskQueueSid: queue.sid, Attributes: '{"type":"ticket","note":"naïve ✓"}' })).body;
    const offers = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`)).body.reservations as any[];
    expect(offers).toHaveLength(2);
    const [won, lost] = offers;
    expect((await h.request('POST', `${base}/Tasks/${task.sid}/Reservations/${won.sid}`, { ReservationStatus: 'accepted' })).status).toBe(200);
    expect((await h.request('POST', `${base}/Tasks/${task.sid}`, { AssignmentStatus: 'completed', Reason: 'done' })).status).toBe(200);
    const stranger = workers.find((w) => w.sid !== won.worker_sid && w.sid !== lost.worker_sid)!;

    const reads = async () => ({
      task: timeless((await h.request('GET', `${base}/Tasks/${task.sid}`)).body),
      reservations: (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`)).body.reservations,
      winnerCompleted: (await h.request('GET', `${base}/Workers/${won.worker_sid}/Reservations`, { ReservationStatus: 'completed' })).body.reservations,
      loserAll: (await h.request('GET', `${base}/Workers/${lost.worker_sid}/Reservations`)).body.reservations,
      oneReservation: (await h.request('GET', `${base}/Workers/${lost.worker_sid}/Reservations/${lost.sid}`)).body,
      completed: timeless((await h.request('GET', `${base}/Tasks`, { AssignmentStatus: 'completed' })).body.tasks),
      all: timeless((await h.request('GET', `${base}/Tasks`, { Ordering: 'Priority:desc' })).body.tasks),
    });
    const live = await reads();
    expect(live.task.assignment_status).toBe('completed');
    expect(live.loserAll.map((r: any) => r.reservation_status)).toEqual(['rescinded']);

    const state = h.hub.engine(ws.sid)!.state;
    await waitFor(() => state.finished.has(task.sid), { what: 'the task archived' });
    expect(state.tasks.has(task.sid)).toBe(false);
    expect(state.reservations.has(won.sid)).toBe(false);
    expect(await reads()).toEqual(live);

    // A worker token reaches the task it had an offer of, not another's.
    const loserToken = await h.token(ws.sid, lost.worker_sid);
    expect((await h.request('GET', `${base}/Tasks/${task.sid}`, {}, { bearer: loserToken })).status).toBe(200);
    expect((await h.request('GET', `${base}/Tasks/${task.sid}`, {}, { bearer: await h.token(ws.sid, stranger.sid) })).status).toBe(403);

    // The late accept: 410 Gone, Twilio's body, nothing changed.
    const late = await h.request('POST', `${base}/Workers/${lost.worker_sid}/Reservations/${lost.sid}`, { ReservationStatus: 'accepted' }, { bearer: loserToken });
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ code: 20410, status: 410 });
    expect((await h.request('POST', `${base}/Tasks/${task.sid}`, { AssignmentStatus: 'canceled' })).status).toBe(409);
    expect(state.finished.has(task.sid)).toBe(true);
    expect(await reads()).toEqual(live);

    expect((await h.request('DELETE', `${base}/Tasks/${task.sid}`)).status).toBe(204);
    expect((await h.request('GET', `${base}/Tasks/${task.sid}`)).status).toBe(404);
    expect((await h.request('GET', `${base}/Workers/${lost.worker_sid}/Reservations/${lost.sid}`)).status).toBe(404);
    expect((await h.request('GET', `${base}/Tasks`)).body.tasks).toEqual([]);
  });

  it('lists live and archived tasks together, oldest first, and pages through them', async () => {
    const h: Harness = await startHarness();
    const { ws, queue } = await seedWorkspace(h, { workers: 0 });
    const base = `/v1/Workspaces/${ws.sid}`;
    const sids: string[] = [];
    for (let i = 0; i < 6; i += 1) sids.push((await h.request('POST', `${base}/Tasks`, { TaskQueueSid: queue.sid, Priority: i })).body.sid);
    // Every other one finishes (canceled) and is archived; the others wait.
    for (const sid of sids.filter((_, i) => i % 2 === 0)) expect((await h.request('POST', `${base}/Tasks/${sid}`, { AssignmentStatus: 'canceled' })).status).toBe(200);
    const state = h.hub.engine(ws.sid)!.state;
    await waitFor(() => state.finished.size === 3, { what: 'three tasks archived' });
    const page = async (params: Record<string, string | number>) => (await h.request('GET', `${base}/Tasks`, { PageSize: 4, ...params })).body;
    const first = await page({});
    expect(first.tasks.map((t: any) => t.sid)).toEqual(sids.slice(0, 4));
    const next = (await h.request('GET', first.meta.next_page_url)).body;
    expect(next.tasks.map((t: any) => t.sid)).toEqual(sids.slice(4));
    expect((await page({ AssignmentStatus: 'canceled' })).tasks.map((t: any) => t.sid)).toEqual([sids[0], sids[2], sids[4]]);
    expect((await page({ AssignmentStatus: 'pending' })).tasks.map((t: any) => t.sid)).toEqual([sids[1], sids[3], sids[5]]);
    expect((await page({ Ordering: 'Priority:desc', PageSize: 6 })).tasks.map((t: any) => t.priority)).toEqual([5, 4, 3, 2, 1, 0]);
    expect((await page({ EvaluateTaskAttributes: '1==1', AssignmentStatus: 'canceled,pending', PageSize: 6 })).tasks).toHaveLength(6);
  });
});
