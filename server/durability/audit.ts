import type { CrashWorkspace } from './crash-workspace.js';
import type { Ledger } from './ledger.js';
import type { RestClient } from './rest-client.js';

/** Statuses in which a reservation holds a unit of its worker's capacity. */
const HOLDING = new Set(['pending', 'accepted', 'wrapping']);
/** Statuses of a reservation that won its task. */
const WON = new Set(['accepted', 'wrapping', 'completed']);
/** What an acknowledged accept may have become, by what happened to its completion. */
const AFTER_ACCEPT = { none: ['accepted'], sent: ['accepted', 'completed'], done: ['completed'] } as const;

/** What one audit saw, and every broken promise it found. */
export interface AuditResult {
  tasks: number;
  workers: number;
  reservations: number;
  pending: number;
  won: number;
  violations: string[];
}

type Json = Record<string, any>;

/**
 * The latest moment a reservation of `cw` may still be pending: created + the workflow's timeout.
 * REST dates drop milliseconds, so a second is added to `date_created`.
 */
export function deadlineOf(cw: CrashWorkspace, reservation: Json): number {
  return Date.parse(reservation['date_created']) + 1_000 + cw.reservationTimeoutS * 1_000;
}

/** Every pending reservation of `workers`. */
export async function pendingReservations(client: RestClient, cw: CrashWorkspace, workers: Iterable<string>): Promise<Json[]> {
  const lists = await Promise.all(
    [...workers].map((w) => client.list(`/Workspaces/${cw.ws}/Workers/${w}/Reservations`, 'reservations', { ReservationStatus: 'pending' })),
  );
  return lists.flat();
}

/**
 * Pending reservations of `workers` whose deadline had passed when they were asked for, as
 * `sid (ms late)`. The hub answers with its state at some moment after the question, so the
 * question's time is the one a pending reservation is certainly late at.
 */
export async function overdueReservations(client: RestClient, cw: CrashWorkspace, workers: Iterable<string>): Promise<string[]> {
  const askedAt = Date.now();
  const pending = await pendingReservations(client, cw, workers);
  return pending.flatMap((r) => (deadlineOf(cw, r) < askedAt ? [`${r['sid']} (${askedAt - deadlineOf(cw, r)} ms late)`] : []));
}

/**
 * Reads the whole workspace back over REST and checks the durability promises against the
 * ledger: every 201'd task and worker exists; no task was won by two workers (in the store, or
 * by two acknowledged accepts); no worker holds more than its capacity; no reservation is pending
 * past its deadline; every acknowledged accept is still accepted, or completed as acknowledged;
 * and each task's status agrees with its reservations. (Completed tasks are kept 5 minutes, longer
 * than a test runs.)
 */
export async function auditWorkspace(client: RestClient, cw: CrashWorkspace, ledger: Ledger): Promise<AuditResult> {
  const violations: string[] = [];
  const base = `/Workspaces/${cw.ws}`;
  const tasks = new Map((await client.list(`${base}/Tasks`, 'tasks')).map((t) => [t['sid'] as string, t]));
  for (const sid of ledger.tasks) if (!tasks.has(sid)) violations.push(`task ${sid} got a 201 but is gone`);
  const workerSids = new Set((await client.list(`${base}/Workers`, 'workers')).map((w) => w['sid'] as string));
  for (const sid of ledger.workers.keys()) if (!workerSids.has(sid)) violations.push(`worker ${sid} got a 201 but is gone`);

  const reservations = new Map<string, Json>();
  await Promise.all(
    [...workerSids].map(async (worker) => {
      // The replies show the hub's state at some moment after this one (see overdueReservations).
      const askedAt = Date.now();
      const [own, channels] = await Promise.all([
        client.list(`${base}/Workers/${worker}/Reservations`, 'reservations'),
        client.list(`${base}/Workers/${worker}/Channels`, 'channels'),
      ]);
      const capacity = channels.find((c) => c['task_channel_unique_name'] === 'default')?.['configured_capacity'] as number | undefined;
      const holding = own.filter((r) => HOLDING.has(r['reservation_status'])).length;
      if (capacity === undefined) violations.push(`worker ${worker} has no default channel`);
      else if (holding > capacity) violations.push(`worker ${worker} holds ${holding} reservations with capacity ${capacity}`);
      for (const r of own) {
        reservations.set(r['sid'], r);
        if (r['reservation_status'] === 'pending' && deadlineOf(cw, r) < askedAt) {
          violations.push(`reservation ${r['sid']} was still pending ${askedAt - deadlineOf(cw, r)} ms past its deadline`);
        }
      }
    }),
  );

  const byTask = new Map<string, Json[]>();
  for (const r of reservations.values()) byTask.set(r['task_sid'], [...(byTask.get(r['task_sid']) ?? []), r]);
  for (const [taskSid, task] of tasks) {
    const own = byTask.get(taskSid) ?? [];
    const won = own.filter((r) => WON.has(r['reservation_status']));
    const pending = own.filter((r) => r['reservation_status'] === 'pending');
    const status = task['assignment_status'] as string;
    if (won.length > 1) violations.push(`task ${taskSid} was assigned to ${won.length} workers: ${won.map((r) => r['worker_sid']).join(', ')}`);
    if ((status === 'assigned' || status === 'completed') && won.length !== 1) violations.push(`task ${taskSid} is ${status} with ${won.length} winning reservations`);
    if (status === 'reserved' && pending.length === 0) violations.push(`task ${taskSid} is reserved with no pending reservation`);
    if (status === 'pending' && (pending.length > 0 || won.length > 0)) violations.push(`task ${taskSid} is pending but has reservations ${own.map((r) => r['reservation_status']).join(', ')}`);
  }

  const acknowledgedWinners = new Map<string, string[]>();
  for (const accept of ledger.accepts.values()) {
    acknowledgedWinners.set(accept.taskSid, [...(acknowledgedWinners.get(accept.taskSid) ?? []), `${accept.workerSid} (${accept.via})`]);
    const r = reservations.get(accept.reservationSid);
    const allowed: readonly string[] = AFTER_ACCEPT[accept.completion];
    if (!r) violations.push(`reservation ${accept.reservationSid} got an acknowledged accept (${accept.via}) but is gone`);
    else if (!allowed.includes(r['reservation_status'])) {
      violations.push(`reservation ${accept.reservationSid} got an acknowledged accept (${accept.via}, completion ${accept.completion}) but is ${r['reservation_status']}`);
    }
  }
  for (const [taskSid, winners] of acknowledgedWinners) {
    if (winners.length > 1) violations.push(`task ${taskSid} had accepts acknowledged to ${winners.length} workers: ${winners.join(', ')}`);
  }
  return {
    tasks: tasks.size,
    workers: workerSids.size,
    reservations: reservations.size,
    pending: [...reservations.values()].filter((r) => r['reservation_status'] === 'pending').length,
    won: [...reservations.values()].filter((r) => WON.has(r['reservation_status'])).length,
    violations,
  };
}
