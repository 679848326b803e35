/**
 * `/healthz` and `/readyz`: alive at once, ready only after recovery and while the store takes a
 * write, never behind credentials, never saying more than a word; and the graceful close that
 * drains requests, commits them and closes worker sockets with 1001.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RecordChange } from '../engine/effects.js';
import { TEST_CREDENTIALS } from '../http/test-harness.js';
import { startServer, type RunningServer } from '../server.js';
import { MemoryStore } from '../store/memory-store.js';
import type { CommitBatch } from '../store/store.js';

const CONFIG = { port: 0, host: '127.0.0.1', data: ':memory:', demo: false, logLevel: 'silent' } as const;
const AUTH = { authorization: `Basic ${Buffer.from(`${TEST_CREDENTIALS.accountSid}:${TEST_CREDENTIALS.authToken}`).toString('base64')}` };

/** A memory store whose load, commit and meta writes can be held back or made to fail. */
class GatedStore extends MemoryStore {
  loadGate: Promise<void> = Promise.resolve();
  commitGate: Promise<void> = Promise.resolve();
  metaFails = false;
  commitFails = false;

  override async load(): Promise<Map<string, RecordChange[]>> {
    await this.loadGate;
    return super.load();
  }

  override async commit(batch: CommitBatch): Promise<void> {
    await this.commitGate;
    if (this.commitFails) throw new Error('I/O error');
    return super.commit(batch);
  }

  override async setMeta(key: string, value: string): Promise<void> {
    if (this.metaFails && key === 'readiness_probe') throw new Error('disk full');
    return super.setMeta(key, value);
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text() };
};

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('health', () => {
  it('answers /healthz at once and /readyz 503 until recovery has finished, without credentials', async () => {
    const store = new GatedStore();
    const recovery = gate();
    store.loadGate = recovery.promise;
    let url = '';
    const listening = new Promise<void>((resolve) => {
      void startServer(CONFIG, { store, credentials: TEST_CREDENTIALS, onListening: (u) => ((url = u), resolve()) }).then((r) => (running = r));
    });
    await listening;

    expect(await get(`${url}/healthz`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(await get(`${url}/readyz`)).toEqual({ status: 503, body: '{"status":"recovering"}' });
    // The API is not served yet: a clear 503, not a hang or a 404.
    const early = await get(`${url}/v1/Workspaces`, AUTH);
    expect(early.status).toBe(503);
    expect(JSON.parse(early.body)).toMatchObject({ status: 503, code: 20503 });

    recovery.open();
    while (!running) await new Promise((r) => setTimeout(r, 10));
    expect(await get(`${url}/readyz`)).toEqual({ status: 200, body: '{"status":"ready"}' });
    expect((await get(`${url}/healthz`)).status).toBe(200);
    expect((await get(`${url}/v1/Workspaces`, AUTH)).status).toBe(200);
  });

  it('is not ready while the store refuses writes, and says nothing more', async () => {
    const store = new GatedStore();
    running = await startServer(CONFIG, { store, credentials: TEST_CREDENTIALS });
    expect((await get(`${running.url}/readyz`)).status).toBe(200);
    store.metaFails = true;
    await new Promise((r) => setTimeout(r, 1100)); // past the probe's cache
    expect(await get(`${running.url}/readyz`)).toEqual({ status: 503, body: '{"status":"unavailable"}' });
    store.metaFails = false;
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get(`${running.url}/readyz`)).status).toBe(200);
  });
});

describe('a store failure', () => {
  it('turns readiness to 503 for good and tells the process to restart', async () => {
    const store = new GatedStore();
    const fatal: string[] = [];
    running = await startServer(CONFIG, { store, credentials: TEST_CREDENTIALS, onFatal: (e) => fatal.push(e.message) });
    expect((await get(`${running.url}/readyz`)).status).toBe(200);
    store.commitFails = true;
    const res = await fetch(`${running.url}/v1/Workspaces`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body: 'FriendlyName=Lost' });
    expect(res.status).toBe(503);
    expect(fatal).toEqual(['I/O error']);
    expect(await get(`${running.url}/readyz`)).toEqual({ status: 503, body: '{"status":"unavailable"}' });
    expect((await get(`${running.url}/healthz`)).status).toBe(200);
    const closing = running;
    running = undefined;
    await closing.close().catch(() => undefined);
  });
});

describe('graceful close', () => {
  it('stops accepting, finishes in-flight requests and their commits, closes sockets with 1001', async () => {
    const store = new GatedStore();
    running = await startServer(CONFIG, { store, credentials: TEST_CREDENTIALS });
    const { url } = running;
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/sockets`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const socketClosed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

    // A create whose commit is held back is in flight when the close starts.
    const held = gate();
    store.commitGate = held.promise;
    const inFlight = fetch(`${url}/v1/Workspaces`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body: 'FriendlyName=Late' });
    // The hub holds the workspace in memory while its commit waits.
    while (running.hub.workspaces().length === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = running.close();
    expect(running.health.current).toBe('draining');
    expect(await socketClosed).toBe(1001);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow(); // no new connections
    held.open();
    const reply = await inFlight;
    expect(reply.status).toBe(201);
    await closing;
    running = undefined;
    // The reply was only sent once the workspace was durable.
    const saved = await store.load();
    expect([...saved.values()].flat().some((c) => c.kind === 'workspace' && (c.record as { friendlyName: string }).friendlyName === 'Late')).toBe(true);
  });
});
