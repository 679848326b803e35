/**
 * A throwaway Redis for baseline 2: `redis-server` on a free loopback port with its data in a
 * temporary directory, append-only file on with `appendfsync everysec` (the usual production
 * setting; weaker than the hub's fsync per group commit), pinned to a core, stopped and removed
 * after the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prioritize } from './ipc.js';

/** A running Redis. */
export interface RedisServer {
  port: number;
  pid: number;
  /** RSS of the Redis process in bytes (from /proc). */
  rss(): number;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port nobody listens on right now (found by listening on port 0); each call usually gives a new one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Reads a process's resident set size from /proc. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Why baseline 2 cannot run here (`redis-server` is not on the PATH), or undefined when it can. */
export function redisMissing(): string | undefined {
  if (process.env['PATH']?.split(':').some((d) => existsSync(join(d, 'redis-server')))) return undefined;
  return 'redis-server is not installed (Debian: apt-get install -y redis-server): baseline 2 needs it; or leave it out with --only=hub,raw';
}

/** Starts Redis pinned to `core`; resolves once it answers PING. */
export async function startRedis(core: number | undefined): Promise<RedisServer> {
  const missing = redisMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no', '--loglevel', 'warning', '--maxclients', '1000'];
  const proc: ChildProcess = core === undefined ? spawn('redis-server', args, { stdio: 'ignore' }) : spawn('taskset', ['-c', String(core), 'redis-server', ...args], { stdio: 'ignore' });
  // A spawn that fails (no taskset, say) shows below as a Redis that never answers, not as an uncaught error.
  proc.once('error', () => undefined);
  prioritize(proc.pid);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  for (let i = 0; i < 100 && !(await ping(port)); i += 1) await new Promise((r) => setTimeout(r, 50));
  if (!(await ping(port))) {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start on port ${port}`);
  }
  const pid = proc.pid ?? 0;
  return {
    port,
    pid,
    rss: () => rssOf(pid),
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
