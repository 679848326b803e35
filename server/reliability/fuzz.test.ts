/**
 * Fuzzing the edges: random and mutated REST parameters and JSON bodies, raw bodies (invalid UTF-8,
 * deep nesting, oversize), expressions (TargetWorkers, workflow filters) and WebSocket frames
 * (random JSON, wrong types, unknown fields and types, deep nesting, huge and binary frames,
 * invalid UTF-8). Each input gets a clear 4xx / error reply or a documented close, a refused input
 * changes no durable record, the process stays up, and healthy traffic's p99 stays within 20% of
 * its p99 beside the same amount of benign traffic. `SWITCHBOARD_LONG=1` runs ten times as many.
 */
import fc from 'fast-check';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BODY_BYTES } from '../http/api.js';
import { closeAllHarnesses, seedWorkspace, type Harness, type Seeded } from '../http/test-harness.js';
import { connectWorker, startSocketHarness, TestSocket } from '../ws/ws-test-client.js';
import { durableSnapshot, percentile } from './support.js';

const LONG = process.env['SWITCHBOARD_LONG'] === '1';
const REST_RUNS = LONG ? 6000 : 700;
const WS_RUNS = LONG ? 5000 : 500;
/** The long run's inputs include expressions of thousands of terms (each compiled): minutes on a busy machine. */
const TIMEOUT_MS = LONG ? 900_000 : 120_000;

let h: Harness;
let wsUrl: string;
let seed: Seeded;
let base: string;
let workerToken: string;
let taskSid: string;
let reservationSid: string;

/**
 * The longest reservation timeout (a day): no offer made during a run (a long one takes minutes)
 * times out while a refused input is checked for having changed nothing.
 */
const NO_TIMEOUT_S = 86_400;

/**
 * Events the hub's own timers made (a reservation or task timing out): state changes no input made.
 * An input accepted by chance can arm a short timer that fires while a later, refused input is
 * checked; such a check is skipped (and counted), not failed.
 */
let timerEvents = 0;

beforeAll(async () => {
  ({ h, wsUrl } = await startSocketHarness({ messagesPerSecond: 1_000_000 }));
  seed = await seedWorkspace(h, { workers: 3, maxReservedWorkers: 2 });
  base = `/v1/Workspaces/${seed.ws.sid}`;
  await h.request('POST', `${base}/Workflows/${seed.workflow.sid}`, { TaskReservationTimeout: NO_TIMEOUT_S });
  h.hub.onEvent((event) => {
    if (event.actorType === 'system') timerEvents += 1;
    return undefined;
  });
  const task = await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid, Attributes: '{"type":"fuzz"}' });
  taskSid = task.body.sid;
  const r = await h.request('GET', `${base}/Tasks/${taskSid}/Reservations`);
  reservationSid = r.body.reservations[0].sid;
  workerToken = await h.token(seed.ws.sid, r.body.reservations[0].worker_sid);
});
afterAll(closeAllHarnesses);

/** Values that are wrong for most parameters. */
const POISON = [
  '', ' ', 'null', '-1', '1e309', '9007199254740993', 'NaN', '0x1F', '1.5', 'true!', '{"a":', '[]', '{}', '[1,2', '"str"',
  '\u0000', '\uD800', '💥'.repeat(3000), 'A'.repeat(70_000), 'WA' + 'z'.repeat(32), 'WK' + '0'.repeat(31), '../../etc/passwd',
  "' OR 1=1 --", '<script>alert(1)</script>', 'http://', 'ftp://x', '2021-13-45T99:99:99Z', '-99999999999999999999',
];
const JSON_POISON = [null, -1, 1.5, 2 ** 53, true, [], ['a', 'b'], {}, { a: { b: [1] } }, 'x'.repeat(5000)];

