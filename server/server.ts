import { pooledIds } from './ids.js';
/**
 * Builds and starts a whole hub: store, credentials, hub, REST app, sockets, listening socket.
 * `main.ts` runs it from the environment; tests run it on port 0 with an in-memory store.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { loadCredentials, type Credentials } from './credentials.js';
import { createHttpApp } from './http/app.js';
import { Hub } from './hub.js';
import { MemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';

/** Attaches the WebSocket endpoints to the HTTP server; `close()` ends every socket. */
export type AttachSockets = (server: http.Server, hub: Hub, credentials: Credentials) => { close(): Promise<void> };

/** Choices beyond the configuration, mostly for tests. */
export interface StartOptions {
  /** Use this store instead of opening `config.data`. */
  store?: Store;
  /** Use these credentials instead of loading them. */
  credentials?: Credentials;
  /** The WebSocket server's hook (the socket transport provides it). */
  attachSockets?: AttachSockets;
  /** Environment to read credentials from (default: the process's). */
  env?: NodeJS.ProcessEnv;
  /** Fastify request logging (default: on when `config.logLevel` is not silent and this is not false). */
  logRequests?: boolean;
}

/** A running hub. */
export interface RunningServer {
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  url: string;
  hub: Hub;
  server: http.Server;
  credentials: Credentials;
  /** True when the credentials were generated on this start and must be shown to the operator. */
  generatedCredentials: boolean;
  /** Stops listening, closes sockets, commits and closes the hub. Idempotent. */
  close(): Promise<void>;
}

/** Opens the store of a data directory: SQLite when that adapter is present (else memory, with a warning), memory for `:memory:`. */
export async function openStore(data: string): Promise<Store> {
  if (data === ':memory:') return new MemoryStore();
  const modulePath = './store/sqlite-store.js';
  let adapter: { SqliteStore?: { open(dir: string): Promise<Store> } };
  try {
    adapter = (await import(modulePath)) as typeof adapter;
  } catch (error) {
    // Only the adapter itself being absent falls back; a broken adapter (or its driver) is an error.
    const e = error as { code?: string; message?: string };
    if (e.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('sqlite-store')) throw error;
    adapter = {};
  }
  if (adapter.SqliteStore) return adapter.SqliteStore.open(data);
  console.warn(`Switchboard: no SQLite store in this build; keeping data in memory instead of ${data}`);
  return new MemoryStore();
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Builds everything and listens on `config.host:config.port` (port 0 picks a free one). */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const store = options.store ?? (await openStore(config.data));
  let hub: Hub | undefined;
  try {
    const loaded = options.credentials
      ? { credentials: options.credentials, source: 'env' as const }
      : await loadCredentials(store, options.env ?? process.env);
    const credentials = loaded.credentials;
    hub = await Hub.open({ store, accountSid: credentials.accountSid, ids: pooledIds() });
    const logger = options.logRequests === false || config.logLevel === 'silent' ? false : { level: config.logLevel };
    const app = createHttpApp({ hub, credentials, publicUrl: config.publicUrl, logger });
    await app.ready();
    // WebSocket hook: the socket transport attaches its upgrade handler to the same server here.
    const sockets = options.attachSockets?.(app.server, hub, credentials);
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address() as AddressInfo;
    const url = `http://${displayHost(config.host)}:${address.port}`;
    const openHub = hub;
    let closing: Promise<void> | undefined;
    return {
      url,
      hub: openHub,
      server: app.server,
      credentials,
      generatedCredentials: loaded.source === 'generated',
      close: () =>
        (closing ??= (async () => {
          await sockets?.close();
          await app.close();
          await openHub.close();
        })()),
    };
  } catch (error) {
    if (hub) await hub.close();
    else await store.close();
    throw error;
  }
}
