/** Routes of statistics: workspace, task queues, workers and workflows; real-time, cumulative, or both. */
import { z } from 'zod';
import type { WorkerRecord } from '../../engine/model.js';
import type { WorkspaceState } from '../../engine/workspace-state.js';
import { emptyTally, type EventSummary, type EventSummaryQuery, type EventTally } from '../../store/event-summary.js';
import { found, stateOf, type Api, type Call } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { list, parseParams, text } from '../params.js';
import { workspaceUrl } from '../serialize.js';
import { cumulative, workersCumulative } from '../statistics/cumulative.js';
import { queueRealtime, workersRealtime, workflowRealtime, workspaceRealtime } from '../statistics/realtime.js';
import { timeWindow, WindowSchema, type TimeWindow } from '../time-window.js';

const Common = z.object({
  TaskChannel: text(64).optional(),
  SplitByWaitTime: list().refine((v) => v.every((t) => /^\d+$/.test(t)), { error: 'must be a comma-separated list of seconds' }).optional(),
});
const WorkerFilters = z.object({ TaskQueueSid: text().optional(), TaskQueueName: text().optional(), FriendlyName: text().optional() });
const QueueFilters = z.object({ FriendlyName: text().optional() });

/** What every statistics route validates, for the document. */
const READS = [Common, WindowSchema];
const spec = (summary: string, ...more: z.ZodObject[]) => ({ summary, tag: 'Statistics', alsoReads: [...READS, ...more] });
/** A route that counts events: refused with a 429 while the store has as many counts queued as it takes. */
const counting = (summary: string, ...more: z.ZodObject[]) => ({ ...spec(summary, ...more), errors: [429] });

interface StatsCall {
  s: WorkspaceState;
  window: TimeWindow;
  now: number;
  taskChannel: string | undefined;
  splits: number[];
  /** The tallies of the window's events (of the channel asked for), narrowed further by `narrow`. */
  summary(narrow?: Partial<EventSummaryQuery>): Promise<EventSummary>;
}

function stats(call: Call): StatsCall {
  const s = stateOf(call);
  const now = call.hub.now();
  const common = parseParams(Common, call.input);
  const window = timeWindow(call.input, now);
  const summary = (narrow: Partial<EventSummaryQuery> = {}) =>
    call.hub.summarizeEvents({ workspaceSid: s.workspace.sid, startDate: window.start, endDate: window.end, taskChannel: common.TaskChannel, ...narrow });
  return { s, window, now, taskChannel: common.TaskChannel, splits: (common.SplitByWaitTime ?? []).map(Number), summary };
}

/** One group's tally of a summary ('' for an ungrouped one); empty when it had no events. */
function tallyOf(summary: EventSummary, group = ''): EventTally {
  return summary.get(group) ?? emptyTally();
}

/** The account, workspace and URL fields every statistics body carries. */
function head(call: Call, s: WorkspaceState, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const url = `${call.base.baseUrl}${call.req.url.split('?')[0]}`;
  return { account_sid: s.workspace.accountSid, workspace_sid: s.workspace.sid, ...extra, url };
}

function filteredWorkers(s: WorkspaceState, call: Call): WorkerRecord[] {
  const f = parseParams(WorkerFilters, call.input);
  const queueSid = f.TaskQueueName !== undefined ? ([...s.taskQueues.values()].find((q) => q.friendlyName === f.TaskQueueName)?.sid ?? '') : f.TaskQueueSid;
  const members = queueSid === undefined ? undefined : (s.routing.members.get(queueSid) ?? new Set<string>());
  return [...s.workers.values()].filter((w) => (!members || members.has(w.sid)) && (f.FriendlyName === undefined || w.friendlyName === f.FriendlyName));
}

