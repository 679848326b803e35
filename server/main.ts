/**
 * Composition root: configuration from the environment (validated: a bad value stops the hub
 * with a message naming the variable), the logger, then a listening hub. SIGTERM/SIGINT close it
 * gracefully; a second signal, or a close that takes too long, exits at once.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from './config.js';
import { demoBanner } from './demo/seed.js';
import { createLogger, isPretty } from './observability/logger.js';
import { hubVersion } from './observability/version.js';
import { startServer, type RunningServer } from './server.js';

/** How long a graceful close may take before the process exits anyway. */
const CLOSE_DEADLINE_MS = 20_000;

/** The human-readable start lines: where the hub listens, and generated credentials (shown once). */
export function startBanner(running: RunningServer, config: Config, env: NodeJS.ProcessEnv): string[] {
  const { accountSid, authToken } = running.credentials;
  const wsUrl = running.url.replace(/^http/, 'ws');
  const lines = [`Switchboard listening on ${running.url}  (worker sockets: ${wsUrl}/v1/sockets)`, `  data: ${config.data}`, `  account SID: ${accountSid}`];
  if (running.generatedCredentials) {
    lines.push(`  auth token:  ${authToken}   (generated now and stored in the data; set SWITCHBOARD_AUTH_TOKEN to choose your own)`);
  }
  // Never echo a configured secret: show where it comes from instead.
  const token = running.generatedCredentials ? authToken : env['SWITCHBOARD_AUTH_TOKEN'] ? '$SWITCHBOARD_AUTH_TOKEN' : '<auth token>';
  lines.push('', 'Try:', `  curl -u ${accountSid}:${token} -d FriendlyName=Support ${running.url}/v1/Workspaces`);
  if (config.demo) lines.push('', ...demoBanner(running.url, running.demo));
  return lines;
}

/**
 * Runs a hub configured from `env` until it is stopped; resolves with the process exit code (0
 * after a signal's graceful close, 1 after a failure, 2 for a bad configuration).
 */
export async function runHub(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    console.error(`Switchboard: bad configuration:\n  ${(error as Error).message.split('\n').join('\n  ')}`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  logger.info({ version: hubVersion(), node: process.version, host: config.host, port: config.port, data: config.data, demo: config.demo }, 'starting');

  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let running: RunningServer | undefined;
  let stopping = false;
  let exitCode = 0;
  const closeRunning = (hub: RunningServer) =>
    hub.close().then(
      () => finish(exitCode),
      (error: unknown) => {
        logger.error({ err: error }, 'error while closing');
        finish(1);
      },
    );
  const stop = (reason: string, code: number) => {
    // A second signal means "now": skip the graceful close.
    if (stopping) return finish(1);
    stopping = true;
    exitCode = code;
    logger.info({ reason }, 'closing');
    setTimeout(() => {
      logger.error('graceful close took too long; exiting');
      finish(1);
    }, CLOSE_DEADLINE_MS).unref();
    // During start, the close waits for the start to finish (below).
    if (running) void closeRunning(running);
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal, 0);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    try {
      running = await startServer(config, { logger, env, onFatal: () => stop('store failure', 1) });
    } catch (error) {
      logger.fatal({ err: error }, 'could not start');
      console.error(`Switchboard could not start: ${(error as Error).message}`);
      return 1;
    }
    if (stopping) void closeRunning(running);
    else if (isPretty(config.logFormat) || running.generatedCredentials) console.log(startBanner(running, config, env).join('\n'));
    return await finished;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** Whether `moduleUrl` is the script node was started with (following the symlinks npm makes for `bin`). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/** Exits with `code` once stdout and stderr have drained. */
export function exitWith(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (isEntryPoint(import.meta.url)) {
  runHub().then(
    (code) => exitWith(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
