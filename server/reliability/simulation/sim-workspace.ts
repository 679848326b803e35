import type { Command } from '../../engine/commands.js';
import type { Hub } from '../../hub.js';
import type { Prng } from './prng.js';

/** The simulated workspace's SIDs. */
export interface SimWorkspace {
  ws: string;
  workflow: string;
  queues: string[];
  available: string;
  unavailable: string;
  workers: string[];
}

/**
 * Creates the workspace the simulation routes in: three queues (Sales offers a task to one worker,
 * Support to two, VIP to three), a workflow whose Sales target times out to Support, a 20 s
 * reservation timeout, and `agents` workers with random skills and capacities. `drive` runs the
 * simulation until a promise settles (a commit needs the simulated disk's time to pass).
 */
export async function setUpWorkspace(hub: Hub, prng: Prng, agents: number, drive: <T>(promise: Promise<T>) => Promise<T>): Promise<SimWorkspace> {
  const workspace = await drive(hub.createWorkspace({ friendlyName: 'Simulation', multiTaskEnabled: true }));
  const ws = workspace.sid;
  const run = async (command: Command): Promise<string> => {
    const outcome = await drive(hub.dispatch(ws, command));
    if (!outcome.ok) throw new Error(`Setting up the simulation: ${command.type} failed: ${outcome.error.message}`);
    return (outcome.value as { sid: string }).sid;
  };
  const activity = (name: string) => [...hub.engine(ws)!.state.activities.values()].find((a) => a.friendlyName === name)!.sid;
  const available = activity('Available');
  const unavailable = activity('Unavailable');
  // Workers whose offer timed out stay Available, so the floor keeps working.
  await run({ type: 'workspace.update', timeoutActivitySid: available });
  const sales = await run({ type: 'taskQueue.create', friendlyName: 'Sales', targetWorkers: "skills HAS 'sales'", maxReservedWorkers: 1 });
  const support = await run({ type: 'taskQueue.create', friendlyName: 'Support', targetWorkers: "skills HAS 'support'", maxReservedWorkers: 2 });
  const vip = await run({ type: 'taskQueue.create', friendlyName: 'VIP', targetWorkers: 'vip == true', maxReservedWorkers: 3 });
  const configuration = JSON.stringify({
    task_routing: {
      filters: [
        { filter_friendly_name: 'VIP', expression: "type == 'vip'", targets: [{ queue: vip }] },
        { filter_friendly_name: 'Sales', expression: "type == 'sales'", targets: [{ queue: sales, timeout: 60 }, { queue: support }] },
      ],
      default_filter: { queue: support },
    },
  });
  const workflow = await run({ type: 'workflow.create', friendlyName: 'Main', configuration, taskReservationTimeout: 20 });
  const workers: string[] = [];
  for (let i = 0; i < agents; i += 1) {
    const skills = prng.pick([['sales'], ['support'], ['sales', 'support']]);
    const attributes = JSON.stringify({ skills, vip: prng.chance(0.4) });
    const worker = await run({ type: 'worker.create', friendlyName: `agent-${i}`, activitySid: available, attributes });
    await run({ type: 'workerChannel.update', workerSid: worker, sid: 'default', capacity: prng.int(1, 3) });
    workers.push(worker);
  }
  return { ws, workflow, queues: [sales, support, vip], available, unavailable, workers };
}