/** The fields each mutable route reads, with a value that would be valid. */
function templates(): Array<{ method: 'POST' | 'GET'; path: string; params: Record<string, unknown> }> {
  const config = JSON.stringify({ task_routing: { filters: [{ expression: 'type == "fuzz"', targets: [{ queue: seed.queue.sid }] }], default_filter: { queue: seed.queue.sid } } });
  const wk = seed.workers[2].sid;
  return [
    { method: 'POST', path: `${base}/Tasks`, params: { WorkflowSid: seed.workflow.sid, Attributes: '{}', Priority: 1, Timeout: 100, TaskChannel: 'default' } },
    { method: 'POST', path: `${base}/Tasks/${taskSid}`, params: { Priority: 3, Attributes: '{"type":"fuzz"}', AssignmentStatus: 'canceled' } },
    { method: 'POST', path: `${base}/Workers`, params: { FriendlyName: 'fuzzed', ActivitySid: seed.available.sid, Attributes: '{}' } },
    { method: 'POST', path: `${base}/Workers/${wk}`, params: { ActivitySid: seed.offline.sid, Attributes: '{"x":1}' } },
    { method: 'POST', path: `${base}/Workers/${wk}/Channels/default`, params: { Capacity: 2, Available: true } },
    { method: 'POST', path: `${base}/TaskQueues`, params: { FriendlyName: 'fq', TargetWorkers: '1==1', MaxReservedWorkers: 2, TaskOrder: 'FIFO' } },
    { method: 'POST', path: `${base}/TaskQueues/${seed.queue.sid}`, params: { MaxReservedWorkers: 2, TargetWorkers: '1==1' } },
    { method: 'POST', path: `${base}/Workflows`, params: { FriendlyName: 'fw', Configuration: config, TaskReservationTimeout: NO_TIMEOUT_S } },
    { method: 'POST', path: `${base}/Workflows/${seed.workflow.sid}`, params: { Configuration: config, TaskReservationTimeout: NO_TIMEOUT_S } },
    { method: 'POST', path: `${base}/Tasks/${taskSid}/Reservations/${reservationSid}`, params: { ReservationStatus: 'rejected', WorkerActivitySid: seed.offline.sid } },
    { method: 'POST', path: `${base}/Activities`, params: { FriendlyName: 'fa', Available: true } },
    { method: 'POST', path: `${base}/TaskChannels`, params: { FriendlyName: 'fc', UniqueName: 'fc' } },
    { method: 'POST', path: `${base}`, params: { FriendlyName: 'ws', EventCallbackUrl: 'http://127.0.0.1:1/cb' } },
    { method: 'GET', path: `${base}/Tasks`, params: { AssignmentStatus: 'pending', PageSize: 5, Ordering: 'DateCreated:asc' } },
    { method: 'GET', path: `${base}/Workers`, params: { Available: true, TargetWorkersExpression: '1==1', PageSize: 2 } },
    { method: 'GET', path: `${base}/Events`, params: { EventType: 'task.created', StartDate: '2020-01-01T00:00:00Z', PageSize: 10 } },
    { method: 'GET', path: `${base}/Workers/${wk}/Statistics`, params: { Minutes: 10 } },
    { method: 'GET', path: `${base}/TaskQueues/${seed.queue.sid}/CumulativeStatistics`, params: { Minutes: 10, SplitByWaitTime: '5,10' } },
  ];
}

const EXPR_TOKENS = ['worker.', 'task.', 'skills', 'level', 'HAS', 'CONTAINS', 'IN', 'NOT IN', '==', '!=', '<', '>=', '(', ')', '[', ']', 'AND', 'OR', '"x"', "'y'", '1', '-2.5', 'true', 'null', ',', '.', '[0]', '1==1', '\\', '"', '𝕏'];
const expression = fc.oneof(
  fc.array(fc.constantFrom(...EXPR_TOKENS), { maxLength: 25 }).chain((tokens) => fc.constantFrom(tokens.join(' '), tokens.join(''))),
  fc.string({ maxLength: 60 }),
  // Deeper and longer than a parser's stack (a workflow Configuration carries up to a megabyte).
  fc.integer({ min: 1, max: 20_000 }).map((n) => '('.repeat(n) + '1==1' + ')'.repeat(n)),
  fc.integer({ min: 1, max: 30_000 }).map((n) => Array.from({ length: n }, () => 'a==1').join(' AND ')),
  fc.integer({ min: 1, max: 1000 }).map((n) => `worker.skills HAS [${Array.from({ length: n }, (_, i) => `"${i}"`).join(',')}]`),
);

