import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `server/main.ts` lives. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a hub process is started. */
export interface HubProcessOptions {
  /** `SWITCHBOARD_DATA`: the directory of its database. */
  dataDir: string;
  accountSid: string;
  authToken: string;
  /** Give up waiting for `ready` after this long (default 30 s). */
  startTimeoutMs?: number;
  /** More environment for the process (e.g. a fault layer to preload). */
  env?: NodeJS.ProcessEnv;
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned child: its recent output, a wait for a log message, and its end. */
interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<Exit>;
  /** Resolves with the first log entry whose `msg` is `msg`; rejects if the child ends or stalls first. */
  logged(msg: string, timeoutMs: number): Promise<Record<string, unknown>>;
}

function spawnChild(script: string, options: HubProcessOptions): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SWITCHBOARD_DATA: options.dataDir,
      SWITCHBOARD_DEMO: '0',
      SWITCHBOARD_ACCOUNT_SID: options.accountSid,
      SWITCHBOARD_AUTH_TOKEN: options.authToken,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const entries: Array<Record<string, unknown>> = [];
  const wake = new Set<() => void>();
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
  };
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      keep(line);
      const entry = parseLog(line);
      if (entry) entries.push(entry);
      for (const fn of wake) fn();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => chunk.trimEnd().split('\n').forEach(keep));
  // A child killed before it reads stdin must not fail a write to it.
  child.stdin!.on('error', () => undefined);

  const logged = (msg: string, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const fail = (why: string) => {
        done();
        child.kill('SIGKILL');
        reject(new Error(`${why}; its last output:\n${lines.slice(-20).join('\n')}`));
      };
      const check = () => {
        const found = entries.find((e) => e['msg'] === msg);
        if (found) {
          done();
          resolve(found);
        }
      };
      const timer = setTimeout(() => fail(`The hub did not log "${msg}" in ${timeoutMs} ms`), timeoutMs);
      let ended = false;
      void exited.then((exit) => !ended && fail(`The hub exited before it logged "${msg}" (code ${exit.code}, signal ${exit.signal})`));
      const done = () => {
        ended = true;
        clearTimeout(timer);
        wake.delete(check);
      };
      wake.add(check);
      check();
    });
  return { process: child, lines, exited, logged };
}

/**
 * The real hub as a child process, on a port of its own choosing, with the environment an
 * operator would set. `start` runs `server/main.ts`; `prewarm` loads a hub's modules ahead of time
 * (`hub-child.ts`) so that a restart in a crash loop takes only recovery.
 */
export class HubProcess {
  private constructor(
    private readonly child: Child,
    /** Where it listens, e.g. `http://127.0.0.1:40199`. */
    readonly url: string,
  ) {}

  /** Resolves when the process has ended, however it ended. */
  get exited(): Promise<Exit> {
    return this.child.exited;
  }

  /** The worker socket endpoint. */
  get wsUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}/v1/sockets`;
  }

  /** Starts `node --import tsx server/main.ts`; resolves once it serves requests, rejects with its output if it dies or stalls. */
  static async start(options: HubProcessOptions): Promise<HubProcess> {
    const child = spawnChild('server/main.ts', options);
    const ready = await child.logged('ready', options.startTimeoutMs ?? 30_000);
    return new HubProcess(child, String(ready['url']));
  }

  /** Spawns a hub that has loaded its modules and waits; `start()` on the result runs it. */
  static async prewarm(options: HubProcessOptions): Promise<WarmHub> {
    const child = spawnChild('server/durability/hub-child.ts', options);
    await child.logged('warm', options.startTimeoutMs ?? 30_000);
    return {
      start: async () => {
        child.process.stdin!.write('start\n');
        const ready = await child.logged('ready', options.startTimeoutMs ?? 30_000);
        return new HubProcess(child, String(ready['url']));
      },
      kill: async () => {
        child.process.kill('SIGKILL');
        await child.exited;
      },
    };
  }

  /** Sends a signal and resolves once the process has ended. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    this.child.process.kill(signal);
    return this.child.exited;
  }

  /** Its recent output, for a failure message. */
  output(): string {
    return this.child.lines.slice(-30).join('\n');
  }
}

/** A hub process with its modules loaded, not yet started. */
export interface WarmHub {
  start(): Promise<HubProcess>;
  kill(): Promise<void>;
}

function parseLog(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
