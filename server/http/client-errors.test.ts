/**
 * Connections that break HTTP before a request reaches the app get the Twilio-style error body
 * every other refusal has, are counted on `/metrics`, and are closed; the hub serves on.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, startHarness, type Harness } from './test-harness.js';

afterEach(closeAllHarnesses);

const HEADERS_TIMEOUT_MS = 500;

/** Writes `bytes` on a fresh connection and resolves with all the hub answered before it closed. */
function exchange(h: Harness, bytes: string): Promise<{ answer: string; openMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(h.url).port), '127.0.0.1');
    const started = performance.now();
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
    // A reset after the answer (the hub closes with our bytes unread) is still an answer.
    socket.on('error', (error) => (answer ? undefined : reject(error)));
    socket.on('close', () => resolve({ answer, openMs: performance.now() - started }));
    socket.write(bytes);
  });
}

/** The status and the JSON body of a raw answer. */
function parse(answer: string): { status: number; headers: string; body: unknown } {
  const end = answer.indexOf('\r\n\r\n');
  return { status: Number(answer.slice(9, 12)), headers: answer.slice(0, end), body: JSON.parse(answer.slice(end + 4)) };
}

async function clientErrorMetric(h: Harness, reason: string): Promise<number> {
  const basic = Buffer.from(`${h.credentials.accountSid}:${h.credentials.authToken}`).toString('base64');
  const text = await (await fetch(`${h.url}/metrics`, { headers: { authorization: `Basic ${basic}` } })).text();
  return Number(new RegExp(`^switchboard_http_client_errors_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
}

describe('connections that break HTTP', () => {
  it('answers malformed requests, oversized headers and slow clients with a Twilio-style error and counts them', async () => {
    const h = await startHarness({ connections: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: 1000 } });
    for (const reason of ['malformed', 'headers_too_large', 'body_too_large', 'timeout']) expect(await clientErrorMetric(h, reason)).toBe(0);

    const malformed = parse((await exchange(h, 'GET /v1/Workspaces HTTP/1.1\r\nHost: hub\r\nBad Header\r\n\r\n')).answer);
    expect(malformed.status).toBe(400);
    expect(malformed.headers).toMatch(/\r\nconnection: close/i);
    expect(malformed.body).toEqual({ code: 20001, message: expect.stringContaining('not valid HTTP/1.1'), more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 });

    const oversized = parse((await exchange(h, `GET /v1/Workspaces HTTP/1.1\r\nHost: hub\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).answer);
    expect(oversized.status).toBe(431);
    expect(oversized.body).toMatchObject({ code: 20431, status: 431 });

    const slow = await exchange(h, 'GET /v1/Workspaces HTTP/1.1\r\nHost: hub\r\nX-Slow: ');
    expect(parse(slow.answer)).toMatchObject({ status: 408, body: { code: 20408, status: 408, message: expect.stringContaining('did not arrive in time') } });
    expect(slow.openMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);

    const basic = Buffer.from(`${h.credentials.accountSid}:${h.credentials.authToken}`).toString('base64');
    const extensions = parse(
      (
        await exchange(
          h,
          `POST /v1/Workspaces HTTP/1.1\r\nHost: hub\r\nAuthorization: Basic ${basic}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
            `Transfer-Encoding: chunked\r\n\r\n5;ext=${'a'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`,
        )
      ).answer,
    );
    expect(extensions).toMatchObject({ status: 413, body: { code: 20413, status: 413, message: expect.stringContaining('chunk extensions') } });

    expect(await clientErrorMetric(h, 'malformed')).toBe(1);
    expect(await clientErrorMetric(h, 'headers_too_large')).toBe(1);
    expect(await clientErrorMetric(h, 'body_too_large')).toBe(1);
    expect(await clientErrorMetric(h, 'timeout')).toBe(1);
    expect((await h.request('GET', '/healthz')).status).toBe(200);
    expect((await h.request('GET', '/v1/Workspaces')).body).toMatchObject({ workspaces: [] });
  });

  it('counts nothing for a client that resets mid-request', async () => {
    const h = await startHarness();
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(new URL(h.url).port), '127.0.0.1', () => {
        socket.write('GET /v1/Workspaces HTTP/1.1\r\nHost: hub\r\n');
        socket.resetAndDestroy();
      });
      socket.on('close', () => resolve());
    });
    // The reset reaches the hub on its next read; a request after it is served on a later turn.
    expect((await h.request('GET', '/healthz')).status).toBe(200);
    for (const reason of ['malformed', 'headers_too_large', 'body_too_large', 'timeout']) expect(await clientErrorMetric(h, reason)).toBe(0);
  });
});
