/**
 * Demo-only HTTP routes, registered only when the hub runs with the demo on: worker tokens minted
 * with the account's credentials for the demo agents, the dashboard's live state (JSON and SSE),
 * task creation for the dashboard's form, and the built pages and SDK bundles. Anyone who can
 * reach these routes acts with the account's power in the demo workspace: keep the demo off (or
 * bound to localhost) in production.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { fail, SwitchboardError } from '../../shared/errors.js';
import { createWorkerToken, type Credentials } from '../auth/tokens.js';
import type { WorkspaceEngine } from '../engine/engine.js';
import type { Hub } from '../hub.js';
import { dashboardState, eventView, RECENT_EVENTS, type EventView } from './dashboard-state.js';
import { DashboardStream } from './event-stream.js';
import { DEMO_WORKSPACE_NAME } from './seed.js';
import { findClientDir, sendFile } from './static-files.js';

/** What the demo routes need. */
export interface DemoDeps {
  hub: Hub;
  credentials: Credentials;
  /** The built browser files (default: `dist/client`, found next to the server). */
  clientDir?: string;
}

const TokenQuerySchema = z.object({
  worker: z.string().min(1, 'worker is required: a worker SID or friendly name').max(64),
  ttl: z.coerce.number().int().min(10).max(86_400).optional(),
});

const CreateTaskSchema = z.object({
  attributes: z.union([z.record(z.string(), z.unknown()), z.string().max(16_384)]).optional(),
  priority: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
  channel: z.string().max(64).optional(),
  timeout: z.coerce.number().int().min(1).max(1_209_600).optional(),
  workflow_sid: z.string().length(34).optional(),
});

