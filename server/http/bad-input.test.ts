/** Bad input gets the right status and a Twilio error body, and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { DEFAULT_BODY_BYTES, MAX_BODY_BYTES } from './api.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import { closeAllHarnesses, seedWorkspace, startHarness, type Harness, type Params, type RequestOptions, type Seeded, type TestAuth } from './test-harness.js';

let h: Harness;
let seed: Seeded;
let base: string;
let task: any;
let reservation: any;

/** Every record of the workspace, as JSON: equal before and after means nothing changed. */
function snapshot(): string {
  const s = h.hub.engine(seed.ws.sid)!.state;
  return JSON.stringify([s.workspace, ...[s.activities, s.workers, s.workerChannels, s.taskQueues, s.workflows, s.tasks, s.reservations].map((m) => [...m.values()])]);
}

async function refused(status: number, method: string, path: string, params: Params = {}, auth: TestAuth = 'account', options: RequestOptions = {}) {
  const before = snapshot();
  const events = (await h.hub.queryEvents({ workspaceSid: seed.ws.sid, limit: 100_000 })).length;
  const res = await h.request(method, path, params, auth, options);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ status, code: expect.any(Number), message: expect.any(String), more_info: expect.stringMatching(/^https:\/\/www\.twilio\.com\/docs\/errors\/\d+$/) });
  expect(snapshot()).toBe(before);
  expect((await h.hub.queryEvents({ workspaceSid: seed.ws.sid, limit: 100_000 })).length).toBe(events);
  return res.body as { code: number; message: string };
}

beforeAll(async () => {
  h = await startHarness();
  seed = await seedWorkspace(h, { workers: 2, maxReservedWorkers: 1 });
  base = `/v1/Workspaces/${seed.ws.sid}`;
  task = (await h.request('POST', `${base}/Tasks`, { WorkflowSid: seed.workflow.sid })).body;
  reservation = (await h.request('GET', `${base}/Tasks/${task.sid}/Reservations`)).body.reservations[0];
});
afterAll(closeAllHarnesses);

describe('wrong types', () => {
  it.each([
    ['Priority', `Tasks`, { Priority: 'high' }],
    ['Timeout', `Tasks`, { Timeout: '1.5' }],
    ['VirtualStartTime', `Tasks`, { VirtualStartTime: 'yesterday' }],
    ['WorkflowSid', `Tasks`, { WorkflowSid: 'WW123' }],
    ['MaxReservedWorkers', `TaskQueues`, { FriendlyName: 'Q2', MaxReservedWorkers: 'many' }],
    ['TaskOrder', `TaskQueues`, { FriendlyName: 'Q2', TaskOrder: 'RANDOM' }],
    ['Available', `Activities`, { FriendlyName: 'Maybe', Available: 'perhaps' }],
    ['FriendlyName', `Workers`, {}],
  ])('%s is named in the 400', async (param, path, params) => {
    const body = await refused(400, 'POST', `${base}/${path}`, params);
    expect(body.code).toBe(20001);
    expect(body.message).toContain(param);
  });

  it('rejects wrong JSON types too', async () => {
    const body = await refused(400, 'POST', `${base}/Tasks`, { Priority: true } as Params, 'account', { json: true });
    expect(body.message).toContain('Priority');
  });

  it('rejects bad list filters and paging', async () => {
    expect((await refused(400, 'GET', `${base}/Workers`, { Available: 'perhaps' })).message).toContain('Available');
    expect((await refused(400, 'GET', `${base}/Tasks`, { AssignmentStatus: ['pending', 'lost'] })).message).toContain('AssignmentStatus');
    expect((await refused(400, 'GET', `${base}/Tasks`, { Ordering: 'DateCreated:asc,VirtualStartTime:desc' })).message).toContain('Ordering');
    expect((await refused(400, 'GET', `${base}/Workers`, { PageSize: 1001 })).message).toContain('PageSize');
    expect((await refused(400, 'GET', `${base}/Events`, { Minutes: 'ten' })).message).toContain('Minutes');
    expect((await refused(400, 'GET', `${base}/Activities`, { PageToken: 'garbage' })).message).toContain('PageToken');
  });
});

