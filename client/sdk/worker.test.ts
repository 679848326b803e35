import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientMessage } from '../../shared/protocol.js';
import type { SocketLike } from './connection.js';
import { Worker } from './worker.js';

/** An in-memory socket the test plays the hub through. */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: ClientMessage[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  private readonly listeners = new Map<string, Array<(event: unknown) => void>>();

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  static get last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }
  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  private fire(type: string, event: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }
  // The hub's side:
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  push(message: unknown): void {
    this.fire('message', { data: JSON.stringify(message) });
  }
  raw(data: string): void {
    this.fire('message', { data });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.fire('close', { code, reason });
  }
  last<T extends ClientMessage['type']>(type: T): Extract<ClientMessage, { type: T }> {
    const found = [...this.sent].reverse().find((m) => m.type === type);
    if (!found) throw new Error(`no ${type} sent`);
    return found as Extract<ClientMessage, { type: T }>;
  }
  reply(type: ClientMessage['type'], data?: unknown): void {
    this.push({ type: 'reply', ref: this.last(type).ref, ok: true, ...(data !== undefined ? { data } : {}) });
  }
  fail(type: ClientMessage['type'], status: number, message: string): void {
    this.push({ type: 'reply', ref: this.last(type).ref, ok: false, error: { code: 20000 + status, message, status } });
  }
}

const sid = (prefix: string, n: number) => prefix + String(n).padStart(32, '0');
const WK = sid('WK', 1);
const AVAILABLE = sid('WA', 1);
const OFFLINE = sid('WA', 2);
const T0 = Date.parse('2030-01-01T00:00:00Z');

const workerPayload = (activity = AVAILABLE, attributes = '{"skills":["en"]}') => ({
  sid: WK,
  friendly_name: 'Alice',
  activity_sid: activity,
  activity_name: activity === AVAILABLE ? 'Available' : 'Offline',
  available: activity === AVAILABLE,
  attributes,
});
const reservation = (n: number, status = 'pending', timeoutInMs = 60_000) => ({
  sid: sid('WR', n),
  reservation_status: status,
  task_sid: sid('WT', n),
  worker_sid: WK,
  timeout_at: new Date(Date.now() + timeoutInMs).toISOString(),
  task: { sid: sid('WT', n), attributes: `{"n":${n}}`, assignment_status: status === 'pending' ? 'reserved' : 'assigned', priority: n, task_queue_friendly_name: 'Support', task_channel_unique_name: 'default' },
});
const snapshot = (reservations: unknown[] = [], worker = workerPayload()) => ({
  type: 'snapshot',
  worker,
  activities: [
    { sid: AVAILABLE, friendly_name: 'Available', available: true },
    { sid: OFFLINE, friendly_name: 'Offline', available: false },
  ],
  channels: [{ sid: sid('WC', 1), task_channel_unique_name: 'default', configured_capacity: 1, available: true, assigned_tasks: 0 }],
  reservations,
  token_expires_at: new Date(T0 + 3600_000).toISOString(),
});

function token(ttl = 3600): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256' })}.${b64({ exp: T0 / 1000 + ttl, grants: { task_router: { worker_sid: WK, workspace_sid: sid('WS', 1) } } })}.sig`;
}

