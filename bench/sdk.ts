/**
 * SDK frame benchmark: the CPU the Switchboard SDK's `Worker` spends on the two frames a worker
 * gets for each offer of a multi-offer task it does not win (`reservation.created`, then
 * `reservation.rescinded`), as a generator's agents and an agent's page receive them, against the
 * floor of `JSON.parse` of the same text alone, in one process and one run, alternating. The
 * frames are the hub's own, taken from a hub over its socket at start; the SDK's socket is in
 * memory, so the figure is the SDK's work, not the network's. Then the heap a worker holds after
 * 300 such offers (a generator runs a thousand workers in one process; a page runs one).
 *
 *   npm run bench:sdk [-- --pairs 20000 --runs 5]     (node --expose-gc, for the heap figure)
 */
import { loadavg } from 'node:os';
import type { SocketLike } from '../client/sdk/connection.js';
import { Worker } from '../client/sdk/index.js';
import { closeAllHarnesses, seedWorkspace } from '../server/http/test-harness.js';
import { connectWorker, startSocketHarness } from '../server/ws/ws-test-client.js';
import { median } from './lib/median.js';
import { intOptions } from './lib/int-options.js';

interface Options {
  pairs: number;
  runs: number;
}

/** A snapshot and an offer as a hub sends them, and the token of their worker. */
async function hubFrames(): Promise<{ snapshot: string; created: Record<string, any>; token: string }> {
  const { h, wsUrl } = await startSocketHarness();
  try {
    const seed = await seedWorkspace(h, { workers: 1, maxReservedWorkers: 1 });
    const token = await h.token(seed.ws.sid, seed.workers[0].sid);
    const { socket } = await connectWorker(wsUrl, token);
    const attributes = JSON.stringify({ type: 'support', customer: 'C-1693', priority: 'normal', bench_t: 123456789 });
    await h.request('POST', `/v1/Workspaces/${seed.ws.sid}/Tasks`, { WorkflowSid: seed.workflow.sid, Attributes: attributes });
    const created = await socket.waitFor((f) => f.type === 'reservation.created');
    const snapshot = socket.frames.find((f) => f.type === 'snapshot');
    socket.close();
    return { snapshot: JSON.stringify(snapshot), created: created as Record<string, any>, token };
  } finally {
    await closeAllHarnesses();
  }
}

/** An in-memory socket: the bench plays the hub. */
class MemorySocket implements SocketLike {
  static last: MemorySocket | undefined;
  readyState = 0;
  private readonly listeners = new Map<string, Array<(event: unknown) => void>>();
  constructor(readonly url: string) {
    MemorySocket.last = this;
  }
  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    const m = JSON.parse(data) as { type: string; ref: string };
    // The hub's answer to auth; pings and other commands go unanswered.
    if (m.type === 'auth') queueMicrotask(() => this.deliver(JSON.stringify({ type: 'reply', ref: m.ref, ok: true })));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    for (const l of this.listeners.get('open') ?? []) l({});
  }
  deliver(data: string): void {
    for (const l of this.listeners.get('message') ?? []) l({ data });
  }
}

/** The pairs of frames: a fresh reservation (its own SIDs) offered, then rescinded. */
function framePairs(created: Record<string, any>, pairs: number): string[] {
  const frames: string[] = [];
  for (let i = 0; i < pairs; i += 1) {
    const n = String(i).padStart(12, '0');
    const reservation = { ...created['reservation'], sid: `WR${n}${created['reservation'].sid.slice(14)}` };
    reservation.task = { ...reservation.task, sid: `WT${n}${reservation.task.sid.slice(14)}` };
    reservation.task_sid = reservation.task.sid;
    frames.push(JSON.stringify({ type: 'reservation.created', reservation }));
    frames.push(JSON.stringify({ type: 'reservation.rescinded', reservation: { ...reservation, reservation_status: 'rescinded', task: { ...reservation.task, assignment_status: 'assigned' } } }));
  }
  return frames;
}

async function connectedWorker(token: string, snapshot: string): Promise<{ worker: Worker; socket: MemorySocket }> {
  const worker = new Worker(token, { url: 'http://hub.bench:3000', WebSocket: MemorySocket });
  await new Promise((r) => setTimeout(r, 0));
  const socket = MemorySocket.last!;
  socket.open();
  await new Promise((r) => setTimeout(r, 0));
  socket.deliver(snapshot);
  return { worker, socket };
}

/** Heap held per worker (after full collections) once each has seen `offers` offers and their rescinds. */
async function heapPerWorker(token: string, snapshot: string, frames: string[], workers: number, offers: number): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  const before = process.memoryUsage().heapUsed;
  const held: Worker[] = [];
  for (let w = 0; w < workers; w += 1) {
    const { worker, socket } = await connectedWorker(token, snapshot);
    for (const frame of frames.slice(0, offers * 2)) socket.deliver(frame);
    held.push(worker);
  }
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / workers;
  for (const worker of held) worker.disconnect();
  return bytes;
}

async function sdkRun(token: string, snapshot: string, frames: string[]): Promise<number> {
  const { worker, socket } = await connectedWorker(token, snapshot);
  let offers = 0;
  let rescinds = 0;
  worker.on('reservation.created', () => (offers += 1));
  worker.on('reservation.rescinded', () => (rescinds += 1));
  const started = process.cpuUsage();
  for (const frame of frames) socket.deliver(frame);
  const used = process.cpuUsage(started);
  worker.disconnect();
  if (offers !== frames.length / 2 || rescinds !== frames.length / 2) throw new Error(`the SDK saw ${offers} offers and ${rescinds} rescinds of ${frames.length / 2}`);
  return (used.user + used.system) / (frames.length / 2);
}

function floorRun(frames: string[]): number {
  const started = process.cpuUsage();
  let keys = 0;
  for (const frame of frames) keys += Object.keys(JSON.parse(frame) as object).length;
  const used = process.cpuUsage(started);
  if (keys !== frames.length * 2) throw new Error('unexpected frames');
  return (used.user + used.system) / (frames.length / 2);
}

async function main(): Promise<void> {
  const options = intOptions<Options>({ pairs: 20_000, runs: 5 });
  const { snapshot, created, token } = await hubFrames();
  const frames = framePairs(created, options.pairs);
  console.log(`SDK frame bench: ${options.pairs} offers and their rescinds (${frames[0]!.length} and ${frames[1]!.length} bytes), ${options.runs} runs, load average ${loadavg()[0]!.toFixed(2)}`);
  await sdkRun(token, snapshot, frames.slice(0, 2000)); // warm-up
  floorRun(frames.slice(0, 2000));
  const sdk: number[] = [];
  const floor: number[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    sdk.push(await sdkRun(token, snapshot, frames));
    floor.push(floorRun(frames));
  }
  const m = median(sdk);
  const f = median(floor);
  console.log('| Receiver | CPU per offer + rescind (µs, median / runs) | vs JSON.parse alone |');
  console.log('| --- | --- | --- |');
  console.log(`| SDK Worker | ${m.toFixed(1)} (${sdk.map((v) => v.toFixed(1)).join(' / ')}) | ${(m / f).toFixed(2)}x |`);
  console.log(`| JSON.parse alone (the floor) | ${f.toFixed(1)} (${floor.map((v) => v.toFixed(1)).join(' / ')}) | 1.00x |`);
  const heap = await heapPerWorker(token, snapshot, frames, 100, 300);
  console.log(heap === undefined ? 'Heap per worker: run with node --expose-gc' : `Heap per worker after 300 offers and their rescinds: ${(heap / 1024).toFixed(0)} KiB (100 workers)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
