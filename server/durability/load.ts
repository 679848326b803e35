import { addWorkers, type CrashWorkspace } from './crash-workspace.js';
import type { Ledger } from './ledger.js';
import type { Reply, RestClient } from './rest-client.js';

/** The shape of the load. */
export interface LoadOptions {
  /** Concurrent task creators. */
  creators: number;
  /** Concurrent workers polling their pending reservations and accepting. */
  acceptors: number;
  /** Share of offers accepted; the rest are left to time out. */
  acceptRatio: number;
  /** Workers added at the start of each round. */
  newWorkers: number;
}

/** Set `stopped` to end the load; loops also end when the hub stops answering. */
export interface LoadSwitch {
  stopped: boolean;
}

/**
 * Drives REST load until it is switched off or the hub dies: tasks created back to back, and
 * workers accepting their pending offers concurrently (multi-reservation makes them race).
 * Every acknowledgment goes into the ledger.
 */
export async function driveLoad(client: RestClient, cw: CrashWorkspace, ledger: Ledger, load: LoadSwitch, options: LoadOptions): Promise<void> {
  let alive = true;
  /** Runs one request; false when the hub gave no reply, which ends the caller's loop. */
  const attempt = async (request: () => Promise<Reply>, handle: (reply: Reply) => void): Promise<boolean> => {
    try {
      handle(await request());
      return true;
    } catch {
      ledger.unanswered += 1;
      alive = false;
      return false;
    }
  };
  const running = () => alive && !load.stopped;
  const unexpected = (what: string, reply: Reply) => {
    // 503 is the hub shutting down gracefully: a refusal, not a loss.
    if (reply.status !== 503) ledger.unexpected.push(`${what}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
  };

  const creator = async () => {
    while (running()) {
      const ok = await attempt(
        () => client.post(`/Workspaces/${cw.ws}/Tasks`, { WorkflowSid: cw.workflow, Attributes: JSON.stringify({ n: ledger.tasks.size }), Timeout: '86400' }),
        (reply) => (reply.status === 201 ? ledger.tasks.add(reply.body['sid'] as string) : unexpected('create task', reply)),
      );
      if (!ok) return;
    }
  };

  let next = 0;
  const acceptor = async () => {
    while (running()) {
      const workers = [...ledger.workers];
      const worker = workers[next++ % Math.max(1, workers.length)];
      if (!worker) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      let pending: Array<Record<string, unknown>> = [];
      const listed = await attempt(
        () => client.get(`/Workspaces/${cw.ws}/Workers/${worker}/Reservations`, { ReservationStatus: 'pending', PageSize: '1000' }),
        (reply) => (reply.status === 200 ? (pending = reply.body['reservations'] as typeof pending) : unexpected('list reservations', reply)),
      );
      if (!listed) return;
      for (const r of pending) {
        if (!running()) return;
        if (Math.random() >= options.acceptRatio) continue;
        const sid = r['sid'] as string;
        const ok = await attempt(
          () => client.post(`/Workspaces/${cw.ws}/Workers/${worker}/Reservations/${sid}`, { ReservationStatus: 'accepted' }),
          (reply) => {
            if (reply.status === 200) ledger.accepts.set(sid, { reservationSid: sid, taskSid: r['task_sid'] as string, workerSid: worker });
            else if (reply.status === 410) ledger.gone += 1;
            else unexpected('accept', reply);
          },
        );
        if (!ok) return;
      }
    }
  };

  const adding = addWorkers(client, cw, ledger, options.newWorkers).catch(() => {
    ledger.unanswered += 1;
  });
  await Promise.all([adding, ...Array.from({ length: options.creators }, creator), ...Array.from({ length: options.acceptors }, acceptor)]);
}
