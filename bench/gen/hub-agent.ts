/**
 * The hub's agent: the Switchboard SDK's `Worker` running in Node with `ws` as its WebSocket, as
 * an agent's page would run it. The intended send time travels in the task's attributes
 * (`bench_t`). The socket class notes the size of the first `reservation.created` frame, so the
 * baselines can push frames of the same size.
 */
import { WebSocket } from 'ws';
import { Worker, type Reservation } from '../../client/sdk/index.js';
import { nowUs } from '../lib/histogram.js';
import { observed, type AgentHandle, type AgentListener, type AgentSpec, type ConnectTarget, type Connector, type Offer } from './agent.js';

const CREATED = Buffer.from('{"type":"reservation.created"');

/** A `ws` socket with the bench's connect options, measuring frame sizes until it has seen one offer. */
function socketClass(localAddress: string | undefined) {
  return class BenchSocket extends WebSocket {
    constructor(url: string) {
      super(url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
      if (observed.offerFrameBytes > 0) return;
      const sizeOf = (data: Buffer) => {
        if (observed.offerFrameBytes > 0) return this.off('message', sizeOf);
        if (data.subarray(0, CREATED.length).equals(CREATED)) observed.offerFrameBytes = data.length;
      };
      this.on('message', sizeOf);
    }
  };
}

function offerOf(r: Reservation): Offer {
  return {
    taskKey: r.task.sid,
    intendedUs: Number(r.task.attributes['bench_t'] ?? 0),
    get rescinded() {
      return r.status === 'rescinded';
    },
    accept: async () => {
      try {
        await r.accept();
        return true;
      } catch (error) {
        if ((error as { status?: number }).status === 410) return false;
        throw error;
      }
    },
    reject: async () => void (await r.reject()),
    complete: async () => void (await r.task.complete()),
  };
}

/** Connects an SDK worker with the spec's token; resolves on `ready`. */
export const connectHubAgent: Connector = (spec: AgentSpec, target: ConnectTarget, listener: AgentListener) =>
  new Promise<AgentHandle>((resolve, reject) => {
    if (!spec.token) return reject(new Error('hub agents need a worker token'));
    const worker = new Worker(spec.token, { url: target.url, WebSocket: socketClass(target.localAddress), closeExistingSessions: false });
    worker.on('reservation.created', (r) => listener.offer(offerOf(r), nowUs()));
    worker.on('reservation.rescinded', (r) => listener.rescind(r.task.sid, nowUs()));
    const timer = setTimeout(() => {
      worker.disconnect();
      reject(new Error(`worker ${spec.id} not ready after 60 s`));
    }, 60_000);
    worker.once('ready', () => {
      clearTimeout(timer);
      worker.on('disconnected', () => listener.disconnected?.());
      // Offers and tasks left from an earlier client of this worker: answer them as new ones.
      for (const r of worker.reservations.values()) {
        if (r.status === 'pending') listener.offer(offerOf(r), nowUs());
        else if (r.status === 'accepted' || r.status === 'wrapping') void r.task.complete().catch(() => undefined);
      }
      resolve({ close: () => worker.disconnect() });
    });
  });
