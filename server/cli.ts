/**
 * Small operator commands. `token <workspaceSid> <workerSid> [ttlSeconds]` prints a worker token
 * signed with the account's credentials (from the environment, else from the data directory).
 */
import { pathToFileURL } from 'node:url';
import { createWorkerToken } from './auth/tokens.js';
import { loadConfig } from './config.js';
import { loadCredentials } from './credentials.js';
import { openStore } from './server.js';
import { isSid } from '../shared/sid.js';

const USAGE = 'usage: switchboard token <workspaceSid> <workerSid> [ttlSeconds]';

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [command, workspaceSid, workerSid, ttlText] = argv;
  if (command !== 'token') {
    out(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  if (!isSid('WS', workspaceSid) || !isSid('WK', workerSid)) {
    out(`${USAGE}\n  workspaceSid must be WS + 32 hex, workerSid WK + 32 hex`);
    return 2;
  }
  const ttl = ttlText === undefined ? 3600 : Number(ttlText);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) {
    out('ttlSeconds must be an integer from 1 to 86400');
    return 2;
  }
  const config = loadConfig();
  const store = await openStore(config.data);
  try {
    const loaded = await loadCredentials(store);
    if (loaded.source === 'generated') {
      out(`No credentials existed yet; generated account ${loaded.credentials.accountSid} with auth token ${loaded.credentials.authToken}`);
    }
    out(await createWorkerToken({ credentials: loaded.credentials, workspaceSid, workerSid, ttl }));
    return 0;
  } finally {
    await store.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
