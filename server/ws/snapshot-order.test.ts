/**
 * A client that connects while work is flowing misses nothing and sees nothing twice: the snapshot
 * leaves first, and every reservation reaches it either in the snapshot or as a later push.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CommitBatch } from '../store/store.js';
import { MemoryStore } from '../store/memory-store.js';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

/** A store whose commits take a while, so that events pile up behind each one. */
class SlowStore extends MemoryStore {
  override async commit(batch: CommitBatch): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return super.commit(batch);
  }
}

/** Reservation SIDs a socket learned of: from its snapshot, then from pushes. */
function learned(socket: TestSocket): string[] {
  const snapshot = socket.ofType('snapshot')[0];
  return [...(snapshot?.reservations.map((r) => r.sid) ?? []), ...socket.ofType('reservation.created').map((f) => f.reservation.sid)];
}

function snapshotFirst(socket: TestSocket): boolean {
  const types = socket.frames.map((f) => f.type);
  return types.slice(0, types.indexOf('snapshot')).every((t) => t === 'reply');
}

describe('snapshot and pushes together', () => {
  it('holds pushes behind the snapshot while its commit is under way', async () => {
    const { h, wsUrl } = await startSocketHarness({}, { store: new SlowStore() });
    const { ws, workers, workflow } = await seedWorkspace(h, { workers: 1 });
    const workerSid = workers[0].sid;
    expect((await h.request('POST', `/v1/Workspaces/${ws.sid}/Workers/${workerSid}/Channels/default`, { Capacity: 50 })).status).toBe(200);
    const create = () => void h.hub.dispatch(ws.sid, { type: 'task.create', workflowSid: workflow.sid });
    // Tasks keep arriving before, during and after the handshake.
    const producer = setInterval(create, 2);
    const { socket } = await connectWorker(wsUrl, await h.token(ws.sid, workerSid));
    await new Promise((resolve) => setTimeout(resolve, 60));
    clearInterval(producer);
    await h.hub.flush();

    const listed = (await h.request('GET', `/v1/Workspaces/${ws.sid}/Workers/${workerSid}/Reservations`, { PageSize: 100 })).body.reservations as any[];
    expect(listed.length).toBeGreaterThan(5);
    expect(snapshotFirst(socket)).toBe(true);
    await expect.poll(() => learned(socket).sort()).toEqual(listed.map((r) => r.sid).sort());
  });

  it('gives 20 workers connecting while 20 tasks arrive each reservation exactly once', async () => {
    const { h, wsUrl } = await startSocketHarness();
    const { ws, workers, workflow } = await seedWorkspace(h, { workers: 20 });
    const tokens = await Promise.all(workers.map((w) => h.token(ws.sid, w.sid)));
    const connecting = tokens.map((token) => connectWorker(wsUrl, token));
    const creating = workers.map(() => h.request('POST', `/v1/Workspaces/${ws.sid}/Tasks`, { WorkflowSid: workflow.sid }));
    const [clients] = await Promise.all([Promise.all(connecting), Promise.all(creating)]);

    for (const [i, { socket }] of clients.entries()) {
      const listed = (await h.request('GET', `/v1/Workspaces/${ws.sid}/Workers/${workers[i].sid}/Reservations`)).body.reservations as any[];
      expect(listed).toHaveLength(1);
      expect(snapshotFirst(socket)).toBe(true);
      await expect.poll(() => learned(socket)).toEqual([listed[0].sid]);
      expect(socket.invalid).toEqual([]);
    }
  });
});
