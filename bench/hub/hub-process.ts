/**
 * The hub as the bench runs it: `startServer` in-process with the native worker sockets, exactly
 * as `server/main.ts` composes it, configured from the environment (PORT=0, SWITCHBOARD_DATA=<tmp
 * dir>, fixed credentials), plus the bench's IPC: CPU, RSS and event-loop delay of this process,
 * full GC (run with --expose-gc), CPU profiles of a window, the store's commit figures, socket
 * counters, and a graceful stop. BENCH_STORE selects an experimental store variant.
 */
import { serve } from '../lib/ipc.js';
import { statsHandlers } from '../lib/process-stats.js';
import { loadConfig } from '../../server/config.js';
import { startServer } from '../../server/server.js';
import { attachWorkerSockets, type WorkerSockets } from '../../server/ws/attach.js';
import { meterStore } from './store-meter.js';
import { openBenchStore } from './store-variants.js';

const config = loadConfig(process.env);
let sockets: WorkerSockets | undefined;
// BENCH_STORE picks the product's store (default) or an experimental variant (see store-variants.ts).
const meter = meterStore(await openBenchStore(process.env['BENCH_STORE'], config.data));
const store = meter.store;
const stats = statsHandlers();
const running = await startServer(config, {
  store,
  logRequests: false,
  attachSockets: (server, hub, credentials) => (sockets = attachWorkerSockets(server, hub, credentials, {})),
});

/** Connections the hub answered and closed before a request reached the API, in total (from its metrics). */
async function clientErrors(): Promise<number> {
  const text = await running.metrics.scrape();
  let total = 0;
  for (const m of text.matchAll(/^switchboard_http_client_errors_total\{reason="[a-z_]+"\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

serve(
  {
    ...stats,
    'stats.reset': () => {
      meter.reset();
      return stats['stats.reset']!({});
    },
    'stats.read': async () => ({ ...((await stats['stats.read']!({})) as object), store: meter.read(), clientErrors: await clientErrors() }),
    sockets: () => sockets?.stats(),
    stop: async () => {
      await running.close();
      setTimeout(() => process.exit(0), 10);
    },
  },
  { url: running.url, store: `${store.constructor.name}${process.env['BENCH_STORE'] ? ` (${process.env['BENCH_STORE']})` : ''}` },
);
