/**
 * A test hub in its own process, for runs too big to share one with their clients (10,000 sockets
 * on each side would pass one process's open-file limit). Run with `node --import tsx` and an IPC
 * channel: it seeds a workspace with WORKERS available workers (MaxReservedWorkers 5), sends
 * `{ ready }` with the URL and every worker's token, then answers requests `{ id, cmd }`:
 * - `drop`: moves every 7th worker to Unavailable and creates TASKS tasks, then, in the same tick
 *   (before the commit, so no page hears of it as a push), resets every TCP connection of its
 *   server at once; replies once the changes are committed;
 * - `stats`: the socket endpoint's counters;
 * - `stop`: closes the hub and exits.
 */
import type net from 'node:net';
import { seedWorkspace } from '../../http/test-harness.js';
import { startSocketHarness } from '../../ws/ws-test-client.js';

/** What the process sends once ready. */
export interface HubProcessReady {
  url: string;
  workspaceSid: string;
  accountSid: string;
  authToken: string;
  workers: Array<{ sid: string; token: string }>;
}

const WORKERS = Number(process.env['WORKERS'] ?? 1000);
const TASKS = Number(process.env['TASKS'] ?? 100);
const send = process.send?.bind(process);
if (!send) throw new Error('hub-process runs as a child with an IPC channel');

// High enough that a reconnect storm is never refused by the per-socket or connection limits.
const { h, sockets } = await startSocketHarness({ messagesPerSecond: 1000 });
const connections = new Set<net.Socket>();
h.running.server.on('connection', (socket: net.Socket) => {
  connections.add(socket);
  socket.once('close', () => connections.delete(socket));
});

const seed = await seedWorkspace(h, { workers: 0, maxReservedWorkers: 5 });
const wsSid: string = seed.ws.sid;
const activities: any[] = (await h.request('GET', `/v1/Workspaces/${wsSid}/Activities`)).body.activities;
const unavailable: string = activities.find((a) => a.friendly_name === 'Unavailable').sid;
const workerSids: string[] = [];
for (let i = 0; i < WORKERS; i += 1) {
  const created = h.hub.dispatchNow(wsSid, { type: 'worker.create', friendlyName: `agent-${i}`, activitySid: seed.available.sid });
  if (!created.ok) throw new Error(created.error.message);
  workerSids.push((created.value as { sid: string }).sid);
}
await h.hub.flush();
const workers = await Promise.all(workerSids.map(async (sid) => ({ sid, token: await h.token(wsSid, sid, { ttl: 3600 }) })));

const handlers: Record<string, () => unknown> = {
  drop: async () => {
    // The changes come first: the pages learn of the drop only once the hub is free to take them back.
    for (let i = 0; i < workerSids.length; i += 7) h.hub.dispatchNow(wsSid, { type: 'worker.update', sid: workerSids[i]!, activitySid: unavailable });
    for (let i = 0; i < TASKS; i += 1) h.hub.dispatchNow(wsSid, { type: 'task.create', workflowSid: seed.workflow.sid, attributes: JSON.stringify({ n: i }) });
    let dropped = 0;
    for (const socket of connections) {
      socket.resetAndDestroy();
      dropped += 1;
    }
    await h.hub.flush();
    return { dropped };
  },
  stats: () => sockets.stats(),
  stop: async () => {
    await h.close();
    setTimeout(() => process.exit(0), 10);
  },
};

process.on('message', (m: { id: number; cmd: string }) => {
  Promise.resolve()
    .then(() => handlers[m.cmd]?.())
    .then(
      (result) => send({ id: m.id, ok: true, result: result ?? null }),
      (error: unknown) => send({ id: m.id, ok: false, error: String(error) }),
    );
});
process.on('disconnect', () => process.exit(0));
send({ ready: { url: h.url, workspaceSid: wsSid, accountSid: h.credentials.accountSid, authToken: h.credentials.authToken, workers } satisfies HubProcessReady });
