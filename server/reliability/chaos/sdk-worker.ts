/**
 * The SDK's `Worker` as the chaos tests run it: in Node, with the `ws` package as its WebSocket,
 * exactly the code an agent's page runs.
 */
import { WebSocket } from 'ws';
import { Worker, type WebSocketConstructor, type WorkerEvents, type WorkerOptions } from '../../../client/sdk/index.js';

/** The `ws` package, as the SDK's WebSocket. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

/** The `ws` package with its connections made from `localAddress` (a 127.0.0.x address spreads a big fleet over several sources). */
export function webSocketFrom(localAddress: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { localAddress, perMessageDeflate: false });
    }
  } as unknown as WebSocketConstructor;
}

/** Starts an SDK worker for `token` against the hub (or proxy) at `url`; resolves on `ready`. */
export function startSdkWorker(url: string, token: string, options: Omit<WorkerOptions, 'url'> = {}, timeoutMs = 10_000): Promise<Worker> {
  const worker = new Worker(token, { url, WebSocket: NodeWebSocket, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.disconnect();
      reject(new Error(`worker ${worker.sid} not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    worker.once('ready', () => {
      clearTimeout(timer);
      resolve(worker);
    });
  });
}

/** Resolves with the next occurrence of a worker event (or rejects after `timeoutMs`). */
export function nextEvent<K extends keyof WorkerEvents>(worker: Worker, name: K, timeoutMs = 10_000): Promise<WorkerEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} from worker ${worker.sid} in ${timeoutMs} ms`));
    }, timeoutMs);
    const off = worker.once(name, (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}
