/**
 * One decoded event-bridge request and what every handler shares: the token's reach (its
 * workspace; its own worker, or any worker for `supervisor`/`admin`), and running an engine
 * command as that worker with the result read right after the step and answered once durable.
 */
import { fail } from '../../shared/errors.js';
import type { WorkerGrant } from '../auth/tokens.js';
import type { Command } from '../engine/commands.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import type { Hub } from '../hub.js';
import type { Payload } from './internal-shapes.js';

/** A request of the SDK, after the envelope and the token were checked. */
export interface EdgeRequest {
  hub: Hub;
  grant: WorkerGrant;
  /** The SIDs in the route: `ws`, and `wk`, `wr`, `wt`, `wq` where the route has them. */
  path: Record<string, string>;
  /** The envelope's `params`, as sent (attributes arrive as objects). */
  params: Record<string, unknown>;
  /** The `If-Match` header (`enableVersionCheck`), if any. */
  ifMatch: string | undefined;
}

/** What a route answers with: the `payload` of a 200. */
export type EdgeHandler = (req: EdgeRequest) => Promise<Payload>;

/** The state of the token's workspace; another workspace in the URL is refused. */
export function workspaceOf(req: EdgeRequest): WorkspaceState {
  const sid = req.path['ws'] ?? '';
  if (sid !== req.grant.workspaceSid) throw fail('FORBIDDEN', `This token is for workspace ${req.grant.workspaceSid}, not ${sid}`);
  const state = req.hub.engine(sid)?.state;
  if (!state) throw fail('NOT_FOUND', `Workspace ${sid} not found`);
  return state;
}

/** True for a supervisor or admin token, which may read other workers and set their activity and attributes. */
export function oversees(grant: WorkerGrant): boolean {
  return grant.role === 'supervisor' || grant.role === 'admin';
}

/** The worker in the route, when the token may reach it. */
export function reachableWorker(req: EdgeRequest): string {
  const workerSid = req.path['wk'] ?? '';
  if (workerSid !== req.grant.workerSid && !oversees(req.grant)) {
    throw fail('FORBIDDEN', `A worker token reaches only its own worker ${req.grant.workerSid}`);
  }
  return workerSid;
}

/** Refuses a route that acts for the worker in the path unless it is the token's own. */
export function ownWorker(req: EdgeRequest): string {
  const workerSid = req.path['wk'] ?? '';
  if (workerSid !== req.grant.workerSid) throw fail('FORBIDDEN', `A token acts only for its own worker ${req.grant.workerSid}`);
  return workerSid;
}

/** Whether the token's worker has a reservation of the task, in any status. */
export function holdsTask(s: WorkspaceState, taskSid: string, workerSid: string): boolean {
  return s.reservationsOf(taskSid).some((r) => r.workerSid === workerSid);
}

/** A copy without the keys whose value is undefined, so absent parameters stay absent in the command. */
function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

/**
 * Runs a command as the token's worker and shapes its result from the state right after the step
 * (later steps may change the live record); answers only once the change is committed.
 */
export async function run<T>(req: EdgeRequest, command: Command, shape: (s: WorkspaceState, value: T) => Payload): Promise<Payload> {
  const ws = req.grant.workspaceSid;
  const outcome = req.hub.dispatchNow(ws, compact(command), { type: 'worker', sid: req.grant.workerSid });
  const state = req.hub.engine(ws)?.state;
  const payload = outcome.ok && state ? shape(state, outcome.value as T) : undefined;
  // A refusal waits too: it may rest on changes of this tick that are not durable yet.
  await req.hub.flush();
  if (!outcome.ok) throw outcome.error;
  return payload ?? {};
}

/** Answers a read once what it shows is durable (it may show changes of this tick). */
export async function read(req: EdgeRequest, build: (s: WorkspaceState) => Payload): Promise<Payload> {
  const payload = build(workspaceOf(req));
  await req.hub.flush();
  return payload;
}
