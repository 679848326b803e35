import type { Effect } from '../engine/effects.js';
import type { Hub } from '../hub.js';
import { postForm, type PostResult } from './post-form.js';

/** TaskRouter gives an assignment callback 5 seconds to answer. */
export const ASSIGNMENT_CALLBACK_TIMEOUT_MS = 5000;

/** Instructions that need telephony, which the hub does not provide. */
const VOICE_INSTRUCTIONS = new Set(['dequeue', 'call', 'redirect', 'conference']);

type CallbackEffect = Extract<Effect, { type: 'assignment.callback' }>;

/** Unanswered POSTs one callback URL may have at once unless told otherwise. */
export const DEFAULT_PENDING_PER_URL = 1000;

/** Choices for `startAssignmentCallbacks`. */
export interface AssignmentCallbackOptions {
  /** Told of every POST's outcome and duration, for metrics. */
  observe?: (ok: boolean, seconds: number) => void;
  /**
   * Unanswered POSTs one URL may have at once (default 1,000); past it a callback fails at once
   * (then the fallback is tried), so a URL that hangs cannot hold an unbounded number of sockets.
   */
  maxPendingPerUrl?: number;
}

/** What one delivery needs of the sender. */
interface Sender {
  observe?: (ok: boolean, seconds: number) => void;
  maxPending: number;
  pending: Map<string, number>;
}

/**
 * Posts TaskRouter's assignment-callback parameters for each new reservation (primary URL, then the
 * fallback on failure) and acts on the answer: `accept`, `reject` (with `activity_sid`), or nothing
 * for an empty answer. Anything else is reported as a `callback.error` event; the reservation stays pending.
 */
export function startAssignmentCallbacks(hub: Hub, options: AssignmentCallbackOptions = {}): () => void {
  const sender: Sender = { observe: options.observe, maxPending: options.maxPendingPerUrl ?? DEFAULT_PENDING_PER_URL, pending: new Map() };
  return hub.onAssignmentCallback((effect, workspaceSid) => {
    void deliver(hub, workspaceSid, effect, sender);
  });
}

async function timedPost(url: string, params: Record<string, string>, sender: Sender): Promise<PostResult> {
  const pending = sender.pending.get(url) ?? 0;
  if (pending >= sender.maxPending) return { ok: false, reason: `not sent: ${pending} earlier callbacks to this URL are still unanswered` };
  sender.pending.set(url, pending + 1);
  const started = performance.now();
  try {
    const result = await postForm(url, params, ASSIGNMENT_CALLBACK_TIMEOUT_MS);
    sender.observe?.(result.ok, (performance.now() - started) / 1000);
    return result;
  } finally {
    const left = (sender.pending.get(url) ?? 1) - 1;
    if (left > 0) sender.pending.set(url, left);
    else sender.pending.delete(url);
  }
}

async function deliver(hub: Hub, workspaceSid: string, effect: CallbackEffect, sender: Sender): Promise<void> {
  const params = callbackParams(hub, workspaceSid, effect.reservationSid);
  if (!params) return;
  let url = effect.url;
  let result = await timedPost(url, params, sender);
  if (!result.ok && effect.fallbackUrl) {
    url = effect.fallbackUrl;
    result = await timedPost(url, params, sender);
  }
  const report = (code: number, message: string) =>
    hub.dispatch(workspaceSid, { type: 'callback.report', reservationSid: effect.reservationSid, url, code, message }, { type: 'system' });
  if (!result.ok) {
    await report(11200, `Assignment callback failed: ${result.reason}`);
    return;
  }
  const text = result.body.trim();
  if (text === '') return;
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    await report(40001, 'Assignment callback answered with something other than JSON');
    return;
  }
  if (typeof answer !== 'object' || answer === null || Object.keys(answer).length === 0) return;
  const { instruction, activity_sid: activitySid } = answer as { instruction?: unknown; activity_sid?: unknown };
  if (instruction === undefined) {
    await report(40005, 'Assignment callback JSON has no instruction');
    return;
  }
  const reservation = { type: 'reservation.update' as const, sid: effect.reservationSid };
  if (instruction === 'accept') {
    const outcome = await hub.dispatch(workspaceSid, { ...reservation, status: 'accepted' }, { type: 'system' });
    if (!outcome.ok) await report(outcome.error.twilioCode, `accept instruction failed: ${outcome.error.message}`);
  } else if (instruction === 'reject') {
    const command = { ...reservation, status: 'rejected' as const, ...(typeof activitySid === 'string' ? { workerActivitySid: activitySid } : {}) };
    const outcome = await hub.dispatch(workspaceSid, command, { type: 'system' });
    if (!outcome.ok) await report(outcome.error.twilioCode, `reject instruction failed: ${outcome.error.message}`);
  } else if (typeof instruction === 'string' && VOICE_INSTRUCTIONS.has(instruction)) {
    await report(40135, `The ${instruction} instruction needs telephony, which this hub does not provide; the reservation stays pending`);
  } else {
    await report(40001, `Unknown assignment instruction ${JSON.stringify(instruction)}`);
  }
}

/** TaskRouter's assignment-callback parameters for a reservation, or null when it is gone. */
function callbackParams(hub: Hub, workspaceSid: string, reservationSid: string): Record<string, string> | null {
  const state = hub.engine(workspaceSid)?.state;
  const reservation = state?.reservations.get(reservationSid);
  if (!state || !reservation || reservation.status !== 'pending') return null;
  const task = state.tasks.get(reservation.taskSid);
  const worker = state.workers.get(reservation.workerSid);
  if (!task || !worker) return null;
  const now = hub.now();
  return {
    Timestamp: String(Math.floor(now / 1000)),
    AccountSid: state.workspace.accountSid,
    WorkspaceSid: workspaceSid,
    WorkflowSid: task.workflowSid ?? '',
    TaskQueueSid: reservation.taskQueueSid,
    WorkerSid: worker.sid,
    WorkerAttributes: worker.attributes,
    TaskSid: task.sid,
    TaskAttributes: task.attributes,
    TaskAge: String(Math.max(0, Math.floor((now - task.dateCreated) / 1000))),
    TaskPriority: String(task.priority),
    ReservationSid: reservation.sid,
  };
}
