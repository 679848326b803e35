/**
 * The chaos proxy itself, against a plain TCP echo server: delay with jitter keeps byte order, a
 * black hole stops everything (the close too) until resumed, a reset reaches both peers as RST, and
 * `dropAll` cuts every link.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support.js';
import { ChaosProxy } from './tcp-proxy.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An echo server that records its own sockets' ends. */
async function echoServer(): Promise<{ port: number; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, sockets };
}

async function start(port: number, options: Partial<Parameters<typeof ChaosProxy.start>[0]> = {}): Promise<ChaosProxy> {
  const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port }, ...options });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A client socket that collects what it reads and how it ended. */
async function client(port: number): Promise<{ socket: net.Socket; received: () => string; ended: Promise<string> }> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  cleanups.push(() => void socket.destroy());
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const ended = new Promise<string>((resolve) => {
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.on('end', () => resolve('fin'));
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => text, ended };
}

describe('chaos TCP proxy', () => {
  it('delays each direction by latency plus jitter and keeps the byte order', async () => {
    const echo = await echoServer();
    const proxy = await start(echo.port, { delay: { latencyMs: 20, jitterMs: 30 } });
    const c = await client(proxy.port);
    const expected = Array.from({ length: 200 }, (_, i) => `<${i}>`).join('');
    const started = Date.now();
    // Many small writes, each drawing its own jittered delay.
    for (let i = 0; i < 200; i += 1) {
      c.socket.write(`<${i}>`);
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(() => c.received().length >= expected.length, 5000, 'the echo');
    const roundTrip = Date.now() - started;
    console.log(`proxy: 200 writes echoed in order through 20+30 ms jitter each way in ${roundTrip} ms`);
    expect(c.received()).toBe(expected);
    expect(roundTrip).toBeGreaterThanOrEqual(40);
  });

  it('a black hole stops data and the close without closing anything; resume delivers what was held', async () => {
    const echo = await echoServer();
    const proxy = await start(echo.port);
    const c = await client(proxy.port);
    c.socket.write('a');
    await eventually(() => c.received() === 'a', 2000, 'the first echo');
    const [link] = proxy.links();

    link!.blackHole('down');
    c.socket.write('b');
    // The server got it (the up direction flows) but its echo is held.
    await eventually(() => link!.bytes.up === 2, 2000, 'b to reach the server');
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.received()).toBe('a');
    // The server closes; the client must not learn it while the route is dead.
    const serverClosed = new Promise((resolve) => echo.sockets[0]!.once('close', resolve));
    echo.sockets[0]!.destroy();
    await serverClosed;
    // A round trip over another link proves the proxy has handled its pending I/O since.
    const other = await client(proxy.port);
    other.socket.write('x');
    await eventually(() => other.received() === 'x', 2000, 'the other link');
    expect(c.received()).toBe('a');
    expect(c.socket.readableEnded).toBe(false);
    expect(link!.isOpen).toBe(true);

    link!.resume();
    expect(await c.ended).toBe('fin');
    expect(c.received()).toBe('ab');
  });

  it('reset sends RST to both peers; dropAll resets every link', async () => {
    const echo = await echoServer();
    const proxy = await start(echo.port);
    const clients = [];
    // One at a time, so link i, client i and server socket i are the same connection.
    for (let i = 0; i < 3; i += 1) {
      clients.push(await client(proxy.port));
      await eventually(() => echo.sockets.length === i + 1, 2000, 'the upstream connection');
    }
    const serverEnds = echo.sockets.map(
      (s) => new Promise<string>((resolve) => s.once('close', (hadError) => resolve(hadError ? 'reset' : 'closed'))),
    );

    proxy.links()[0]!.reset();
    expect(await clients[0]!.ended).toBe('ECONNRESET');
    expect(await serverEnds[0]).toBe('reset');

    expect(proxy.dropAll()).toBe(2);
    expect(await Promise.all(clients.slice(1).map((c) => c.ended))).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(await Promise.all(serverEnds.slice(1))).toEqual(['reset', 'reset']);
    await eventually(() => proxy.links().length === 0, 2000, 'links to close');
    expect(proxy.accepted).toBe(3);
  });
});