/** Starts a worker and plays the hub up to `ready`. */
async function connected(reservations: unknown[] = []) {
  const worker = new Worker(token(), { url: 'http://hub.test:3000', WebSocket: FakeSocket });
  const log: string[] = [];
  for (const name of ['ready', 'connected', 'disconnected', 'activity.update', 'attributes.update', 'token.expired', 'error'] as const) {
    worker.on(name, () => log.push(name));
  }
  for (const name of ['created', 'accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'wrapup', 'completed'] as const) {
    worker.on(`reservation.${name}`, (r) => log.push(`${name}:${r.sid.slice(-1)}`));
  }
  await Promise.resolve(); // the worker connects on a microtask
  const socket = FakeSocket.last;
  socket.open();
  socket.reply('auth');
  socket.push(snapshot(reservations));
  return { worker, socket, log };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Worker: connecting', () => {
  it('derives the socket URL, authenticates first, and is ready on the snapshot', async () => {
    const { worker, socket, log } = await connected([reservation(1)]);
    expect(socket.url).toBe('ws://hub.test:3000/v1/sockets');
    expect(socket.sent[0]).toMatchObject({ type: 'auth', token: token() });
    expect(log).toEqual(['connected', 'ready']);
    expect(worker.sid).toBe(WK);
    expect(worker.friendlyName).toBe('Alice');
    expect(worker.activityName).toBe('Available');
    expect(worker.available).toBe(true);
    expect(worker.attributes).toEqual({ skills: ['en'] });
    expect([...worker.activities.values()].map((a) => [a.friendlyName, a.isCurrent])).toEqual([['Available', true], ['Offline', false]]);
    expect(worker.channels.get(sid('WC', 1))?.taskChannelUniqueName).toBe('default');
    expect(worker.connectionState).toBe('connected');
    const r = worker.reservations.get(sid('WR', 1))!;
    expect(r.status).toBe('pending');
    expect(r.task.attributes).toEqual({ n: 1 });
    expect(r.task.queueName).toBe('Support');
    expect(r.timeoutAt.getTime()).toBe(T0 + 60_000);
  });

  it('knows its SID from the token before connecting', () => {
    const worker = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket });
    expect(worker.sid).toBe(WK);
    expect(worker.tokenExpiresAt?.getTime()).toBe(T0 + 3600_000);
    worker.disconnect();
  });

  it('rejects commands while not connected with status 503', async () => {
    const worker = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket });
    await expect(worker.update({ activitySid: OFFLINE })).rejects.toMatchObject({ name: 'SwitchboardError', status: 503 });
    worker.disconnect();
  });

  it('stops for good when the hub refuses the token, and retries with a new one', async () => {
    const worker = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket });
    const errors: number[] = [];
    const expired = vi.fn();
    worker.on('error', (e) => errors.push(e.status));
    worker.on('token.expired', expired);
    await Promise.resolve();
    FakeSocket.last.open();
    FakeSocket.last.fail('auth', 401, 'Token has expired');
    await Promise.resolve(); // the auth reply settles a promise
    expect(errors).toEqual([401]);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(worker.connectionState).toBe('disconnected');
    vi.advanceTimersByTime(120_000);
    expect(FakeSocket.all).toHaveLength(1);
    await worker.updateToken(token());
    expect(FakeSocket.all).toHaveLength(2);
    worker.disconnect();
  });
});

describe('Worker: reservations', () => {
  it('announces an offer, and its acceptance once even when the reply and the push both carry it', async () => {
    const { worker, socket, log } = await connected();
    socket.push({ type: 'reservation.created', reservation: reservation(1) });
    const r = worker.reservations.get(sid('WR', 1))!;
    const onAccepted = vi.fn();
    r.on('accepted', onAccepted);
    const accepting = r.accept();
    expect(socket.last('reservation.accept').reservationSid).toBe(r.sid);
    socket.reply('reservation.accept', reservation(1, 'accepted'));
    await expect(accepting).resolves.toBe(r);
    socket.push({ type: 'reservation.accepted', reservation: reservation(1, 'accepted') });
    expect(log.slice(2)).toEqual(['created:1', 'accepted:1']);
    expect(onAccepted).toHaveBeenCalledTimes(1);
    expect(r.status).toBe('accepted');
    expect(r.task.assignmentStatus).toBe('assigned');
  });

  it('a reply without data still moves the status it implies', async () => {
    const { worker, socket, log } = await connected([reservation(1, 'accepted')]);
    const r = worker.reservations.get(sid('WR', 1))!;
    const wrapping = r.task.wrapUp('done talking');
    expect(socket.last('task.wrap')).toMatchObject({ taskSid: r.task.sid, reason: 'done talking' });
    socket.reply('task.wrap');
    await wrapping;
    const completing = r.task.complete();
    socket.reply('task.complete');
    await completing;
    expect(log.slice(2)).toEqual(['wrapup:1', 'completed:1']);
    expect(worker.reservations.size).toBe(0);
  });

  it('a late accept rejects with the hub error, status 410, after the offer was rescinded', async () => {
    const { worker, socket, log } = await connected([reservation(1)]);
    const r = worker.reservations.get(sid('WR', 1))!;
    const onRescinded = vi.fn();
    r.on('rescinded', onRescinded);
    socket.push({ type: 'reservation.rescinded', reservation: reservation(1, 'rescinded') });
    expect(worker.reservations.size).toBe(0);
    expect(onRescinded).toHaveBeenCalledWith(r);
    const late = r.accept();
    socket.fail('reservation.accept', 410, 'Reservation is no longer pending: it was rescinded');
    await expect(late).rejects.toMatchObject({ status: 410, code: 20410 });
    // A late duplicate push does not resurrect it, nor does a stale offer of it.
    socket.push({ type: 'reservation.rescinded', reservation: reservation(1, 'rescinded') });
    socket.push({ type: 'reservation.created', reservation: reservation(1) });
    expect(log.slice(2)).toEqual(['rescinded:1']);
    expect(worker.reservations.size).toBe(0);
  });

  it('reject passes the activity to move to', async () => {
    const { worker, socket } = await connected([reservation(1)]);
    const rejecting = worker.reservations.get(sid('WR', 1))!.reject({ activitySid: OFFLINE });
    expect(socket.last('reservation.reject')).toMatchObject({ reservationSid: sid('WR', 1), activitySid: OFFLINE });
    socket.reply('reservation.reject');
    await expect(rejecting).resolves.toMatchObject({ status: 'rejected' });
  });
});

