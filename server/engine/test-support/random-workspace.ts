import { EngineHarness } from './engine-harness.js';

/** The kinds of tasks random actions create; `named` ones name a worker for the workflow's known-worker target. */
export const TYPES = ['sales', 'support', 'other', 'named'] as const;
const WORKERS = ['Ann', 'Ben', 'Cy', 'Dee', 'Eve'] as const;
/** Names a rename picks from: the workers' own (taken, unless by the worker renamed) and two free ones. */
export const NAMES = [...WORKERS, 'Fay', 'Gus'] as const;
/** Activities a worker is moved to, by name. */
export const ACTIVITIES = ['Available', 'Offline', 'Unavailable', 'Busy'] as const;
/** Task channels tasks and worker channels are picked from, by unique name. */
export const CHANNELS = ['default', 'chat'] as const;
/** Skill sets, picked by a two-bit mask. */
export const SKILLS = [[], ['a'], ['b'], ['a', 'b']] as const;

/**
 * The workspace the random actions run in: five workers with skills and languages, three queues
 * (one by skill, one LIFO multi-reservation, one for everyone), and a workflow with target
 * expressions, priority overrides, cumulative timeouts, `order_by`, `skip_if` and (unless told otherwise) a default filter.
 */
export function randomWorkspace(options: { multiTaskEnabled?: boolean; defaultFilter?: boolean } = {}): { h: EngineHarness; queues: string[]; workers: string[] } {
  const { multiTaskEnabled = true, defaultFilter = true } = options;
  const h = EngineHarness.create({ multiTaskEnabled });
  h.run({ type: 'activity.create', friendlyName: 'Busy', available: false });
  const qa = h.addQueue('Skill A', { targetWorkers: "skills HAS 'a'" });
  const qb = h.addQueue('Skill B', { targetWorkers: "skills HAS 'b'", maxReservedWorkers: 2, taskOrder: 'LIFO' });
  const all = h.addQueue('Everyone', { maxReservedWorkers: 3, assignmentActivity: 'Busy' });
  const queues = [qa.sid, qb.sid, all.sid];
  h.addWorkflow('Main', workflowVariant(0, queues, defaultFilter), { taskReservationTimeout: 20 });
  const workers = WORKERS.map(
    (name, i) =>
      h.addWorker(name, {
        attributes: { skills: SKILLS[i % 4], lang: i % 2 === 0 ? 'en' : 'fr', ...(i === 2 ? {} : { level: i }) },
        activity: i === 4 ? 'Offline' : 'Available',
        capacity: i === 1 ? { chat: 2 } : {},
      }).sid,
  );
  return { h, queues, workers };
}

/**
 * The workflow's `task_routing`, in the variant a reconfiguration picks: the first has target
 * expressions, priority overrides, cumulative timeouts, `order_by`, `skip_if` and a known worker
 * named by the task; the others move the same kinds of tasks elsewhere under other rules.
 */
export function workflowVariant(variant: number, [qa, qb, all]: string[], defaultFilter: boolean): string {
  const filters = [
    [
      {
        filter_friendly_name: 'Sales',
        expression: "type == 'sales'",
        targets: [
          { queue: qa, timeout: 30, expression: 'task.lang == worker.lang' },
          { queue: qb, priority: 5, timeout: 60, order_by: 'worker.level DESC' },
          { queue: all },
        ],
      },
      {
        filter_friendly_name: 'Support',
        expression: "type == 'support'",
        targets: [
          { queue: qb, skip_if: 'workers.available == 0' },
          { queue: all, timeout: 90 },
        ],
      },
      {
        filter_friendly_name: 'Named',
        expression: "type == 'named'",
        targets: [
          { queue: all, known_worker_friendly_name: 'task.agent', timeout: 45 },
          { queue: qa, expression: 'worker.friendly_name != task.agent' },
        ],
      },
    ],
    [
      {
        filter_friendly_name: 'Sales',
        expression: "type == 'sales'",
        targets: [{ queue: qb, timeout: 20, expression: 'task.lang == worker.lang' }, { queue: all }],
      },
      {
        filter_friendly_name: 'Support',
        expression: "type == 'support'",
        targets: [{ queue: all, expression: "worker.friendly_name IN ['Fay', 'Gus'] OR worker.level > 1" }],
      },
      { filter_friendly_name: 'Named', expression: "type == 'named'", targets: [{ queue: qa, known_worker_friendly_name: 'task.agent' }] },
    ],
    [
      {
        filter_friendly_name: 'Sales or support',
        expression: "type IN ['sales', 'support']",
        targets: [{ queue: all, timeout: 30, expression: 'task.lang == worker.lang' }, { queue: qb }],
      },
    ],
  ][variant]!;
  return JSON.stringify({ task_routing: { filters, ...(defaultFilter ? { default_filter: { queue: all } } : {}) } });
}

/** TargetWorkers a queue's expression changes to: by skill, by language, by name, by level, everyone. */
export const QUEUE_TARGETS = ["skills HAS 'a'", "skills HAS 'b'", '1==1', "lang == 'fr'", "friendly_name IN ['Ann', 'Fay', 'Gus']", 'level >= 2'] as const;
