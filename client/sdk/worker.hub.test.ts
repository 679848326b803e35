/**
 * The SDK against a real hub (port 0, in-memory store, demo seeded) over real sockets: the wire
 * protocol as both sides implement it, without a browser.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../server/server.js';
import { MAX_FRAME_BYTES } from '../../shared/protocol.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import type { CommitBatch } from '../../server/store/store.js';
import type { Reservation } from './reservation.js';
import type { ConnectionTimings, WebSocketConstructor } from './connection.js';
import { Worker } from './worker.js';

/** A store whose commits can be held back, as a disk that stalls holds them. */
class StallingStore extends MemoryStore {
  private stall: Promise<void> | undefined;
  private end: (() => void) | undefined;
  hold(): void {
    this.stall = new Promise((resolve) => (this.end = resolve));
  }
  resume(): void {
    this.end?.();
    this.stall = undefined;
  }
  override async commit(batch: CommitBatch): Promise<void> {
    await this.stall;
    return super.commit(batch);
  }
}

let running: RunningServer;
let store: StallingStore;
const workers: Worker[] = [];
/** Every socket the workers opened, so a test can cut one as a network loss would. */
const opened: WebSocket[] = [];
/** While set, new sockets go to a port nobody listens on: the hub is out of reach. */
let unreachable = false;

class TrackedWebSocket extends WebSocket {
  constructor(url: string) {
    super(unreachable ? 'ws://127.0.0.1:1/v1/sockets' : url);
    opened.push(this);
  }
}

beforeEach(async () => {
  store = new StallingStore();
  running = await startServer({ port: 0, host: '127.0.0.1', data: ':memory:', demo: true, logLevel: 'silent' }, { store, logRequests: false, closeGraceMs: 500 });
});
afterEach(async () => {
  for (const w of workers.splice(0)) w.disconnect();
  opened.length = 0;
  unreachable = false;
  store.resume();
  await running.close();
});

async function demoToken(name: string): Promise<string> {
  const response = await fetch(`${running.url}/demo/token?worker=${name}`);
  return ((await response.json()) as { token: string }).token;
}

async function connect(name: string, options: ConnectionTimings & { closeExistingSessions?: boolean } = {}): Promise<Worker> {
  const token = await demoToken(name);
  const worker = new Worker(token, { url: running.url, WebSocket: TrackedWebSocket as unknown as WebSocketConstructor, ...options });
  workers.push(worker);
  await new Promise<void>((resolve, reject) => {
    worker.once('ready', () => resolve());
    worker.once('error', reject);
  });
  return worker;
}

const next = <T>(subscribe: (resolve: (value: T) => void) => void) => new Promise<T>((resolve) => subscribe(resolve));

async function createTask(attributes: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${running.url}/demo/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ attributes }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { sid: string }).sid;
}

