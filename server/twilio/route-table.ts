/**
 * Which handler answers an envelope's `{url, method}`. The SDK sends paths relative to TaskRouter's
 * v1 root (`Workspaces/WS…/Workers/WK…`); a full `https://taskrouter.twilio.com/v1/…` URL or a
 * leading `/v1/` is accepted too. A known path with another method is 405, an unknown path 404.
 */
import { fail } from '../../shared/errors.js';
import type { EdgeHandler } from './edge-request.js';
import { createTask, fetchTask, superviseReservation, unsupported, updateTask } from './task-routes.js';
import { fetchReservation, fetchWorker, listActivities, listChannels, listReservations, updateReservation, updateWorker } from './worker-routes.js';
import { fetchTaskQueue, listTaskQueues, listWorkers } from './workspace-routes.js';

/** The methods the SDK uses. */
export type EdgeMethod = 'GET' | 'POST';

interface Route {
  pattern: RegExp;
  handlers: Partial<Record<EdgeMethod, EdgeHandler>>;
}

const SID = '([A-Za-z0-9]{1,64})';
const WS = `Workspaces/${SID}`;

function route(path: string, names: string[], handlers: Route['handlers']): Route & { names: string[] } {
  return { pattern: new RegExp(`^${path}$`), handlers, names };
}

const ROUTES = [
  route(`${WS}/Activities`, ['ws'], { GET: listActivities }),
  route(`${WS}/Workers`, ['ws'], { GET: listWorkers }),
  route(`${WS}/Workers/${SID}`, ['ws', 'wk'], { GET: fetchWorker, POST: updateWorker }),
  route(`${WS}/Workers/${SID}/WorkerChannels`, ['ws', 'wk'], { GET: listChannels }),
  route(`${WS}/Workers/${SID}/Reservations`, ['ws', 'wk'], { GET: listReservations }),
  route(`${WS}/Workers/${SID}/Reservations/${SID}`, ['ws', 'wk', 'wr'], { GET: fetchReservation, POST: updateReservation }),
  route(`${WS}/Workers/${SID}/(?:Transfers(?:/[^/]+)?|CustomerParticipant|WorkerParticipant|HoldWorkerParticipant|KickWorkerParticipant)`, ['ws', 'wk'], {
    GET: unsupported,
    POST: unsupported,
  }),
  route(`${WS}/Tasks`, ['ws'], { POST: createTask }),
  route(`${WS}/Tasks/${SID}`, ['ws', 'wt'], { GET: fetchTask, POST: updateTask }),
  route(`${WS}/Tasks/${SID}/Reservations/${SID}`, ['ws', 'wt', 'wr'], { POST: superviseReservation }),
  route(`${WS}/TaskQueues`, ['ws'], { GET: listTaskQueues }),
  route(`${WS}/TaskQueues/${SID}`, ['ws', 'wq'], { GET: fetchTaskQueue }),
];

/** The path under TaskRouter's v1 root, without origin, query or surrounding slashes. */
export function normalizePath(url: string): string {
  return url
    .replace(/^https?:\/\/[^/]+/i, '')
    .split('?')[0]!
    .replace(/^\/+/, '')
    .replace(/^v1\//, '')
    .replace(/\/+$/, '');
}

/** The handler and path SIDs for a request, or a 404/405 error. */
export function findRoute(url: string, method: EdgeMethod): { handler: EdgeHandler; path: Record<string, string> } {
  const path = normalizePath(url);
  for (const r of ROUTES) {
    const match = r.pattern.exec(path);
    if (!match) continue;
    const handler = r.handlers[method];
    if (!handler) throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    const sids: Record<string, string> = {};
    r.names.forEach((name, i) => (sids[name] = match[i + 1] ?? ''));
    return { handler, path: sids };
  }
  throw fail('NOT_FOUND', `The event bridge has no route ${path.slice(0, 200)}`);
}
