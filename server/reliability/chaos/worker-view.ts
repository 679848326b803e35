/**
 * What a worker holds, as plain comparable data: its activity and its live reservations (pending,
 * accepted, wrapping) with their tasks. Read from an SDK `Worker`, or from the hub over REST, so a
 * chaos test can check that every agent's page ends up showing the hub's truth.
 */
import type { Worker } from '../../../client/sdk/index.js';

/** One live reservation as a worker sees it. */
export interface HeldReservation {
  sid: string;
  status: string;
  taskSid: string;
  taskStatus: string;
}

/** A worker's state that its page shows. */
export interface WorkerView {
  activitySid: string;
  /** Sorted by reservation SID. */
  reservations: HeldReservation[];
}

/** Reads a GET path of the hub's REST API (account credentials) as JSON. */
export type RestGet = (path: string) => Promise<any>;

const LIVE = new Set(['pending', 'accepted', 'wrapping']);

const bySid = (a: HeldReservation, b: HeldReservation) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0);

/** The view an SDK worker has right now. */
export function sdkView(worker: Worker): WorkerView {
  const reservations = [...worker.reservations.values()].map((r) => ({
    sid: r.sid,
    status: r.status,
    taskSid: r.task.sid,
    taskStatus: String(r.task.assignmentStatus),
  }));
  return { activitySid: worker.activitySid, reservations: reservations.sort(bySid) };
}

/** A `RestGet` for a hub at `url` with account credentials. */
export function restGet(url: string, accountSid: string, authToken: string): RestGet {
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  return async (path) => {
    const response = await fetch(path.startsWith('http') ? path : `${url}${path}`, { headers: { authorization } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
}

/** Every item of a paged list. */
async function all(get: RestGet, path: string, key: string): Promise<any[]> {
  const items: any[] = [];
  for (let page = await get(path); ; page = await get(page.meta.next_page_url)) {
    items.push(...(page[key] as any[]));
    if (!page.meta.next_page_url) return items;
  }
}

/** The hub's truth for every worker of a workspace, over REST. */
export async function hubViews(get: RestGet, workspaceSid: string): Promise<Map<string, WorkerView>> {
  const base = `/v1/Workspaces/${workspaceSid}`;
  const views = new Map<string, WorkerView>();
  for (const w of await all(get, `${base}/Workers?PageSize=1000`, 'workers')) views.set(w.sid, { activitySid: w.activity_sid, reservations: [] });
  // Only a task in one of these states has a live reservation.
  const tasks = await all(get, `${base}/Tasks?PageSize=1000&AssignmentStatus=reserved,assigned,wrapping`, 'tasks');
  for (const task of tasks) {
    for (const r of await all(get, `${base}/Tasks/${task.sid}/Reservations?PageSize=100`, 'reservations')) {
      if (!LIVE.has(r.reservation_status)) continue;
      views.get(r.worker_sid)?.reservations.push({ sid: r.sid, status: r.reservation_status, taskSid: task.sid, taskStatus: task.assignment_status });
    }
  }
  for (const view of views.values()) view.reservations.sort(bySid);
  return views;
}

/** The workers whose SDK view differs from the hub's, with both views. */
export function mismatches(truth: ReadonlyMap<string, WorkerView>, workers: Iterable<Worker>): Array<{ workerSid: string; sdk: WorkerView; hub: WorkerView | undefined }> {
  const out = [];
  for (const worker of workers) {
    const sdk = sdkView(worker);
    const hub = truth.get(worker.sid);
    if (JSON.stringify(sdk) !== JSON.stringify(hub)) out.push({ workerSid: worker.sid, sdk, hub });
  }
  return out;
}
