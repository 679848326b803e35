/**
 * A reply leaves after the commit of its command, behind the pushes of that commit; when another
 * step of the same tick changed the same record, the reply must not carry the older state, or the
 * page would end up showing it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { connectWorker, startSocketHarness } from './ws-test-client.js';

afterEach(closeAllHarnesses);

describe('reply freshness', () => {
  it('a worker.update reply shows the state after a later change of the same commit, as the last push does', async () => {
    const { h, wsUrl } = await startSocketHarness();
    const { ws, workers, available } = await seedWorkspace(h, { workers: 1 });
    const workerSid: string = workers[0].sid;
    const activities: any[] = (await h.request('GET', `/v1/Workspaces/${ws.sid}/Activities`)).body.activities;
    const unavailable: string = activities.find((a) => a.friendly_name === 'Unavailable').sid;
    const { socket } = await connectWorker(wsUrl, await h.token(ws.sid, workerSid));

    // Right after the socket's update is applied, the REST API (say) moves the worker back, in the same commit.
    let injected = false;
    h.hub.onEvent((event) => {
      if (!injected && event.eventType === 'worker.activity.update') {
        injected = true;
        queueMicrotask(() => h.hub.dispatchNow(ws.sid, { type: 'worker.update', sid: workerSid, activitySid: available.sid }));
      }
      return undefined;
    });
    const reply = await socket.request({ type: 'worker.update', activitySid: unavailable });
    expect(reply).toMatchObject({ ok: true });
    expect(injected).toBe(true);

    const truth = (await h.request('GET', `/v1/Workspaces/${ws.sid}/Workers/${workerSid}`)).body.activity_sid;
    expect(truth).toBe(available.sid);
    // What a page applies, in arrival order: each push, then the reply. The last word must be the truth.
    const seen = socket.frames.flatMap((f) => {
      if (f.type === 'activity.update') return [f.worker.activity_sid];
      if (f.type === 'reply' && f.ref === reply.ref && f.ok) return [(f.data as { activity_sid: string }).activity_sid];
      return [];
    });
    expect(seen.at(-1)).toBe(truth);
    socket.close();
  });
});
