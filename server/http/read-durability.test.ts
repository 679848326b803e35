import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../durability/wait-for.js';
import { MemoryStore } from '../store/memory-store.js';
import type { CommitBatch } from '../store/store.js';
import { closeAllHarnesses, seedWorkspace, startHarness } from './test-harness.js';

afterEach(closeAllHarnesses);

/** A store whose commits a test can hold open, then let fail as a full disk would. */
class HeldStore extends MemoryStore {
  commitsStarted = 0;
  private gate: Promise<void> | undefined;
  private failure: Error | undefined;
  private release = () => undefined as void;

  /** Holds every commit from now on until `failHeld` is called. */
  hold(): void {
    this.gate = new Promise<void>((resolve) => (this.release = resolve));
  }

  /** Lets the held commits go on, failing with `error`, and every one after. */
  failHeld(error: Error): void {
    this.failure = error;
    this.gate = undefined;
    this.release();
  }

  override async commit(batch: CommitBatch): Promise<void> {
    this.commitsStarted += 1;
    if (this.gate) await this.gate;
    if (this.failure) throw this.failure;
    return super.commit(batch);
  }
}

describe('REST reads answer only with what is durable', () => {
  it('a read during a commit that then fails shows nothing of it: 503, as the command got, not the task the store never got', async () => {
    const store = new HeldStore();
    const h = await startHarness({ store });
    const { ws, workflow } = await seedWorkspace(h, { workers: 1 });
    const base = `/v1/Workspaces/${ws.sid}`;
    store.hold();
    const started = store.commitsStarted;
    const create = h.request('POST', `${base}/Tasks`, { WorkflowSid: workflow.sid, Attributes: '{"doomed":true}' });
    await waitFor(() => store.commitsStarted > started, { what: 'the task creation to reach the store' });
    // The task is routed in memory, its commit not done: a read now must wait for that commit.
    const reads = Promise.all([h.request('GET', `${base}/Tasks`), h.request('GET', `${base}/Workers`), h.request('GET', `${base}/TaskQueues/Statistics`)]);
    store.failHeld(new Error('disk I/O error'));
    expect((await create).status).toBe(503);
    for (const read of await reads) {
      expect(read.status).toBe(503);
      expect(read.body).toMatchObject({ code: 20503, status: 503 });
    }
    // The hub fails stop: what it holds in memory is ahead of the store, so no later read shows it either.
    const later = await h.request('GET', `${base}/Tasks`);
    expect([later.status, later.body.tasks]).toEqual([503, undefined]);
    await expect(h.close()).rejects.toThrow(/restart the hub/);
  });
});
