import { createWorkerToken } from '../auth/tokens.js';
import { addWorkers, type CrashWorkspace } from './crash-workspace.js';
import type { AcknowledgedAccept, Ledger, Transport } from './ledger.js';
import type { Reply, RestClient } from './rest-client.js';
import { SocketAgent, type Snapshot } from './socket-agent.js';

/** The shape of the load. */
export interface LoadOptions {
  /** Concurrent task creators (REST). */
  creators: number;
  /** Concurrent REST pollers accepting the offers of the REST workers. */
  restAcceptors: number;
  /** Share of offers accepted; the rest are left to time out. */
  acceptRatio: number;
  /** Share of acknowledged accepts whose task is then completed, freeing the worker's capacity. */
  completeRatio: number;
  /** REST workers added at the start of each round. */
  newWorkers: number;
}

/** The hub under load and what the load records into. */
export interface LoadTarget {
  client: RestClient;
  /** The worker socket endpoint. */
  wsUrl: string;
  cw: CrashWorkspace;
  ledger: Ledger;
  credentials: { accountSid: string; authToken: string };
  /** Told each socket worker's close code (1001 when the hub shut down gracefully). */
  onSocketClosed?: (code: number) => void;
}

type Offer = Snapshot['reservations'][number];

/**
 * Drives load until `stop` aborts or the hub dies: tasks created back to back over REST; REST
 * workers polling their pending offers and accepting; socket workers (one real socket each)
 * accepting the offers pushed to them. Multi-reservation makes both race for the same tasks. Some
 * accepted tasks are completed. Every acknowledgment goes into the ledger; resolves once every
 * loop and socket has ended.
 */
