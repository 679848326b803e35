/** The demo's seed and HTTP routes on a real hub (port 0, in-memory store). */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { verifyWorkerToken } from '../auth/tokens.js';
import { startServer, type RunningServer } from '../server.js';
import { demoBanner, seedDemo } from './seed.js';
import { contentType, safeJoin } from './static-files.js';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(demo = true): Promise<RunningServer> {
  running = await startServer({ port: 0, host: '127.0.0.1', data: ':memory:', demo, logLevel: 'silent' }, { logRequests: false, closeGraceMs: 200 });
  return running;
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

describe('seedDemo', () => {
  it('seeds the demo workspace once: a 5-reserved queue, a workflow, Alice and Bob available', async () => {
    const { hub, demo } = await start();
    expect(demo).not.toBeNull();
    const state = hub.engine(demo!.workspaceSid)!.state;
    expect(state.workspace.friendlyName).toBe('Switchboard Demo');
    expect(state.taskQueues.get(demo!.queueSid)).toMatchObject({ friendlyName: 'Support', maxReservedWorkers: 5, targetWorkers: '1==1' });
    expect(state.workflows.get(demo!.workflowSid)?.taskReservationTimeout).toBe(60);
    expect(demo!.workers.map((w) => w.friendlyName)).toEqual(['Alice', 'Bob']);
    for (const w of demo!.workers) expect(state.activities.get(state.workers.get(w.sid)!.activitySid)?.friendlyName).toBe('Available');
    expect(await seedDemo(hub)).toBeNull();
    expect(demoBanner('http://h:1', demo)).toEqual([
      'Demo:',
      '  dashboard:  http://h:1/',
      '  agent Alice  http://h:1/agent.html?worker=Alice',
      '  agent Bob    http://h:1/agent.html?worker=Bob',
    ]);
  });
});

describe('demo routes', () => {
  it('mints a token for a demo worker by name or SID, valid for the hub', async () => {
    const { url, credentials, demo } = await start();
    const { status, body } = await json(`${url}/demo/token?worker=alice&ttl=120`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ worker_sid: demo!.workers[0]!.sid, workspace_sid: demo!.workspaceSid, friendly_name: 'Alice' });
    const verified = await verifyWorkerToken(body.token, credentials);
    expect(verified.ok && verified.grant.workerSid).toBe(demo!.workers[0]!.sid);
    expect(verified.ok && verified.grant.expiresAt - Date.now()).toBeLessThanOrEqual(120_000);
    expect((await json(`${url}/demo/token?worker=${demo!.workers[1]!.sid}`)).body.friendly_name).toBe('Bob');
    expect((await json(`${url}/demo/token?worker=Mallory`)).status).toBe(404);
    const bad = await json(`${url}/demo/token`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 400, code: 20001 });
    expect((await json(`${url}/demo/token?worker=Alice&ttl=5`)).status).toBe(400);
  });

  it('describes the workspace, creates tasks and reports the dashboard state', async () => {
    const { url, demo } = await start();
    const ws = await json(`${url}/demo/workspace`);
    expect(ws.body).toMatchObject({ workspace_sid: demo!.workspaceSid, workflow_sid: demo!.workflowSid });
    expect(ws.body.channels).toEqual(expect.arrayContaining(['default', 'voice', 'chat']));

    const created = await json(`${url}/demo/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: { topic: 'Help' }, priority: 7, channel: 'chat' }),
    });
    expect(created.status).toBe(201);
    expect(created.body.assignment_status).toBe('reserved');
    const refused = await json(`${url}/demo/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: '{not json', channel: 'chat' }),
    });
    expect(refused.status).toBe(400);
    const noChannel = await json(`${url}/demo/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'fax' }) });
    expect(noChannel.status).toBe(400);

    const { body: state } = await json(`${url}/demo/state`);
    expect(state.queues[0]).toMatchObject({ friendly_name: 'Support', waiting: 1, reserved: 1, assigned: 0 });
    expect(state.queues[0].longest_waiting_since).toBeGreaterThan(0);
    expect(state.workers.map((w: any) => [w.friendly_name, w.activity_name, w.pending_reservations])).toEqual([
      ['Alice', 'Available', 1],
      ['Bob', 'Available', 1],
    ]);
    expect(state.tasks[0]).toMatchObject({ sid: created.body.sid, priority: 7, channel: 'chat', assignment_status: 'reserved' });
    expect(state.events.map((e: any) => e.event_type)).toEqual(expect.arrayContaining(['task.created', 'reservation.created', 'worker.created']));
  });

  it('streams the state over server-sent events, again after a change', async () => {
    const { url } = await start();
    const controller = new AbortController();
    const response = await fetch(`${url}/demo/stream`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextState = async () => {
      for (;;) {
        const end = text.indexOf('\n\n', text.indexOf('event: state'));
        if (text.includes('event: state') && end >= 0) {
          const chunk = text.slice(text.indexOf('event: state'), end);
          text = text.slice(end + 2);
          return JSON.parse(chunk.slice(chunk.indexOf('data: ') + 6));
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
    };
    expect((await nextState()).queues[0].waiting).toBe(0);
    await fetch(`${url}/demo/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    let state = await nextState();
    while (state.queues[0].waiting !== 1) state = await nextState();
    expect(state.queues[0].waiting).toBe(1);
    controller.abort();
  });

  it('is absent when the demo is off', async () => {
    const { url } = await start(false);
    expect((await fetch(`${url}/demo/token?worker=Alice`)).status).toBe(404);
    expect((await fetch(`${url}/agent.html`)).status).toBe(404);
  });
});

describe('static files', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'sb-static-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'assets', 'a.js'), 'x');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['assets/a.js', path.join(root, 'assets', 'a.js')],
    ['./assets//a.js', path.join(root, 'assets', 'a.js')],
    ['../etc/passwd', null],
    ['assets/../../x', null],
    ['..', null],
    ['a\\..\\b', null],
    ['a\0b', null],
  ])('safeJoin(root, %j)', (relative, expected) => {
    expect(safeJoin(root, relative)).toBe(expected);
  });

  it('knows the content types it serves', () => {
    expect(contentType('x.html')).toBe('text/html; charset=utf-8');
    expect(contentType('x.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentType('x.css')).toBe('text/css; charset=utf-8');
    expect(contentType('x.bin')).toBe('application/octet-stream');
  });

  it('serves the built pages and bundles, and refuses traversal', async () => {
    const { url } = await start();
    const index = await fetch(`${url}/`);
    // Built or not, the answer is deliberate: the page, or a 503 that says to build.
    expect([200, 503]).toContain(index.status);
    if (index.status === 200) {
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const sdk = await fetch(`${url}/switchboard.iife.js`);
      expect(sdk.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await sdk.text()).toContain('var Switchboard=');
    }
    expect((await fetch(`${url}/assets/..%2f..%2f..%2fpackage.json`)).status).toBe(404);
    // A file that is not there: 404 once built; before any build, the same 503 that says to build.
    expect((await fetch(`${url}/assets/nope.js`)).status).toBe(index.status === 200 ? 404 : 503);
  });
});
