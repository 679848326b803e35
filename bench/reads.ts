/**
 * Reads of the hub's state benchmark: what a wallboard's poll, a metrics scrape and a task list
 * cost the hub's event loop when the workspace retains many tasks (finished tasks stay five
 * minutes: 300,000 at 1,000 tasks/s). Baseline, in the same run: the code before, which read every
 * retained task per request (`scanned*` below): statistics before the engine kept its task tally,
 * task lists before they stopped at a full page and before attribute filters skipped finished
 * tasks' JSON that cannot match without parsing it. Both ways give the same answers, checked.
 *
 *   npm run bench:reads [-- --tasks 100000,300000 --waiting 1000 --runs 5]
 *
 * The workspace has 20 task queues and one workflow; a real task made by the engine is copied
 * with fresh SIDs until there are N, `--waiting` of them pending, the rest mostly completed
 * (some canceled, assigned or wrapping), spread over the queues and four channels. Each figure is
 * the median of its runs (alternating the two ways) of one request's time on the loop: the
 * workspace's statistics, the TaskQueues/Statistics page of all 20 queues (real-time part), the
 * task gauges of a `/metrics` scrape, the first page of the task list, a lookup by attribute
 * (`call_sid == "CA..."`, one of the newest tasks), and a page of the pending tasks (against a walk of
 * every task until the page is full, as before the tally kept the live tasks apart).
 */
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { Gauge, Registry } from 'prom-client';
import { compileExpression } from '../server/engine/expression/index.js';
import { TASK_STATUSES, type TaskRecord, type TaskStatus } from '../server/engine/model.js';
import { parseAttributes, type WorkspaceState } from '../server/engine/workspace-state.js';
import { filterTasks, type TaskListParams } from '../server/http/routes/tasks.js';
import { queueRealtime, workspaceRealtime } from '../server/http/statistics/realtime.js';
import { collectHubState } from '../server/observability/state-gauges.js';
import { MemoryStore } from '../server/store/memory-store.js';
import { benchHub } from './lib/bench-hub.js';
import { median } from './lib/median.js';

const QUEUES = 20;
const WAYS = ['every task read (baseline)', 'now'] as const;
type Way = (typeof WAYS)[number];

function parseArgs(): { sizes: number[]; waiting: number; runs: number } {
  const options = { sizes: [100_000, 300_000], waiting: 1_000, runs: 5 };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '');
    const value = args[i + 1] ?? '';
    if (key === 'tasks' && /^\d+(,\d+)*$/.test(value)) options.sizes = value.split(',').map(Number);
    else if (key === 'waiting' && /^\d+$/.test(value)) options.waiting = Number(value);
    else if (key === 'runs' && Number.isInteger(Number(value)) && Number(value) > 0) options.runs = Number(value);
    else throw new Error(`Unknown option ${args[i]} ${value}`);
  }
  return options;
}

// ---- The baseline: how the hub counted before, reading every task per request. ----

function scannedTaskStatistics(tasks: TaskRecord[], now: number): Record<string, unknown> {
  const byStatus: Record<string, number> = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0]));
  const byPriority: Record<string, number> = {};
  let oldest: TaskRecord | undefined;
  for (const t of tasks) {
    byStatus[t.assignmentStatus] = (byStatus[t.assignmentStatus] ?? 0) + 1;
    if (t.assignmentStatus !== 'pending' && t.assignmentStatus !== 'reserved') continue;
    byPriority[t.priority] = (byPriority[t.priority] ?? 0) + 1;
    if (!oldest || t.dateCreated < oldest.dateCreated) oldest = t;
  }
  return {
    longest_task_waiting_age: oldest ? Math.max(0, Math.floor((now - oldest.dateCreated) / 1000)) : 0,
    longest_task_waiting_sid: oldest?.sid ?? null,
    tasks_by_priority: byPriority,
    tasks_by_status: byStatus,
    total_tasks: tasks.length,
  };
}

