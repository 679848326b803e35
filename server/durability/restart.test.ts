import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createWorkerToken } from '../auth/tokens.js';
import { auditWorkspace, pendingReservations } from './audit.js';
import { addWorkers, createCrashWorkspace, expectStatus } from './crash-workspace.js';
import { HubProcess, type HubProcessOptions } from './hub-process.js';
import { Ledger } from './ledger.js';
import { driveLoad, type LoadOptions } from './load.js';
import { RestClient } from './rest-client.js';
import { SocketAgent } from './socket-agent.js';
import { waitFor } from './wait-for.js';

const ACCOUNT = `AC${'d'.repeat(32)}`;
const TOKEN = 'restart-test-auth-token-012345678';
const CREDENTIALS = { accountSid: ACCOUNT, authToken: TOKEN, apiKeys: new Map<string, string>() };
const LOAD: LoadOptions = { creators: 4, restAcceptors: 3, acceptRatio: 0.6, completeRatio: 0.5, newWorkers: 0 };

const dirs: string[] = [];
let running: HubProcess | undefined;
afterEach(async () => {
  await running?.stop('SIGKILL');
  running = undefined;
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh data directory, as `SWITCHBOARD_DATA`. */
function dataDir(): HubProcessOptions {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-restart-'));
  dirs.push(dir);
  return { dataDir: dir, accountSid: ACCOUNT, authToken: TOKEN };
}

/** Starts `node --import tsx server/main.ts` on the data directory; resolves once it is ready. */
async function start(options: HubProcessOptions): Promise<{ hub: HubProcess; client: RestClient; readyAt: number }> {
  running = await HubProcess.start(options);
  return { hub: running, client: new RestClient(running.url, ACCOUNT, TOKEN), readyAt: Date.now() };
}

/** Sends SIGTERM and expects a clean exit: the graceful close finished in time. */
async function terminate(hub: HubProcess): Promise<void> {
  const exit = await hub.stop('SIGTERM');
  running = undefined;
  expect(exit, hub.output()).toEqual({ code: 0, signal: null });
}

describe('restart of the real hub process', () => {
  it('drains on SIGTERM under load: every acknowledged request survives, sockets close with 1001, exit 0', async () => {
    const options = dataDir();
    let { hub, client } = await start(options);
    const ledger = new Ledger();
    const cw = await createCrashWorkspace(client, 600);
    await addWorkers(client, cw, ledger, 4, 'rest');
    await addWorkers(client, cw, ledger, 4, 'socket');
    const closes: number[] = [];
    const stop = new AbortController();
    const target = { client, wsUrl: hub.wsUrl, cw, ledger, credentials: CREDENTIALS, onSocketClosed: (code: number) => closes.push(code) };
    const driving = driveLoad(target, stop.signal, LOAD);
    // The signal lands in the middle of real traffic, not after a fixed time.
    await waitFor(() => ledger.tasks.size >= 150 && ledger.accepts.size >= 10, { timeoutMs: 30_000, what: 'the load to get going' });
    const atSignal = { tasks: [...ledger.tasks], accepts: [...ledger.accepts.keys()] };
    await terminate(hub);
    stop.abort();
    await driving;
    expect(closes).toEqual([1001, 1001, 1001, 1001]);

    ({ hub, client } = await start(options));
    const audit = await auditWorkspace(client, cw, ledger);
    const tasks = new Set((await client.list(`/Workspaces/${cw.ws}/Tasks`, 'tasks')).map((t) => t['sid'] as string));
    console.log(
      `SIGTERM under load: ${atSignal.tasks.length} tasks and ${atSignal.accepts.length} accepts acknowledged before the signal, ` +
        `${ledger.tasks.size - atSignal.tasks.length} tasks and ${ledger.accepts.size - atSignal.accepts.length} accepts during the drain; ` +
        `${ledger.refused} refused with 503, ${ledger.unanswered} cut off; after the restart ${audit.tasks} tasks: ` +
        (audit.violations.length === 0 ? 'nothing lost' : `${audit.violations.length} violations`),
    );
    expect(atSignal.tasks.filter((sid) => !tasks.has(sid))).toEqual([]);
    expect(audit.violations).toEqual([]);
    expect(ledger.unexpected).toEqual([]);
    await terminate(hub);
  }, 90_000);

  it('after a SIGTERM, offers left pending time out on schedule, or are accepted by their reconnected worker', async () => {
    const options = dataDir();
    let { hub, client, readyAt } = await start(options);
    const ws = expectStatus(await client.post('/Workspaces', { FriendlyName: 'Restart' }), 201, 'create workspace')['sid'] as string;
    const base = `/Workspaces/${ws}`;
    const available = (await client.list(`${base}/Activities`, 'activities')).find((a) => a['friendly_name'] === 'Available')!['sid'] as string;
    /** A worker with capacity 3, its own queue, and a workflow to it with the given reservation timeout. */
    const lane = async (name: string, timeoutS: number) => {
      const worker = expectStatus(
        await client.post(`${base}/Workers`, { FriendlyName: name, ActivitySid: available, Attributes: JSON.stringify({ name }) }),
        201,
        'create worker',
      )['sid'] as string;
      expectStatus(await client.post(`${base}/Workers/${worker}/Channels/default`, { Capacity: '3' }), 200, 'set capacity');
      const queue = expectStatus(await client.post(`${base}/TaskQueues`, { FriendlyName: name, TargetWorkers: `name == '${name}'` }), 201, 'create queue')['sid'];
      const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue } } });
      const workflow = expectStatus(
        await client.post(`${base}/Workflows`, { FriendlyName: name, Configuration: configuration, TaskReservationTimeout: String(timeoutS) }),
        201,
        'create workflow',
      )['sid'] as string;
      for (let i = 0; i < 3; i += 1) expectStatus(await client.post(`${base}/Tasks`, { WorkflowSid: workflow, Attributes: '{}' }), 201, 'create task');
      const offers = await pendingReservations(client, { ws, workflow, available, reservationTimeoutS: timeoutS }, [worker]);
      expect(offers).toHaveLength(3);
      return { worker, offers: offers.map((r) => r['sid'] as string).sort() };
    };
    // Ann's offers expire 3 s after they are made, about when the restart is done; Ben's stay open for him.
    const ann = await lane('ann', 3);
    const ben = await lane('ben', 600);
    await terminate(hub);

    ({ hub, client, readyAt } = await start(options));
    const statuses = async (worker: string) =>
      Object.fromEntries((await client.list(`${base}/Workers/${worker}/Reservations`, 'reservations')).map((r) => [r['sid'], r['reservation_status']]));
    await waitFor(async () => Object.values(await statuses(ann.worker)).every((s) => s === 'timeout'), { what: "Ann's offers to time out" });
    for (const sid of ann.offers) {
      const events = await client.list(`${base}/Events`, 'events', { ReservationSid: sid });
      const at = (type: string) => events.find((e) => e['event_type'] === type)!['event_date_ms'] as number;
      const deadline = at('reservation.created') + 3_000;
      // Never early; on time, or at once on open if the deadline passed while the hub was down.
      expect(at('reservation.timeout')).toBeGreaterThanOrEqual(deadline);
      expect(at('reservation.timeout')).toBeLessThanOrEqual(Math.max(deadline, readyAt) + 1_000);
    }

    // Ben reconnects: his snapshot holds exactly the offers REST shows, and he accepts them over the socket.
    const token = await createWorkerToken({ credentials: CREDENTIALS, workspaceSid: ws, workerSid: ben.worker });
    const { agent, snapshot } = await SocketAgent.connect(hub.wsUrl, token);
    expect(snapshot.reservations.filter((r) => r.reservation_status === 'pending').map((r) => r.sid).sort()).toEqual(ben.offers);
    for (const sid of ben.offers) expect(await agent.request({ type: 'reservation.accept', reservationSid: sid })).toMatchObject({ ok: true });
    expect(agent.invalid).toEqual([]);
    await terminate(hub);
    expect(await agent.closed).toBe(1001);

    ({ hub, client } = await start(options));
    expect(Object.values(await statuses(ben.worker))).toEqual(['accepted', 'accepted', 'accepted']);
    expect(Object.values(await statuses(ann.worker))).toEqual(['timeout', 'timeout', 'timeout']);
    await terminate(hub);
  }, 90_000);
});
