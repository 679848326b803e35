import { RESERVATION_TIMEOUT_S, type CrashWorkspace } from './crash-workspace.js';
import type { Ledger } from './ledger.js';
import type { RestClient } from './rest-client.js';

/** Slack past a reservation's deadline for its timer to fire and commit (REST dates also drop milliseconds). */
const DEADLINE_SLACK_MS = 2_000;

/** Statuses in which a reservation holds a unit of its worker's capacity. */
const HOLDING = new Set(['pending', 'accepted', 'wrapping']);
/** Statuses of a reservation that won its task. */
const WON = new Set(['accepted', 'wrapping', 'completed']);

/** What one audit saw, and every broken promise it found. */
export interface AuditResult {
  tasks: number;
  workers: number;
  reservations: number;
  pending: number;
  accepted: number;
  violations: string[];
}

/**
 * Reads the whole workspace back over REST and checks the durability promises against the
 * ledger: every 201'd task and worker exists; no task has two winning reservations; no worker
 * holds more than its capacity; no reservation is pending past its deadline; every 200'd accept
 * is still accepted; and each task's status agrees with its reservations.
 */
export async function auditWorkspace(client: RestClient, cw: CrashWorkspace, ledger: Ledger): Promise<AuditResult> {
  const violations: string[] = [];
  const base = `/Workspaces/${cw.ws}`;
  const tasks = new Map((await client.list(`${base}/Tasks`, 'tasks')).map((t) => [t['sid'] as string, t]));
  for (const sid of ledger.tasks) if (!tasks.has(sid)) violations.push(`task ${sid} got a 201 but is gone`);
  const workers = await client.list(`${base}/Workers`, 'workers');
  const workerSids = new Set(workers.map((w) => w['sid'] as string));
  for (const sid of ledger.workers) if (!workerSids.has(sid)) violations.push(`worker ${sid} got a 201 but is gone`);

  const reservations = new Map<string, Record<string, any>>();
  for (const worker of workerSids) {
    const seenAt = Date.now();
    const own = await client.list(`${base}/Workers/${worker}/Reservations`, 'reservations');
    const channels = await client.list(`${base}/Workers/${worker}/Channels`, 'channels');
    const capacity = channels.find((c) => c['task_channel_unique_name'] === 'default')?.['configured_capacity'] as number | undefined;
    const holding = own.filter((r) => HOLDING.has(r['reservation_status'])).length;
    if (capacity === undefined) violations.push(`worker ${worker} has no default channel`);
    else if (holding > capacity) violations.push(`worker ${worker} holds ${holding} reservations with capacity ${capacity}`);
    for (const r of own) {
      reservations.set(r['sid'], r);
      const deadline = Date.parse(r['date_created']) + 1_000 + RESERVATION_TIMEOUT_S * 1_000;
      if (r['reservation_status'] === 'pending' && deadline + DEADLINE_SLACK_MS < seenAt) {
        violations.push(`reservation ${r['sid']} is still pending ${seenAt - deadline} ms past its deadline`);
      }
    }
  }

  const byTask = new Map<string, Array<Record<string, any>>>();
  for (const r of reservations.values()) byTask.set(r['task_sid'], [...(byTask.get(r['task_sid']) ?? []), r]);
  for (const [taskSid, task] of tasks) {
    const own = byTask.get(taskSid) ?? [];
    const won = own.filter((r) => WON.has(r['reservation_status']));
    const pending = own.filter((r) => r['reservation_status'] === 'pending');
    const status = task['assignment_status'] as string;
    if (won.length > 1) violations.push(`task ${taskSid} was assigned to ${won.length} workers: ${won.map((r) => r['worker_sid']).join(', ')}`);
    if (status === 'assigned' && won.length !== 1) violations.push(`task ${taskSid} is assigned with ${won.length} accepted reservations`);
    if (status === 'reserved' && pending.length === 0) violations.push(`task ${taskSid} is reserved with no pending reservation`);
    if (status === 'pending' && (pending.length > 0 || won.length > 0)) violations.push(`task ${taskSid} is pending but has reservations ${own.map((r) => r['reservation_status']).join(', ')}`);
  }
  for (const accept of ledger.accepts.values()) {
    const r = reservations.get(accept.reservationSid);
    if (!r) violations.push(`reservation ${accept.reservationSid} got a 200 accept but is gone`);
    else if (r['reservation_status'] !== 'accepted') violations.push(`reservation ${accept.reservationSid} got a 200 accept but is ${r['reservation_status']}`);
  }
  return {
    tasks: tasks.size,
    workers: workerSids.size,
    reservations: reservations.size,
    pending: [...reservations.values()].filter((r) => r['reservation_status'] === 'pending').length,
    accepted: [...reservations.values()].filter((r) => WON.has(r['reservation_status'])).length,
    violations,
  };
}
