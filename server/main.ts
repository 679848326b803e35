/** Composition root: configuration from the environment, then a listening hub; SIGTERM/SIGINT close it gracefully. */
import { loadConfig } from './config.js';
import { startServer } from './server.js';
import { attachWorkerSockets } from './ws/attach.js';

/** Starts the hub from the environment and prints where it listens (and new credentials, once). */
async function main(): Promise<void> {
  const config = loadConfig();
  const running = await startServer(config, {
    attachSockets: (server, hub, credentials) => attachWorkerSockets(server, hub, credentials, { publicUrl: config.publicUrl }),
  });
  const { accountSid, authToken } = running.credentials;
  const wsUrl = running.url.replace(/^http/, 'ws');
  const lines = [`Switchboard listening on ${running.url}  (worker sockets: ${wsUrl}/v1/sockets)`, `  data: ${config.data}`, `  account SID: ${accountSid}`];
  if (running.generatedCredentials) {
    lines.push(`  auth token:  ${authToken}   (generated now and stored in the data; set SWITCHBOARD_AUTH_TOKEN to choose your own)`);
  }
  const token = running.generatedCredentials ? authToken : process.env['SWITCHBOARD_AUTH_TOKEN'] ? '$SWITCHBOARD_AUTH_TOKEN' : '<auth token>';
  lines.push('', 'Try:', `  curl -u ${accountSid}:${token} -d FriendlyName=Support ${running.url}/v1/Workspaces`);
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string) => {
    // A second signal means "now": skip the graceful close.
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal} received, closing...`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Error while closing:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