describe('Worker: updates', () => {
  it('update() resolves after the reply and announces the activity once', async () => {
    const { worker, socket, log } = await connected();
    const updating = worker.update({ activitySid: OFFLINE, attributes: { skills: ['fr'] } });
    expect(socket.last('worker.update')).toMatchObject({ activitySid: OFFLINE, attributes: { skills: ['fr'] } });
    socket.reply('worker.update', workerPayload(OFFLINE, '{"skills":["fr"]}'));
    await updating;
    socket.push({ type: 'activity.update', worker: workerPayload(OFFLINE, '{"skills":["fr"]}') });
    expect(worker.activityName).toBe('Offline');
    expect(worker.available).toBe(false);
    expect(worker.attributes).toEqual({ skills: ['fr'] });
    expect(log.slice(2)).toEqual(['activity.update', 'attributes.update']);
  });

  it('Activity.setAsCurrent() goes through update()', async () => {
    const { worker, socket } = await connected();
    const setting = worker.activities.get(OFFLINE)!.setAsCurrent();
    socket.reply('worker.update');
    await setting;
    expect(worker.activitySid).toBe(OFFLINE);
    expect(worker.activities.get(OFFLINE)!.isCurrent).toBe(true);
  });

  it('token.expiring becomes token.expired; a hub error frame becomes an error event', async () => {
    const { worker, socket } = await connected();
    const expired = vi.fn();
    const errors: string[] = [];
    worker.on('token.expired', expired);
    worker.on('error', (e) => errors.push(e.message));
    socket.push({ type: 'token.expiring', expires_at: new Date(T0 + 30_000).toISOString() });
    expect(expired).toHaveBeenCalledWith({ expiresAt: new Date(T0 + 30_000) });
    socket.push({ type: 'error', error: { code: 20001, message: 'bad frame', status: 400 } });
    socket.raw('{nope');
    socket.push({ type: 'what.is.this' });
    expect(errors).toEqual(['bad frame', 'The hub sent a frame that is not JSON', 'The hub sent a frame this SDK cannot read (type what.is.this)']);
  });

  it('a token given while the handshake is under way replaces a refused one at once, or follows an accepted one', async () => {
    const refused = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket });
    const expired = vi.fn();
    refused.on('token.expired', expired);
    await Promise.resolve();
    FakeSocket.last.open();
    await refused.updateToken(token(7200));
    FakeSocket.last.fail('auth', 401, 'Token has expired');
    await Promise.resolve(); // the auth reply settles a promise
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.last.open();
    expect(FakeSocket.last.last('auth').token).toBe(token(7200));
    expect(expired).not.toHaveBeenCalled();
    refused.disconnect();

    const accepted = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket });
    await Promise.resolve();
    const socket = FakeSocket.last;
    socket.open();
    await accepted.updateToken(token(7200));
    socket.reply('auth');
    socket.push(snapshot());
    await Promise.resolve();
    expect(socket.last('token.update').token).toBe(token(7200));
    accepted.disconnect();
  });

  it('updateToken() sends token.update when connected', async () => {
    const { worker, socket } = await connected();
    const updating = worker.updateToken(token());
    expect(socket.last('token.update').token).toBe(token());
    socket.reply('token.update');
    await updating;
  });
});

