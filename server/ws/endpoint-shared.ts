/**
 * What both worker-socket endpoints (the native one and the event bridge for Twilio's SDK) do the
 * same way: move a worker offline when its last socket drops, end a deleted workspace's sessions,
 * and close their sessions on shutdown.
 */
import type { Hub } from '../hub.js';
import { CLOSE, type CloseReason } from './socket-options.js';

/** A session as the shutdown sees it. */
export interface ClosableSession {
  end(how: CloseReason): void;
  terminate(): void;
  /** Settles when the underlying connection has closed. */
  readonly disconnected: Promise<void>;
}

/**
 * Moves a worker to the workspace's `Offline` activity (its default activity when there is none of
 * that name), as the worker itself would; nothing when it is already there or gone.
 */
export function moveOffline(hub: Hub, workspaceSid: string, workerSid: string): void {
  const state = hub.engine(workspaceSid)?.state;
  const worker = state?.workers.get(workerSid);
  if (!state || !worker) return;
  let offline = state.activities.get(state.workspace.defaultActivitySid);
  for (const activity of state.activities.values()) if (activity.friendlyName === 'Offline') offline = activity;
  if (!offline || worker.activitySid === offline.sid) return;
  const command = { type: 'worker.update', sid: workerSid, activitySid: offline.sid } as const;
  hub.dispatch(workspaceSid, command, { type: 'worker', sid: workerSid }).catch(() => undefined);
}

/**
 * Ends the sessions of a workspace once its deletion is durable, with 4004 as for a deleted worker
 * (no engine step deletes a workspace, so no event tells the endpoints); returns the unsubscribe function.
 */
export function endSessionsOfDeletedWorkspaces(hub: Hub, sessions: () => Iterable<ClosableSession & { readonly workspaceSid: string | undefined }>): () => void {
  return hub.onWorkspaceDeleted((workspaceSid) => {
    for (const session of sessions()) if (session.workspaceSid === workspaceSid) session.end(CLOSE.WORKER_GONE);
  });
}

/** Closes sessions with 1001 (going away), waits up to `graceMs` for their peers, then cuts what is left. */
export async function closeSessions(sessions: readonly ClosableSession[], graceMs: number): Promise<void> {
  for (const session of sessions) session.end(CLOSE.GOING_AWAY);
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(sessions.map((s) => s.disconnected)),
    new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs))),
  ]);
  clearTimeout(grace);
  for (const session of sessions) session.terminate();
}
