/** Invalid frames get a clear error, change nothing, and never take the hub down. */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../shared/protocol.js';
import { closeAllHarnesses, seedWorkspace } from '../http/test-harness.js';
import { MAX_JSON_DEPTH } from '../json-depth.js';
import { connectWorker, startSocketHarness, TestSocket } from './ws-test-client.js';

afterEach(closeAllHarnesses);

async function setup(options: Parameters<typeof startSocketHarness>[0] = {}) {
  const { h, wsUrl, sockets } = await startSocketHarness(options);
  const seeded = await seedWorkspace(h, { workers: 1 });
  const base = `/v1/Workspaces/${seeded.ws.sid}`;
  const token = await h.token(seeded.ws.sid, seeded.workers[0].sid);
  const workerState = async () => (await h.request('GET', `${base}/Workers/${seeded.workers[0].sid}`)).body;
  return { h, wsUrl, sockets, token, workerState, base, ...seeded };
}

describe('bad frames on the worker socket', () => {
  it('answers bad JSON, binary, unknown types, wrong types and unknown fields with errors', async () => {
    const { wsUrl, token, workerState, sockets } = await setup();
    const before = await workerState();
    const { socket } = await connectWorker(wsUrl, token);
    const start = socket.frames.length;

    socket.sendRaw('{not json');
    socket.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
    socket.sendRaw('42');
    socket.sendRaw({ type: 'reservation.steal', ref: 'u1' });
    socket.sendRaw({ type: 'worker.update', ref: 'w1', attributes: 'not an object' });
    socket.sendRaw({ type: 'worker.update', ref: 'w2', activitySid: 12 });
    socket.sendRaw({ type: 'reservation.accept', ref: 'w3', reservationSid: 'WR-too-short' });
    socket.sendRaw({ type: 'ping', ref: 'x1', sneaky: true });
    socket.sendRaw({ type: 'ping', ref: 'r'.repeat(65) });
    socket.sendRaw({ type: 'worker.update', ref: 'a1', attributes: { nested: { deep: [1, 2, { x: null }] } }, rejectPendingReservations: 'yes' });
    await socket.waitFor((f) => f.type === 'reply' && f.ref === 'a1');
    await socket.waitFor(() => socket.frames.length - start >= 10);

    const frames = socket.frames.slice(start);
    const errors = frames.filter((f) => f.type === 'error');
    expect(errors).toHaveLength(4); // bad JSON, binary, a number, and an over-long ref
    for (const f of errors) expect(f).toMatchObject({ error: { status: 400, code: 20001 } });
    const byRef = new Map(frames.flatMap((f) => (f.type === 'reply' ? [[f.ref, f] as const] : [])));
    expect(byRef.get('u1')).toMatchObject({ ok: false, error: { status: 400, message: expect.stringContaining('type must be one of') } });
    expect(byRef.get('w1')).toMatchObject({ ok: false, error: { message: expect.stringContaining('attributes must be record') } });
    expect(byRef.get('w2')).toMatchObject({ ok: false, error: { message: expect.stringContaining('activitySid must be string') } });
    expect(byRef.get('w3')).toMatchObject({ ok: false, error: { status: 400 } });
    expect(byRef.get('x1')).toMatchObject({ ok: false, error: { message: expect.stringContaining('unknown field sneaky') } });
    expect(byRef.get('a1')).toMatchObject({ ok: false, error: { message: expect.stringContaining('rejectPendingReservations') } });
    expect(sockets.stats().invalidFrames).toBe(10);

    expect(await workerState()).toEqual(before);
    expect(await socket.request({ type: 'ping' })).toMatchObject({ ok: true });
    expect(socket.invalid).toEqual([]);
  });

  it(`answers a frame nested deeper than ${MAX_JSON_DEPTH} levels with an error, without parsing it`, async () => {
    const { wsUrl, token, workerState, sockets } = await setup();
    const before = await workerState();
    const { socket } = await connectWorker(wsUrl, token);
    const start = socket.frames.length;
    // Nearly 64 KiB of brackets (JSON.parse: 3-8 ms of the loop each), then a frame at the limit.
    const half = (MAX_FRAME_BYTES - 100) / 2;
    socket.sendRaw('['.repeat(half) + ']'.repeat(half));
    const atLimit = `{"type":"worker.update","ref":"d1","attributes":{"a":${'['.repeat(MAX_JSON_DEPTH - 2)}1${']'.repeat(MAX_JSON_DEPTH - 2)}}}`;
    socket.sendRaw(atLimit);
    await socket.waitFor((f) => f.type === 'reply' && f.ref === 'd1');
    const frames = socket.frames.slice(start);
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ error: { status: 400, message: `The frame nests deeper than ${MAX_JSON_DEPTH} levels` } });
    // At the limit the frame is parsed and applied.
    expect(frames.find((f) => f.type === 'reply' && f.ref === 'd1')).toMatchObject({ ok: true });
    expect(sockets.stats().invalidFrames).toBe(1);
    expect((await workerState()).attributes).not.toBe(before.attributes);
  });

  it('answers a keep-alive the same whether it takes the short path or the full decoding', async () => {
    const { wsUrl, token, sockets } = await setup();
    const { socket } = await connectWorker(wsUrl, token);
    const start = socket.frames.length;
    const long = 'k'.repeat(64);
    socket.sendRaw('{"type":"ping","ref":"17"}'); // exactly as the SDK writes it
    socket.sendRaw(`{"type":"ping","ref":"${long}"}`);
    socket.sendRaw('{ "type": "ping", "ref": "spaced" }');
    socket.sendRaw({ type: 'ping', ref: 'quote"d' });
    socket.sendRaw('{"type":"ping","ref":""}');
    socket.sendRaw(`{"type":"ping","ref":"${long}k"}`);
    socket.sendRaw('{"type":"ping","ref":"17","x":1}');
    socket.sendRaw('{"type":"ping","ref":"t1"} ');
    await socket.waitFor(() => socket.frames.length - start >= 8);

    const frames = socket.frames.slice(start);
    for (const ref of ['17', long, 'spaced', 'quote"d', 't1']) expect(frames).toContainEqual({ type: 'reply', ref, ok: true });
    expect(frames).toContainEqual({ type: 'reply', ref: '17', ok: false, error: expect.objectContaining({ status: 400, message: expect.stringContaining('unknown field x') }) });
    expect(frames.filter((f) => f.type === 'error')).toHaveLength(2); // the empty and the over-long ref
    expect(sockets.stats().invalidFrames).toBe(3);
  });

  it(`closes a socket that sends a frame over ${MAX_FRAME_BYTES} bytes with 1009; the hub still serves`, async () => {
    const { h, wsUrl, token, workerState, base } = await setup();
    const before = await workerState();
    const { socket } = await connectWorker(wsUrl, token);
    socket.sendRaw({ type: 'worker.update', ref: 'big', attributes: { blob: 'x'.repeat(MAX_FRAME_BYTES) } });
    expect((await socket.closed).code).toBe(1009);
    console.log(`frame size: a frame over ${MAX_FRAME_BYTES} bytes closed the socket with 1009; state unchanged`);
    expect(socket.ofType('reply').filter((r) => r.ref === 'big')).toEqual([]);
    expect(await workerState()).toEqual(before);
    const { socket: fresh } = await connectWorker(wsUrl, token);
    expect(await fresh.request({ type: 'ping' })).toMatchObject({ ok: true });
    expect((await h.request('GET', `${base}/Activities`)).status).toBe(200);
  });

  it('rate-limits a flood with TOO_MANY_REQUESTS, then serves again', async () => {
    const { wsUrl, token, sockets } = await setup({ messagesPerSecond: 50 });
    const { socket } = await connectWorker(wsUrl, token);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // refill after the auth frame
    for (let i = 0; i < 120; i += 1) socket.sendRaw({ type: 'ping', ref: `f${i}` });
    await socket.waitFor((f) => f.type === 'reply' && f.ref === 'f119');
    const replies = socket.ofType('reply').filter((r) => r.ref.startsWith('f'));
    const limited = replies.filter((r) => !r.ok && r.error.status === 429);
    expect(replies).toHaveLength(120);
    expect(limited.length).toBeGreaterThanOrEqual(40);
    expect(limited.length).toBeLessThanOrEqual(70);
    expect(limited[0]).toMatchObject({ error: { code: 20429 } });
    expect(sockets.stats().rateLimited).toBe(limited.length);
    console.log(`rate limit: of 120 messages sent at once at 50/s, ${limited.length} refused with 429`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await socket.request({ type: 'ping' })).toMatchObject({ ok: true });
  });

  it('rate-limits before authentication too, with bare error frames when no ref is readable', async () => {
    const { wsUrl } = await setup({ messagesPerSecond: 5 });
    const socket = await TestSocket.connect(wsUrl);
    for (let i = 0; i < 10; i += 1) socket.sendRaw('nope');
    await socket.waitFor(() => socket.frames.length >= 10);
    const statuses = socket.ofType('error').map((f) => f.error.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
  });
});
