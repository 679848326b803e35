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
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The real hub as a child process (`node --import tsx server/main.ts`), on a port of its own
 * choosing, with the same environment an operator would set. It is ready once it logs `ready`.
 */
export class HubProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** Where it listens, e.g. `http://127.0.0.1:40199`. */
    readonly url: string,
    /** Resolves when the process has ended, however it ended. */
    readonly exited: Promise<Exit>,
    private readonly lines: string[],
  ) {}

  /** Starts a hub and resolves once it serves requests; rejects with its output if it dies or stalls first. */
  static start(options: HubProcessOptions): Promise<HubProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
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
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return new Promise<HubProcess>((resolve, reject) => {
      const fail = (why: string) => {
        child.kill('SIGKILL');
        reject(new Error(`${why}; its last output:\n${lines.slice(-20).join('\n')}`));
      };
      const timer = setTimeout(() => fail('The hub did not become ready in time'), options.startTimeoutMs ?? 30_000);
      let buffered = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          lines.push(line);
          if (lines.length > 200) lines.shift();
          const entry = parseLog(line);
          if (entry?.msg === 'ready' && typeof entry.url === 'string') {
            clearTimeout(timer);
            resolve(new HubProcess(child, entry.url, exited, lines));
          }
        }
      });
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.trimEnd().split('\n')));
      void exited.then((exit) => {
        clearTimeout(timer);
        fail(`The hub exited before it was ready (code ${exit.code}, signal ${exit.signal})`);
      });
    });
  }

  /** Sends a signal and resolves once the process has ended. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    this.child.kill(signal);
    return this.exited;
  }

  /** Its recent output, for a failure message. */
  output(): string {
    return this.lines.slice(-30).join('\n');
  }
}

function parseLog(line: string): { msg?: unknown; url?: unknown } | undefined {
  try {
    return JSON.parse(line) as { msg?: unknown; url?: unknown };
  } catch {
    return undefined;
  }
}
