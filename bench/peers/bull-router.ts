/**
 * Baseline 2, the router a Node team would build without Switchboard: REST task creation over
 * Node's http, one BullMQ queue (and worker) per task queue holding the tasks durably in Redis,
 * an atomic Lua claim of the longest-idle matching agents, offers pushed over socket.io, the first
 * accept winning (Lua), the others rescinded, reservation timeouts re-queueing the task.
 *
 * Bench child process: `ready` carries the URL; `setup` creates the queues; Redis comes from
 * `REDIS_PORT`.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { serve } from '../lib/ipc.js';
import { statsHandlers } from '../lib/process-stats.js';
import { OfferBook, type RoutedTask } from './bull-offers.js';
import { routerScripts } from './bull-scripts.js';

/** A task queue's settings. */
interface QueueConfig {
  name: string;
  /** Agents offered each task at once (1..50). */
  maxReserved: number;
}

const connection = { host: '127.0.0.1', port: Number(process.env['REDIS_PORT'] ?? 6379), maxRetriesPerRequest: null };
const redis = new Redis(connection);
const scripts = routerScripts(redis);
const queues = new Map<string, { queue: Queue; worker: Worker; config: QueueConfig }>();
/** Jobs a queue's worker processes at once (each waits for an idle agent when none is). */
const CONCURRENCY = Number(process.env['BULL_CONCURRENCY'] ?? 256);

function enqueue(task: RoutedTask): Promise<Job> {
  const q = queues.get(task.queue);
  if (!q) throw new Error(`no queue ${task.queue}`);
  return q.queue.add('task', task, { removeOnComplete: true, removeOnFail: 1000 });
}

/** Claims agents for a task (waiting for one when every agent is busy) and offers it. */
async function route(job: Job<RoutedTask>): Promise<void> {
  const task = job.data;
  const config = queues.get(task.queue)?.config;
  if (!config) return;
  for (;;) {
    const agents = await scripts.claim(task.queue, task.taskId, config.maxReserved, Date.now());
    if (agents.length > 0) return book.offer(task, agents);
    await book.waitForAgent(task.queue, 1000);
  }
}

function setupQueue(config: QueueConfig): void {
  const existing = queues.get(config.name);
  if (existing) {
    existing.config = config;
    return;
  }
  const queue = new Queue<RoutedTask>(config.name, { connection });
  const worker = new Worker<RoutedTask>(config.name, route, { connection, concurrency: CONCURRENCY });
  worker.on('error', () => undefined);
  queues.set(config.name, { queue, worker, config });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** `POST /tasks` {queue, attributes}: 201 once the task is a job in Redis. */
function createTask(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== 'POST' || req.url !== '/tasks') return reply(res, 404, { error: 'not found' });
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let input: { queue?: unknown; attributes?: unknown };
    try {
      input = JSON.parse(Buffer.concat(chunks).toString()) as typeof input;
    } catch {
      return reply(res, 400, { error: 'invalid JSON' });
    }
    if (typeof input.queue !== 'string' || !queues.has(input.queue)) return reply(res, 400, { error: 'unknown queue' });
    const task: RoutedTask = { taskId: 'T' + randomBytes(12).toString('hex'), queue: input.queue, attributes: JSON.stringify(input.attributes ?? {}) };
    enqueue(task).then(
      () => reply(res, 201, { task_id: task.taskId, status: 'pending' }),
      () => reply(res, 503, { error: 'queue unavailable' }),
    );
  });
}

const server = http.createServer(createTask);
const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
const book = new OfferBook(io, scripts, (task) => enqueue(task));

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { agentId?: unknown; queues?: unknown };
  if (typeof auth.agentId !== 'string' || !Array.isArray(auth.queues)) return void socket.disconnect(true);
  book.join(socket, auth.agentId, auth.queues.map(String)).then(
    () => socket.emit('ready', { agentId: auth.agentId }),
    () => socket.disconnect(true),
  );
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serve(
    {
      ...statsHandlers(),
      setup: (args) => {
        for (const config of args['queues'] as QueueConfig[]) setupQueue(config);
        if (typeof args['frameBytes'] === 'number') book.frameBytes = args['frameBytes'];
        if (typeof args['reservationTimeoutMs'] === 'number') book.reservationTimeoutMs = args['reservationTimeoutMs'];
      },
      connected: () => book.agents,
      stop: async () => {
        io.close();
        await Promise.all([...queues.values()].map(async (q) => (await q.worker.close(true), await q.queue.close())));
        redis.disconnect();
        setTimeout(() => process.exit(0), 10);
      },
    },
    { url: `http://127.0.0.1:${port}` },
  );
});
