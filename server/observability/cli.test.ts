/**
 * The `switchboard` CLI from a fresh build of the server (`tsc -p tsconfig.build.json`, as
 * `npm run build` does, into a private folder): each command, `--help` on each, and bad flags.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWorkerToken } from '../auth/tokens.js';
import { runCli } from '../cli.js';
import { Hub } from '../hub.js';
import { MemoryStore } from '../store/memory-store.js';

const repo = resolve(import.meta.dirname, '../..');
// Inside the repo, so the build finds node_modules as dist/ does.
const outDir = join(repo, 'node_modules', '.cache', `switchboard-cli-test-${process.pid}`);
const cliPath = join(outDir, 'server', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
const data = join(work, 'data');
mkdirSync(data);

const ACCOUNT_SID = 'AC' + 'e'.repeat(32);
const AUTH_TOKEN = 'cli-test-auth-token-0123456789';
const ENV = { ...process.env, SWITCHBOARD_ACCOUNT_SID: ACCOUNT_SID, SWITCHBOARD_AUTH_TOKEN: AUTH_TOKEN, SWITCHBOARD_DATA: data, LOG_FORMAT: 'json' };
const credentials = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiKeys: new Map<string, string>() };
const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` };

function cli(args: string[], env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: repo, stdio: 'pipe' });
}, 180_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('switchboard CLI from a fresh build', () => {
  it('is an executable script with help for each command', () => {
    expect(readFileSync(cliPath, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const main = cli(['--help']);
    expect(main.code).toBe(0);
    expect(main.out).toMatch(/Commands:[\s\S]*start[\s\S]*token[\s\S]*backup[\s\S]*workspaces/);
    for (const command of ['start', 'token', 'backup', 'workspaces']) {
      const help = cli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.out, command).toContain(`usage: switchboard ${command}`);
    }
    expect(cli(['--version']).out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 30_000);

  it.each([
    [['start', '--port', 'eighty'], /--port must be an integer from 0 to 65535, got "eighty"/],
    [['start', '--bogus'], /unknown option --bogus/],
    [['start', '--log-level', 'loud'], /--log-level must be one of fatal, error/],
    [['start', 'extra'], /unexpected argument extra/],
    [['token'], /token needs a workspace and a worker/],
    [['token', 'WS' + '1'.repeat(32), 'WK' + '2'.repeat(32), '--ttl', '0'], /--ttl must be an integer from 1 to 86400/],
    [['backup'], /backup needs the file to write/],
    [['backup', 'x.db', '--data', ':memory:'], /:memory:, which keeps nothing to back up/],
    [['workspaces', '--json=yes'], /--json/],
    [['launch'], /unknown command "launch"/],
  ])('refuses %j with a clear message and exit 2', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  }, 15_000);

  it('start refuses a bad environment variable, naming it', () => {
    const r = cli(['start'], { ...ENV, SWITCHBOARD_DEMO: 'sometimes' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/SWITCHBOARD_DEMO must be one of/);
  }, 15_000);

  it('starts a hub, and token, workspaces and backup work beside it', async () => {
    const hub = spawn(process.execPath, [cliPath, 'start', '--port', '0', '--no-demo', '--data', data], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    hub.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    hub.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      while (!out.includes('"msg":"ready"')) await Promise.race([once(hub.stdout, 'data'), once(hub, 'exit').then(() => Promise.reject(new Error(out)))]);
      const url = /"url":"(http:\/\/[^"]+)","wsUrl"/.exec(out)![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const post = (path: string, body: string) =>
        fetch(`${url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body }).then((r) => r.json() as Promise<{ sid: string }>);
      const ws = await post('/v1/Workspaces', 'FriendlyName=Ops%20Test');
      const worker = await post(`/v1/Workspaces/${ws.sid}/Workers`, 'FriendlyName=agent-x');

      // A token by SIDs needs only the credentials.
      const bySid = cli(['token', ws.sid, worker.sid, '--ttl', '600']);
      expect(bySid.code).toBe(0);
      const verified = await verifyWorkerToken(bySid.out.trim(), credentials);
      expect(verified.ok && verified.grant).toMatchObject({ workspaceSid: ws.sid, workerSid: worker.sid });

      // The rest reads the data directory, which only a persistent store (SQLite) fills.
      const persistent = existsSync(join(outDir, 'server', 'store', 'sqlite-store.js'));
      const listed = cli(['workspaces', '--json']);
      expect(listed.code).toBe(0);
      const rows = JSON.parse(listed.out) as Array<{ sid: string; friendly_name: string; workers: number }>;
      const byName = cli(['token', 'Ops Test', 'agent-x']);
      const copy = join(work, 'copy.db');
      const backup = cli(['backup', copy]);
      if (persistent) {
        expect(rows).toContainEqual(expect.objectContaining({ sid: ws.sid, friendly_name: 'Ops Test', workers: 1 }));
        expect(byName.code).toBe(0);
        const named = await verifyWorkerToken(byName.out.trim(), credentials);
        expect(named.ok && named.grant.workerSid).toBe(worker.sid);
        expect(backup.code, backup.err).toBe(0);
        expect(backup.out).toContain(`to ${copy}`);
        expect(statSync(copy).size).toBeGreaterThan(0);
        const again = cli(['backup', copy]);
        expect(again.code).toBe(1);
        expect(again.err).toMatch(/already exists/);
      } else {
        // This build keeps data in memory: nothing to list, name or back up, and each says so.
        expect(rows).toEqual([]);
        expect(byName.code).toBe(1);
        expect(byName.err).toMatch(/No workspace "Ops Test"/);
        expect(backup.code).toBe(1);
        expect(backup.err).toMatch(/nothing to back up/);
      }
      const human = cli(['workspaces']);
      expect(human.code).toBe(0);
      expect(human.out).toMatch(persistent ? /SID +NAME +WORKERS +QUEUES +TASKS\nWS[0-9a-f]{32} +Ops Test +1 / : /No workspaces in /);
    } finally {
      hub.kill('SIGTERM');
      if (hub.exitCode === null) await once(hub, 'exit');
    }
    expect(hub.exitCode).toBe(0);
    expect(out).toContain('"msg":"stopped"');
  }, 60_000);
});

/** A memory store that can be backed up (a JSON dump), standing in for SQLite where the build has none. */
class DumpableStore extends MemoryStore {
  // `file` is optional only because MemoryStore's own `backup()` declares no parameter.
  override async backup(file?: string): Promise<void> {
    writeFileSync(file!, JSON.stringify(Object.fromEntries(await this.load())));
  }
}

