/**
 * Baseline 2's offer lifecycle: pushes an offer to the claimed agents' sockets (one encoding per
 * task, as a broadcast to their rooms), runs the reservation timeout, and turns an agent's
 * accept / reject / complete into the atomic scripts, rescinding the losers of a multi-offer.
 * Agents that become idle wake the queue processors waiting for one.
 */
import type { Server, Socket } from 'socket.io';
import type { RouterScripts } from './bull-scripts.js';

/** A task as the router carries it through BullMQ. */
export interface RoutedTask {
  taskId: string;
  queue: string;
  /** Task attributes as JSON text. */
  attributes: string;
}

/** An agent's answer callback (socket.io acknowledgement). */
type Ack = (reply: { ok: boolean; status?: number; data?: unknown }) => void;

/** Offers, their timers and the agents' sockets. */
export class OfferBook {
  private readonly sockets = new Map<string, Socket>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly tasks = new Map<string, RoutedTask>();
  private readonly waiters = new Map<string, Array<() => void>>();
  /** Offer frames are padded to this size to carry as many bytes as the hub's. */
  frameBytes = 0;
  reservationTimeoutMs = 120_000;

  constructor(
    private readonly io: Server,
    private readonly scripts: RouterScripts,
    /** Puts a task whose offers all ended back in its queue. */
    private readonly requeue: (task: RoutedTask) => Promise<unknown>,
  ) {}

  /** Number of connected agents. */
  get agents(): number {
    return this.sockets.size;
  }

  /** Registers an agent's socket, marks it idle in Redis and wires its commands. */
  async join(socket: Socket, agentId: string, queues: string[]): Promise<void> {
    this.sockets.set(agentId, socket);
    socket.data = { queues };
    void socket.join(agentId);
    await this.scripts.login(agentId, queues, Date.now());
    socket.on('accept', (m: { taskId: string }, ack: Ack) => void this.accept(agentId, m.taskId, ack));
    socket.on('reject', (m: { taskId: string }, ack: Ack) => void this.reject(agentId, m.taskId, ack));
    socket.on('complete', (m: { taskId: string }, ack: Ack) => void this.complete(agentId, m.taskId, ack));
    socket.on('disconnect', () => {
      if (this.sockets.get(agentId) === socket) this.sockets.delete(agentId);
      void this.scripts.logout(agentId);
    });
    this.wake(queues);
  }

  /** Resolves when an agent of `queue` may have become idle, or after `ms`. */
  waitForAgent(queue: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const list = this.waiters.get(queue) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.waiters.set(queue, list);
    });
  }

  /** Offers `task` to the claimed agents and arms its timeout. */
  offer(task: RoutedTask, agentIds: string[]): void {
    const timeoutAt = Date.now() + this.reservationTimeoutMs;
    const payload: Record<string, unknown> = { taskId: task.taskId, queue: task.queue, attributes: task.attributes, status: 'pending', timeoutAt: new Date(timeoutAt).toISOString() };
    const size = JSON.stringify(['reservation.created', payload]).length + 2;
    if (this.frameBytes > size + 10) payload['meta'] = ' '.repeat(this.frameBytes - size - 10);
    this.tasks.set(task.taskId, task);
    this.io.to(agentIds).emit('reservation.created', payload);
    this.timers.set(task.taskId, setTimeout(() => void this.expire(task.taskId), this.reservationTimeoutMs));
  }

  private async accept(agentId: string, taskId: string, ack: Ack): Promise<void> {
    const others = await this.scripts.accept(taskId, agentId, Date.now());
    if (others === null) return ack({ ok: false, status: 410 });
    const task = this.tasks.get(taskId);
    this.settled(taskId);
    ack({ ok: true, data: { taskId, status: 'accepted', attributes: task?.attributes } });
    if (others.length > 0) {
      this.io.to(others).emit('reservation.rescinded', { taskId });
      if (task) this.wake([task.queue]);
    }
  }

  private async reject(agentId: string, taskId: string, ack: Ack): Promise<void> {
    const result = await this.scripts.reject(taskId, agentId, Date.now());
    if (result === null) return ack({ ok: false, status: 410 });
    ack({ ok: true });
    const task = this.tasks.get(taskId);
    if (result === 1 && task) {
      this.settled(taskId);
      await this.requeue(task);
    }
  }

  private async complete(agentId: string, taskId: string, ack: Ack): Promise<void> {
    const done = await this.scripts.complete(taskId, agentId, Date.now());
    if (done === null) return ack({ ok: false, status: 404 });
    ack({ ok: true });
    const queues = this.sockets.get(agentId)?.data as { queues?: string[] } | undefined;
    this.wake(queues?.queues ?? []);
  }

  private async expire(taskId: string): Promise<void> {
    this.timers.delete(taskId);
    const agents = await this.scripts.expire(taskId, Date.now());
    const task = this.tasks.get(taskId);
    this.tasks.delete(taskId);
    if (agents === null || !task) return;
    this.io.to(agents).emit('reservation.timeout', { taskId });
    await this.requeue(task);
  }

  private settled(taskId: string): void {
    clearTimeout(this.timers.get(taskId));
    this.timers.delete(taskId);
    this.tasks.delete(taskId);
  }

  private wake(queues: string[]): void {
    for (const queue of queues) {
      const list = this.waiters.get(queue);
      if (!list || list.length === 0) continue;
      this.waiters.delete(queue);
      for (const resolve of list) resolve();
    }
  }
}
