import { randomUUID } from 'node:crypto';
import type { Ledger, Transport } from './ledger.js';
import type { Reply, RestClient } from './rest-client.js';

/**
 * By default a pending offer times out after this many seconds: short, so that after each restart
 * the crash test can wait out the deadline of every offer left pending by the kill.
 */
export const RESERVATION_TIMEOUT_S = 1;

/** Each task is offered to up to this many workers at once: concurrent accepts race for it. */
export const MAX_RESERVED_WORKERS = 3;

/** The SIDs the durability tests work with, and the workflow's reservation timeout. */
export interface CrashWorkspace {
  ws: string;
  workflow: string;
  available: string;
  reservationTimeoutS: number;
}

/** Throws unless a reply has the expected status. */
export function expectStatus(reply: Reply, status: number, what: string): Reply['body'] {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/**
 * Creates the workspace: one queue every worker serves with multi-reservation, a workflow with
 * the given reservation timeout, and the timeout activity set to Available so timed-out workers
 * keep taking offers.
 */
export async function createCrashWorkspace(client: RestClient, reservationTimeoutS = RESERVATION_TIMEOUT_S): Promise<CrashWorkspace> {
  const ws = expectStatus(await client.post('/Workspaces', { FriendlyName: 'Crash test' }), 201, 'create workspace')['sid'] as string;
  const activities = await client.list(`/Workspaces/${ws}/Activities`, 'activities');
  const available = activities.find((a) => a['friendly_name'] === 'Available')!['sid'] as string;
  expectStatus(await client.post(`/Workspaces/${ws}`, { TimeoutActivitySid: available }), 200, 'set the timeout activity');
  const queue = expectStatus(
    await client.post(`/Workspaces/${ws}/TaskQueues`, { FriendlyName: 'All', TargetWorkers: '1==1', MaxReservedWorkers: String(MAX_RESERVED_WORKERS) }),
    201,
    'create queue',
  )['sid'] as string;
  const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue } } });
  const workflow = expectStatus(
    await client.post(`/Workspaces/${ws}/Workflows`, { FriendlyName: 'Main', Configuration: configuration, TaskReservationTimeout: String(reservationTimeoutS) }),
    201,
    'create workflow',
  )['sid'] as string;
  return { ws, workflow, available, reservationTimeoutS };
}

/**
 * Adds Available workers whose load uses `via`, every other one with capacity 2 on the default
 * channel, recording each 201 in the ledger.
 */
export async function addWorkers(client: RestClient, cw: CrashWorkspace, ledger: Ledger, count: number, via: Transport): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    // A unique name each attempt: a worker created just before a kill, unacknowledged, still holds its name.
    const reply = await client.post(`/Workspaces/${cw.ws}/Workers`, { FriendlyName: `${via}-${randomUUID().slice(0, 8)}`, ActivitySid: cw.available });
    if (reply.status !== 201) {
      if (reply.status !== 503) ledger.unexpected.push(`create worker: ${reply.status}`);
      continue;
    }
    const sid = reply.body['sid'] as string;
    ledger.workers.set(sid, via);
    if (ledger.workers.size % 2 === 0) {
      const set = await client.post(`/Workspaces/${cw.ws}/Workers/${sid}/Channels/default`, { Capacity: '2' });
      if (set.status !== 200 && set.status !== 503) ledger.unexpected.push(`set capacity: ${set.status}`);
    }
  }
}