function scannedQueuePage(s: WorkspaceState, now: number): unknown[] {
  const byQueue = new Map<string, TaskRecord[]>();
  for (const t of s.tasks.values()) {
    if (t.taskQueueSid === null) continue;
    const list = byQueue.get(t.taskQueueSid);
    if (list) list.push(t);
    else byQueue.set(t.taskQueueSid, [t]);
  }
  return [...s.taskQueues.keys()].map((sid) => {
    const tasks = byQueue.get(sid) ?? [];
    let inQueue: TaskRecord | undefined;
    for (const t of tasks) {
      const waiting = t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved';
      if (waiting && t.taskQueueEnteredAt !== null && (!inQueue || t.taskQueueEnteredAt < inQueue.taskQueueEnteredAt!)) inQueue = t;
    }
    return { ...scannedTaskStatistics(tasks, now), longest_relative_task_sid_in_queue: inQueue?.sid ?? null };
  });
}

function scannedGauges(s: WorkspaceState, tasks: Gauge<string>): void {
  for (const task of s.tasks.values()) tasks.inc({ workspace: 'Bench', queue: task.taskQueueSid ?? 'none', status: task.assignmentStatus });
}

/** A task list's first page: every task filtered (finished ones' attributes parsed), then the page cut. */
function scannedTaskPage(s: WorkspaceState, expression?: string): string[] {
  const compiled = expression === undefined ? undefined : compileExpression(expression);
  if (compiled && !compiled.ok) throw new Error(compiled.error.message);
  const all = [...s.tasks.values()].filter((t) => !compiled || compiled.expression.evaluate(s.attributesOf(t)));
  return all.slice(0, 50).map((t) => t.sid);
}

/** A task list filtered by status, as it was read before the live tasks were kept apart: every task walked until a page is full. */
function walkedStatusPage(s: WorkspaceState, status: string): string[] {
  const page: string[] = [];
  for (const t of s.tasks.values()) if (t.assignmentStatus === status && page.push(t.sid) >= 50) break;
  return page;
}

// ---- What the routes and the scrape do now. ----

function taskPage(s: WorkspaceState, params: Partial<TaskListParams>): string[] {
  const page: string[] = [];
  for (const t of filterTasks(s, params as TaskListParams)) if (page.push(t.sid) > 50) break;
  return page.slice(0, 50);
}


function talliedQueuePage(s: WorkspaceState, now: number): unknown[] {
  return [...s.taskQueues.keys()].map((sid) => {
    const r = queueRealtime(s, sid, now);
    return {
      longest_task_waiting_age: r['longest_task_waiting_age'],
      longest_task_waiting_sid: r['longest_task_waiting_sid'],
      tasks_by_priority: r['tasks_by_priority'],
      tasks_by_status: r['tasks_by_status'],
      total_tasks: r['total_tasks'],
      longest_relative_task_sid_in_queue: r['longest_relative_task_sid_in_queue'],
    };
  });
}

/** Times `fn` on the loop, in ms. */
function timed<T>(fn: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = fn();
  return { ms: performance.now() - started, value };
}