describe('domain limits', () => {
  it.each([0, 51])('MaxReservedWorkers %i is refused', async (n) => {
    expect((await refused(400, 'POST', `${base}/TaskQueues`, { FriendlyName: 'Q3', MaxReservedWorkers: n })).message).toContain('MaxReservedWorkers');
    expect((await refused(400, 'POST', `${base}/TaskQueues/${seed.queue.sid}`, { MaxReservedWorkers: n })).message).toContain('MaxReservedWorkers');
  });

  it('refuses attributes over 4096 characters', async () => {
    const big = JSON.stringify({ notes: 'x'.repeat(4100) });
    expect((await refused(400, 'POST', `${base}/Tasks`, { Attributes: big })).message).toContain('Attributes');
    expect((await refused(400, 'POST', `${base}/Workers`, { FriendlyName: 'big', Attributes: big })).message).toContain('Attributes');
    expect((await refused(400, 'POST', `${base}/Workers/${seed.workers[0].sid}`, { Attributes: big })).message).toContain('Attributes');
  });

  it('names the position of a bad expression', async () => {
    expect((await refused(400, 'POST', `${base}/TaskQueues`, { FriendlyName: 'Q4', TargetWorkers: "skills HAS 'a' AND" })).message).toMatch(/position \d+/);
    expect((await refused(400, 'GET', `${base}/Workers`, { TargetWorkersExpression: 'a == (' })).message).toMatch(/TargetWorkersExpression.*position \d+/);
    expect((await refused(400, 'GET', `${base}/Tasks`, { EvaluateTaskAttributes: '== 1' })).message).toMatch(/position \d+/);
  });

  it('answers 412 to a stale If-Match', async () => {
    const w = seed.workers[1];
    expect((await refused(412, 'POST', `${base}/Workers/${w.sid}`, { Attributes: '{"a":1}' }, 'account', { headers: { 'if-match': '"77"' } })).code).toBe(20412);
  });
});

describe('unknown resources and routes', () => {
  const zero = (prefix: string) => prefix + '0'.repeat(32);
  it.each([
    ['GET', () => `${base}/Tasks/${zero('WT')}`],
    ['POST', () => `${base}/Workers/${zero('WK')}`],
    ['GET', () => `/v1/Workspaces/${zero('WS')}/Workers`],
    ['POST', () => `${base}/Tasks/${task.sid}/Reservations/${zero('WR')}`],
    ['GET', () => `${base}/Workers/${seed.workers[1].sid}/Reservations/${reservation.sid}`.replace(seed.workers[1].sid, reservation.worker_sid === seed.workers[1].sid ? seed.workers[0].sid : seed.workers[1].sid)],
    ['GET', () => `${base}/Events/${zero('EV')}`],
    ['GET', () => `${base}/Workers/${seed.workers[0].sid}/Channels/nosuch`],
    ['GET', () => `/v1/Nowhere`],
  ])('%s %s is 404', async (method, path) => {
    expect((await refused(404, method, path(), method === 'POST' ? { ReservationStatus: 'accepted', FriendlyName: 'x' } : {})).code).toBe(20404);
  });

  it('answers 405 for a method a path does not serve', async () => {
    expect((await refused(405, 'PUT', `${base}/Tasks/${task.sid}`)).code).toBe(20004);
    expect((await refused(405, 'DELETE', `${base}/Workers/${seed.workers[0].sid}/Channels`)).code).toBe(20004);
  });
});

