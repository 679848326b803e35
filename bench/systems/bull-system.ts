/**
 * Baseline 2 as a system under test: Redis and the BullMQ/socket.io router, both pinned to the
 * system's core (the same one core the hub gets). Its memory and CPU include Redis's.
 */
import { readFileSync } from 'node:fs';
import type { AgentSpec } from '../gen/agent.js';
import { Child } from '../lib/ipc.js';
import type { ProcessStats } from '../lib/process-stats.js';
import { startRedis } from '../lib/redis-server.js';
import type { StartChoices, SystemUnderTest } from './system.js';

const QUEUE = 'support';
const PARKED = 'parked';

/** CPU ticks (user + system) of a process, from /proc. */
function cpuTicks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Starts Redis and the router. */
export async function startBullSystem(choices: StartChoices): Promise<SystemUnderTest> {
  const redis = await startRedis(choices.core);
  const child = new Child({
    module: 'peers/bull-router.ts',
    name: 'bull-router',
    core: choices.core,
    env: { REDIS_PORT: String(redis.port) },
    nodeArgs: ['--expose-gc'],
  });
  let ready: Record<string, unknown>;
  try {
    ready = await child.ready;
  } catch (error) {
    await redis.stop();
    throw error;
  }
  let agents = 0;
  let redisTicks = cpuTicks(redis.pid);
  let since = performance.now();
  const setup = (maxReserved: number) => child.request('setup', { queues: [{ name: QUEUE, maxReserved }, { name: PARKED, maxReserved: 1 }] });
  await setup(1);
  return {
    name: 'bull',
    url: String(ready['url']),
    queue: QUEUE,
    async addAgents(count) {
      const specs: AgentSpec[] = Array.from({ length: count }, (_, i) => ({ id: `agent-${agents + i}`, index: agents + i }));
      agents += count;
      return specs;
    },
    setMaxReserved: async (count) => void (await setup(count)),
    setFrameBytes: (offer) => child.request('setup', { queues: [], frameBytes: offer }),
    taskRequest: (parked) => ({ system: 'bull', queue: parked ? PARKED : QUEUE }),
    async resetStats() {
      redisTicks = cpuTicks(redis.pid);
      since = performance.now();
      await child.request('stats.reset');
    },
    async readStats() {
      const stats = await child.request<ProcessStats>('stats.read');
      const redisPercent = ((cpuTicks(redis.pid) - redisTicks) * 10) / Math.max(1, performance.now() - since) * 100;
      return { ...stats, cpuPercent: Math.round((stats.cpuPercent + redisPercent) * 10) / 10, rssMiB: Math.round((stats.rssMiB + redis.rss() / 2 ** 20) * 100) / 100 };
    },
    startProfile: () => child.request('profile.start'),
    stopProfile: (file) => child.request('profile.stop', { file }),
    collect: async () => (await child.request<{ rss: number }>('gc')).rss + redis.rss(),
    facts: () => ({ redis: 'redis-server 7, appendonly yes, appendfsync everysec', routerPid: ready['pid'], redisPid: redis.pid }),
    async stop() {
      await child.stop();
      await redis.stop();
    },
  };
}
