import type { NewWorkspace } from '../engine.js';
import type { TaskQueueRecord, WorkflowRecord } from '../model.js';
import { EngineHarness, type QueueSpec } from './engine-harness.js';

/** A workspace with one queue and one workflow whose default filter sends every task there. */
export function singleQueueWorkspace(
  queue: QueueSpec = {},
  options: { taskReservationTimeout?: number; workspace?: Partial<NewWorkspace> } = {},
): { h: EngineHarness; queue: TaskQueueRecord; workflow: WorkflowRecord } {
  const h = EngineHarness.create(options.workspace);
  const q = h.addQueue('Support', queue);
  const workflow = h.addWorkflow('Route', { filters: [], default_filter: { queue: q.sid } }, options.taskReservationTimeout ? { taskReservationTimeout: options.taskReservationTimeout } : {});
  return { h, queue: q, workflow };
}