function failWith(reply: FastifyReply, error: SwitchboardError): FastifyReply {
  return reply.code(error.status).type('application/json').send(error.toBody());
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'request'}: ${issue.message}` : 'Invalid request';
}

/** The registered demo routes. */
export interface DemoRoutes {
  /**
   * Ends the dashboards' event streams and stops listening to the hub. Call it first when the
   * server shuts down: an open stream would otherwise hold a graceful drain until its deadline.
   * (The app's `preClose` hook calls it too.)
   */
  close(): void;
}

/** Registers the demo routes on the hub's HTTP app (before it is ready). */
export function registerDemoRoutes(app: FastifyInstance, deps: DemoDeps): DemoRoutes {
  const { hub, credentials } = deps;
  const clientDir = deps.clientDir ?? findClientDir();
  const root = clientDir.replace(/\/+$/, '');
  const pagesDir = `${root}/pages`;
  const events: EventView[] = [];
  let backfilled: Promise<void> | undefined;

  const demo = (): WorkspaceEngine | undefined => {
    const all = hub.workspaces();
    return all.find((e) => e.state.workspace.friendlyName === DEMO_WORKSPACE_NAME) ?? all[0];
  };
  // Events from before this process started (a persistent store) come from the store, once.
  const backfill = () =>
    (backfilled ??= (async () => {
      const engine = demo();
      if (!engine) return;
      const stored = await hub.queryEvents({ workspaceSid: engine.state.workspace.sid, limit: RECENT_EVENTS });
      const known = new Set(events.map((e) => e.sid));
      events.push(...stored.map(eventView).filter((e) => !known.has(e.sid)));
      events.sort((a, b) => b.date - a.date);
      events.length = Math.min(events.length, RECENT_EVENTS);
    })());
  const state = () => {
    const engine = demo();
    return engine ? dashboardState(engine.state, hub.now(), events) : null;
  };
  const stream = new DashboardStream(state);

  const unsubscribe = hub.onEvent((event, engine) => {
    if (engine !== demo()) return undefined;
    events.unshift(eventView(event));
    if (events.length > RECENT_EVENTS) events.length = RECENT_EVENTS;
    return () => stream.changed();
  });
  const close = () => {
    unsubscribe();
    stream.close();
  };
  app.addHook('preClose', async () => close());

  app.get('/demo/workspace', async (_req, reply) => {
    const engine = demo();
    if (!engine) return failWith(reply, fail('NOT_FOUND', 'There is no demo workspace'));
    const s = engine.state;
    const workflow = [...s.workflows.values()].find((w) => w.friendlyName === 'Support') ?? s.workflows.values().next().value;
    return {
      workspace_sid: s.workspace.sid,
      friendly_name: s.workspace.friendlyName,
      workflow_sid: workflow?.sid ?? null,
      queues: [...s.taskQueues.values()].map((q) => ({ sid: q.sid, friendly_name: q.friendlyName, max_reserved_workers: q.maxReservedWorkers })),
      workers: [...s.workers.values()].map((w) => ({ sid: w.sid, friendly_name: w.friendlyName, activity_name: s.activities.get(w.activitySid)?.friendlyName ?? '' })),
      activities: [...s.activities.values()].map((a) => ({ sid: a.sid, friendly_name: a.friendlyName, available: a.available })),
      channels: [...s.taskChannels.values()].map((c) => c.uniqueName),
    };
  });

  app.get('/demo/token', async (req, reply) => {
    const query = TokenQuerySchema.safeParse(req.query);
    if (!query.success) return failWith(reply, fail('BAD_REQUEST', firstIssue(query.error)));
    const engine = demo();
    if (!engine) return failWith(reply, fail('NOT_FOUND', 'There is no demo workspace'));
    const wanted = query.data.worker;
    const workers = engine.state.workers;
    const worker = workers.get(wanted) ?? [...workers.values()].find((w) => w.friendlyName.toLowerCase() === wanted.toLowerCase());
    if (!worker) return failWith(reply, fail('NOT_FOUND', `No worker ${wanted} in the demo workspace`));
    const ttl = query.data.ttl ?? 3600;
    const issuedAt = Math.floor(hub.now() / 1000);
    const token = await createWorkerToken({ credentials, workspaceSid: worker.workspaceSid, workerSid: worker.sid, ttl, now: issuedAt });
    reply.header('cache-control', 'no-store');
    return {
      token,
      worker_sid: worker.sid,
      workspace_sid: worker.workspaceSid,
      friendly_name: worker.friendlyName,
      expires_at: new Date((issuedAt + ttl) * 1000).toISOString(),
    };
  });

  app.get('/demo/state', async (_req, reply) => {
    await backfill();
    const current = state();
    if (!current) return failWith(reply, fail('NOT_FOUND', 'There is no demo workspace'));
    reply.header('cache-control', 'no-store');
    return current;
  });

  app.get('/demo/stream', async (req, reply) => {
    await backfill();
    reply.hijack();
    stream.open(reply.raw);
    req.raw.on('close', () => reply.raw.end());
  });

  app.post('/demo/tasks', async (req, reply) => {
    const body = CreateTaskSchema.safeParse(req.body ?? {});
    if (!body.success) return failWith(reply, fail('BAD_REQUEST', firstIssue(body.error)));
    const engine = demo();
    if (!engine) return failWith(reply, fail('NOT_FOUND', 'There is no demo workspace'));
    const s = engine.state;
    const { attributes, priority, channel, timeout, workflow_sid } = body.data;
    const workflow = workflow_sid ?? ([...s.workflows.values()].find((w) => w.friendlyName === 'Support') ?? s.workflows.values().next().value)?.sid;
    const outcome = await hub.dispatch(s.workspace.sid, {
      type: 'task.create',
      attributes: typeof attributes === 'string' ? attributes : JSON.stringify(attributes ?? {}),
      ...(workflow ? { workflowSid: workflow } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(channel ? { taskChannel: channel } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
    });
    if (!outcome.ok) return failWith(reply, outcome.error);
    const task = outcome.value as { sid: string; assignmentStatus: string };
    return reply.code(201).send({ sid: task.sid, assignment_status: task.assignmentStatus });
  });

  // The pages and the SDK bundles.
  const plain = { builtMarker: `${pagesDir}/index.html` };
  app.get('/', (_req, reply) => sendFile(reply, pagesDir, 'index.html', plain));
  app.get('/index.html', (_req, reply) => sendFile(reply, pagesDir, 'index.html', plain));
  app.get('/agent.html', (_req, reply) => sendFile(reply, pagesDir, 'agent.html', plain));
  app.get('/assets/*', (req, reply) => sendFile(reply, `${pagesDir}/assets`, (req.params as { '*': string })['*'], { ...plain, immutable: true }));
  for (const file of ['switchboard.iife.js', 'switchboard.iife.js.map', 'switchboard.js', 'switchboard.js.map']) {
    app.get(`/${file}`, (_req, reply) => sendFile(reply, root, file, { builtMarker: `${root}/switchboard.iife.js` }));
  }
  return { close };
}