export async function driveLoad(target: LoadTarget, stop: AbortSignal, options: LoadOptions): Promise<void> {
  const { client, cw, ledger } = target;
  const base = `/Workspaces/${cw.ws}`;
  let alive = true;
  const running = () => alive && !stop.aborted;
  const unexpected = (what: string, status: number, body: unknown) => {
    // 503 is the hub shutting down gracefully: a refusal, not a loss.
    if (status === 503) ledger.refused += 1;
    else ledger.unexpected.push(`${what}: ${status} ${JSON.stringify(body).slice(0, 200)}`);
  };
  /** Runs one REST request; false when the hub gave no reply, which ends the caller's loop. */
  const attempt = async (request: () => Promise<Reply>, handle: (reply: Reply) => void | Promise<void>): Promise<boolean> => {
    let reply: Reply;
    try {
      reply = await request();
    } catch {
      ledger.unanswered += 1;
      alive = false;
      return false;
    }
    await handle(reply);
    return true;
  };
  /** Records an acknowledged accept. */
  const accepted = (offer: { sid: string; task_sid: string; worker_sid: string }, via: Transport): AcknowledgedAccept => {
    const record: AcknowledgedAccept = { reservationSid: offer.sid, taskSid: offer.task_sid, workerSid: offer.worker_sid, via, completion: 'none' };
    ledger.accepts.set(offer.sid, record);
    return record;
  };

  const creator = async () => {
    while (running()) {
      const ok = await attempt(
        () => client.post(`${base}/Tasks`, { WorkflowSid: cw.workflow, Attributes: JSON.stringify({ n: ledger.tasks.size }), Timeout: '86400' }),
        (reply) => void (reply.status === 201 ? ledger.tasks.add(reply.body['sid'] as string) : unexpected('create task', reply.status, reply.body)),
      );
      if (!ok) return;
    }
  };

  const completeOverRest = async (record: AcknowledgedAccept) => {
    record.completion = 'sent';
    await attempt(
      () => client.post(`${base}/Tasks/${record.taskSid}`, { AssignmentStatus: 'completed', Reason: 'done' }),
      (reply) => (reply.status === 200 ? void (record.completion = 'done') : unexpected('complete task', reply.status, reply.body)),
    );
  };

  let next = 0;
  const restAcceptor = async () => {
    while (running()) {
      const workers = ledger.workersOf('rest');
      const worker = workers[next++ % workers.length];
      if (!worker) return;
      let pending: Offer[] = [];
      const listed = await attempt(
        () => client.get(`${base}/Workers/${worker}/Reservations`, { ReservationStatus: 'pending', PageSize: '1000' }),
        (reply) => (reply.status === 200 ? void (pending = reply.body['reservations'] as Offer[]) : unexpected('list reservations', reply.status, reply.body)),
      );
      if (!listed) return;
      for (const offer of pending) {
        if (!running()) return;
        if (Math.random() >= options.acceptRatio) continue;
        const ok = await attempt(
          () => client.post(`${base}/Workers/${worker}/Reservations/${offer.sid}`, { ReservationStatus: 'accepted' }),
          async (reply) => {
            if (reply.status === 410) ledger.gone += 1;
            else if (reply.status !== 200) unexpected('accept over REST', reply.status, reply.body);
            else {
              const record = accepted(offer, 'rest');
              if (Math.random() < options.completeRatio) await completeOverRest(record);
            }
          },
        );
        if (!ok) return;
      }
    }
  };

  const socketWorker = async (workerSid: string) => {
    const token = await createWorkerToken({ credentials: { ...target.credentials, apiKeys: new Map() }, workspaceSid: cw.ws, workerSid });
    let connected: Awaited<ReturnType<typeof SocketAgent.connect>>;
    try {
      connected = await SocketAgent.connect(target.wsUrl, token);
    } catch (error) {
      if ((error as Error).message.startsWith('auth refused')) ledger.unexpected.push(`socket ${workerSid}: ${(error as Error).message}`);
      else ledger.unanswered += 1;
      return;
    }
    const { agent, snapshot } = connected;
    const work: Array<Promise<void>> = [];
    const request = async (command: Parameters<SocketAgent['request']>[0], what: string, onOk: () => void | Promise<void>, on410?: () => void) => {
      let reply;
      try {
        reply = await agent.request(command);
      } catch {
        ledger.unanswered += 1;
        return;
      }
      if (reply.ok) await onOk();
      else if (reply.error.status === 410 && on410) on410();
      else unexpected(what, reply.error.status, reply.error);
    };
    const complete = (taskSid: string, record: AcknowledgedAccept | undefined) => {
      if (record) record.completion = 'sent';
      return request({ type: 'task.complete', taskSid }, 'complete over socket', () => void (record && (record.completion = 'done')));
    };
    const consider = (offer: Offer) => {
      if (Math.random() >= options.acceptRatio) return;
      const accepting = request(
        { type: 'reservation.accept', reservationSid: offer.sid },
        'accept over socket',
        async () => {
          const record = accepted(offer, 'socket');
          if (Math.random() < options.completeRatio) await complete(offer.task_sid, record);
        },
        () => void (ledger.gone += 1),
      );
      work.push(accepting);
    };
    // After a restart the snapshot is the worker's whole state: offers to answer, tasks still held.
    for (const r of snapshot.reservations) {
      if (r.reservation_status === 'pending') consider(r);
      else if (r.reservation_status === 'accepted' && Math.random() < options.completeRatio) work.push(complete(r.task_sid, ledger.accepts.get(r.sid)));
    }
    const off = agent.on((frame) => frame.type === 'reservation.created' && consider(frame.reservation));
    const hangUp = () => agent.close();
    stop.addEventListener('abort', hangUp, { once: true });
    target.onSocketClosed?.(await agent.closed);
    off();
    stop.removeEventListener('abort', hangUp);
    await Promise.all(work);
    if (agent.invalid.length > 0) ledger.unexpected.push(`socket ${workerSid}: ${agent.invalid.length} frames off the protocol`);
  };

  const adding = addWorkers(client, cw, ledger, options.newWorkers, 'rest').catch(() => void (ledger.unanswered += 1));
  await Promise.all([
    adding,
    ...ledger.workersOf('socket').map(socketWorker),
    ...Array.from({ length: options.creators }, creator),
    ...Array.from({ length: options.restAcceptors }, restAcceptor),
  ]);
}
