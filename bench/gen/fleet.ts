/**
 * A generator process holding simulated agents over real WebSockets (at most a few thousand per
 * process: the per-process open-file limit). Commands over IPC: `connect` a batch of agents of one
 * system, set their `behavior`, open a measurement window (`measure`), `report` it (or `roll`:
 * report it and open the next from the same start), `close`.
 * It also reports its own CPU and event-loop delay, so an overloaded generator is visible.
 */
import type { AgentHandle, AgentSpec, Connector, ConnectTarget } from './agent.js';
import { observed } from './agent.js';
import { agentBehavior, EAGER, type BehaviorConfig } from './agent-behavior.js';
import { connectBullAgent } from './bull-agent.js';
import { FleetRecorder } from './fleet-recorder.js';
import { connectHubAgent } from './hub-agent.js';
import { connectHubLeanAgent } from './hub-lean-agent.js';
import { connectRawAgent } from './raw-agent.js';
import { serve } from '../lib/ipc.js';
import { profileHandlers, statsProbe } from '../lib/process-stats.js';

const CONNECTORS: Record<string, Connector> = { hub: connectHubAgent, 'hub-lean': connectHubLeanAgent, raw: connectRawAgent, bull: connectBullAgent };

const recorder = new FleetRecorder();
let behavior: BehaviorConfig = EAGER;
const listener = agentBehavior(() => behavior, recorder);
const agents: AgentHandle[] = [];
const probe = statsProbe();

/** Connects `specs` with at most `parallel` handshakes in flight; resolves with counts. */
async function connectAll(connector: Connector, specs: AgentSpec[], target: ConnectTarget, parallel: number) {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const lane = async () => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      try {
        agents.push(await connector(spec, target, listener));
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, specs.length) }, lane));
  return { connected: specs.length - failed, failed, firstError, ms: Math.round(performance.now() - started) };
}

serve({
  ...profileHandlers(),
  connect: (args) => {
    const connector = CONNECTORS[String(args['system'])];
    if (!connector) throw new Error(`unknown system ${String(args['system'])}`);
    return connectAll(connector, args['agents'] as AgentSpec[], args['target'] as ConnectTarget, Number(args['parallel'] ?? 100));
  },
  behavior: (args) => {
    behavior = { ...EAGER, ...(args as Partial<BehaviorConfig>) };
  },
  measure: (args) => {
    recorder.start(Number(args['fromUs']), args['trackRescinds'] === true);
    probe.reset();
  },
  activity: () => recorder.activity,
  roll: () => {
    const stats = probe.read();
    probe.reset();
    return { ...recorder.roll(), stats, offerFrameBytes: observed.offerFrameBytes };
  },
  report: () => ({ ...recorder.report(), stats: probe.read(), offerFrameBytes: observed.offerFrameBytes }),
  close: () => {
    for (const agent of agents.splice(0)) agent.close();
  },
});
