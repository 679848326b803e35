/**
 * The generator side of a run, from the parent: several fleet processes holding the agents (spread
 * so none passes the open-file limit, each connecting from its own 127.0.0.x address) and one task
 * source process, all pinned to the generator core. Merges what they measured.
 */
import type { BehaviorConfig } from './agent-behavior.js';
import type { AgentSpec, ConnectTarget } from './agent.js';
import type { FleetReport } from './fleet-recorder.js';
import type { SourceProgress, SourceResult } from './task-source.js';
import type { TaskRequestSpec } from './task-requests.js';
import { Child } from '../lib/ipc.js';
import type { ProcessStats } from '../lib/process-stats.js';

/** A fleet's report with its process figures. */
export type FleetResult = FleetReport & { stats: ProcessStats; offerFrameBytes: number };

/** Agents per fleet process (well under the 20,000 open files a process may hold). */
export const AGENTS_PER_FLEET = 5000;

/** The generator processes of one system's runs. */
export class Generators {
  private readonly fleets: Child[] = [];
  private readonly sizes: number[] = [];
  private readonly specs: AgentSpec[][] = [];
  private source: Child | undefined;
  /** The client the agents connect with (a connector name of gen/fleet.ts). */
  private client: string;

  constructor(
    private readonly core: number | undefined,
    system: string,
    private readonly target: ConnectTarget,
    private readonly perFleet = AGENTS_PER_FLEET,
  ) {
    this.client = system;
  }

  /** Starts the task source, so a run's schedule never waits for a process to boot. */
  async start(): Promise<this> {
    this.source ??= await this.spawn('gen/task-source.ts', 'task-source');
    return this;
  }

  /** Connected agents. */
  get agents(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  /** Connects `specs`, filling fleets up to `perFleet` agents and starting new ones as needed. */
  async connect(specs: AgentSpec[], parallel = 200): Promise<{ connected: number; failed: number; firstError?: string; ms: number }> {
    const started = performance.now();
    const work: Array<Promise<{ connected: number; failed: number; firstError?: string }>> = [];
    let rest = specs;
    while (rest.length > 0) {
      let i = this.sizes.findIndex((n) => n < this.perFleet);
      if (i < 0) i = await this.spawnFleet();
      const take = rest.slice(0, this.perFleet - this.sizes[i]!);
      rest = rest.slice(take.length);
      this.sizes[i] = this.sizes[i]! + take.length;
      this.specs[i]!.push(...take);
      work.push(this.fleets[i]!.request('connect', { system: this.client, agents: take, target: this.targetOf(i), parallel }));
    }
    const results = await Promise.all(work);
    const failed = results.reduce((a, r) => a + r.failed, 0);
    const firstError = results.find((r) => r.firstError)?.firstError;
    return { connected: specs.length - failed, failed, ...(firstError ? { firstError } : {}), ms: Math.round(performance.now() - started) };
  }

  /**
   * Reconnects every agent with another client (e.g. `hub-lean` for saturation runs); the agents
   * keep their identities. Resolves once all are connected again.
   */
  async useClient(client: string, parallel = 200): Promise<void> {
    if (client === this.client) return;
    this.client = client;
    await Promise.all(this.fleets.map((f) => f.request('close')));
    const results = await Promise.all(
      this.fleets.map((f, i) => f.request<{ failed: number; firstError?: string }>('connect', { system: client, agents: this.specs[i], target: this.targetOf(i), parallel })),
    );
    const failed = results.reduce((a, r) => a + r.failed, 0);
    if (failed > 0) throw new Error(`${failed} agents failed to reconnect as ${client}: ${results.find((r) => r.firstError)?.firstError}`);
  }

  /** Sets every agent's behaviour. */
  async behave(config: Partial<BehaviorConfig>): Promise<void> {
    await Promise.all(this.fleets.map((f) => f.request('behavior', config)));
  }

  /** Opens a measurement window on every fleet. */
  async measure(fromUs: number, trackRescinds: boolean): Promise<void> {
    await Promise.all(this.fleets.map((f) => f.request('measure', { fromUs, trackRescinds })));
  }

  /** Starts CPU profiles of the fleet processes. */
  async startProfiles(): Promise<void> {
    await Promise.all(this.fleets.map((f) => f.request('profile.start')));
  }

  /** Stops them, writing `<prefix>-fleet-<i>.cpuprofile`. */
  async stopProfiles(prefix: string): Promise<void> {
    await Promise.all(this.fleets.map((f, i) => f.request('profile.stop', { file: `${prefix}-fleet-${i}.cpuprofile` })));
  }

  /**
   * Waits until the agents have seen no offer or answer for `quietMs` (the system has no backlog
   * left), at most `capMs`; resolves with how long it waited and whether it got quiet.
   */
  async drain(quietMs = 1000, capMs = 30_000): Promise<{ ms: number; quiet: boolean }> {
    const started = performance.now();
    const activity = async () => (await Promise.all(this.fleets.map((f) => f.request<number>('activity')))).reduce((a, b) => a + b, 0);
    let last = await activity();
    while (performance.now() - started < capMs) {
      await new Promise((r) => setTimeout(r, quietMs));
      const now = await activity();
      if (now === last) return { ms: Math.round(performance.now() - started), quiet: true };
      last = now;
    }
    return { ms: Math.round(performance.now() - started), quiet: false };
  }

  /** Every fleet's report of the window. */
  reports(): Promise<FleetResult[]> {
    return Promise.all(this.fleets.map((f) => f.request<FleetResult>('report')));
  }

  /** Every fleet's report of the window, each opening the next window at once (a soak's slices). */
  roll(): Promise<FleetResult[]> {
    return Promise.all(this.fleets.map((f) => f.request<FleetResult>('roll')));
  }

  /** The open-loop source's counters so far, while it runs. */
  async sourceProgress(): Promise<SourceProgress> {
    await this.start();
    return this.source!.request<SourceProgress>('progress');
  }

  /** Runs the task source (open loop `run` or closed loop `closed`). */
  async runSource(mode: 'run' | 'closed', spec: TaskRequestSpec, args: Record<string, unknown>): Promise<SourceResult> {
    await this.start();
    return this.source!.request<SourceResult>(mode, { url: this.target.url, localAddress: '127.0.0.200', spec, ...args });
  }

  /** Disconnects every agent and stops the processes. */
  async close(): Promise<void> {
    await Promise.all(this.fleets.map((f) => f.request('close').catch(() => undefined)));
    await Promise.all([...this.fleets, ...(this.source ? [this.source] : [])].map((c) => c.stop()));
  }

  private targetOf(fleet: number): ConnectTarget {
    return { ...this.target, localAddress: `127.0.0.${2 + fleet}` };
  }

  private async spawnFleet(): Promise<number> {
    this.fleets.push(await this.spawn('gen/fleet.ts', `fleet-${this.fleets.length}`));
    this.sizes.push(0);
    this.specs.push([]);
    return this.fleets.length - 1;
  }

  private async spawn(module: string, name: string): Promise<Child> {
    const child = new Child({ module, name, core: this.core, nodeArgs: ['--max-old-space-size=4096'] });
    await child.ready;
    return child;
  }
}
