/**
 * The demo workspace seeded on first start with an empty store: default activities and task
 * channels, a "Support" queue offering each task to up to 5 workers at once, a workflow routing
 * everything to it, and two Available agents, Alice and Bob.
 */
import type { Command } from '../engine/commands.js';
import type { Hub } from '../hub.js';

/** The demo workspace's name; the demo routes find it by this name. */
export const DEMO_WORKSPACE_NAME = 'Switchboard Demo';

/** What was seeded, for printing and for tests. */
export interface DemoInfo {
  workspaceSid: string;
  queueSid: string;
  workflowSid: string;
  workers: Array<{ sid: string; friendlyName: string }>;
}

/** The agents of the demo, with attributes a workflow expression could route on. */
const AGENTS = [
  { friendlyName: 'Alice', attributes: { skills: ['support', 'billing'], languages: ['en', 'fr'], level: 3 } },
  { friendlyName: 'Bob', attributes: { skills: ['support'], languages: ['en', 'es'], level: 1 } },
];

async function run(hub: Hub, workspaceSid: string, command: Command): Promise<string> {
  const outcome = await hub.dispatch(workspaceSid, command);
  if (!outcome.ok) throw new Error(`Seeding the demo failed at ${command.type}: ${outcome.error.message}`);
  return (outcome.value as { sid: string }).sid;
}

/** Seeds the demo workspace when the store has no workspace at all; returns null otherwise. */
export async function seedDemo(hub: Hub): Promise<DemoInfo | null> {
  if (hub.workspaces().length > 0) return null;
  const workspace = await hub.createWorkspace({ friendlyName: DEMO_WORKSPACE_NAME });
  const ws = workspace.sid;
  const activities = hub.engine(ws)!.state.activities;
  const available = [...activities.values()].find((a) => a.friendlyName === 'Available');
  if (!available) throw new Error('Seeding the demo failed: the workspace has no Available activity');

  const queueSid = await run(hub, ws, { type: 'taskQueue.create', friendlyName: 'Support', targetWorkers: '1==1', maxReservedWorkers: 5 });
  const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queueSid } } });
  const workflowSid = await run(hub, ws, { type: 'workflow.create', friendlyName: 'Support', configuration, taskReservationTimeout: 60 });
  const workers: DemoInfo['workers'] = [];
  for (const agent of AGENTS) {
    const sid = await run(hub, ws, {
      type: 'worker.create',
      friendlyName: agent.friendlyName,
      activitySid: available.sid,
      attributes: JSON.stringify(agent.attributes),
    });
    workers.push({ sid, friendlyName: agent.friendlyName });
  }
  return { workspaceSid: ws, queueSid, workflowSid, workers };
}

/** The lines to print at start: where the dashboard and the agents' pages are. */
export function demoBanner(baseUrl: string, info: Pick<DemoInfo, 'workers'> | null): string[] {
  const names = info?.workers.map((w) => w.friendlyName) ?? AGENTS.map((a) => a.friendlyName);
  return [
    'Demo:',
    `  dashboard:  ${baseUrl}/`,
    ...names.map((name) => `  agent ${name.padEnd(6)} ${baseUrl}/agent.html?worker=${encodeURIComponent(name)}`),
  ];
}
