import type { WorkspaceState } from '../workspace-state.js';
import { everyReservation, everyTask } from './every-record.js';

const sorted = <T>(entries: Iterable<[string, T]>): [string, T][] => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * A JSON copy of everything observable in a workspace: every record, capacity in use, pending
 * offers, queue membership, ready workers in idle order and waiting tasks in routing order.
 * Two equal snapshots mean two engines that route alike.
 */
export function snapshotState(state: WorkspaceState): unknown {
  const routing = state.routing;
  const queues = [...state.taskQueues.keys()].sort();
  const channels = [...state.taskChannels.keys()].sort();
  const value = {
    workspace: state.workspace,
    activities: sorted(state.activities),
    taskChannels: sorted(state.taskChannels),
    workers: sorted(state.workers),
    workerChannels: sorted(state.workerChannels),
    taskQueues: sorted(state.taskQueues),
    workflows: sorted(state.workflows),
    // Live or archived alike: a restore archives at once what the engine it restores kept live a little longer.
    tasks: sorted(everyTask(state).map((t) => [t.sid, t])),
    reservations: sorted(everyReservation(state).map((r) => [r.sid, r])),
    channelLoad: sorted([...state.channelLoad].filter(([, n]) => n !== 0)),
    workerLoad: sorted([...state.workerLoad].filter(([, n]) => n !== 0)),
    pendingOfTask: sorted([...state.pendingOfTask].filter(([, set]) => set.size > 0).map(([sid, set]) => [sid, [...set].map((r) => r.sid).sort()])),
    members: queues.map((q) => [q, [...(routing.members.get(q) ?? [])].sort()]),
    ready: queues.flatMap((q) => channels.map((c) => [q, c, [...routing.readyWorkers(q, c)]])).filter(([, , w]) => (w as string[]).length > 0),
    waiting: queues.flatMap((q) => sorted(routing.waitingLists(q)).map(([c, list]) => [q, c, [...list].map((t) => t.sid)])).filter(([, , t]) => (t as string[]).length > 0),
  };
  return JSON.parse(JSON.stringify(value));
}
