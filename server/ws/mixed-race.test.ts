/**
 * The multi-reservation race over mixed transports: 50 offers of one task, 25 accepted over the
 * socket and 25 over REST at the same moment. Exactly one wins; the other 49 get 410.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, type Reply, type TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

describe('multi-reservation race over socket and REST', () => {
  it('gives exactly one ok/200 and 49 × 410, assigns the task once, and pushes the rescinds', async () => {
    const { h, wsUrl } = await startSocketHarness();
    const { ws, queue, workers } = await seedWorkspace(h, { workers: 50, maxReservedWorkers: 50 });
    const base = `/v1/Workspaces/${ws.sid}`;
    const socketWorkers = workers.slice(0, 25);
    const restWorkers = workers.slice(25);
    const sockets = new Map<string, TestSocket>();
    for (const w of socketWorkers) sockets.set(w.sid, (await connectWorker(wsUrl, await h.token(ws.sid, w.sid))).socket);

    const task = (await h.request('POST', `${base}/Tasks`, { TaskQueueSid: queue.sid, Attributes: '{"race":true}' })).body;
    const offers = new Map<string, string>();
    for (const [workerSid, socket] of sockets) {
      const frame = await socket.waitForType('reservation.created');
      expect(frame.reservation.task_sid).toBe(task.sid);
      offers.set(workerSid, frame.reservation.sid);
    }
    const pending = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`, { ReservationStatus: 'pending', PageSize: 100 })).body.reservations as any[];
    expect(pending).toHaveLength(50);
    for (const r of pending) if (!offers.has(r.worker_sid)) offers.set(r.worker_sid, r.sid);
    expect(offers.size).toBe(50);

    // Every accept leaves in the same tick: the socket frames first, then the REST requests.
    const socketReplies = [...sockets].map(([workerSid, socket]) => socket.request({ type: 'reservation.accept', reservationSid: offers.get(workerSid)! }));
    const restReplies = restWorkers.map((w) =>
      h.request('POST', `${base}/Workers/${w.sid}/Reservations/${offers.get(w.sid)}`, { ReservationStatus: 'accepted' }),
    );
    const [viaSocket, viaRest] = await Promise.all([Promise.all(socketReplies), Promise.all(restReplies)]);

    const socketWins = viaSocket.filter((r) => r.ok);
    const socketLosses = viaSocket.filter((r): r is Extract<Reply, { ok: false }> => !r.ok);
    const restWins = viaRest.filter((r) => r.status === 200);
    const restLosses = viaRest.filter((r) => r.status === 410);
    expect(socketWins.length + restWins.length).toBe(1);
    expect(socketLosses.length + restLosses.length).toBe(49);
    for (const loss of socketLosses) expect(loss.error).toMatchObject({ status: 410, code: 20410 });
    for (const loss of restLosses) expect(loss.body).toMatchObject({ status: 410, code: 20410 });

    const winnerSid = socketWins.length === 1 ? String((socketWins[0] as { data: { worker_sid: string } }).data.worker_sid) : restWins[0]!.body.worker_sid;
    const after = (await h.request('GET', `${base}/Tasks/${task.sid}`)).body;
    expect(after.assignment_status).toBe('assigned');
    const all = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`, { PageSize: 100 })).body.reservations as any[];
    expect(all.filter((r) => r.reservation_status === 'accepted').map((r) => r.worker_sid)).toEqual([winnerSid]);
    expect(all.filter((r) => r.reservation_status === 'rescinded')).toHaveLength(49);
    const acceptedEvents = (await h.request('GET', `${base}/Events`, { EventType: 'reservation.accepted', TaskSid: task.sid })).body.events;
    expect(acceptedEvents).toHaveLength(1);

    // Every socket loser hears that its offer was rescinded; the winner hears it was accepted: from
    // its reply when it won over its socket, else from a push.
    for (const [workerSid, socket] of sockets) {
      if (workerSid === winnerSid && socketWins.length === 1) {
        expect(socketWins[0]).toMatchObject({ data: { sid: offers.get(workerSid), task_sid: task.sid, reservation_status: 'accepted' } });
        expect(socket.frames.some((f) => f.type === 'reservation.accepted')).toBe(false);
        continue;
      }
      const expected = workerSid === winnerSid ? 'reservation.accepted' : 'reservation.rescinded';
      const frame = await socket.waitFor((f) => f.type === expected);
      expect(frame).toMatchObject({ reservation: { sid: offers.get(workerSid), task_sid: task.sid } });
      expect(socket.invalid).toEqual([]);
    }
    // Only the winner holds capacity.
    const channels = await Promise.all(workers.map((w) => h.request('GET', `${base}/Workers/${w.sid}/Channels/default`)));
    expect(channels.filter((c) => c.body.assigned_tasks > 0).map((c) => c.body.worker_sid)).toEqual([winnerSid]);
  });
});
