/** Baseline 1 as a system under test: the bare `ws` server, agents addressed by index. */
import type { AgentSpec } from '../gen/agent.js';
import { Child } from '../lib/ipc.js';
import type { ProcessStats } from '../lib/process-stats.js';
import type { StartChoices, SystemUnderTest } from './system.js';

/** Starts the raw `ws` server. */
export async function startRawSystem(choices: StartChoices): Promise<SystemUnderTest> {
  const child = new Child({
    module: 'peers/raw-ws-server.ts',
    name: 'raw-ws-server',
    core: choices.core,
    nodeArgs: ['--expose-gc'],
  });
  const ready = await child.ready;
  let agents = 0;
  let maxReserved = 1;
  return {
    name: 'raw',
    url: String(ready['url']),
    async addAgents(count) {
      const specs: AgentSpec[] = Array.from({ length: count }, (_, i) => ({ id: `a${agents + i}`, index: agents + i }));
      agents += count;
      return specs;
    },
    async setMaxReserved(count) {
      maxReserved = count;
    },
    setFrameBytes: (offer, reply) => child.request('configure', { frameBytes: offer, replyBytes: reply }),
    taskRequest: (parked) => ({ system: 'raw', agents, targets: parked ? 0 : maxReserved }),
    resetStats: () => child.request('stats.reset'),
    readStats: () => child.request<ProcessStats>('stats.read'),
    startProfile: () => child.request('profile.start'),
    stopProfile: (file) => child.request('profile.stop', { file }),
    collect: async () => (await child.request<{ rss: number }>('gc')).rss,
    facts: () => ({ pid: ready['pid'] }),
    stop: () => child.stop(),
  };
}
