/** Baseline 2's agent: a socket.io client (websocket transport only) answering with acknowledgements. */
import { io } from 'socket.io-client';
import { nowUs } from '../lib/histogram.js';
import { withdraw, type AgentHandle, type AgentListener, type AgentSpec, type ConnectTarget, type Connector, type Offer } from './agent.js';

interface OfferPayload {
  taskId: string;
  attributes: string;
}

/** Connects an agent to the router's socket.io endpoint, joining `target.queue`; resolves on `ready`. */
export const connectBullAgent: Connector = (spec: AgentSpec, target: ConnectTarget, listener: AgentListener) =>
  new Promise<AgentHandle>((resolve, reject) => {
    const socket = io(target.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      perMessageDeflate: false,
      auth: { agentId: spec.id, queues: [target.queue ?? 'support'] },
      ...(target.localAddress ? { localAddress: target.localAddress } : {}),
    } as unknown as Parameters<typeof io>[1]);
    const offers = new Map<string, { rescinded: boolean }>();
    const call = (event: string, taskId: string) => socket.timeout(15_000).emitWithAck(event, { taskId }) as Promise<{ ok: boolean; status?: number }>;
    socket.on('reservation.created', (payload: OfferPayload) => {
      const at = nowUs();
      const attributes = JSON.parse(payload.attributes) as { bench_t?: number };
      const offer: Offer & { rescinded: boolean } = {
        taskKey: payload.taskId,
        intendedUs: attributes.bench_t ?? 0,
        rescinded: false,
        accept: async () => {
          offers.delete(payload.taskId);
          const reply = await call('accept', payload.taskId);
          if (!reply.ok && reply.status !== 410) throw new Error(`accept failed with ${reply.status}`);
          return reply.ok;
        },
        reject: async () => void (offers.delete(payload.taskId), await call('reject', payload.taskId)),
        complete: async () => void (await call('complete', payload.taskId)),
      };
      offers.set(payload.taskId, offer);
      listener.offer(offer, at);
    });
    socket.on('reservation.rescinded', (payload: { taskId: string }) => {
      withdraw(offers, payload.taskId);
      listener.rescind(payload.taskId, nowUs());
    });
    socket.once('ready', () => resolve({ close: () => socket.disconnect() }));
    socket.once('connect_error', (error) => reject(error));
  });
