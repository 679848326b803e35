/**
 * Routing decision cost, in-process (bench child process, pinned like a server). For the hub: the
 * pure engine's `task.create` step, which validates the task, picks the longest-idle eligible
 * worker from the queue's ready set and produces the reservation, its events and its persist
 * effects, timed alone at N available workers (the worker is freed between decisions, untimed).
 * For baseline 2: the atomic Lua claim of an idle agent (one EVALSHA round trip on loopback), at
 * N idle agents. Baseline 1 does no routing.
 */
import { Redis } from 'ioredis';
import { WorkspaceEngine } from '../../server/engine/engine.js';
import type { Command } from '../../server/engine/commands.js';
import type { SidPrefix } from '../../shared/sid.js';
import { newHistogram, recordUs, summarize, type LatencySummary } from '../lib/histogram.js';
import { serve } from '../lib/ipc.js';
import { startRedis } from '../lib/redis-server.js';
import { routerScripts } from '../peers/bull-scripts.js';

/** Decision cost in µs (the summary's ms fields hold µs here). */
export type DecisionCost = LatencySummary & { meanUs: number };

const hrUs = () => Number(process.hrtime.bigint()) / 1000;

function sequentialIds() {
  let n = 0;
  return (prefix: SidPrefix) => prefix + (++n).toString(16).padStart(32, '0');
}

function costOf(samples: number[]): DecisionCost {
  const h = newHistogram();
  // Recorded in ns so that the ms-scaled summary reads as µs.
  for (const us of samples) recordUs(h, us * 1000);
  const s = { ...summarize(h), meanUs: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 100) / 100 };
  h.destroy();
  return s;
}

/** The hub engine's decision cost with `workers` available workers. */
export function hubDecisionCost(workers: number, decisions: number): DecisionCost {
  const ids = sequentialIds();
  let now = 1_700_000_000_000;
  const { engine } = WorkspaceEngine.create({ accountSid: 'AC' + '0'.repeat(32), friendlyName: 'cost' }, now, ids);
  const step = (command: Command) => {
    const result = engine.step(command, (now += 1));
    if (!result.ok) throw result.error;
    return result.value as { sid: string };
  };
  const available = [...engine.state.activities.values()].find((a) => a.friendlyName === 'Available')!.sid;
  const queue = step({ type: 'taskQueue.create', friendlyName: 'support', targetWorkers: '1==1' });
  const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } });
  const workflow = step({ type: 'workflow.create', friendlyName: 'support', configuration });
  for (let i = 0; i < workers; i += 1) step({ type: 'worker.create', friendlyName: `w${i}`, activitySid: available, attributes: '{"skills":["support"]}' });
  const samples: number[] = [];
  for (let i = 0; i < decisions; i += 1) {
    const t0 = hrUs();
    const task = step({ type: 'task.create', workflowSid: workflow.sid, attributes: `{"type":"support","seq":${i}}` });
    samples.push(hrUs() - t0);
    const reservation = [...(engine.state.reservationsOfTask.get(task.sid) ?? [])][0];
    if (!reservation) throw new Error('the task was not routed');
    step({ type: 'reservation.update', sid: reservation.sid, workerSid: reservation.workerSid, status: 'accepted' });
    step({ type: 'task.update', sid: task.sid, assignmentStatus: 'completed' });
    // Completed tasks are kept until purged; drop them so the state stays at its size.
    step({ type: 'task.delete', sid: task.sid });
  }
  return costOf(samples.slice(Math.floor(decisions / 10)));
}

/** Baseline 2's claim cost with `agents` idle agents (a fresh Redis on this core). */
export async function bullClaimCost(agents: number, decisions: number): Promise<DecisionCost> {
  const server = await startRedis(undefined);
  const redis = new Redis({ host: '127.0.0.1', port: server.port });
  try {
    const scripts = routerScripts(redis);
    const logins = [];
    for (let i = 0; i < agents; i += 1) logins.push(scripts.login(`agent-${i}`, ['support'], i));
    await Promise.all(logins);
    const samples: number[] = [];
    for (let i = 0; i < decisions; i += 1) {
      const t0 = hrUs();
      const [agent] = await scripts.claim('support', `T${i}`, 1, Date.now());
      samples.push(hrUs() - t0);
      if (!agent) throw new Error('no agent claimed');
      await scripts.accept(`T${i}`, agent, Date.now());
      await scripts.complete(`T${i}`, agent, Date.now());
    }
    return costOf(samples.slice(Math.floor(decisions / 10)));
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

if (process.send) {
  serve({
    hub: (args) => hubDecisionCost(Number(args['workers']), Number(args['decisions'])),
    bull: (args) => bullClaimCost(Number(args['workers']), Number(args['decisions'])),
  });
}