describe('bodies', () => {
  it('answers 400 to malformed JSON', async () => {
    const body = await refused(400, 'POST', `${base}/Tasks`, {}, 'account', { raw: { body: '{"Priority": 1', contentType: 'application/json' } });
    expect(body.message).toMatch(/JSON/);
  });

  it('answers 400 to a JSON array body', async () => {
    await refused(400, 'POST', `${base}/Tasks`, {}, 'account', { raw: { body: '[1,2]', contentType: 'application/json' } });
  });

  it('answers 413 to a body over 64 KiB, and over 1 MiB where a workflow configuration goes', async () => {
    const form = (bytes: number) => ({ raw: { body: `Attributes=${'x'.repeat(bytes - 'Attributes='.length)}`, contentType: 'application/x-www-form-urlencoded' } });
    const tooLarge = await refused(413, 'POST', `${base}/Tasks`, {}, 'account', form(DEFAULT_BODY_BYTES + 1));
    expect(tooLarge).toMatchObject({ code: 20413, message: `Request body is larger than ${DEFAULT_BODY_BYTES} bytes` });
    // At the limit the body is read and judged on its parameters (attributes too long): a 400, not a 413.
    await refused(400, 'POST', `${base}/Tasks`, {}, 'account', form(DEFAULT_BODY_BYTES));
    const workflow = `${base}/Workflows/${seed.workflow.sid}`;
    const configuration = (bytes: number) => ({ raw: { body: `Configuration=${'x'.repeat(bytes - 'Configuration='.length)}`, contentType: 'application/x-www-form-urlencoded' } });
    expect((await refused(400, 'POST', workflow, {}, 'account', configuration(DEFAULT_BODY_BYTES * 4))).message).toMatch(/Configuration/);
    expect((await refused(413, 'POST', workflow, {}, 'account', configuration(MAX_BODY_BYTES + 1))).message).toBe(`Request body is larger than ${MAX_BODY_BYTES} bytes`);
    console.log(`body size: ${DEFAULT_BODY_BYTES + 1} bytes refused with 413 (limit ${DEFAULT_BODY_BYTES}); workflows take up to ${MAX_BODY_BYTES}`);
  });

  it('answers 400 to a JSON body nested deeper than the limit, without parsing it', async () => {
    // An object whose Priority is an array n - 1 deep: n levels.
    const deep = (n: number) => `{"Priority":${'['.repeat(n - 1)}1${']'.repeat(n - 1)}}`;
    // Nearly a megabyte of `[` where bodies may be that large (JSON.parse alone would block the loop for about 80 ms).
    const started = performance.now();
    const body = await refused(400, 'POST', `${base}/Workflows/${seed.workflow.sid}`, {}, 'account', { raw: { body: '['.repeat(500_000) + ']'.repeat(500_000), contentType: 'application/json' } });
    expect(body.message).toBe(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
    console.log(`JSON nesting: a 1,000,000-byte body of brackets refused in ${(performance.now() - started).toFixed(1)} ms (round trip)`);
    await refused(400, 'POST', `${base}/Tasks`, {}, 'account', { raw: { body: '['.repeat(30_000) + ']'.repeat(30_000), contentType: 'application/json' } });
    expect((await refused(400, 'POST', `${base}/Tasks`, {}, 'account', { raw: { body: deep(MAX_JSON_DEPTH + 1), contentType: 'application/json' } })).message).toMatch(/nests deeper/);
    // At the limit it is parsed, and refused for what it says (Priority is no integer).
    expect((await refused(400, 'POST', `${base}/Tasks`, {}, 'account', { raw: { body: deep(MAX_JSON_DEPTH), contentType: 'application/json' } })).message).toMatch(/Priority/);
  });
});

describe('expressions', () => {
  const configuration = (expression: string) =>
    JSON.stringify({ task_routing: { filters: [{ expression, targets: [{ queue: seed.queue.sid }] }], default_filter: { queue: seed.queue.sid } } });

  it('answers 400 to parentheses nested too deep in a workflow filter (the parser used to overflow its stack: a 500)', async () => {
    const deep = `${'('.repeat(5_000)}1==1${')'.repeat(5_000)}`;
    const body = await refused(400, 'POST', `${base}/Workflows`, { FriendlyName: 'deep', Configuration: configuration(deep) });
    expect(body.message).toContain('parentheses nest at most');
  });

  it('answers 400 to a workflow Configuration nested deeper than the limit, before parsing it', async () => {
    const deep = `{"task_routing":${'{"a":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}}`;
    const body = await refused(400, 'POST', `${base}/Workflows`, { FriendlyName: 'deep', Configuration: deep });
    expect(body.message).toBe(`Configuration is invalid: Configuration nests deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('takes a workflow filter of 20,000 conditions and routes through it', async () => {
    const other = await h.request('POST', `${base}/TaskQueues`, { FriendlyName: 'fallback', TargetWorkers: '1==2' });
    const chain = Array.from({ length: 20_000 }, (_, i) => `rank != ${i + 1}`).join(' AND ');
    const config = JSON.stringify({ task_routing: { filters: [{ expression: chain, targets: [{ queue: seed.queue.sid }] }], default_filter: { queue: other.body.sid } } });
    const created = await h.request('POST', `${base}/Workflows`, { FriendlyName: 'long', Configuration: config });
    expect(created.status, JSON.stringify(created.body).slice(0, 300)).toBe(201);
    const queueOf = async (rank: number) => {
      const task = await h.request('POST', `${base}/Tasks`, { WorkflowSid: created.body.sid, Attributes: JSON.stringify({ rank }) });
      expect(task.status).toBe(201);
      await h.request('POST', `${base}/Tasks/${task.body.sid}`, { AssignmentStatus: 'canceled' });
      return task.body.task_queue_sid as string;
    };
    expect(await queueOf(0)).toBe(seed.queue.sid);
    // The 20,000th condition is false: the filter does not match.
    expect(await queueOf(20_000)).toBe(other.body.sid);
  });
});

describe('nestsDeeperThan', () => {
  it('counts arrays and objects, never brackets inside strings', () => {
    expect(nestsDeeperThan('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[[[[[[","b":"\\"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":"\\"[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('[[]][[]]', 2)).toBe(false);
    expect(nestsDeeperThan('"unterminated [[[', 0)).toBe(false);
  });
});

describe('authentication and worker tokens', () => {
  it('answers 401 with a Basic challenge without or with wrong credentials', async () => {
    await refused(401, 'POST', `${base}/Tasks`, {}, 'none');
    await refused(401, 'GET', `${base}/Tasks`, {}, { basic: [h.credentials.accountSid, 'wrong-token'] });
    await refused(401, 'GET', `${base}/Tasks`, {}, { header: 'Digest abc' });
    await refused(401, 'GET', `${base}/Tasks`, {}, { bearer: 'not.a.jwt' });
    const res = await h.request('GET', '/v1/Workspaces', {}, 'none');
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Switchboard"');
  });

  it('accepts an API key and refuses an expired worker token', async () => {
    const [sid, secret] = [...h.credentials.apiKeys][0]!;
    expect((await h.request('GET', `${base}/Workers`, {}, { basic: [sid, secret] })).status).toBe(200);
    const expired = await h.token(seed.ws.sid, reservation.worker_sid, { now: Math.floor(Date.now() / 1000) - 7200, ttl: 60 });
    expect((await refused(401, 'GET', `${base}/Workers/${reservation.worker_sid}`, {}, { bearer: expired })).message).toMatch(/expired/);
  });

  it("refuses another worker's reservation with 403, on either path", async () => {
    const other = seed.workers.find((w) => w.sid !== reservation.worker_sid);
    const token = await h.token(seed.ws.sid, other.sid);
    const accept = { ReservationStatus: 'accepted' };
    expect((await refused(403, 'POST', `${base}/Tasks/${task.sid}/Reservations/${reservation.sid}`, accept, { bearer: token })).code).toBe(20403);
    await refused(403, 'POST', `${base}/Workers/${reservation.worker_sid}/Reservations/${reservation.sid}`, accept, { bearer: token });
    await refused(403, 'GET', `${base}/Workers/${reservation.worker_sid}`, {}, { bearer: token });
    await refused(403, 'GET', `${base}/Tasks/${task.sid}`, {}, { bearer: token });
    await refused(403, 'GET', `${base}/Workers`, {}, { bearer: token });
    await refused(403, 'POST', `${base}/TaskQueues`, { FriendlyName: 'mine' }, { bearer: token });
    await refused(403, 'POST', `${base}/Workers/${other.sid}`, { FriendlyName: 'renamed' }, { bearer: token });
    const elsewhere = await h.token('WS' + '1'.repeat(32), other.sid);
    await refused(403, 'GET', `${base}/Activities`, {}, { bearer: elsewhere });
  });
});

describe('unexpected failures', () => {
  it('answers 500 with a Twilio body and keeps serving', async () => {
    class BrokenEvents extends MemoryStore {
      override async queryEvents(): Promise<never> {
        throw new Error('disk on fire');
      }
    }
    const broken = await startHarness({ store: new BrokenEvents() });
    const ws = (await broken.request('POST', '/v1/Workspaces', { FriendlyName: 'B' })).body;
    const res = await broken.request('GET', `/v1/Workspaces/${ws.sid}/Events`);
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 20500, status: 500 });
    expect(res.body.message).not.toContain('disk on fire');
    expect((await broken.request('GET', `/v1/Workspaces/${ws.sid}`)).status).toBe(200);
  });
});
