import type { Command } from '../../engine/commands.js';
import type { Outcome } from '../../engine/outcome.js';
import type { Hub } from '../../hub.js';
import type { Prng } from './prng.js';
import type { SimLedger } from './sim-ledger.js';
import type { SimWorkspace } from './sim-workspace.js';

/**
 * The REST side of the simulation: an operator's app that creates tasks, cancels waiting ones (a
 * caller hung up) and edits queues, each command run as a REST request runs it. Acknowledged
 * creates go into the ledger; a command the hub died under is never answered.
 */
export class SimOperator {
  private created = 0;

  constructor(
    private readonly world: SimWorkspace,
    private readonly prng: Prng,
    private readonly ledger: SimLedger,
    /** The running hub, or null while it is down. */
    private readonly hub: () => Hub | null,
    /** Told of each command sent. */
    private readonly onCommand: () => void,
  ) {}

  /** Creates a task of a random type and priority. */
  createTask(): void {
    const type = this.prng.pick(['sales', 'sales', 'support', 'support', 'support', 'vip']);
    const attributes = JSON.stringify({ type, n: (this.created += 1) });
    void this.rest({ type: 'task.create', workflowSid: this.world.workflow, attributes, priority: this.prng.int(0, 3) })?.then((outcome) => {
      if (outcome.ok) this.ledger.tasks.add((outcome.value as { sid: string }).sid);
      else this.ledger.refused('create', outcome.error.status);
    });
  }

  /** Cancels a random waiting task. */
  cancelTask(): void {
    const state = this.hub()?.engine(this.world.ws)?.state;
    if (!state) return;
    const waiting = [...state.tasks.values()].filter((t) => t.assignmentStatus === 'pending' || t.assignmentStatus === 'reserved');
    if (waiting.length === 0) return;
    const task = this.prng.pick(waiting);
    void this.rest({ type: 'task.update', sid: task.sid, assignmentStatus: 'canceled', reason: 'caller hung up' })?.then((outcome) => {
      if (!outcome.ok) this.ledger.refused('cancel', outcome.error.status);
    });
  }

  /** Offers a random queue's tasks to 1 to 4 workers at once from now on. */
  editQueue(): void {
    const queue = this.prng.pick(this.world.queues);
    void this.rest({ type: 'taskQueue.update', sid: queue, maxReservedWorkers: this.prng.int(1, 4) });
  }

  private rest(command: Command): Promise<Outcome> | undefined {
    const hub = this.hub();
    if (!hub) return undefined;
    this.onCommand();
    return hub.dispatch(this.world.ws, command);
  }
}
