#!/usr/bin/env node
/**
 * `switchboard <command>`: `start` runs the hub (flags override the environment), `token` mints a
 * worker token, `backup` writes a consistent copy of the database (safe while the hub runs),
 * `workspaces` lists what the data directory holds. `--help` on each; a bad flag is a usage
 * error (exit 2) that says what was expected.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isSid } from '../shared/sid.js';
import { createWorkerToken } from './auth/tokens.js';
import { loadConfig, type Config } from './config.js';
import { loadCredentials } from './credentials.js';
import type { WorkerRecord, WorkspaceRecord } from './engine/model.js';
import { exitWith, isEntryPoint, runHub } from './main.js';
import { hubVersion } from './observability/version.js';
import { openStore } from './server.js';
import type { Store } from './store/store.js';

/** Where a command writes, what it reads, and how it opens a data directory. */
export interface CliIo {
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  openStore: (data: string) => Promise<Store>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP = {
  main: `usage: switchboard <command> [options]

Commands:
  start        Run the hub (as npm start); flags override the environment
  token        Mint a worker token
  backup       Write a consistent copy of the database to a file
  workspaces   List the workspaces in the data directory

Run "switchboard <command> --help" for a command's options. "switchboard --version" prints the version.`,
  start: `usage: switchboard start [options]

Runs the hub until SIGTERM or SIGINT. Each flag overrides its environment variable.
  --port <n>          PORT (default 3000; 0 picks a free port)
  --host <addr>       HOST (default 127.0.0.1)
  --data <dir>        SWITCHBOARD_DATA (default ./data; :memory: keeps nothing)
  --no-demo           SWITCHBOARD_DEMO=false: no demo workspace or pages
  --log-level <lvl>   LOG_LEVEL: fatal, error, warn, info, debug, trace, silent
  --log-format <f>    LOG_FORMAT: auto, json, pretty
  --public-url <url>  SWITCHBOARD_PUBLIC_URL`,
  token: `usage: switchboard token <workspace> <worker> [--ttl <seconds>] [--data <dir>]

Prints a worker token signed with the account's credentials (from the environment, else the
data directory). <workspace> and <worker> are SIDs or friendly names (names are looked up in the
data directory). --ttl is 1 to 86400 seconds (default 3600).`,
  backup: `usage: switchboard backup <file> [--data <dir>]

Writes a consistent copy of the database in <dir> (default: SWITCHBOARD_DATA) to <file>, which
must not exist yet. Safe while the hub runs. To restore: stop the hub, replace the data
directory's database with the copy, start the hub.`,
  workspaces: `usage: switchboard workspaces [--data <dir>] [--json]

Lists the workspaces in the data directory with their numbers of workers, queues and tasks.`,
} as const;

class UsageError extends Error {}

/** Flags of `start` and the variables they set. */
const START_FLAGS: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  data: 'SWITCHBOARD_DATA',
  'log-level': 'LOG_LEVEL',
  'log-format': 'LOG_FORMAT',
  'public-url': 'SWITCHBOARD_PUBLIC_URL',
};

