/**
 * One handler per client command, turning it into an engine command dispatched as the session's
 * worker. The map is typed over `ClientMessageType` with `satisfies`, so a new protocol command
 * does not compile until it is handled here. No business rule lives here beyond the token's reach.
 */
import { fail, type SwitchboardError } from '../../shared/errors.js';
import type { ClientMessage, ClientMessageType } from '../../shared/protocol.js';
import type { Command } from '../engine/commands.js';
import type { ReservationRecord, TaskRecord, WorkerChannelRecord, WorkerRecord } from '../engine/model.js';
import type { WorkspaceState } from '../engine/workspace-state.js';
import { NO_ADDRESSES, serializeWorker, serializeWorkerChannel } from '../http/serialize.js';
import type { Hub } from '../hub.js';
import { reservationPayload } from './payloads.js';

/** What a handler answers: the reply's data, or the error to reply with. */
export type CommandResult = { ok: true; data?: unknown } | { ok: false; error: SwitchboardError };

/** What a handler may use: the hub, the session's identity, and the session's token operations. */
export interface CommandContext {
  hub: Hub;
  workspaceSid: string;
  workerSid: string;
  /** The session the command came on: its reply carries the reservation, so no push repeats it there. */
  origin: object;
  /** Verifies a new token for the same worker and swaps it in. */
  updateToken(token: string): Promise<CommandResult>;
}

type Message<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
type Handler<T extends ClientMessageType> = (ctx: CommandContext, message: Message<T>) => Promise<CommandResult>;

/**
 * Runs a command as the worker and answers once the change is committed, with its result
 * serialized from the state at that moment: the pushes of that commit have left already, and may
 * carry later changes to the same record (another step of the same tick), so a reply serialized at
 * the step would overwrite them on the page with an older state.
 */
async function run<T>(ctx: CommandContext, command: Command, serialize: (s: WorkspaceState, value: T) => unknown): Promise<CommandResult> {
  const outcome = ctx.hub.dispatchNow(ctx.workspaceSid, command, { type: 'worker', sid: ctx.workerSid }, ctx.origin);
  // A refusal waits too: it may rest on changes of this tick that are not durable yet.
  await ctx.hub.flush();
  if (!outcome.ok) return { ok: false, error: outcome.error };
  const state = ctx.hub.engine(ctx.workspaceSid)?.state;
  return { ok: true, data: state ? serialize(state, outcome.value as T) : undefined };
}

function reservation(ctx: CommandContext) {
  return (s: WorkspaceState, r: ReservationRecord) => reservationPayload(s, r, ctx.hub.now());
}

/** A task the worker may settle (see `WorkspaceState.settlesTask`), or why not. */
function ownTask(ctx: CommandContext, taskSid: string): SwitchboardError | undefined {
  const state = ctx.hub.engine(ctx.workspaceSid)?.state;
  const task = state?.findTask(taskSid);
  if (!state || !task) return fail('NOT_FOUND', `Task ${taskSid} not found`);
  if (state.settlesTask(ctx.workerSid, task.sid)) return undefined;
  return fail('FORBIDDEN', `Task ${taskSid} is not assigned to this worker`);
}

/**
 * Wraps up or completes a task the worker holds. The reply is the reservation through which it
 * held the task, with the task in it: the page learns the new status of both from it, so the hub
 * pushes it to the worker's other sessions only.
 */
async function settleTask(ctx: CommandContext, taskSid: string, status: 'wrapping' | 'completed', reason: string | undefined): Promise<CommandResult> {
  const refused = ownTask(ctx, taskSid);
  if (refused) return { ok: false, error: refused };
  return run<TaskRecord>(ctx, { type: 'task.update', sid: taskSid, assignmentStatus: status, reason }, (s, t) => {
    // Gone only if the task was deleted since.
    const held = s.heldReservation(ctx.workerSid, t.sid);
    return held && reservationPayload(s, held, ctx.hub.now());
  });
}

/** The handler of every client command. */
export const COMMAND_HANDLERS = {
  auth: async () => ({ ok: false, error: fail('BAD_REQUEST', 'This socket is already authenticated; use token.update to present a new token') }),

  'token.update': (ctx, m) => ctx.updateToken(m.token),

  'worker.update': (ctx, m) =>
    run<WorkerRecord>(
      ctx,
      {
        type: 'worker.update',
        sid: ctx.workerSid,
        activitySid: m.activitySid,
        attributes: m.attributes === undefined ? undefined : JSON.stringify(m.attributes),
        rejectPendingReservations: m.rejectPendingReservations,
      },
      (s, w) => serializeWorker(s, w, NO_ADDRESSES),
    ),

  'channel.update': (ctx, m) =>
    run<WorkerChannelRecord>(
      ctx,
      { type: 'workerChannel.update', workerSid: ctx.workerSid, sid: m.channel, capacity: m.capacity, available: m.available },
      (s, c) => serializeWorkerChannel(s, c, NO_ADDRESSES),
    ),

  'reservation.accept': (ctx, m) =>
    run(ctx, { type: 'reservation.update', sid: m.reservationSid, workerSid: ctx.workerSid, status: 'accepted' }, reservation(ctx)),

  'reservation.reject': (ctx, m) =>
    run(
      ctx,
      { type: 'reservation.update', sid: m.reservationSid, workerSid: ctx.workerSid, status: 'rejected', workerActivitySid: m.activitySid },
      reservation(ctx),
    ),

  'task.wrap': (ctx, m) => settleTask(ctx, m.taskSid, 'wrapping', m.reason),

  'task.complete': (ctx, m) => settleTask(ctx, m.taskSid, 'completed', m.reason),

  ping: async () => ({ ok: true }),
} satisfies { [K in ClientMessageType]: Handler<K> };

/** Runs the handler of a message's type. */
export function handleCommand(ctx: CommandContext, message: ClientMessage): Promise<CommandResult> {
  const handler = COMMAND_HANDLERS[message.type] as Handler<ClientMessageType>;
  return handler(ctx, message);
}