async function main(): Promise<void> {
  const { sizes, waiting, runs } = parseArgs();
  console.log(`state reads bench: ${sizes.join(', ')} retained tasks (${waiting} waiting), ${QUEUES} queues, ${runs} runs each way, alternating; load ${loadavg()[0]!.toFixed(2)}`);
  const rows: string[] = [];
  for (const size of sizes) {
    const { hub, state, must } = await benchHub(new MemoryStore());
    const queues: string[] = [];
    for (let q = 0; q < QUEUES; q += 1) queues.push((await must({ type: 'taskQueue.create', friendlyName: `Queue ${q}`, targetWorkers: '1==2' })).sid);
    const channels = [...state.taskChannels.keys()];
    const template = state.tasks.get((await must({ type: 'task.create', attributes: '{"type":"support"}', taskQueueSid: queues[0]! })).sid)!;
    state.tasks.delete(template.sid);
    state.taskTally.update(template.sid, null);
    const now = Date.now();
    for (let n = 0; n < size; n += 1) {
      // The newest tasks wait, as on a live floor: the older ones have been answered.
      const status: TaskStatus = n >= size - waiting ? 'pending' : n % 50 === 0 ? 'canceled' : n % 97 === 0 ? 'assigned' : n % 89 === 0 ? 'wrapping' : 'completed';
      const created = now - 300_000 + Math.floor((n / size) * 299_000);
      const task: TaskRecord = {
        ...template,
        sid: `WT${n.toString(16).padStart(32, '0')}`,
        assignmentStatus: status,
        priority: n % 3,
        taskQueueSid: queues[n % QUEUES]!,
        taskChannelSid: channels[n % channels.length]!,
        dateCreated: created,
        taskQueueEnteredAt: created,
        attributes: JSON.stringify({ type: 'support', call_sid: `CA${n}`, from: '+15550100', language: n % 7 === 0 ? 'es' : 'en' }),
      };
      state.tasks.set(task.sid, task);
      if (status !== 'completed' && status !== 'canceled') state.taskAttributes.set(task.sid, parseAttributes(task.attributes));
      state.taskTally.update(task.sid, task);
    }
    const registry = new Registry();
    const gauges = {
      workspaces: new Gauge({ name: 'b_workspaces', help: 'b', registers: [registry] }),
      workers: new Gauge({ name: 'b_workers', help: 'b', labelNames: ['workspace', 'activity'], registers: [registry] }),
      tasks: new Gauge({ name: 'b_tasks', help: 'b', labelNames: ['workspace', 'queue', 'status'], registers: [registry] }),
    };
    const requests: Record<string, Record<Way, () => unknown>> = {
      'workspace statistics': {
        [WAYS[0]]: () => scannedTaskStatistics([...state.tasks.values()], now),
        [WAYS[1]]: () => {
          const { activity_statistics: _a, total_workers: _w, ...tasks } = workspaceRealtime(state, now);
          return tasks;
        },
      },
      [`TaskQueues/Statistics (${QUEUES} queues)`]: { [WAYS[0]]: () => scannedQueuePage(state, now), [WAYS[1]]: () => talliedQueuePage(state, now) },
      'task list, first page': { [WAYS[0]]: () => scannedTaskPage(state), [WAYS[1]]: () => taskPage(state, {}) },
      [`task list, call_sid == "CA${size - 5}"`]: {
        [WAYS[0]]: () => scannedTaskPage(state, `call_sid == "CA${size - 5}"`),
        [WAYS[1]]: () => taskPage(state, { EvaluateTaskAttributes: `call_sid == "CA${size - 5}"` }),
      },
      'task list, AssignmentStatus=pending': {
        [WAYS[0]]: () => walkedStatusPage(state, 'pending'),
        [WAYS[1]]: () => taskPage(state, { AssignmentStatus: ['pending'] }),
      },
      'metrics scrape, task gauges': {
        [WAYS[0]]: () => {
          gauges.tasks.reset();
          scannedGauges(state, gauges.tasks);
        },
        [WAYS[1]]: () => {
          gauges.tasks.reset();
          collectHubState(hub, gauges);
        },
      },
    };
    for (const [name, ways] of Object.entries(requests)) {
      if (!name.startsWith('metrics') && !isDeepStrictEqual(ways[WAYS[0]](), ways[WAYS[1]]())) throw new Error(`the two ways disagree on ${name} at ${size} tasks`);
      const ms = new Map<Way, number[]>(WAYS.map((w) => [w, []]));
      for (let run = 0; run < runs; run += 1) {
        for (const way of run % 2 === 0 ? WAYS : [...WAYS].reverse()) ms.get(way)!.push(timed(ways[way]).ms);
      }
      const [scan, tally] = WAYS.map((w) => median(ms.get(w)!));
      for (const way of WAYS) rows.push(`| ${size.toLocaleString('en-US')} | ${name} | ${way} | ${median(ms.get(way)!).toFixed(2)} |`);
      console.log(`${size} tasks, ${name}: ${scan!.toFixed(2)} ms -> ${tally!.toFixed(2)} ms (${(scan! / Math.max(0.001, tally!)).toFixed(0)}x)`);
    }
    await hub.close();
  }
  console.log('\n| Retained tasks | Request | Read by | Time on the loop (ms, median) |\n| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

await main();