describe('switchboard CLI on a data directory', () => {
  it('lists workspaces, mints tokens by name and backs up', async () => {
    const store = new DumpableStore();
    const hub = await Hub.open({ store, accountSid: ACCOUNT_SID });
    const ws = await hub.createWorkspace({ friendlyName: 'Night Shift' });
    const made = await hub.dispatch(ws.sid, { type: 'worker.create', friendlyName: 'Ana' });
    const workerSid = (made.ok && (made.value as { sid: string }).sid) || '';
    const twin = await hub.createWorkspace({ friendlyName: 'Night Shift' });
    await hub.close();
    const out: string[] = [];
    const err: string[] = [];
    const io = { env: ENV, err: (l: string) => err.push(l), openStore: async () => store };
    const run = (...args: string[]) => runCli(args, (l) => out.push(l), io);

    expect(await run('workspaces')).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`${ws.sid} +Night Shift +1 +0 +0`));
    out.length = 0;
    expect(await run('workspaces', '--json')).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual([
      { sid: ws.sid, friendly_name: 'Night Shift', workers: 1, task_queues: 0, tasks: 0 },
      { sid: twin.sid, friendly_name: 'Night Shift', workers: 0, task_queues: 0, tasks: 0 },
    ]);

    // Two workspaces share a name: the CLI asks for the SID instead of guessing.
    expect(await run('token', 'Night Shift', 'Ana')).toBe(1);
    expect(err.at(-1)).toMatch(/2 workspaces are named "Night Shift"; give the SID/);
    out.length = 0;
    expect(await run('token', ws.sid, 'Ana', '--ttl', '60')).toBe(0);
    const verified = await verifyWorkerToken(out.at(-1)!, credentials);
    expect(verified.ok && verified.grant).toMatchObject({ workspaceSid: ws.sid, workerSid });
    expect(await run('token', 'Day Shift', 'Ana')).toBe(1);
    expect(err.at(-1)).toMatch(/No workspace "Day Shift"/);

    const copy = join(work, 'dump.json');
    expect(await run('backup', copy)).toBe(0);
    expect(out.at(-1)).toContain(`to ${copy}`);
    expect(Object.keys(JSON.parse(readFileSync(copy, 'utf8')) as object)).toEqual([ws.sid, twin.sid]);
    expect(await run('backup', copy)).toBe(1);
    expect(err.at(-1)).toMatch(/already exists/);
  });
});
