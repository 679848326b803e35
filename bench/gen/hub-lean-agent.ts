/**
 * A lean client of the hub's native socket protocol (shared/protocol.ts), for saturation runs: a
 * bare `ws` socket that authenticates, parses only the frames it acts on (offers and rescinds) and
 * reads replies by their leading `type`/`ref`/`ok` fields. The SDK validates every frame with zod
 * and builds objects for each; at thousands of tasks a second that costs the generator's core more
 * than the hub spends, so the hub's ceiling is measured with this client (the baselines' clients
 * are lean already). Latency runs use the SDK.
 */
import { WebSocket } from 'ws';
import { nowUs } from '../lib/histogram.js';
import { withdraw, type AgentHandle, type AgentListener, type AgentSpec, type ConnectTarget, type Connector, type Offer } from './agent.js';

const CREATED = '{"type":"reservation.created"';
const RESCINDED = '{"type":"reservation.rescinded"';
const SNAPSHOT = '{"type":"snapshot"';
const REPLY = /^\{"type":"reply","ref":"([^"]+)","ok":(true|false)/;

interface ReservationPayload {
  sid: string;
  reservation_status: string;
  task: { sid: string; attributes: string };
}

interface ReservationFrame {
  reservation: ReservationPayload;
}

/** Connects one worker with its token over the native protocol; resolves when `auth` is answered. */
export const connectHubLeanAgent: Connector = (spec: AgentSpec, target: ConnectTarget, listener: AgentListener) =>
  new Promise<AgentHandle>((resolve, reject) => {
    const ws = new WebSocket(`${target.url.replace(/^http/, 'ws')}/v1/sockets`, { perMessageDeflate: false, ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
    const pending = new Map<string, (ok: boolean, status: number) => void>();
    const offers = new Map<string, { rescinded: boolean }>();
    let ref = 0;
    const request = (command: Record<string, unknown>) =>
      new Promise<{ ok: boolean; status: number }>((done) => {
        const id = String(++ref);
        pending.set(id, (ok, status) => done({ ok, status }));
        ws.send(JSON.stringify({ ...command, ref: id }));
      });
    const settled = async (command: Record<string, unknown>) => {
      const reply = await request(command);
      if (!reply.ok) throw new Error(`${String(command['type'])} failed with ${reply.status}`);
    };
    ws.on('message', (data: Buffer) => {
      const at = nowUs();
      const text = data.toString();
      const reply = REPLY.exec(text);
      if (reply) {
        const done = pending.get(reply[1]!);
        pending.delete(reply[1]!);
        const status = reply[2] === 'true' ? 200 : Number(/"status":(\d+)/.exec(text)?.[1] ?? 0);
        return done?.(reply[2] === 'true', status);
      }
      if (text.startsWith(CREATED)) return listener.offer(offerOf((JSON.parse(text) as ReservationFrame).reservation), at);
      if (text.startsWith(RESCINDED)) {
        const task = (JSON.parse(text) as ReservationFrame).reservation.task.sid;
        withdraw(offers, task);
        return listener.rescind(task, at);
      }
      if (text.startsWith(SNAPSHOT)) {
        // Offers and tasks left from an earlier client of this worker: answer them as new ones.
        for (const r of (JSON.parse(text) as { reservations: ReservationPayload[] }).reservations) {
          if (r.reservation_status === 'pending') listener.offer(offerOf(r), at);
          else if (r.reservation_status === 'accepted' || r.reservation_status === 'wrapping') void settled({ type: 'task.complete', taskSid: r.task.sid }).catch(() => undefined);
        }
      }
    });
    const offerOf = (reservation: ReservationPayload): Offer => {
      const attributes = JSON.parse(reservation.task.attributes) as { bench_t?: number };
      const offer = {
        taskKey: reservation.task.sid,
        intendedUs: attributes.bench_t ?? 0,
        rescinded: false,
        accept: async () => {
          offers.delete(reservation.task.sid);
          const r = await request({ type: 'reservation.accept', reservationSid: reservation.sid });
          if (!r.ok && r.status !== 410) throw new Error(`accept failed with ${r.status}`);
          return r.ok;
        },
        reject: () => (offers.delete(reservation.task.sid), settled({ type: 'reservation.reject', reservationSid: reservation.sid })),
        complete: () => settled({ type: 'task.complete', taskSid: reservation.task.sid }),
      };
      offers.set(offer.taskKey, offer);
      return offer;
    };
    ws.once('open', () => {
      request({ type: 'auth', token: spec.token }).then((r) => (r.ok ? resolve({ close: () => ws.terminate() }) : reject(new Error(`auth refused (${r.status})`))), reject);
    });
    ws.once('error', reject);
  });