function parse(args: string[], options: Options, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    const e = error as { code?: string; message: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${/'([^']+)'/.exec(e.message)?.[1] ?? ''}`.trim());
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument ${/'([^']+)'/.exec(e.message)?.[1] ?? ''}`.trim());
    throw new UsageError(e.message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

/** The configuration with `--data` applied; a bad variable is a usage error. */
function configWith(env: NodeJS.ProcessEnv, data: string | boolean | undefined): Config {
  try {
    return loadConfig(typeof data === 'string' ? { ...env, SWITCHBOARD_DATA: data } : env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function withStore<T>(io: CliIo, config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await io.openStore(config.data);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Every workspace of a store with its workers, queue and task counts. */
async function inventory(store: Store) {
  const out: Array<{ workspace: WorkspaceRecord; workers: WorkerRecord[]; queues: number; tasks: number }> = [];
  for (const [, records] of await store.load()) {
    let workspace: WorkspaceRecord | undefined;
    const workers: WorkerRecord[] = [];
    let queues = 0;
    let tasks = 0;
    for (const change of records) {
      if (change.record === null) continue;
      if (change.kind === 'workspace') workspace = change.record;
      else if (change.kind === 'worker') workers.push(change.record);
      else if (change.kind === 'taskQueue') queues += 1;
      else if (change.kind === 'task') tasks += 1;
    }
    if (workspace) out.push({ workspace, workers, queues, tasks });
  }
  return out.sort((a, b) => a.workspace.dateCreated - b.workspace.dateCreated);
}

function pick<T extends { sid: string; friendlyName: string }>(records: T[], ref: string, what: string): T {
  const bySid = records.find((r) => r.sid === ref);
  if (bySid) return bySid;
  const byName = records.filter((r) => r.friendlyName === ref);
  if (byName.length === 1) return byName[0]!;
  throw new Error(byName.length === 0 ? `No ${what} ${JSON.stringify(ref)} in the data directory` : `${byName.length} ${what}s are named ${JSON.stringify(ref)}; give the SID`);
}

async function start(args: string[], out: (line: string) => void, io: CliIo): Promise<number> {
  const flags = Object.fromEntries(Object.keys(START_FLAGS).map((f) => [f, { type: 'string' as const }]));
  const { values } = parse(args, { ...flags, demo: { type: 'boolean' }, 'no-demo': { type: 'boolean' } }, 0);
  if (values['help']) return usage(io, 'start', 0, out);
  const env = { ...io.env };
  for (const [flag, name] of Object.entries(START_FLAGS)) if (typeof values[flag] === 'string') env[name] = values[flag];
  if (values['no-demo']) env['SWITCHBOARD_DEMO'] = 'false';
  else if (values['demo']) env['SWITCHBOARD_DEMO'] = 'true';
  try {
    loadConfig(env);
  } catch (error) {
    // Name the flag when a flag set the bad value.
    const lines = (error as Error).message.split('\n').map((line) => {
      const flag = Object.entries(START_FLAGS).find(([f, name]) => line.startsWith(name) && typeof values[f] === 'string')?.[0];
      return flag ? `--${flag}${line.slice(START_FLAGS[flag]!.length)}` : line;
    });
    throw new UsageError(lines.join('\n'));
  }
  return runHub(env);
}

async function token(args: string[], out: (line: string) => void, io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ttl: { type: 'string' }, data: { type: 'string' } }, 3);
  if (values['help']) return usage(io, 'token', 0, out);
  const [workspaceRef, workerRef, ttlText = values['ttl']] = positionals;
  if (!workspaceRef || !workerRef) throw new UsageError('token needs a workspace and a worker (SIDs or friendly names)');
  const ttl = ttlText === undefined ? 3600 : /^\d+$/.test(String(ttlText)) ? Number(ttlText) : Number.NaN;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new UsageError('--ttl must be an integer from 1 to 86400 (seconds)');
  const config = configWith(io.env, values['data']);
  return withStore(io, config, async (store) => {
    let workspaceSid = workspaceRef;
    let workerSid = workerRef;
    if (!isSid('WS', workspaceRef) || !isSid('WK', workerRef)) {
      const all = await inventory(store);
      const found = pick(all.map((w) => ({ ...w, sid: w.workspace.sid, friendlyName: w.workspace.friendlyName })), workspaceRef, 'workspace');
      workspaceSid = found.sid;
      workerSid = pick(found.workers, workerRef, 'worker').sid;
    }
    const loaded = await loadCredentials(store, io.env);
    if (loaded.source === 'generated') {
      io.err(`No credentials existed yet; generated account ${loaded.credentials.accountSid} with auth token ${loaded.credentials.authToken}`);
    }
    out(await createWorkerToken({ credentials: loaded.credentials, workspaceSid, workerSid, ttl }));
    return 0;
  });
}

async function backup(args: string[], out: (line: string) => void, io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { data: { type: 'string' } }, 1);
  if (values['help']) return usage(io, 'backup', 0, out);
  const [target] = positionals;
  if (!target) throw new UsageError('backup needs the file to write');
  const config = configWith(io.env, values['data']);
  if (config.data === ':memory:') throw new UsageError('SWITCHBOARD_DATA is :memory:, which keeps nothing to back up; give --data <dir>');
  if (!existsSync(config.data)) throw new Error(`The data directory ${config.data} does not exist`);
  const file = resolve(target);
  if (existsSync(file)) throw new Error(`${file} already exists; choose a new file`);
  await withStore(io, config, (store) => store.backup(file));
  out(`Backed up ${config.data} to ${file} (${statSync(file).size} bytes)`);
  return 0;
}

async function workspaces(args: string[], out: (line: string) => void, io: CliIo): Promise<number> {
  const { values } = parse(args, { data: { type: 'string' }, json: { type: 'boolean' } }, 0);
  if (values['help']) return usage(io, 'workspaces', 0, out);
  const config = configWith(io.env, values['data']);
  const all = await withStore(io, config, inventory);
  const rows = all.map((w) => ({ sid: w.workspace.sid, friendly_name: w.workspace.friendlyName, workers: w.workers.length, task_queues: w.queues, tasks: w.tasks }));
  if (values['json']) {
    out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out(`No workspaces in ${config.data}`);
    return 0;
  }
  const width = Math.max(12, ...rows.map((r) => r.friendly_name.length));
  out(`${'SID'.padEnd(34)}  ${'NAME'.padEnd(width)}  WORKERS  QUEUES  TASKS`);
  for (const r of rows) out(`${r.sid}  ${r.friendly_name.padEnd(width)}  ${String(r.workers).padStart(7)}  ${String(r.task_queues).padStart(6)}  ${String(r.tasks).padStart(5)}`);
  return 0;
}

function usage(io: CliIo, which: keyof typeof HELP, code: number, out: (line: string) => void): number {
  (code === 0 ? out : io.err)(HELP[which]);
  return code;
}

/** Runs one CLI command; resolves with the process exit code (0 ok, 1 failed, 2 usage error). */
export async function runCli(argv: string[], out: (line: string) => void = console.log, io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { err: io.err ?? console.error, env: io.env ?? process.env, openStore: io.openStore ?? openStore };
  const [command, ...args] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return usage(full, 'main', 0, out);
      case '--version':
        out(hubVersion());
        return 0;
      case 'start':
        return await start(args, out, full);
      case 'token':
        return await token(args, out, full);
      case 'backup':
        return await backup(args, out, full);
      case 'workspaces':
        return await workspaces(args, out, full);
      default:
        full.err(`switchboard: unknown command ${JSON.stringify(command)}\n\n${HELP.main}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      full.err(`switchboard ${command}: ${error.message}\n\n${HELP[command as keyof typeof HELP] ?? HELP.main}`);
      return 2;
    }
    full.err(`switchboard ${command}: ${(error as Error).message}`);
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) {
  runCli(process.argv.slice(2)).then(exitWith, (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
