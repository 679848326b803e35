/** The multi-reservation race over REST: N concurrent accepts, exactly one wins, the rest get 410. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness } from './test-harness.js';

afterEach(closeAllHarnesses);

describe('multi-reservation over REST', () => {
  it('offers one task to 50 workers; 50 simultaneous accepts give one 200 and 49 410s', async () => {
    const h = await startHarness();
    const { ws, queue, workers } = await seedWorkspace(h, { workers: 50, maxReservedWorkers: 50 });
    expect(queue.max_reserved_workers).toBe(50);
    const base = `/v1/Workspaces/${ws.sid}`;
    const task = (await h.request('POST', `${base}/Tasks`, { TaskQueueSid: queue.sid, Attributes: '{"type":"race"}' })).body;
    expect(task.assignment_status).toBe('reserved');
    const pending = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`, { ReservationStatus: 'pending', PageSize: 100 })).body.reservations;
    expect(pending).toHaveLength(50);
    expect(new Set(pending.map((r: any) => r.worker_sid)).size).toBe(50);

    const tokens = new Map<string, string>();
    for (const w of workers) tokens.set(w.sid, await h.token(ws.sid, w.sid));
    const results = await Promise.all(
      pending.map((r: any) =>
        h.request('POST', `${base}/Workers/${r.worker_sid}/Reservations/${r.sid}`, { ReservationStatus: 'accepted' }, { bearer: tokens.get(r.worker_sid)! }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status === 410);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(49);
    for (const l of losers) expect(l.body).toMatchObject({ code: 20410, status: 410, more_info: 'https://www.twilio.com/docs/errors/20410' });

    const winner = winners[0]!.body;
    const after = (await h.request('GET', `${base}/Tasks/${task.sid}`)).body;
    expect(after.assignment_status).toBe('assigned');
    const all = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`, { PageSize: 100 })).body.reservations;
    const accepted = all.filter((r: any) => r.reservation_status === 'accepted');
    expect(accepted.map((r: any) => r.worker_sid)).toEqual([winner.worker_sid]);
    expect(all.filter((r: any) => r.reservation_status === 'rescinded')).toHaveLength(49);
    const events = (await h.request('GET', `${base}/Events`, { EventType: 'reservation.accepted', TaskSid: task.sid })).body.events;
    expect(events).toHaveLength(1);
    // Capacity: only the winner holds the task.
    const channels = await Promise.all(workers.map((w) => h.request('GET', `${base}/Workers/${w.sid}/Channels/default`)));
    const busy = channels.filter((c) => c.body.assigned_tasks > 0).map((c) => c.body.worker_sid);
    expect(busy).toEqual([winner.worker_sid]);
  });

  it('resolves the same race through the task view with account credentials', async () => {
    const h = await startHarness();
    const { ws, queue } = await seedWorkspace(h, { workers: 10, maxReservedWorkers: 10 });
    const base = `/v1/Workspaces/${ws.sid}`;
    const task = (await h.request('POST', `${base}/Tasks`, { TaskQueueSid: queue.sid })).body;
    const pending = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`)).body.reservations;
    expect(pending).toHaveLength(10);
    const results = await Promise.all(pending.map((r: any) => h.request('POST', `${base}/Tasks/${task.sid}/Reservations/${r.sid}`, { ReservationStatus: 'accepted' })));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(410)]);
    const late = await h.request('POST', `${base}/Tasks/${task.sid}/Reservations/${pending[0].sid}`, { ReservationStatus: 'rejected' });
    expect([200, 410]).toContain(late.status);
  });
});
