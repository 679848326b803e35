/** Baseline 1's agent: a bare `ws` client reading the raw server's JSON frames. */
import { WebSocket } from 'ws';
import { nowUs } from '../lib/histogram.js';
import { withdraw, type AgentHandle, type AgentListener, type AgentSpec, type ConnectTarget, type Connector, type Offer } from './agent.js';

interface Frame {
  type: string;
  task?: string;
  t?: number;
  ref?: number;
  ok?: boolean;
  status?: number;
}

/** Connects a raw agent (`/ws?id=<index>`). */
export const connectRawAgent: Connector = (spec: AgentSpec, target: ConnectTarget, listener: AgentListener) =>
  new Promise<AgentHandle>((resolve, reject) => {
    const url = `${target.url.replace(/^http/, 'ws')}/ws?id=${spec.index}`;
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
    const pending = new Map<number, (frame: Frame) => void>();
    const offers = new Map<string, { rescinded: boolean }>();
    let ref = 0;
    const request = (type: string, task: string) =>
      new Promise<Frame>((done) => {
        const id = ++ref;
        pending.set(id, done);
        ws.send(JSON.stringify({ type, ref: id, task }));
      });
    ws.on('message', (data) => {
      const at = nowUs();
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'reply') {
        const done = pending.get(frame.ref ?? -1);
        pending.delete(frame.ref ?? -1);
        done?.(frame);
      } else if (frame.type === 'offer') {
        const task = frame.task ?? '';
        const offer: Offer & { rescinded: boolean } = {
          taskKey: task,
          intendedUs: frame.t ?? 0,
          rescinded: false,
          accept: async () => (offers.delete(task), (await request('accept', task)).ok === true),
          reject: async () => void (offers.delete(task), await request('reject', task)),
          complete: async () => void (await request('complete', task)),
        };
        offers.set(task, offer);
        listener.offer(offer, at);
      } else if (frame.type === 'rescinded') {
        withdraw(offers, frame.task ?? '');
        listener.rescind(frame.task ?? '', at);
      }
    });
    ws.once('open', () => resolve({ close: () => ws.terminate() }));
    ws.once('error', (error) => reject(error));
  });