describe('Worker: reconnecting', () => {
  it('reconnects with backoff after a drop and reconciles reservations with the new snapshot', async () => {
    const { worker, socket, log } = await connected([reservation(1), reservation(2), reservation(3, 'accepted')]);
    const pendingAccept = worker.reservations.get(sid('WR', 1))!.accept();
    socket.drop(1006);
    await expect(pendingAccept).rejects.toMatchObject({ status: 503 });
    expect(worker.connectionState).toBe('reconnecting');
    expect(log.at(-1)).toBe('disconnected');
    vi.advanceTimersByTime(500); // attempt 0 waits < 500 ms
    expect(FakeSocket.all).toHaveLength(2);
    const next = FakeSocket.last;
    next.open();
    expect(next.sent[0]).toMatchObject({ type: 'auth' });
    next.reply('auth');
    // While away: WR1 was taken by someone else, WR2 is unchanged, WR3 was completed, WR4 is new.
    next.push(snapshot([reservation(2), reservation(4)]));
    expect(log.slice(3)).toEqual(['rescinded:1', 'completed:3', 'created:4', 'connected']);
    expect([...worker.reservations.keys()]).toEqual([sid('WR', 2), sid('WR', 4)]);
    expect(worker.connectionState).toBe('connected');
  });

  it('reports a vanished offer whose deadline passed while away as timed out, and the activity change', async () => {
    const { worker, socket, log } = await connected([reservation(1, 'pending', 5_000)]);
    socket.drop(1001, 'server shutting down');
    vi.advanceTimersByTime(10_000);
    FakeSocket.last.open();
    FakeSocket.last.push(snapshot([], workerPayload(OFFLINE)));
    expect(log.slice(3)).toEqual(['activity.update', 'timeout:1', 'connected']);
    expect(worker.activityName).toBe('Offline');
  });

  it('pings every 10 s and treats 20 s of silence (two missed heartbeats) as a dead connection', async () => {
    const { socket } = await connected();
    vi.advanceTimersByTime(10_000);
    const ping = socket.last('ping');
    socket.reply('ping');
    expect(ping.ref).toBeTruthy();
    vi.advanceTimersByTime(19_999);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(socket.closedWith?.code).toBe(4900);
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('skips its ping while frames from the hub keep coming, and pings once they stop', async () => {
    const { socket } = await connected();
    const pings = () => socket.sent.filter((m) => m.type === 'ping').length;
    // A frame every 4 s: each round of the 10 s timer finds one within the last 5 s.
    for (let at = 4_000; at <= 40_000; at += 4_000) {
      vi.advanceTimersByTime(4_000);
      socket.push({ type: 'reply', ref: 'not-ours', ok: true });
    }
    expect(pings()).toBe(0);
    // Silent from 40 s: the round at 50 s pings, 10 s before the dead line (60 s).
    vi.advanceTimersByTime(9_999);
    expect(pings()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(pings()).toBe(1);
    // Only ping replies from now on: each round finds 10 s of silence and pings again.
    for (const expected of [2, 3]) {
      socket.reply('ping');
      vi.advanceTimersByTime(10_000);
      expect(pings()).toBe(expected);
    }
    expect(socket.closedWith).toBeNull();
  });

  it('pings every round, heard from or not, when the dead line leaves no room to skip one', async () => {
    const worker = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket, deadAfterMs: 15_000 });
    await Promise.resolve();
    const socket = FakeSocket.last;
    socket.open();
    socket.reply('auth');
    socket.push(snapshot());
    for (let round = 1; round <= 3; round += 1) {
      vi.advanceTimersByTime(9_000);
      socket.push({ type: 'reply', ref: 'not-ours', ok: true });
      vi.advanceTimersByTime(1_000);
      expect(socket.sent.filter((m) => m.type === 'ping')).toHaveLength(round);
    }
    expect(socket.closedWith).toBeNull();
    worker.disconnect();
  });

  it('derives the dead line from a custom ping interval', async () => {
    const worker = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket, pingIntervalMs: 300 });
    await Promise.resolve();
    vi.advanceTimersByTime(599);
    expect(FakeSocket.all[0]!.closedWith).toBeNull();
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all[0]!.closedWith?.code).toBe(4900);
    worker.disconnect();
  });

  it('gives up on a handshake that never completes and tries again', async () => {
    const worker = new Worker(token(), { url: 'http://hub.test', WebSocket: FakeSocket, deadAfterMs: 5_000 });
    await Promise.resolve();
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    expect(FakeSocket.all[0]!.closedWith?.code).toBe(4900);
    expect(worker.connectionState).toBe('reconnecting');
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
    worker.disconnect();
  });

  it('backs off longer after each failed attempt and resets once connected', async () => {
    const { socket } = await connected();
    socket.drop();
    const opened: number[] = [];
    let last = FakeSocket.all.length;
    for (let i = 0; i < 6; i += 1) {
      const start = Date.now();
      while (FakeSocket.all.length === last) vi.advanceTimersByTime(10);
      opened.push(Date.now() - start);
      last = FakeSocket.all.length;
      FakeSocket.last.drop(); // the attempt fails
    }
    const ceilings = [500, 1000, 2000, 4000, 8000, 16000];
    opened.forEach((waited, i) => expect(waited).toBeLessThanOrEqual(ceilings[i]! + 10));
    while (FakeSocket.all.length === last) vi.advanceTimersByTime(10);
    FakeSocket.last.open();
    FakeSocket.last.push(snapshot());
    FakeSocket.last.drop();
    const start = Date.now();
    last = FakeSocket.all.length;
    while (FakeSocket.all.length === last) vi.advanceTimersByTime(10);
    expect(Date.now() - start).toBeLessThanOrEqual(510);
  });

  it('does not reconnect when replaced by another session, nor after disconnect()', async () => {
    const { worker, socket } = await connected();
    const infos: boolean[] = [];
    worker.on('disconnected', (i) => infos.push(i.willReconnect));
    socket.drop(4000, 'replaced by a new session');
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(infos).toEqual([false]);

    const second = await connected();
    second.worker.disconnect();
    expect(second.socket.closedWith?.code).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(second.worker.connectionState).toBe('disconnected');
  });
});
