/**
 * The parent's handle on `hub-process.ts`: spawns it through tsx with an IPC channel, waits for its
 * `ready` message, sends it commands and stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HubProcessReady } from './hub-process.js';

const MODULE = fileURLToPath(new URL('./hub-process.ts', import.meta.url));

/** A running hub process. */
export class HubChild {
  private nextId = 0;
  private readonly waiting = new Map<number, (reply: { ok: boolean; result?: unknown; error?: string }) => void>();
  private readonly exited: Promise<number>;

  private constructor(
    private readonly proc: ChildProcess,
    /** What the hub sent when ready. */
    readonly ready: HubProcessReady,
  ) {
    proc.on('message', (m: { id?: number; ok: boolean }) => {
      const done = m.id === undefined ? undefined : this.waiting.get(m.id);
      if (!done) return;
      this.waiting.delete(m.id!);
      done(m);
    });
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code ?? 1)));
  }

  /** Starts the hub with `workers` workers and `tasks` tasks per drop; resolves once it is ready. HUB_NODE_ARGS adds node flags (`--cpu-prof`). */
  static async start(workers: number, tasks: number, timeoutMs = 120_000): Promise<HubChild> {
    const proc = spawn(process.execPath, [...(process.env['HUB_NODE_ARGS'] ?? '').split(' ').filter(Boolean), '--import', 'tsx', MODULE], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, WORKERS: String(workers), TASKS: String(tasks) },
    });
    const ready = await new Promise<HubProcessReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub process not ready after ${timeoutMs} ms`)), timeoutMs);
      proc.on('message', (m: { ready?: HubProcessReady }) => {
        if (!m.ready) return;
        clearTimeout(timer);
        resolve(m.ready);
      });
      proc.once('exit', (code) => reject(new Error(`hub process exited with ${code} before it was ready`)));
    });
    return new HubChild(proc, ready);
  }

  /** Sends a command; resolves with its result. */
  request<T>(cmd: string): Promise<T> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) => (reply.ok ? resolve(reply.result as T) : reject(new Error(`hub process: ${reply.error}`))));
      this.proc.send({ id, cmd });
    });
  }

  /** Stops the hub (gracefully, then by force) and waits for the process to end. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.request('stop').catch(() => undefined);
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(kill);
  }
}