type Input =
  | { kind: 'params'; method: string; path: string; params: Record<string, unknown>; json: boolean }
  | { kind: 'raw'; method: string; path: string; body: Buffer; contentType: string };

function inputs(): fc.Arbitrary<Input> {
  const tpl = templates();
  const mutated = fc
    .record({
      t: fc.constantFrom(...tpl),
      json: fc.boolean(),
      muts: fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('poison' as const), i: fc.nat(), v: fc.constantFrom(...POISON) }),
          fc.record({ op: fc.constant('jsonPoison' as const), i: fc.nat(), v: fc.constantFrom(...JSON_POISON) }),
          fc.record({ op: fc.constant('random' as const), i: fc.nat(), v: fc.jsonValue({ maxDepth: 3 }) }),
          fc.record({ op: fc.constant('drop' as const), i: fc.nat() }),
          fc.record({ op: fc.constant('extra' as const), k: fc.string({ maxLength: 20 }), v: fc.string({ maxLength: 40 }) }),
          fc.record({ op: fc.constant('expr' as const), e: expression }),
          fc.record({ op: fc.constant('path' as const), s: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('%00', '%ff', '..', 'WT' + 'f'.repeat(32), '💥')) }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ t, json, muts }): Input => {
      const params: Record<string, unknown> = { ...t.params };
      let path = t.path;
      const keys = Object.keys(t.params);
      for (const m of muts) {
        const key = keys.length > 0 && 'i' in m ? keys[m.i % keys.length]! : 'X';
        if (m.op === 'poison' || m.op === 'jsonPoison' || m.op === 'random') params[key] = m.v;
        else if (m.op === 'drop') delete params[key];
        else if (m.op === 'extra') params[m.k] = m.v;
        else if (m.op === 'expr') {
          if ('Configuration' in params) {
            params['Configuration'] = JSON.stringify({ task_routing: { filters: [{ expression: m.e, targets: [{ queue: seed.queue.sid, expression: m.e }] }], default_filter: { queue: seed.queue.sid } } });
          } else if (t.path.endsWith('/Workers') && t.method === 'GET') params['TargetWorkersExpression'] = m.e;
          else params['TargetWorkers'] = m.e;
        } else if (m.op === 'path') {
          const segments = path.split('/');
          segments[Math.max(3, segments.length - 1)] = encodeURIComponent(m.s).replace(/%25(00|ff)/, '%$1');
          path = segments.join('/');
        }
      }
      // A form cannot carry objects: those go as their JSON text, as a careless client would send them.
      if (!json) for (const [k, v] of Object.entries(params)) if (v !== null && typeof v === 'object') params[k] = JSON.stringify(v);
      return { kind: 'params', method: t.method, path, params, json: json || t.method === 'GET' ? json && t.method !== 'GET' : false };
    });
  const raw = fc
    .record({
      path: fc.constantFrom(`${base}/Tasks`, `${base}/Workers`, `${base}/TaskQueues/${seed.queue.sid}`, `${base}/Workflows`),
      contentType: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', ''),
      body: fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.constant(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
        fc.integer({ min: 10, max: 400_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))),
        fc.integer({ min: 10, max: 200_000 }).map((n) => Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
        fc.integer({ min: 10, max: 100_000 }).map((n) => Buffer.from('Attributes=' + '%5B'.repeat(n))),
        fc.constant(Buffer.alloc(1024 * 1024 + 10, 0x61)),
        fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      ),
    })
    .map((r): Input => ({ kind: 'raw', method: 'POST', ...r }));
  return fc.oneof({ arbitrary: mutated, weight: 6 }, { arbitrary: raw, weight: 2 });
}

