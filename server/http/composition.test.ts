/** The composition root: configuration, credentials, the running server, the process and the CLI. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWorkerToken } from '../auth/tokens.js';
import { runCli } from '../cli.js';
import { loadConfig } from '../config.js';
import { loadCredentials, parseApiKeys } from '../credentials.js';
import { startServer } from '../server.js';
import { waitFor } from '../durability/wait-for.js';
import { MemoryStore } from '../store/memory-store.js';
import { storedEvent } from '../store/test-support/stored-event.js';
import { closeAllHarnesses, startHarness } from './test-harness.js';

afterEach(closeAllHarnesses);

describe('loadConfig', () => {
  it('applies defaults', () => {
    expect(loadConfig({})).toEqual({ port: 3000, host: '127.0.0.1', data: './data', demo: true, logLevel: 'info' });
  });
  it('reads every variable', () => {
    const env = {
      PORT: '0',
      HOST: '0.0.0.0',
      SWITCHBOARD_DATA: ':memory:',
      SWITCHBOARD_DEMO: 'off',
      LOG_LEVEL: 'WARN',
      SWITCHBOARD_PUBLIC_URL: 'https://hub.example.com/',
      SWITCHBOARD_EVENT_RETENTION_HOURS: '36',
    };
    expect(loadConfig(env)).toEqual({ port: 0, host: '0.0.0.0', data: ':memory:', demo: false, logLevel: 'warn', publicUrl: 'https://hub.example.com', eventRetentionHours: 36 });
  });
  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT/],
    [{ SWITCHBOARD_DEMO: 'sometimes' }, /SWITCHBOARD_DEMO must be one of/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ SWITCHBOARD_PUBLIC_URL: 'ftp://x' }, /SWITCHBOARD_PUBLIC_URL/],
    [{ SWITCHBOARD_EVENT_RETENTION_HOURS: '0' }, /SWITCHBOARD_EVENT_RETENTION_HOURS must be an integer from 1 to 8760, got "0"/],
    [{ SWITCHBOARD_EVENT_RETENTION_HOURS: '1.5' }, /SWITCHBOARD_EVENT_RETENTION_HOURS must be an integer/],
  ])('names the bad variable %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('loadCredentials', () => {
  it('generates once, persists, then reuses', async () => {
    const store = new MemoryStore();
    const first = await loadCredentials(store, {});
    expect(first.source).toBe('generated');
    expect(first.credentials.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(first.credentials.authToken).toMatch(/^[0-9a-f]{32}$/);
    const second = await loadCredentials(store, {});
    expect(second).toEqual({ credentials: first.credentials, source: 'store' });
  });
  it('prefers the environment and parses API keys', async () => {
    const env = { SWITCHBOARD_ACCOUNT_SID: 'AC' + '1'.repeat(32), SWITCHBOARD_AUTH_TOKEN: 'secret-token-1234567', SWITCHBOARD_API_KEYS: `SK${'2'.repeat(32)}:key-secret-123456789` };
    const loaded = await loadCredentials(new MemoryStore(), env);
    expect(loaded.source).toBe('env');
    expect(loaded.credentials.apiKeys.get('SK' + '2'.repeat(32))).toBe('key-secret-123456789');
    await expect(loadCredentials(new MemoryStore(), { SWITCHBOARD_ACCOUNT_SID: 'AC123' })).rejects.toThrow(/SWITCHBOARD_ACCOUNT_SID/);
    expect(() => parseApiKeys('SKnope:short')).toThrow(/SWITCHBOARD_API_KEYS/);
  });
});

describe('startServer', () => {
  it('serves, builds URLs from publicUrl, calls the socket hook and closes idempotently', async () => {
    let attached = 0;
    let closed = 0;
    const running = await startServer(
      { port: 0, host: '127.0.0.1', data: ':memory:', demo: false, logLevel: 'silent', publicUrl: 'https://hub.example.com' },
      { store: new MemoryStore(), env: {}, attachSockets: () => ((attached += 1), { close: async () => void (closed += 1) }) },
    );
    expect(running.generatedCredentials).toBe(true);
    expect(attached).toBe(1);
    const auth = 'Basic ' + Buffer.from(`${running.credentials.accountSid}:${running.credentials.authToken}`).toString('base64');
    const res = await fetch(`${running.url}/v1/Workspaces`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'FriendlyName=Pub' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { url: string }).url).toMatch(/^https:\/\/hub\.example\.com\/v1\/Workspaces\/WS/);
    await Promise.all([running.close(), running.close()]);
    expect(closed).toBe(1);
    await expect(fetch(`${running.url}/v1/Workspaces`)).rejects.toThrow();
  });

  it('keeps events for the configured hours: older ones go at start', async () => {
    const store = new MemoryStore();
    const event = (sid: string, ageMs: number) => storedEvent(sid, Date.now() - ageMs);
    const hours = (n: number) => n * 3_600_000;
    await store.commit({ changes: [], events: [event('EV3', hours(3)), event('EV2', hours(1.5)), event('EV1', hours(0.5))], deletedWorkspaces: [] });
    const running = await startServer({ port: 0, host: '127.0.0.1', data: ':memory:', demo: false, logLevel: 'silent', eventRetentionHours: 2 }, { store, env: {} });
    try {
      const kept = async () => (await store.queryEvents({ workspaceSid: 'WS1', limit: 10 })).map((e) => e.sid);
      await waitFor(async () => (await kept()).length === 2, { what: 'the purge at start' });
      expect(await kept()).toEqual(['EV1', 'EV2']);
    } finally {
      await running.close();
    }
  });
});

describe('main and the CLI', () => {
  it('main prints the URL and generated credentials, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, PORT: '0', SWITCHBOARD_DATA: ':memory:', LOG_LEVEL: 'silent', SWITCHBOARD_ACCOUNT_SID: '', SWITCHBOARD_AUTH_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    while (!out.includes('curl')) await once(child.stdout, 'data');
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    expect(out).toMatch(/account SID: AC[0-9a-f]{32}/);
    expect(out).toMatch(/auth token: +[0-9a-f]{32}/);
    expect((await fetch(`${url}/v1/Workspaces`)).status).toBe(401);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 20_000);

  it('token prints a worker token signed with the environment credentials', async () => {
    const lines: string[] = [];
    const env = { SWITCHBOARD_ACCOUNT_SID: 'AC' + '3'.repeat(32), SWITCHBOARD_AUTH_TOKEN: 'cli-token-0123456789', SWITCHBOARD_DATA: ':memory:' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(await runCli(['token', 'WS' + '4'.repeat(32), 'WK' + '5'.repeat(32)], (l) => lines.push(l))).toBe(0);
    } finally {
      for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
      Object.assign(process.env, saved);
    }
    const verified = await verifyWorkerToken(lines.at(-1)!, { accountSid: env.SWITCHBOARD_ACCOUNT_SID, authToken: env.SWITCHBOARD_AUTH_TOKEN, apiKeys: new Map() });
    expect(verified.ok && verified.grant.workerSid).toBe('WK' + '5'.repeat(32));
    expect(await runCli(['token', 'nope'], (l) => lines.push(l))).toBe(2);
  });

  it('the harness is reusable across tests', async () => {
    const h = await startHarness();
    expect((await h.request('GET', '/v1/Workspaces')).body.meta.key).toBe('workspaces');
  });
});
