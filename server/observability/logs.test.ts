/**
 * Structured logs: one JSON line per event with request ids, and never a secret — checked by
 * capturing every line of scenarios with auth failures, token minting, worker sockets, secrets in
 * query strings and the start banner, in-process and from the real `main` process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerToken, type Credentials } from '../auth/tokens.js';
import type { Config } from '../config.js';
import { startBanner } from '../main.js';
import { startServer, type RunningServer } from '../server.js';
import { MemoryStore } from '../store/memory-store.js';
import { connectWorker } from '../ws/ws-test-client.js';
import { createLogger, safeUrl } from './logger.js';
import { formatPretty } from './pretty.js';

const AUTH_TOKEN = 'log-test-auth-token-0123456789abcdef';
const KEY_SID = 'SK' + 'c'.repeat(32);
const KEY_SECRET = 'log-test-api-key-secret-0123456789';
const METRICS_TOKEN = 'log-test-metrics-token-0123456789';
const CREDENTIALS: Credentials = { accountSid: 'AC' + 'd'.repeat(32), authToken: AUTH_TOKEN, apiKeys: new Map([[KEY_SID, KEY_SECRET]]) };

const b64 = (text: string) => Buffer.from(text).toString('base64');
const basicHeader = (user: string, secret: string) => `Basic ${b64(`${user}:${secret}`)}`;

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** Every string that must never appear in any output. */
function secretsOf(extra: string[]): string[] {
  return [AUTH_TOKEN, KEY_SECRET, METRICS_TOKEN, b64(`${CREDENTIALS.accountSid}:${AUTH_TOKEN}`), b64(`${KEY_SID}:${KEY_SECRET}`), ...extra];
}

