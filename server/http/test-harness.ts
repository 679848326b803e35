/**
 * A disposable hub for integration tests: a real server on port 0 with an in-memory store and
 * known credentials, plus a small HTTP client. Close it in afterEach/afterAll (or call
 * `closeAllHarnesses()`); tests of other transports reuse it.
 */
import { createWorkerToken, type Credentials } from '../auth/tokens.js';
import type { Config, ConnectionLimits } from '../config.js';
import type { Hub } from '../hub.js';
import { startServer, type RunningServer, type StartOptions } from '../server.js';
import { MemoryStore } from '../store/memory-store.js';

/** Parameters of a request: repeated keys as arrays. */
export type Params = Record<string, string | number | boolean | ReadonlyArray<string | number>>;

/** How a test request authenticates. */
export type TestAuth = 'account' | 'none' | { bearer: string } | { basic: [string, string] } | { header: string };

/** Extra request options. */
export interface RequestOptions {
  headers?: Record<string, string>;
  /** A raw body (sent instead of form-encoding `params`), with its content type. */
  raw?: { body: string | Buffer; contentType: string };
  /** Send `params` as a JSON body instead of a form. */
  json?: boolean;
}

/** A decoded response. */
export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: any;
}

/** A running test hub. */
export interface Harness {
  url: string;
  hub: Hub;
  credentials: Credentials;
  running: RunningServer;
  /** Sends a request: GET/DELETE put `params` in the query, POST in a form body. */
  request(method: string, path: string, params?: Params, auth?: TestAuth, options?: RequestOptions): Promise<TestResponse>;
  /** Mints a worker token (`ttl` seconds, issued `now` epoch seconds). */
  token(workspaceSid: string, workerSid: string, opts?: { ttl?: number; now?: number }): Promise<string>;
  close(): Promise<void>;
}

/** The fixed test credentials: an account and one API key. */
export const TEST_CREDENTIALS: Credentials = {
  accountSid: 'AC' + 'a'.repeat(32),
  authToken: 'test-auth-token-0123456789abcdef',
  apiKeys: new Map([['SK' + 'b'.repeat(32), 'test-api-key-secret-0123456789']]),
};

const open = new Set<Harness>();

function encode(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) out.append(key, String(v));
  }
  return out;
}

function authHeader(auth: TestAuth, credentials: Credentials): string | undefined {
  if (auth === 'none') return undefined;
  if (auth === 'account') auth = { basic: [credentials.accountSid, credentials.authToken] };
  if ('bearer' in auth) return `Bearer ${auth.bearer}`;
  if ('header' in auth) return auth.header;
  return `Basic ${Buffer.from(`${auth.basic[0]}:${auth.basic[1]}`).toString('base64')}`;
}

/** What a test may choose of the hub: its start options, and limits on connections. */
export type HarnessOptions = StartOptions & { connections?: Partial<ConnectionLimits> };

/** Starts a test hub on 127.0.0.1:0. */
export async function startHarness(harnessOptions: HarnessOptions = {}): Promise<Harness> {
  const { connections, ...options } = harnessOptions;
  const config: Config = { port: 0, host: '127.0.0.1', data: ':memory:', demo: false, logLevel: 'silent', ...(connections ? { connections } : {}) };
  const credentials = options.credentials ?? TEST_CREDENTIALS;
  const running = await startServer(config, { store: new MemoryStore(), credentials, logRequests: false, ...options });
  const harness: Harness = {
    url: running.url,
    hub: running.hub,
    credentials,
    running,
    async request(method, path, params = {}, auth = 'account', options = {}) {
      const url = new URL(path.startsWith('http') ? path : `${running.url}${path}`);
      const headers: Record<string, string> = { ...options.headers };
      const header = authHeader(auth, credentials);
      if (header) headers['authorization'] = header;
      let body: string | Buffer | undefined;
      if (options.raw) {
        body = options.raw.body;
        headers['content-type'] = options.raw.contentType;
      } else if (method === 'GET' || method === 'DELETE') {
        for (const [k, v] of encode(params)) url.searchParams.append(k, v);
      } else if (options.json) {
        body = JSON.stringify(params);
        headers['content-type'] = 'application/json';
      } else {
        body = encode(params).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      const response = await fetch(url, { method, headers, body: body as BodyInit | undefined });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
    },
    token: (workspaceSid, workerSid, opts = {}) => createWorkerToken({ credentials, workspaceSid, workerSid, ...opts }),
    async close() {
      open.delete(harness);
      await running.close();
    },
  };
  open.add(harness);
  return harness;
}

/** What `seedWorkspace` made: REST JSON of each resource. */
export interface Seeded {
  ws: any;
  available: any;
  offline: any;
  queue: any;
  workflow: any;
  workers: any[];
}

/**
 * Creates a workspace with one queue (`TargetWorkers` 1==1 unless given), a workflow routing
 * everything to it, and `workers` available workers named agent-0, agent-1, ...
 */
export async function seedWorkspace(h: Harness, opts: { workers?: number; maxReservedWorkers?: number; targetWorkers?: string } = {}): Promise<Seeded> {
  const ok = (r: TestResponse) => {
    if (r.status >= 300) throw new Error(`seed failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const ws = ok(await h.request('POST', '/v1/Workspaces', { FriendlyName: 'Seeded' }));
  const base = `/v1/Workspaces/${ws.sid}`;
  const activities = ok(await h.request('GET', `${base}/Activities`)).activities as any[];
  const available = activities.find((a) => a.friendly_name === 'Available');
  const offline = activities.find((a) => a.friendly_name === 'Offline');
  const queue = ok(await h.request('POST', `${base}/TaskQueues`, {
    FriendlyName: 'Queue',
    TargetWorkers: opts.targetWorkers ?? '1==1',
    MaxReservedWorkers: opts.maxReservedWorkers ?? 1,
  }));
  const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } });
  const workflow = ok(await h.request('POST', `${base}/Workflows`, { FriendlyName: 'Flow', Configuration: configuration }));
  const workers = [];
  for (let i = 0; i < (opts.workers ?? 1); i += 1) {
    workers.push(ok(await h.request('POST', `${base}/Workers`, { FriendlyName: `agent-${i}`, ActivitySid: available.sid })));
  }
  return { ws, available, offline, queue, workflow, workers };
}

/** Closes every harness still open (for an afterEach/afterAll). */
export async function closeAllHarnesses(): Promise<void> {
  await Promise.all([...open].map((h) => h.close()));
}
