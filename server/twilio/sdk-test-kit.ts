/**
 * Test support for driving the unmodified `twilio-taskrouter` SDK against a real hub: tokens
 * minted by the `twilio` helper's `AccessToken` with a `TaskRouterGrant` (signed with the test API
 * key), SDK options pointing `ebServer`/`wsServer` at the hub, workers that resolve once `ready`,
 * and a typed wait for the next event of any emitter. `closeAllSdkClients()` disconnects them all.
 */
import twilio from 'twilio';
import TaskRouter from 'twilio-taskrouter';
import type { Credentials } from '../auth/tokens.js';
import { EVENT_BRIDGE_PATH } from './envelope-endpoint.js';

/** The SDK's classes (a CommonJS package: its exports hang off the default import). */
export const { Worker, Supervisor, Workspace } = TaskRouter;
/** An SDK worker. */
export type SdkWorker = InstanceType<typeof Worker>;
/** An SDK reservation. */
export type SdkReservation = SdkWorker['reservations'] extends Map<string, infer R> ? R : never;

/** Keys the SDK's descriptor classes require (copied from twilio-taskrouter 2.1.1; they throw without them). */
export const SDK_REQUIRED_KEYS = {
  reservation: ['account_sid', 'date_created', 'date_updated', 'reservation_status', 'sid', 'task', 'reservation_timeout', 'worker_sid', 'workspace_sid', 'version'],
  task: ['addons', 'age', 'attributes', 'date_created', 'date_updated', 'priority', 'queue_name', 'queue_sid', 'reason', 'routing_target', 'sid', 'assignment_status', 'task_channel_unique_name', 'task_channel_sid', 'timeout', 'workflow_name', 'workflow_sid', 'version', 'virtual_start_time'],
  worker: ['account_sid', 'activity_name', 'activity_sid', 'attributes', 'available', 'date_created', 'date_status_changed', 'date_updated', 'friendly_name', 'sid', 'workspace_sid', 'version'],
  activity: ['account_sid', 'available', 'date_created', 'date_updated', 'friendly_name', 'sid', 'workspace_sid'],
  taskQueue: ['friendly_name', 'reservation_activity_name', 'assignment_activity_name', 'target_workers', 'max_reserved_workers', 'task_order', 'reservation_activity_sid', 'assignment_activity_sid', 'workspace_sid', 'account_sid', 'sid', 'date_created', 'date_updated', 'lifo_queue'],
  channel: ['account_sid', 'assigned_tasks', 'available', 'available_capacity_percentage', 'configured_capacity', 'date_created', 'date_updated', 'last_reserved_time', 'sid', 'task_channel_sid', 'task_channel_unique_name', 'worker_sid', 'workspace_sid'],
};

/** What a token grants. */
export interface TokenSpec {
  workspaceSid: string;
  workerSid: string;
  role?: 'worker' | 'supervisor' | 'admin';
  /** Lifetime in seconds (default 3600). */
  ttl?: number;
}

/** Mints a worker token exactly as a Twilio customer's backend does, signed with the hub's first API key. */
export function mintToken(credentials: Credentials, spec: TokenSpec): string {
  const [keySid, secret] = [...credentials.apiKeys][0] ?? [];
  if (!keySid || !secret) throw new Error('the hub needs an API key for these tests');
  const { AccessToken } = twilio.jwt;
  const token = new AccessToken(credentials.accountSid, keySid, secret, { identity: spec.workerSid, ttl: spec.ttl ?? 3600 });
  token.addGrant(new AccessToken.TaskRouterGrant({ workspaceSid: spec.workspaceSid, workerSid: spec.workerSid, role: spec.role ?? 'worker' }));
  return token.toJwt();
}

/** The two options that point the SDK at a hub instead of Twilio. */
export function hubOptions(hubUrl: string): { ebServer: string; wsServer: string } {
  return { ebServer: `${hubUrl}${EVENT_BRIDGE_PATH}`, wsServer: `${hubUrl.replace(/^http/, 'ws')}${EVENT_BRIDGE_PATH}` };
}

const clients = new Set<{ disconnect(): void }>();

type Emitter = { once(event: string, fn: (...args: any[]) => void): unknown; off(event: string, fn: (...args: any[]) => void): unknown };

/** Resolves with the arguments of the next `event` of `emitter`; rejects after `timeoutMs`. */
export function next<A extends unknown[] = any[]>(emitter: Emitter, event: string, timeoutMs = 5000): Promise<A> {
  return new Promise((resolve, reject) => {
    const fn = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      emitter.off(event, fn);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, fn);
  });
}

/** Options of an SDK worker beyond the hub's URLs. */
export type WorkerOptions = ConstructorParameters<typeof Worker>[1];

/** Creates an SDK worker (or supervisor) on the hub, for a test that listens before it is ready. */
export function createWorker(hubUrl: string, token: string, options: WorkerOptions = {}, kind: typeof Worker = Worker): SdkWorker {
  const worker = new kind(token, { logLevel: 'silent', ...hubOptions(hubUrl), ...options });
  clients.add(worker);
  return worker;
}

/** Opens an SDK worker (or supervisor) on the hub and resolves once it is `ready`. */
export async function openWorker(hubUrl: string, token: string, options: WorkerOptions = {}, kind: typeof Worker = Worker): Promise<SdkWorker> {
  const worker = createWorker(hubUrl, token, options, kind);
  const failed = next<[Error]>(worker, 'error', 10_000).then(([error]) => Promise.reject(error));
  await Promise.race([next(worker, 'ready', 10_000), failed]);
  failed.catch(() => undefined);
  return worker;
}

/** Disconnects every SDK worker opened by `openWorker` (for an afterEach). */
export function closeAllSdkClients(): void {
  for (const client of clients) client.disconnect();
  clients.clear();
}

/** Polls `check` until it returns a value other than undefined or false; rejects after `timeoutMs`. */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