describe('structured logs', () => {
  it('write no secret during a scenario of logins, failures, tokens, sockets and the banner', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace', format: 'json', destination: { write: (line) => lines.push(line) } });
    const config: Config = { port: 0, host: '127.0.0.1', data: ':memory:', demo: false, logLevel: 'trace', metricsToken: METRICS_TOKEN };
    running = await startServer(config, { store: new MemoryStore(), credentials: CREDENTIALS, logger });
    const url = running.url;
    const call = (method: string, path: string, authorization?: string, body?: string, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, {
        method,
        headers: { ...headers, ...(authorization ? { authorization } : {}), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body,
      });
    const account = basicHeader(CREDENTIALS.accountSid, AUTH_TOKEN);

    // Resources, with the account and with an API key.
    const ws = (await (await call('POST', '/v1/Workspaces', account, 'FriendlyName=Logs')).json()) as { sid: string };
    const worker = (await (await call('POST', `/v1/Workspaces/${ws.sid}/Workers`, basicHeader(KEY_SID, KEY_SECRET), 'FriendlyName=agent')).json()) as { sid: string };
    // Failures: wrong token, wrong key secret, garbage and expired bearer tokens, no credentials.
    expect((await call('GET', '/v1/Workspaces', basicHeader(CREDENTIALS.accountSid, `${AUTH_TOKEN}x`))).status).toBe(401);
    expect((await call('GET', '/v1/Workspaces', basicHeader(KEY_SID, 'not-the-key-secret-0123456789'))).status).toBe(401);
    expect((await call('GET', '/v1/Workspaces', 'Bearer not.a.token')).status).toBe(401);
    const expired = await createWorkerToken({ credentials: CREDENTIALS, workspaceSid: ws.sid, workerSid: worker.sid, ttl: 60, now: Math.floor(Date.now() / 1000) - 3600 });
    expect((await call('GET', `/v1/Workspaces/${ws.sid}/Workers/${worker.sid}`, `Bearer ${expired}`)).status).toBe(401);
    expect((await call('GET', '/v1/Workspaces')).status).toBe(401);
    // A minted worker token: allowed on its worker, refused elsewhere, and used on a socket.
    const token = await createWorkerToken({ credentials: CREDENTIALS, workspaceSid: ws.sid, workerSid: worker.sid, ttl: 600 });
    expect((await call('GET', `/v1/Workspaces/${ws.sid}/Workers/${worker.sid}`, `Bearer ${token}`)).status).toBe(200);
    expect((await call('GET', `/v1/Workspaces/${ws.sid}/Workers`, `Bearer ${token}`)).status).toBe(403);
    const { socket } = await connectWorker(`${url.replace(/^http/, 'ws')}/v1/sockets`, token);
    socket.close();
    await socket.closed;
    // Secrets in a query string, a caller's request id, the metrics token right and wrong.
    expect((await call('GET', `/v1/Workspaces?AuthToken=${AUTH_TOKEN}&token=${token}`, account, undefined, { 'x-request-id': 'trace-me-42' })).status).toBe(200);
    expect((await call('GET', '/metrics', `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    expect((await call('GET', '/metrics', `Bearer ${METRICS_TOKEN}x`)).status).toBe(401);
    // Code that logs a secret by mistake, under a secret name or not.
    logger.info({ authToken: AUTH_TOKEN, req: { headers: { authorization: account } }, detail: { token } }, 'careless line');
    logger.warn(`careless message with ${AUTH_TOKEN} and ${token}`);
    // The banner, as main prints it (credentials from the environment).
    lines.push(...startBanner(running, config, { SWITCHBOARD_AUTH_TOKEN: AUTH_TOKEN }));
    await running.close();
    running = undefined;

    const output = lines.join('\n');
    for (const secret of secretsOf([token, expired, `Bearer ${token}`])) expect(output).not.toContain(secret);
    const entries = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const messages = entries.map((e) => e['msg']);
    expect(messages).toEqual(expect.arrayContaining(['listening; recovering', 'recovery finished', 'ready', 'workspace created', 'access denied', 'request', 'careless line', 'shutting down', 'stopped']));
    expect(entries.filter((e) => e['msg'] === 'access denied').length).toBeGreaterThanOrEqual(7);
    for (const e of entries) expect(e).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });
    // Request lines carry the request id (the caller's, when sane) and a masked URL.
    const traced = entries.find((e) => e['msg'] === 'request' && e['reqId'] === 'trace-me-42');
    expect(traced?.['url']).toBe('/v1/Workspaces?AuthToken=redacted&token=redacted');
    expect(entries.find((e) => e['msg'] === 'careless line')).toMatchObject({ authToken: '[redacted]', detail: { token: '[redacted]' } });
  });

  it('the main process writes no secret from start to SIGTERM', async () => {
    const env = {
      ...process.env,
      PORT: '0',
      SWITCHBOARD_DATA: ':memory:',
      SWITCHBOARD_DEMO: 'false',
      LOG_LEVEL: 'trace',
      LOG_FORMAT: 'json',
      SWITCHBOARD_ACCOUNT_SID: CREDENTIALS.accountSid,
      SWITCHBOARD_AUTH_TOKEN: AUTH_TOKEN,
      SWITCHBOARD_API_KEYS: `${KEY_SID}:${KEY_SECRET}`,
      SWITCHBOARD_METRICS_TOKEN: METRICS_TOKEN,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    while (!out.includes('"msg":"ready"')) await once(child.stdout, 'data');
    const url = /"url":"(http:\/\/[^"]+)","wsUrl"/.exec(out)![1]!;
    const account = basicHeader(CREDENTIALS.accountSid, AUTH_TOKEN);
    expect((await fetch(`${url}/v1/Workspaces`, { headers: { authorization: basicHeader(CREDENTIALS.accountSid, 'wrong-wrong-wrong-wrong') } })).status).toBe(401);
    expect((await fetch(`${url}/v1/Workspaces?AuthToken=${AUTH_TOKEN}`, { headers: { authorization: account } })).status).toBe(200);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    for (const secret of secretsOf([])) expect(out).not.toContain(secret);
    // Every stdout line is JSON (no banner: the credentials came from the environment).
    for (const line of out.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(out).toContain('"msg":"stopped"');
  }, 20_000);

  it('shows a generated auth token once, in the banner, and in no log line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, PORT: '0', SWITCHBOARD_DATA: ':memory:', SWITCHBOARD_DEMO: 'false', LOG_LEVEL: 'trace', LOG_FORMAT: 'json', SWITCHBOARD_ACCOUNT_SID: '', SWITCHBOARD_AUTH_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    while (!out.includes('curl -u')) await once(child.stdout, 'data');
    const generated = /auth token: +([0-9a-f]{32})/.exec(out)![1]!;
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    const sid = /account SID: (AC[0-9a-f]{32})/.exec(out)![1]!;
    expect((await fetch(`${url}/v1/Workspaces`, { headers: { authorization: basicHeader(sid, generated) } })).status).toBe(200);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const jsonLines = out.split('\n').filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBeGreaterThan(3);
    for (const line of jsonLines) expect(line).not.toContain(generated);
    expect(out.split(generated).length - 1).toBe(2); // the "auth token:" line and the curl example
  }, 20_000);

  it('masks secret-looking query values and formats readable lines for a terminal', () => {
    expect(safeUrl('/v1/sockets?token=abc&x=1')).toBe('/v1/sockets?token=redacted&x=1');
    expect(safeUrl('/v1/Workspaces?PageSize=5')).toBe('/v1/Workspaces?PageSize=5');
    const line = JSON.stringify({ level: 'info', time: '2026-01-02T03:04:05.678Z', pid: 1, hostname: 'h', msg: 'ready', url: 'http://x', n: 3 }) + '\n';
    expect(formatPretty(line, false)).toBe('03:04:05.678 INFO  ready url=http://x n=3\n');
    expect(formatPretty(line, true)).toContain('\x1b[32mINFO \x1b[0m');
    expect(formatPretty('not json\n', false)).toBe('not json\n');
  });
});