describe('Worker against a real hub', () => {
  it('syncs the worker from the snapshot', async () => {
    const alice = await connect('Alice');
    expect(alice.friendlyName).toBe('Alice');
    expect(alice.activityName).toBe('Available');
    expect(alice.available).toBe(true);
    expect(alice.attributes).toMatchObject({ skills: ['support', 'billing'] });
    expect([...alice.activities.values()].map((a) => a.friendlyName).sort()).toEqual(['Available', 'Offline', 'Unavailable']);
    expect([...alice.channels.values()].map((c) => c.taskChannelUniqueName).sort()).toEqual(['chat', 'default', 'sms', 'voice']);
    expect(alice.tokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it('offers a task to both; concurrent accepts: exactly one wins, the other gets 410 and a rescind', async () => {
    const [alice, bob] = await Promise.all([connect('Alice'), connect('Bob')]);
    const offered = Promise.all([
      next<Reservation>((r) => alice.once('reservation.created', r)),
      next<Reservation>((r) => bob.once('reservation.created', r)),
    ]);
    const taskSid = await createTask({ topic: 'Race' });
    const [ra, rb] = await offered;
    expect(ra.task.sid).toBe(taskSid);
    expect(rb.task.sid).toBe(taskSid);
    expect(ra.task.attributes).toEqual({ topic: 'Race' });
    expect(ra.task.queueName).toBe('Support');
    expect(ra.timeoutAt.getTime()).toBeGreaterThan(Date.now() + 30_000);

    const results = await Promise.allSettled([ra.accept(), rb.accept()]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ name: 'SwitchboardError', status: 410 });
    const loser = results[0]!.status === 'rejected' ? ra : rb;
    const winner = loser === ra ? rb : ra;
    if (loser.status !== 'rescinded') await next((r) => loser.once('rescinded', r));
    expect(loser.status).toBe('rescinded');
    expect(winner.status).toBe('accepted');

    const announced: string[] = [];
    winner.on('wrapup', () => announced.push('wrapup'));
    winner.on('completed', () => announced.push('completed'));
    await winner.task.wrapUp();
    expect(winner.status).toBe('wrapping');
    await winner.task.complete('done');
    expect(winner.status).toBe('completed');
    // From the replies, which carry the reservation and its task: each status announced once.
    expect(announced).toEqual(['wrapup', 'completed']);
    expect(winner.task.assignmentStatus).toBe('completed');
    expect(winner.task.raw['reason']).toBe('done');
  });

  it("a channel's load follows the offers and tasks on it, with a channel.update each time it changes", async () => {
    const [alice, bob] = await Promise.all([connect('Alice'), connect('Bob')]);
    const loads = (w: Worker) => {
      const seen: string[] = [];
      w.on('channel.update', (c) => seen.push(`${c.taskChannelUniqueName} ${c.assignedTasks} ${c.availableCapacityPercentage}%`));
      return seen;
    };
    const [aliceSeen, bobSeen] = [loads(alice), loads(bob)];
    const offered = Promise.all([next<Reservation>((r) => alice.once('reservation.created', r)), next<Reservation>((r) => bob.once('reservation.created', r))]);
    await createTask({ topic: 'Load' });
    const [ra, rb] = await offered;
    const channel = ra.task.channel!;
    const onChannel = (w: Worker) => [...w.channels.values()].find((c) => c.taskChannelUniqueName === channel)!;
    expect([onChannel(alice).assignedTasks, onChannel(bob).assignedTasks]).toEqual([1, 1]);
    // What the SDK counts is what the hub says: a second page of Alice's gets it in its snapshot.
    const second = await connect('Alice');
    expect(onChannel(second)).toMatchObject({ assignedTasks: 1, availableCapacityPercentage: 0 });
    await ra.accept();
    if (rb.status !== 'rescinded') await next((r) => rb.once('rescinded', r));
    expect(onChannel(bob)).toMatchObject({ assignedTasks: 0, availableCapacityPercentage: 100 });
    await ra.task.complete('done');
    expect(onChannel(alice)).toMatchObject({ assignedTasks: 0, availableCapacityPercentage: 100 });
    expect(aliceSeen).toEqual([`${channel} 1 0%`, `${channel} 0 100%`]);
    expect(bobSeen).toEqual([`${channel} 1 0%`, `${channel} 0 100%`]);
    expect(onChannel(second)).toMatchObject({ assignedTasks: 0, availableCapacityPercentage: 100 });
  });

  it('update() changes the activity and attributes, and a reject can change the activity', async () => {
    const alice = await connect('Alice');
    const unavailable = [...alice.activities.values()].find((a) => a.friendlyName === 'Unavailable')!;
    const available = [...alice.activities.values()].find((a) => a.friendlyName === 'Available')!;
    await alice.update({ activitySid: unavailable.sid, attributes: { skills: ['sales'] } });
    expect(alice.activityName).toBe('Unavailable');
    expect(alice.attributes).toEqual({ skills: ['sales'] });
    await available.setAsCurrent();
    expect(alice.available).toBe(true);

    const offer = next<Reservation>((r) => alice.once('reservation.created', r));
    await createTask({ topic: 'Reject me' });
    const r = await offer;
    await r.reject({ activitySid: unavailable.sid });
    expect(r.status).toBe('rejected');
    if (alice.activitySid !== unavailable.sid) await next((resolve) => alice.once('activity.update', resolve));
    expect(alice.activityName).toBe('Unavailable');
    expect(alice.reservations.size).toBe(0);
  });

  it('updateToken() refuses a token for another worker, connected or reconnecting, and stays the same worker', async () => {
    const alice = await connect('Alice');
    const aliceSid = alice.sid;
    const bobToken = await demoToken('Bob');
    await expect(alice.updateToken(bobToken)).rejects.toMatchObject({ name: 'SwitchboardError', status: 403 });

    const events: string[] = [];
    for (const name of ['reservation.rescinded', 'reservation.completed', 'activity.update', 'attributes.update'] as const) alice.on(name, () => events.push(name));
    const refusedWhileAway = next<unknown>((resolve) =>
      alice.once('disconnected', () => void alice.updateToken(bobToken).then(resolve, resolve)),
    );
    const back = next((resolve) => alice.once('connected', resolve));
    opened.at(-1)!.terminate();
    expect(await refusedWhileAway).toMatchObject({ status: 403 });
    await back;
    expect(alice.sid).toBe(aliceSid);
    expect(alice.friendlyName).toBe('Alice');
    expect(alice.attributes).toMatchObject({ skills: ['support', 'billing'] });
    expect(events).toEqual([]);
  });

  it('a token the hub refuses in updateToken() does not replace the one that works', async () => {
    const alice = await connect('Alice');
    const token = await demoToken('Alice');
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    await expect(alice.updateToken(forged)).rejects.toMatchObject({ status: 401 });

    const back = new Promise<void>((resolve, reject) => {
      alice.once('connected', () => resolve());
      alice.on('disconnected', (info) => {
        if (!info.willReconnect) reject(new Error(`gave up: ${info.reason}`));
      });
    });
    opened.at(-1)!.terminate();
    await back;
    expect(alice.connectionState).toBe('connected');
  });

  it('an accept answered after it timed out still moves the offer to accepted, once', async () => {
    const alice = await connect('Alice', { requestTimeoutMs: 200 });
    const offer = next<Reservation>((r) => alice.once('reservation.created', r));
    await createTask({ topic: 'Slow disk' });
    const r = await offer;
    const accepted: string[] = [];
    alice.on('reservation.accepted', (x) => accepted.push(x.sid));
    store.hold();
    await expect(r.accept()).rejects.toMatchObject({ status: 503 });
    const late = next((resolve) => r.once('accepted', resolve));
    store.resume();
    await late;
    expect(r.status).toBe('accepted');
    expect(r.task.assignmentStatus).toBe('assigned');
    expect(alice.reservations.get(r.sid)).toBe(r);
    expect(accepted).toEqual([r.sid]);
  });

  it('catches up after being away: an offer taken meanwhile is rescinded, one canceled meanwhile never shows, a new one is created once', async () => {
    // Short retries: however many attempts fail while the hub is out of reach, the next comes soon.
    const alice = await connect('Alice', { backoff: { baseMs: 20, maxMs: 100 } });
    const alicesSocket = opened.at(-1)!;
    const bob = await connect('Bob');
    const offers = Promise.all([next<Reservation>((r) => alice.once('reservation.created', r)), next<Reservation>((r) => bob.once('reservation.created', r))]);
    await createTask({ topic: 'Taken while away' });
    const [taken, bobs] = await offers;

    unreachable = true;
    const away = next((resolve) => alice.once('disconnected', resolve));
    alicesSocket.terminate();
    await away;
    await bobs.accept();
    const auth = `Basic ${Buffer.from(`${running.credentials.accountSid}:${running.credentials.authToken}`).toString('base64')}`;
    const tasks = `${running.url}/v1/Workspaces/${alice.workspaceSid}/Tasks`;
    const canceled = await createTask({ topic: 'Canceled while away' });
    expect((await fetch(`${tasks}/${canceled}`, { method: 'DELETE', headers: { authorization: auth } })).status).toBe(204);
    const fresh = await createTask({ topic: 'Offered while away' });

    const log: string[] = [];
    for (const name of ['created', 'accepted', 'canceled', 'rescinded', 'timeout'] as const) {
      alice.on(`reservation.${name}`, (r) => log.push(`${name} ${String(r.task.attributes['topic'])}`));
    }
    const back = next((resolve) => alice.once('connected', resolve));
    unreachable = false;
    await back;
    // A command's round trip: any push held behind the snapshot has arrived by its reply.
    await alice.update({});
    expect(log).toEqual(['rescinded Taken while away', 'created Offered while away']);
    expect(taken.status).toBe('rescinded');
    expect([...alice.reservations.values()].map((r) => [r.task.sid, r.status])).toEqual([[fresh, 'pending']]);
  });

  it('refuses a command too big for the hub, or not JSON, with a 400, and stays connected', async () => {
    const alice = await connect('Alice');
    const dropped = vi.fn();
    alice.on('disconnected', dropped);
    const huge = alice.update({ attributes: { notes: 'é'.repeat(MAX_FRAME_BYTES / 2) } });
    await expect(huge).rejects.toMatchObject({ name: 'SwitchboardError', status: 400, message: expect.stringContaining(`${MAX_FRAME_BYTES} bytes`) });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await expect(alice.update({ attributes: cyclic })).rejects.toMatchObject({ name: 'SwitchboardError', status: 400, message: expect.stringContaining('cannot be sent as JSON') });
    await alice.update({ attributes: { notes: 'short' } });
    expect(alice.attributes).toEqual({ notes: 'short' });
    expect(dropped).not.toHaveBeenCalled();
  });

  it('a page replaced by another session of its worker is told with an error and does not come back', async () => {
    const first = await connect('Alice');
    const errors: Array<{ status: number; message: string }> = [];
    first.on('error', (e) => errors.push(e));
    const down = next<{ code: number; willReconnect: boolean }>((resolve) => first.once('disconnected', resolve));
    await connect('Alice', { closeExistingSessions: true });
    expect(await down).toMatchObject({ code: 4000, willReconnect: false });
    expect(errors).toEqual([expect.objectContaining({ name: 'SwitchboardError', status: 409, message: 'replaced by a new session' })]);
    expect(first.connectionState).toBe('disconnected');
  });

  it('a refused token is reported and not retried', async () => {
    const worker = new Worker('not.a.token', { url: running.url, WebSocket: WebSocket as unknown as WebSocketConstructor });
    workers.push(worker);
    const error = next<{ status: number }>((r) => worker.once('error', r));
    const down = next<{ willReconnect: boolean }>((r) => worker.once('disconnected', r));
    expect((await error).status).toBe(401);
    expect((await down).willReconnect).toBe(false);
    expect(worker.connectionState).toBe('disconnected');
  });
});
