/**
 * Scrape-time gauges read from engine state: workspaces, workers by activity and tasks by queue
 * and status. Labels are friendly names (never SIDs), cut to 64 characters, and each label's
 * distinct values are capped: the rest are summed under `other`.
 */
import type { Gauge } from 'prom-client';
import { TASK_STATUSES, type TaskStatus } from '../engine/model.js';
import { countsByStatus } from '../engine/task-tally.js';
import { countByActivity } from '../engine/workspace-state.js';
import type { Hub } from '../hub.js';

/** Most distinct workspace names reported; more are summed under `other`. */
export const MAX_WORKSPACE_LABELS = 50;
/** Most distinct (workspace, queue) pairs reported. */
export const MAX_QUEUE_LABELS = 200;
/** Most distinct (workspace, activity) pairs reported. */
export const MAX_ACTIVITY_LABELS = 200;
/** The label value standing for everything past a cap. */
export const OTHER = 'other';
/** The queue label of tasks not in a queue. */
export const NO_QUEUE = 'none';

/** The distinct values of a label, up to a cap. */
class Cap {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  /** `value` itself while there is room for it, else `other`. */
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}

const label = (name: string) => (name.length > 64 ? name.slice(0, 64) : name) || '(unnamed)';

/** The gauges this fills (already reset). */
export interface StateGauges {
  workspaces: Gauge<string>;
  workers: Gauge<string>;
  tasks: Gauge<string>;
}

/** Sets the state gauges from every workspace of the hub; O(workers + queues). */
export function collectHubState(hub: Hub, gauges: StateGauges): void {
  const workspaceCap = new Cap(MAX_WORKSPACE_LABELS);
  const queueCap = new Cap(MAX_QUEUE_LABELS);
  const activityCap = new Cap(MAX_ACTIVITY_LABELS);
  const engines = hub.workspaces();
  gauges.workspaces.set(engines.length);
  for (const engine of engines) {
    const s = engine.state;
    const workspace = workspaceCap.of(label(s.workspace.friendlyName));
    const activityLabel = new Map<string, string>();
    for (const activity of s.activities.values()) {
      const name = workspace === OTHER ? OTHER : activityCap.of(`${workspace}\u0000${label(activity.friendlyName)}`).split('\u0000').at(-1)!;
      activityLabel.set(activity.sid, name);
      gauges.workers.inc({ workspace, activity: name }, 0);
    }
    // Counted per activity first: one gauge update per activity, not one per worker (10,000 label lookups took 4-17 ms).
    for (const [activitySid, n] of countByActivity(s.workers.values())) gauges.workers.inc({ workspace, activity: activityLabel.get(activitySid) ?? OTHER }, n);

    // Counted from the engine's task tally, never by reading every task the workspace retains.
    const unlisted = countsByStatus(s.taskTally.workspace());
    const add = (queue: string, byStatus: Readonly<Record<TaskStatus, number>>) => {
      for (const status of TASK_STATUSES) {
        const n = byStatus[status];
        gauges.tasks.inc({ workspace, queue, status }, n);
        unlisted[status] -= n;
      }
    };
    for (const queue of s.taskQueues.values()) {
      const name = workspace === OTHER ? OTHER : queueCap.of(`${workspace}\u0000${label(queue.friendlyName)}`).split('\u0000').at(-1)!;
      add(name, countsByStatus(s.taskTally.scope(queue.sid)));
    }
    const unqueued = s.taskTally.unqueued();
    if (unqueued) add(NO_QUEUE, countsByStatus(unqueued));
    // Tasks of deleted queues, kept for their retention.
    if (TASK_STATUSES.some((status) => unlisted[status] !== 0)) add(OTHER, { ...unlisted });
  }
}
