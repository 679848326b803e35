/**
 * The Switchboard hub as a system under test: `hub/hub-process.ts` pinned to its core with a
 * durable store in a fresh temporary directory, seeded over its own REST API (a workspace, a
 * `support` queue and workflow, a `parked` queue no worker matches), workers created over REST
 * and connected with worker tokens.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkerToken, type Credentials } from '../../server/auth/tokens.js';
import type { AgentSpec } from '../gen/agent.js';
import { Child } from '../lib/ipc.js';
import type { ProcessStats } from '../lib/process-stats.js';
import { RestClient } from './rest-client.js';
import type { StartChoices, SystemUnderTest } from './system.js';

/** Starts a hub and seeds its workspace. */
export async function startHubSystem(choices: StartChoices): Promise<SystemUnderTest> {
  const data = mkdtempSync(join(tmpdir(), 'sb-bench-hub-'));
  const credentials: Credentials = { accountSid: 'AC' + randomBytes(16).toString('hex'), authToken: randomBytes(16).toString('hex'), apiKeys: new Map() };
  const child = new Child({
    module: 'hub/hub-process.ts',
    name: 'hub',
    core: choices.core,
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      SWITCHBOARD_DATA: data,
      SWITCHBOARD_ACCOUNT_SID: credentials.accountSid,
      SWITCHBOARD_AUTH_TOKEN: credentials.authToken,
      LOG_LEVEL: 'warn',
    },
    // BENCH_HUB_NODE_ARGS tries V8 flags on the hub (e.g. `--max-semi-space-size=64`).
    nodeArgs: ['--expose-gc', ...(process.env['BENCH_HUB_NODE_ARGS']?.split(' ').filter(Boolean) ?? [])],
  });
  let ready: Record<string, unknown>;
  try {
    ready = await child.ready;
  } catch (error) {
    rmSync(data, { recursive: true, force: true });
    throw error;
  }
  const url = String(ready['url']);
  const rest = new RestClient(url, credentials);
  const ws = await rest.post('/v1/Workspaces', { FriendlyName: 'bench' });
  const base = `/v1/Workspaces/${ws['sid']}`;
  const activities = (await rest.get(`${base}/Activities`))['activities'] as Array<Record<string, unknown>>;
  const available = String(activities.find((a) => a['friendly_name'] === 'Available')?.['sid']);
  const queue = await rest.post(`${base}/TaskQueues`, { FriendlyName: 'support', TargetWorkers: '1==1', MaxReservedWorkers: 1 });
  const route = (sid: unknown) => JSON.stringify({ task_routing: { filters: [], default_filter: { queue: sid } } });
  const workflow = await rest.post(`${base}/Workflows`, { FriendlyName: 'support', Configuration: route(queue['sid']) });
  const parkedQueue = await rest.post(`${base}/TaskQueues`, { FriendlyName: 'parked', TargetWorkers: 'bench == "never"' });
  const parked = await rest.post(`${base}/Workflows`, { FriendlyName: 'parked', Configuration: route(parkedQueue['sid']) });
  let agents = 0;
  return {
    name: 'hub',
    url,
    async addAgents(count) {
      const first = agents;
      agents += count;
      const workers = await rest.postMany(count, (i) => [`${base}/Workers`, { FriendlyName: `agent-${first + i}`, ActivitySid: available }]);
      return Promise.all(
        workers.map(async (w, i): Promise<AgentSpec> => {
          const token = await createWorkerToken({ credentials, workspaceSid: String(ws['sid']), workerSid: String(w['sid']), ttl: 6 * 3600 });
          return { id: String(w['sid']), index: first + i, token };
        }),
      );
    },
    setMaxReserved: async (count) => void (await rest.post(`${base}/TaskQueues/${queue['sid']}`, { MaxReservedWorkers: count })),
    setFrameBytes: async () => undefined,
    taskRequest: (isParked) => ({
      system: 'hub',
      workspaceSid: String(ws['sid']),
      workflowSid: String((isParked ? parked : workflow)['sid']),
      basicAuth: rest.basicAuth,
    }),
    resetStats: () => child.request('stats.reset'),
    readStats: () => child.request<ProcessStats>('stats.read'),
    resetRunStats: () => child.request('stats.run.reset'),
    readRunStats: () => child.request<ProcessStats>('stats.run.read'),
    startProfile: () => child.request('profile.start'),
    stopProfile: (file) => child.request('profile.stop', { file }),
    collect: async () => (await child.request<{ rss: number }>('gc')).rss,
    facts: () => ({ store: ready['store'], data, pid: ready['pid'] }),
    async stop() {
      await child.stop(30_000);
      rmSync(data, { recursive: true, force: true });
    },
  };
}