/** An input as the HTTP request that carries it. */
interface WireRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

function wireRequest(input: Input): WireRequest {
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${h.credentials.accountSid}:${h.credentials.authToken}`).toString('base64')}` };
  const url = new URL(`${h.url}${input.path}`);
  let body: Buffer | string | undefined;
  if (input.kind === 'raw') {
    body = input.body;
    if (input.contentType) headers['content-type'] = input.contentType;
  } else if (input.method === 'GET') {
    for (const [k, v] of Object.entries(input.params)) url.searchParams.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  } else if (input.json) {
    body = JSON.stringify(input.params);
    headers['content-type'] = 'application/json';
  } else {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(input.params)) form.append(k, String(v));
    body = form.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return { url: url.toString(), method: input.method, headers, ...(body === undefined ? {} : { body }) };
}

/** Sends one input on a fresh connection (an early 413 closes its connection; reuse would race). */
async function send(input: Input): Promise<{ status: number; body: any }> {
  const { url, method, headers, body } = wireRequest(input);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (error) => (req.writableEnded ? undefined : reject(error)));
    req.end(body);
  });
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // judged by the caller: an error must be JSON
  }
  return { status, body: parsed };
}

/**
 * The clients of the p99 test, each in a process of its own, so neither their CPU nor their heap is
 * the hub's: the attacker sends requests staged in a file one after the other on a fixed schedule
 * (one every SEND_GAP_MS; late ones go at once); the healthy client fetches one worker over and
 * over, a millisecond apart, on a kept-alive connection, and reports each latency.
 */
const CLIENT_PROCESS = `
const http = require('node:http');
const fs = require('node:fs');
const perform = (r, agent) => new Promise((resolve) => {
  const req = http.request(r.url, { method: r.method, headers: r.headers, agent }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
    res.on('error', () => resolve(0));
  });
  // The hub closes the connection on a body past its route's limit (most routes take 64 KiB)
  // before the client has sent it all, and the reset can overtake the 413: a refusal all the same (-1).
  req.on('error', () => resolve(r.oversize ? -1 : 0));
  req.end(r.body === undefined ? undefined : Buffer.from(r.body, 'base64'));
});
let healthy = null;
process.on('message', async (m) => {
  if (m.file) {
    const requests = JSON.parse(fs.readFileSync(m.file, 'utf8'));
    const statuses = [];
    let next = performance.now();
    for (const r of requests) {
      next += m.gapMs;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
      statuses.push(await perform(r, false));
    }
    process.send(statuses);
  } else if (m.healthy) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const run = { stopped: false, samples: [], failures: 0 };
    healthy = run;
    while (!run.stopped) {
      const started = performance.now();
      const status = await perform(m.healthy, agent);
      run.samples.push(performance.now() - started);
      if (status !== 200) run.failures += 1;
      await new Promise((ok) => setTimeout(ok, 1));
    }
    agent.destroy();
    process.send({ samples: run.samples, failures: run.failures });
  } else if (m.stop) {
    healthy.stopped = true;
  }
});
`;

/** Hostile and benign inputs arrive at 500 a second, about the healthy client's rate. */
const SEND_GAP_MS = 2;

interface Clients {
  /** Writes the requests to a file for the attacker to read, so staging them costs nothing while measuring. */
  stage(inputs: Input[]): string;
  /** Sends the staged requests on their schedule; resolves with their statuses (0: no answer; -1: the connection reset while sending a body over 64 KiB). */
  send(file: string): Promise<number[]>;
  /** Sends the staged requests while the healthy client runs; resolves with their statuses and its latencies. */
  measure(file: string): Promise<{ statuses: number[]; samples: number[]; failures: number }>;
  close(): void;
}

