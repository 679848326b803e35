/**
 * Bench processes and how they talk: the parent spawns a module as a child (compiled by tsc once
 * `benchRuntime.compiled` is set, see `compiled.ts`; through tsx otherwise), pinned to a core with
 * `taskset`, waits for its `ready` message, then sends it requests over Node's IPC channel and
 * awaits the matching replies. The child side is `serve()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How to start a child. */
export interface ChildOptions {
  /** Module path relative to `bench/`, e.g. `peers/raw-ws-server.ts`. */
  module: string;
  /** A short name for logs. */
  name: string;
  /** Pin to this CPU core (`taskset -c`); unpinned when undefined. */
  core?: number | undefined;
  env?: Record<string, string>;
  /** Extra flags for node (`--expose-gc`, `--cpu-prof`, ...). */
  nodeArgs?: string[];
  /** Working directory (where `--cpu-prof` writes). */
  cwd?: string;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * How children run: from the project compiled into `compiled` (its `bench/` holds the modules as
 * `.js`), as the hub ships; from the TypeScript sources through tsx when unset.
 */
export const benchRuntime: { compiled?: string } = {};

/** The node arguments that run a bench module, compiled or through tsx. */
function entry(module: string): string[] {
  if (benchRuntime.compiled) return [join(benchRuntime.compiled, 'bench', module.replace(/\.ts$/, '.js'))];
  return ['--import', 'tsx', BENCH_DIR + module];
}

/**
 * Scheduling priority (nice value) given to every bench process (0: unchanged). On a machine shared
 * with other work, a negative value keeps that work from preempting the measured processes.
 */
export const benchPriority = { nice: 0 };

/** Applies `benchPriority` to a process the bench started; false when the OS refused. */
export function prioritize(pid: number | undefined): boolean {
  if (!pid || benchPriority.nice === 0) return true;
  try {
    setPriority(pid, benchPriority.nice);
    return true;
  } catch {
    return false;
  }
}

/** A running child process with request/reply over IPC. */
export class Child {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  /** The payload of the child's `ready` message. */
  readonly ready: Promise<Record<string, unknown>>;
  /** Resolves with the exit code when the process is gone. */
  readonly exited: Promise<number>;
  readonly proc: ChildProcess;

  constructor(readonly options: ChildOptions) {
    const nodeArgs = [...(options.nodeArgs ?? []), ...entry(options.module)];
    const [command, args] = options.core === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', String(options.core), process.execPath, ...nodeArgs]];
    this.proc = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? process.cwd(),
    });
    prioritize(this.proc.pid);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 0))));
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: { ready?: Record<string, unknown> }) => {
        if (m && typeof m === 'object' && m.ready) {
          this.proc.off('message', onMessage);
          resolve(m.ready);
        }
      };
      this.proc.on('message', onMessage);
      void this.exited.then((code) => reject(new Error(`${options.name} exited with ${code} before it was ready`)));
    });
    this.proc.on('message', (m: Reply) => {
      if (!m || typeof m !== 'object' || typeof m.id !== 'number') return;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`${options.name}: ${m.error}`));
    });
    void this.exited.then((code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${options.name} exited with ${code}`));
      this.waiting.clear();
    });
  }

  /** Sends a command and resolves with the child's result. */
  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Asks the child to stop (`stop` command, then SIGTERM, then SIGKILL) and waits for it. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.request('stop').catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGTERM'), graceMs);
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs * 2);
    await this.exited;
    clearTimeout(timer);
    clearTimeout(killer);
  }
}

/** A child's command handlers. */
export type Handlers = Record<string, (args: Record<string, unknown>) => unknown>;

/**
 * Child side: answers the parent's requests with `handlers` and announces `ready`. A `stop`
 * handler is added when missing: it exits the process after replying. The child exits when the
 * parent goes away.
 */
export function serve(handlers: Handlers, ready: Record<string, unknown> = {}): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('This module runs as a bench child process (spawned with an IPC channel)');
  const all: Handlers = { stop: () => void setTimeout(() => process.exit(0), 10), ...handlers };
  process.on('message', (m: { id: number; cmd: string; args: Record<string, unknown> }) => {
    const handler = all[m.cmd];
    if (!handler) return send({ id: m.id, ok: false, error: `unknown command ${m.cmd}` });
    Promise.resolve()
      .then(() => handler(m.args ?? {}))
      .then(
        (result) => send({ id: m.id, ok: true, result: result === undefined ? null : result }),
        (error: unknown) => send({ id: m.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  send({ ready: { pid: process.pid, ...ready } });
}