/** Registers the statistics routes. */
export function statisticsRoutes(api: Api): void {
  const WS = '/Workspaces/:ws';
  api.get(`${WS}/RealTimeStatistics`, spec('Real-time statistics of a workspace'), (call) => {
    const c = stats(call);
    return { status: 200, body: { ...head(call, c.s), ...workspaceRealtime(c.s, c.now, c.taskChannel) } };
  });
  const workspaceCumulative = async (c: StatsCall) => cumulative(tallyOf(await c.summary()), c.window, c.splits);
  api.get(`${WS}/CumulativeStatistics`, counting('Cumulative statistics of a workspace over a time window'), async (call) => {
    const c = stats(call);
    return { status: 200, body: { ...head(call, c.s), ...(await workspaceCumulative(c)) } };
  });
  api.get(`${WS}/Statistics`, counting('Real-time and cumulative statistics of a workspace'), async (call) => {
    const c = stats(call);
    const body = { ...head(call, c.s), realtime: workspaceRealtime(c.s, c.now, c.taskChannel), cumulative: await workspaceCumulative(c) };
    return { status: 200, body };
  });

  const Q = `${WS}/TaskQueues`;
  const queueCumulative = async (c: StatsCall, sid: string) => cumulative(tallyOf(await c.summary({ taskQueueSid: sid })), c.window, c.splits, 'task-queue.entered');
  api.get(`${Q}/Statistics`, counting('Statistics of every task queue', QueueFilters, PageSchema), async (call) => {
    const c = stats(call);
    const name = parseParams(QueueFilters, call.input).FriendlyName;
    const queues = [...c.s.taskQueues.values()].filter((q) => name === undefined || q.friendlyName === name);
    // Grouped once: a page of a thousand queues would otherwise read the window's events a thousand times.
    const byQueue = await c.summary({ byTaskQueue: true });
    const body = pageOf(call, 'task_queues_statistics', queues, (q) => ({
      account_sid: c.s.workspace.accountSid,
      workspace_sid: c.s.workspace.sid,
      task_queue_sid: q.sid,
      realtime: queueRealtime(c.s, q.sid, c.now, c.taskChannel),
      cumulative: cumulative(tallyOf(byQueue, q.sid), c.window, c.splits, 'task-queue.entered'),
      url: `${workspaceUrl(call.base, c.s.workspace.sid)}/TaskQueues/${q.sid}/Statistics`,
    }));
    return { status: 200, body };
  });
  api.get(`${Q}/:wq/RealTimeStatistics`, spec('Real-time statistics of a task queue'), (call) => {
    const c = stats(call);
    const q = found(c.s.taskQueues, call.path['wq'], 'TaskQueue');
    return { status: 200, body: { ...head(call, c.s, { task_queue_sid: q.sid }), ...queueRealtime(c.s, q.sid, c.now, c.taskChannel) } };
  });
  api.get(`${Q}/:wq/CumulativeStatistics`, counting('Cumulative statistics of a task queue'), async (call) => {
    const c = stats(call);
    const q = found(c.s.taskQueues, call.path['wq'], 'TaskQueue');
    return { status: 200, body: { ...head(call, c.s, { task_queue_sid: q.sid }), ...(await queueCumulative(c, q.sid)) } };
  });
  api.get(`${Q}/:wq/Statistics`, counting('Real-time and cumulative statistics of a task queue'), async (call) => {
    const c = stats(call);
    const q = found(c.s.taskQueues, call.path['wq'], 'TaskQueue');
    const body = { ...head(call, c.s, { task_queue_sid: q.sid }), realtime: queueRealtime(c.s, q.sid, c.now, c.taskChannel), cumulative: await queueCumulative(c, q.sid) };
    return { status: 200, body };
  });

  const W = `${WS}/Workers`;
  const workersCum = async (c: StatsCall, workers: WorkerRecord[]) =>
    workersCumulative(c.s, tallyOf(await c.summary({ workerSids: workers.map((w) => w.sid) })), c.window);
  api.get(`${W}/RealTimeStatistics`, spec('Real-time statistics of the workers', WorkerFilters), (call) => {
    const c = stats(call);
    return { status: 200, body: { ...head(call, c.s), ...workersRealtime(c.s, filteredWorkers(c.s, call)) } };
  });
  api.get(`${W}/CumulativeStatistics`, counting('Cumulative statistics of the workers', WorkerFilters), async (call) => {
    const c = stats(call);
    return { status: 200, body: { ...head(call, c.s), ...(await workersCum(c, filteredWorkers(c.s, call))) } };
  });
  api.get(`${W}/Statistics`, counting('Real-time and cumulative statistics of the workers', WorkerFilters), async (call) => {
    const c = stats(call);
    const workers = filteredWorkers(c.s, call);
    return { status: 200, body: { ...head(call, c.s), realtime: workersRealtime(c.s, workers), cumulative: await workersCum(c, workers) } };
  });
  api.get(`${W}/:wk/Statistics`, counting('Cumulative statistics of a worker'), async (call) => {
    const c = stats(call);
    const w = found(c.s.workers, call.path['wk'], 'Worker');
    const tally = tallyOf(await c.summary({ workerSid: w.sid }));
    return { status: 200, body: { ...head(call, c.s, { worker_sid: w.sid }), cumulative: workersCumulative(c.s, tally, c.window) } };
  }, (call, grant) => call.path['wk'] === grant.workerSid);

  const F = `${WS}/Workflows/:ww`;
  const flowCumulative = async (c: StatsCall, sid: string) => cumulative(tallyOf(await c.summary({ workflowSid: sid })), c.window, c.splits, 'task.created');
  api.get(`${F}/RealTimeStatistics`, spec('Real-time statistics of a workflow'), (call) => {
    const c = stats(call);
    const w = found(c.s.workflows, call.path['ww'], 'Workflow');
    return { status: 200, body: { ...head(call, c.s, { workflow_sid: w.sid }), ...workflowRealtime(c.s, w.sid, c.now, c.taskChannel) } };
  });
  api.get(`${F}/CumulativeStatistics`, counting('Cumulative statistics of a workflow'), async (call) => {
    const c = stats(call);
    const w = found(c.s.workflows, call.path['ww'], 'Workflow');
    return { status: 200, body: { ...head(call, c.s, { workflow_sid: w.sid }), ...(await flowCumulative(c, w.sid)) } };
  });
  api.get(`${F}/Statistics`, counting('Real-time and cumulative statistics of a workflow'), async (call) => {
    const c = stats(call);
    const w = found(c.s.workflows, call.path['ww'], 'Workflow');
    const body = { ...head(call, c.s, { workflow_sid: w.sid }), realtime: workflowRealtime(c.s, w.sid, c.now, c.taskChannel), cumulative: await flowCumulative(c, w.sid) };
    return { status: 200, body };
  });
}