function startClients(): Clients {
  const dir = mkdtempSync(join(tmpdir(), 'sb-fuzz-'));
  const spawnClient = () => spawn(process.execPath, ['-e', CLIENT_PROCESS], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const attacker = spawnClient();
  // At the lowest priority: on two cores, building and writing a megabyte of hostile body is the
  // attacker's work, as on a machine of its own, and must not take the core of the hub's helpers.
  setPriority(attacker.pid!, 19);
  const client = spawnClient();
  const reply = <T>(child: typeof attacker, message: object) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send(message);
    });
  const healthyGet = wireRequest({ kind: 'params', method: 'GET', path: `${base}/Workers/${seed.workers[0].sid}`, params: {}, json: false });
  let staged = 0;
  const send = (file: string) => reply<number[]>(attacker, { file, gapMs: SEND_GAP_MS });
  return {
    stage(list) {
      const file = join(dir, `${(staged += 1)}.json`);
      const requests = list
        .map(wireRequest)
        .map((r) => ({ ...r, body: r.body === undefined ? undefined : Buffer.from(r.body).toString('base64'), oversize: r.body !== undefined && Buffer.byteLength(r.body) > DEFAULT_BODY_BYTES }));
      writeFileSync(file, JSON.stringify(requests));
      return file;
    },
    send,
    async measure(file) {
      const latencies = reply<{ samples: number[]; failures: number }>(client, { healthy: healthyGet });
      const statuses = await send(file);
      client.send({ stop: true });
      return { statuses, ...(await latencies) };
    },
    close() {
      attacker.kill();
      client.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a property and fails with a short counterexample (inputs can be a megabyte long). */
async function check<T>(property: fc.IAsyncProperty<[T]>, params: fc.Parameters<[T]>): Promise<void> {
  const out = await fc.check(property, params);
  if (!out.failed) return;
  const shown = JSON.stringify(out.counterexample, (_k, v: unknown) => (typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}...(${v.length} chars)` : v));
  throw new Error(`seed ${out.seed}, path ${out.counterexamplePath}: ${shown.slice(0, 2000)}\n${String(out.errorInstance)}`);
}

describe('fuzzing the edges', () => {
  it('answers every mutated REST request with a clear 4xx (or a success), changes nothing it refuses', async () => {
    const arbitrary = inputs();
    const stats = { tried: 0, refused: 0, accepted: 0, timed: 0, byStatus: new Map<number, number>() };
    await check(
      fc.asyncProperty(arbitrary, async (input) => {
        const before = await durableSnapshot(h.hub);
        const timers = timerEvents;
        const r = await send(input);
        stats.tried += 1;
        stats.byStatus.set(r.status, (stats.byStatus.get(r.status) ?? 0) + 1);
        expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBeLessThan(500);
        if (r.status >= 400) {
          stats.refused += 1;
          // Including what Node's parser refuses before the app sees it (an over-long header block: 431).
          expect(r.body).toMatchObject({ status: r.status, code: expect.any(Number), message: expect.any(String) });
          const after = await durableSnapshot(h.hub);
          if (timerEvents === timers) expect(after).toBe(before);
          else stats.timed += 1;
        } else stats.accepted += 1;
      }),
      { numRuns: REST_RUNS, seed: LONG ? undefined : 8_0808 },
    );
    console.log(
      `REST fuzz: ${stats.tried} inputs tried, ${stats.refused} refused with 4xx (${stats.timed} not compared: a timer changed the state meanwhile), ${stats.accepted} valid by chance; statuses ${JSON.stringify(Object.fromEntries(stats.byStatus))}`,
    );
    expect((await h.request('GET', '/healthz')).status).toBe(200);
  }, TIMEOUT_MS);

  it("keeps healthy traffic's p99 within 20% while hostile input arrives, compared with as much benign input", async () => {
    // Hostile inputs are those the hub refuses: the sample is sent once first, and the few valid
    // by chance (a workflow of 20,000 conditions, compiled in 100 ms, is a request the account may
    // make) are left out. The healthy client's latencies beside them are compared with its
    // latencies beside as many benign GETs, in short alternating phases so that a busy moment of
    // the machine falls on both sides alike. (Beside no traffic at all its p99 is lower still: any
    // other client of the same rate makes it queue now and then. What is measured is whether
    // hostile input costs the hub more than benign input does.)
    const clients = startClients();
    const benignSide: number[] = [];
    const hostileSide: number[] = [];
    const sample = fc.sample(inputs(), { numRuns: LONG ? 2000 : 1000, seed: 99 });
    let hostile: Input[] = [];
    let batches = 0;
    const rise = () => percentile(hostileSide, 99) / percentile(benignSide, 99) - 1;
    try {
      const statuses = await clients.send(clients.stage(sample));
      expect(statuses.filter((status) => status === 0 || status >= 500)).toEqual([]);
      hostile = sample.filter((_, i) => statuses[i]! >= 400 || statuses[i] === -1);
      const gets = templates().filter((t) => t.method === 'GET');
      const benign: Input[] = hostile.map((_, i) => ({ kind: 'params', method: 'GET', path: gets[i % gets.length]!.path, params: gets[i % gets.length]!.params, json: false }));
      const ROUNDS = 8;
      const rounds = (list: Input[]) => Array.from({ length: ROUNDS }, (_, round) => clients.stage(list.filter((_, i) => i % ROUNDS === round)));
      const [benignFiles, hostileFiles] = [rounds(benign), rounds(hostile)];
      const phase = async (file: string, into: number[]) => {
        const { statuses: answered, samples, failures } = await clients.measure(file);
        // Every input was answered, and none with a 5xx; every healthy request succeeded.
        expect(answered.filter((status) => status === 0 || status >= 500)).toEqual([]);
        expect(failures).toBe(0);
        into.push(...samples);
      };
      // A p99 of 2,000-5,000 samples a side moves by up to about 20% either way between runs on a
      // machine of two cores (the p99 falls where the tail thins out). So a batch that finds a
      // rise above 20% measures another, up to three, and the verdict is on all their samples
      // pooled: a hub that spends more on hostile input than on benign input stays above it, a
      // noisy batch does not.
      do {
        batches += 1;
        for (let round = 0; round < ROUNDS; round += 1) {
          await phase(benignFiles[round]!, benignSide);
          await phase(hostileFiles[round]!, hostileSide);
          await phase(hostileFiles[round]!, hostileSide);
          await phase(benignFiles[round]!, benignSide);
        }
      } while (rise() > 0.2 && batches < 3);
    } finally {
      clients.close();
    }
    const figure = (side: number[]) => `${percentile(side, 99).toFixed(2)} ms (p50 ${percentile(side, 50).toFixed(2)} ms, ${side.length} samples)`;
    console.log(
      `healthy GET p99 beside ${hostile.length * 2 * batches} hostile requests: ${figure(hostileSide)}; beside as many benign ones: ${figure(benignSide)}; ` +
        `${(rise() * 100).toFixed(0)}% in ${batches} batch${batches > 1 ? 'es' : ''}; ${sample.length - hostile.length} of ${sample.length} inputs were valid by chance and left out`,
    );
    // Bodies past their route's limit are refused from their Content-Length, and JSON nested too
    // deep before it is parsed, so no hostile input holds the event loop for long (a megabyte of
    // `[` used to hold it 80-110 ms).
    expect(percentile(hostileSide, 99)).toBeLessThanOrEqual(percentile(benignSide, 99) * 1.2);
  }, TIMEOUT_MS);

  it('answers every hostile WebSocket frame with an error reply or a documented close, and changes nothing', async () => {
    const before = await durableSnapshot(h.hub);
    const timers = timerEvents;
    const TYPES = ['auth', 'token.update', 'worker.update', 'channel.update', 'reservation.accept', 'reservation.reject', 'task.wrap', 'task.complete', 'ping'];
    type Frame = { data: Buffer | string; binary: boolean; expectClose?: number };
    const frame: fc.Arbitrary<Frame> = fc.oneof(
      fc.jsonValue().map((v) => ({ data: JSON.stringify(v) ?? 'null', binary: false })),
      fc
        .record({ type: fc.constantFrom(...TYPES), ref: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.jsonValue()), extra: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), unknown: fc.jsonValue({ maxDepth: 2 }) })
        .map(({ type, ref, extra, unknown }) => ({ data: JSON.stringify({ ...extra, type, ref, zzUnknownField: unknown ?? 0 }), binary: false })),
      fc.record({ type: fc.string({ maxLength: 30 }), ref: fc.string({ minLength: 1, maxLength: 10 }) }).filter((f) => !TYPES.includes(f.type)).map((f) => ({ data: JSON.stringify(f), binary: false })),
      fc.integer({ min: 1, max: 30_000 }).map((n) => ({ data: '['.repeat(n) + ']'.repeat(n), binary: false })),
      fc.integer({ min: 1_000, max: 5_000 }).map((n) => ({ data: `{"type":"worker.update","ref":"deep","attributes":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`, binary: false })),
      fc.integer({ min: 64 * 1024 + 1, max: 200_000 }).map((n) => ({ data: JSON.stringify({ type: 'ping', ref: 'big', pad: 'x'.repeat(n) }), binary: false, expectClose: 1009 })),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ data: Buffer.from(b), binary: true })),
      fc.uint8Array({ maxLength: 40 }).map((b) => ({ data: Buffer.concat([Buffer.from('{"type":"ping","ref":"'), Buffer.from(b), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]), binary: false, expectClose: 1007 })),
    );
    let socket = (await connectWorker(wsUrl, workerToken)).socket;
    const counts = { tried: 0, errorReplies: 0, closes: 0, okReplies: 0 };
    await check(
      fc.asyncProperty(frame, async (f) => {
        if (socket.ws.readyState !== socket.ws.OPEN) socket = (await connectWorker(wsUrl, workerToken)).socket;
        const seen = socket.frames.length;
        counts.tried += 1;
        socket.ws.send(f.data, { binary: f.binary });
        // The answer is the first reply or error; a push (a timer's offer or timeout for this worker) may come first.
        const answered = () => socket.frames.slice(seen).find((f) => f.type === 'reply' || f.type === 'error');
        const outcome = await Promise.race([
          socket.waitFor(() => answered() !== undefined, 5000).then(() => 'frame' as const),
          socket.closed.then((c) => c.code),
        ]);
        if (f.expectClose !== undefined) {
          expect(outcome).toBe(f.expectClose);
          counts.closes += 1;
          return;
        }
        expect(outcome).toBe('frame');
        const answer = answered()!;
        if (answer.type === 'reply' && answer.ok) {
          // Only a well-formed ping can pass, and it changes nothing.
          expect(JSON.parse(String(f.data)).type).toBe('ping');
          counts.okReplies += 1;
        } else {
          expect(answer.type === 'error' || (answer.type === 'reply' && !answer.ok)).toBe(true);
          counts.errorReplies += 1;
        }
        expect(socket.invalid).toEqual([]);
      }),
      { numRuns: WS_RUNS, seed: LONG ? undefined : 4_242 },
    );
    socket.close();
    console.log(`WebSocket fuzz: ${counts.tried} frames tried: ${counts.errorReplies} error replies, ${counts.closes} documented closes (1007/1009), ${counts.okReplies} valid pings`);
    // Unless a timer armed by an earlier test's accepted input fired meanwhile (only a random seed's run can arm one).
    if (timerEvents === timers) expect(await durableSnapshot(h.hub)).toBe(before);
    else console.log(`WebSocket fuzz: ${timerEvents - timers} timer events during the run; state not compared`);
    const again = await TestSocket.connect(wsUrl);
    expect((await again.request({ type: 'ping' })).ok).toBe(false); // not authenticated: refused, but answered
    again.close();
  }, TIMEOUT_MS);
});
