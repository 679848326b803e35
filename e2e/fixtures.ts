/**
 * Playwright fixtures: a real hub per test (port 0, in-memory store, demo seeded) that is closed
 * after it, agent pages each in their own browser context (one agent = one browser profile), the
 * dashboard, and a small REST client with the account's credentials for arranging and checking.
 */
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../server/server.js';

/** What `GET /demo/workspace` answers. */
export interface DemoWorkspace {
  workspace_sid: string;
  workflow_sid: string;
  queues: Array<{ sid: string; friendly_name: string }>;
  workers: Array<{ sid: string; friendly_name: string }>;
  activities: Array<{ sid: string; friendly_name: string; available: boolean }>;
  channels: string[];
}

/** A running demo hub and the REST calls tests use to arrange and check. */
export class DemoHub {
  constructor(
    readonly running: RunningServer,
    readonly demo: DemoWorkspace,
  ) {}

  get url(): string {
    return this.running.url;
  }

  /** A demo worker's SID by name. */
  workerSid(name: string): string {
    const worker = this.demo.workers.find((w) => w.friendly_name === name);
    if (!worker) throw new Error(`No demo worker ${name}`);
    return worker.sid;
  }

  /** An activity's SID by name. */
  activitySid(name: string): string {
    const activity = this.demo.activities.find((a) => a.friendly_name === name);
    if (!activity) throw new Error(`No activity ${name}`);
    return activity.sid;
  }

  /** A REST call under the demo workspace, authenticated as the account; throws on an error status. */
  async rest(method: 'GET' | 'POST', path: string, params: Record<string, string | number> = {}): Promise<any> {
    const { accountSid, authToken } = this.running.credentials;
    const url = new URL(`${this.url}/v1/Workspaces/${this.demo.workspace_sid}${path}`);
    const form = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
    if (method === 'GET') form.forEach((v, k) => url.searchParams.append(k, v));
    const response = await fetch(url, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
      ...(method === 'POST' ? { body: form } : {}),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Creates a task through the demo workflow; resolves with its JSON. */
  createTask(attributes: Record<string, unknown>, options: { priority?: number; channel?: string } = {}): Promise<any> {
    return this.rest('POST', '/Tasks', {
      WorkflowSid: this.demo.workflow_sid,
      Attributes: JSON.stringify(attributes),
      ...(options.priority !== undefined ? { Priority: options.priority } : {}),
      ...(options.channel ? { TaskChannel: options.channel } : {}),
    });
  }

  /** A task's reservations. */
  async reservationsOf(taskSid: string): Promise<Array<{ sid: string; worker_name: string; reservation_status: string }>> {
    return (await this.rest('GET', `/Tasks/${taskSid}/Reservations`)).reservations;
  }

  /** Sets a worker's activity by names. */
  setActivity(worker: string, activity: string): Promise<unknown> {
    return this.rest('POST', `/Workers/${this.workerSid(worker)}`, { ActivitySid: this.activitySid(activity) });
  }

  /** A worker's current activity name. */
  async activityOf(worker: string): Promise<string> {
    return (await this.rest('GET', `/Workers/${this.workerSid(worker)}`)).activity_name;
  }

  /** Shortens (or lengthens) the demo workflow's reservation timeout. */
  setReservationTimeout(seconds: number): Promise<unknown> {
    return this.rest('POST', `/Workflows/${this.demo.workflow_sid}`, { TaskReservationTimeout: seconds });
  }
}

/** Options of an agent page. */
export interface AgentOptions {
  /** Runs on the new page before it navigates (to route its WebSocket, for example). */
  before?: (page: Page, context: BrowserContext) => Promise<void>;
}

interface Fixtures {
  hub: DemoHub;
  /** Opens `/agent.html?worker=<name>` in a fresh browser context and waits until it is connected. */
  openAgent: (name: string, options?: AgentOptions) => Promise<Page>;
  /** Opens the dashboard in a fresh browser context and waits for its live feed. */
  openDashboard: () => Promise<Page>;
}

export const test = base.extend<Fixtures>({
  hub: async ({}, use) => {
    const running = await startServer(
      { port: 0, host: '127.0.0.1', data: ':memory:', demo: true, logLevel: 'silent' },
      { logRequests: false, closeGraceMs: 1000 },
    );
    try {
      const response = await fetch(`${running.url}/demo/workspace`);
      if (!response.ok) throw new Error(`GET /demo/workspace -> ${response.status}: is the demo wired into startServer?`);
      await use(new DemoHub(running, (await response.json()) as DemoWorkspace));
    } finally {
      await running.close();
    }
  },

  openAgent: async ({ browser, hub }, use) => {
    const contexts: BrowserContext[] = [];
    const errors: string[] = [];
    await use(async (name, options = {}) => {
      const context = await browser.newContext({ baseURL: hub.url });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
      await options.before?.(page, context);
      await page.goto(`/agent.html?worker=${encodeURIComponent(name)}`);
      await expect(page.getByTestId('connection')).toHaveText('Connected');
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
      return page;
    });
    for (const context of contexts) await context.close();
    expect(errors, 'uncaught errors in agent pages').toEqual([]);
  },

  openDashboard: async ({ browser, hub }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async () => {
      const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1360, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto('/');
      await expect(page.getByTestId('live')).toHaveText('Live');
      return page;
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };

/** The offer cards of an agent page. */
export const offers = (page: Page) => page.getByTestId('offer');

/** The ended-offer notice of a kind (`rescinded`, `timeout`, `rejected`, `canceled`, `completed`). */
export const ended = (page: Page, kind: string) => page.locator(`[data-testid="ended"][data-kind="${kind}"]`);

/** The activity switch's button for an activity. */
export const activity = (page: Page, name: string) => page.getByRole('radio', { name, exact: true });
