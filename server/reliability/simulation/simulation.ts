import { createHash, type Hash } from 'node:crypto';
import type { SidPrefix } from '../../../shared/sid.js';
import type { EventRecord } from '../../engine/model.js';
import { InvariantChecker } from '../../engine/test-support/invariants.js';
import { Hub } from '../../hub.js';
import { Agenda } from './agenda.js';
import { Prng } from './prng.js';
import { SimAgent } from './sim-agent.js';
import { SimDisk, type DiskFaults, type SimStore, type SyncPolicy } from './sim-disk.js';
import { SimLedger } from './sim-ledger.js';
import { SimOperator } from './sim-operator.js';
import type { LinkFaults, LinkStats } from './sim-link.js';
import { SimSockets, type SimNetwork } from './sim-sockets.js';
import { setUpWorkspace, type SimWorkspace } from './sim-workspace.js';
import { VirtualTimers } from './virtual-timers.js';

/** Where virtual time starts: a fixed instant, so runs repeat to the millisecond. */
const EPOCH = Date.UTC(2026, 0, 5, 9, 0, 0);
const ACCOUNT = `AC${'5'.repeat(32)}`;

/** What to simulate. */
export interface SimulationOptions {
  seed: number;
  /** Virtual time to run, in ms. */
  durationMs: number;
  /** Simulated agents (default 10). */
  agents?: number;
  /** Default `sync-then-ack`, as the shipped store; `ack-then-sync` is deliberately unsafe. */
  policy?: SyncPolicy;
  /** Deliberately broken: the hub's timers never fire (offers never time out). */
  deafTimers?: boolean;
  link?: Partial<LinkFaults>;
  disk?: Partial<DiskFaults>;
  /** Mean virtual time between crashes of the hub process. */
  crashEveryMs?: number;
}

/** What a run did and found. */
export interface SimulationResult {
  seed: number;
  /** SHA-256 of the committed event log (and the crash and restart marks), as hex. */
  hash: string;
  events: number;
  virtualMs: number;
  wallMs: number;
  crashes: number;
  /** Crashes by cause: at a random moment, with a commit under way, after a failed write. */
  crashCauses: Record<string, number>;
  restarts: number;
  disconnects: number;
  link: LinkStats;
  disk: SimDisk['stats'];
  acknowledged: { tasks: number; accepts: number; completions: number };
  /** Committed reservation events by type (`reservation.created`, `reservation.timeout`, ...). */
  reservations: Record<string, number>;
  unanswered: number;
  refusals: Record<string, number>;
  /** Instants at which the invariants were checked. */
  checks: number;
  /** Broken invariants (the first few of each run), with the virtual time. */
  violations: string[];
  violationCount: number;
  /** Acknowledged changes a restart no longer showed, each named once. */
  losses: string[];
}

const DEFAULT_LINK: LinkFaults = { latencyMs: [1, 120], dropRate: 0.01, duplicateRate: 0.01 };
const DEFAULT_DISK: DiskFaults = { writeMs: [0, 4], writebackMs: [200, 3_000], failRate: 0.0005 };

/** Lets the hub's promises and `setImmediate` hops run; nothing the simulation depends on runs in between, so the order is fixed. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A deterministic simulation of the hub: the real `Hub` and engine on a virtual clock and
 * timers, seeded SIDs, a simulated disk, and simulated agents behind faulty links that speak to
 * it through the socket layer's command handlers. Everything random comes from one seed, and
 * nothing else runs in between, so a seed replays exactly.
 */
export class Simulation {
  private readonly agenda = new Agenda(EPOCH);
  private readonly prng: Prng;
  private readonly ids: Prng;
  private readonly network: SimNetwork;
  private readonly disk: SimDisk;
  private readonly ledger = new SimLedger();
  private readonly log: Hash = createHash('sha256');
  private readonly agents: SimAgent[] = [];
  private readonly losses = new Set<string>();
  private readonly violations: string[] = [];
  private hub: Hub | null = null;
  private store: SimStore | null = null;
  private timers: VirtualTimers | null = null;
  private sockets: SimSockets | null = null;
  private checker = new InvariantChecker();
  private generation = 0;
  private crashMidWrite = false;
  /** Commands the hub ran since the last check (requests, REST calls, timers, a start). */
  private steps = 0;
  private readonly crashCauses = new Map<string, number>();
  private readonly reservationEvents = new Map<string, number>();
  private world: SimWorkspace | undefined;
  private counts = { events: 0, crashes: 0, restarts: 0, disconnects: 0, checks: 0, violations: 0 };

  constructor(private readonly options: SimulationOptions) {
    this.prng = new Prng(options.seed);
    this.ids = this.prng.fork();
    const stats: LinkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, cutOff: 0 };
    this.network = { agenda: this.agenda, prng: this.prng.fork(), faults: { ...DEFAULT_LINK, ...options.link }, stats };
    this.disk = new SimDisk(options.policy ?? 'sync-then-ack', { ...DEFAULT_DISK, ...options.disk }, this.agenda, this.prng.fork());
  }

  /** Runs the simulation to its end and reports. */
  async run(): Promise<SimulationResult> {
    const started = performance.now();
    await this.drive(this.startHub());
    const world = await setUpWorkspace(this.hub!, this.prng, this.options.agents ?? 10, (p) => this.drive(p));
    this.world = world;
    this.disk.failuresArmed = true;
    this.sockets = this.openSockets(this.hub!);
    const activities = { available: world.available, unavailable: world.unavailable };
    for (const workerSid of world.workers) {
      const agent = new SimAgent(workerSid, { agenda: this.agenda, prng: this.prng.fork(), ledger: this.ledger, connect: (a) => this.sockets?.connect(a) ?? null, activities });
      this.agents.push(agent);
      agent.start();
    }
    const operator = new SimOperator(world, this.prng.fork(), this.ledger, () => this.hub, () => (this.steps += 1));
    this.every([1_000, 8_000], () => operator.createTask());
    this.every([20_000, 120_000], () => operator.cancelTask());
    this.every([300_000, 900_000], () => operator.editQueue());
    this.every([5_000, 60_000], () => this.disconnectSomeone());
    const crashEvery = this.options.crashEveryMs ?? 600_000;
    // Half the crashes wait for a commit to be under way, so they cut one off before its sync.
    this.every([crashEvery / 4, (crashEvery * 7) / 4], () => (this.prng.chance(0.5) ? this.crash('crash') : (this.crashMidWrite = true)));

    const end = EPOCH + this.options.durationMs;
    while (this.agenda.peekTime() <= end) {
      this.agenda.pop()!.run();
      await settle();
      if (this.crashMidWrite && this.store?.writing) {
        this.crashMidWrite = false;
        this.crash('crash mid-write');
      }
      // Invariants hold between instants (every happening of this millisecond has run), after any step.
      if (this.steps > 0 && this.agenda.peekTime() > this.agenda.now) this.check();
    }
    this.stop();
    return {
      seed: this.options.seed,
      hash: this.log.digest('hex'),
      events: this.counts.events,
      virtualMs: this.agenda.now - EPOCH,
      wallMs: performance.now() - started,
      crashes: this.counts.crashes,
      crashCauses: Object.fromEntries([...this.crashCauses].sort()),
      restarts: this.counts.restarts,
      disconnects: this.counts.disconnects,
      link: { ...this.network.stats },
      disk: { ...this.disk.stats },
      acknowledged: { tasks: this.ledger.tasks.size, accepts: this.ledger.accepts.size, completions: this.ledger.completions },
      reservations: Object.fromEntries([...this.reservationEvents].sort()),
      unanswered: this.ledger.unanswered,
      refusals: Object.fromEntries([...this.ledger.refusals].sort()),
      checks: this.counts.checks,
      violations: this.violations,
      violationCount: this.counts.violations,
      losses: [...this.losses],
    };
  }

  /** Runs the agenda until `promise` settles (setting up needs commits, and commits need the disk's time). */
  private async drive<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await settle();
    while (!settled) {
      const next = this.agenda.pop();
      if (!next) throw new Error('The simulation stalled while setting up');
      next.run();
      await settle();
    }
    return promise;
  }

  /** Runs `fn` again and again, a random time in `[min, max]` apart. */
  private every([min, max]: readonly [number, number], fn: () => void): void {
    this.agenda.after(this.prng.int(min, max), () => {
      fn();
      this.every([min, max], fn);
    });
  }

  private mark(line: string): void {
    this.log.update(`${this.agenda.now} ${line}\n`);
  }

  /** Opens a hub on what the disk holds, as a process start does; it serves once open. */
  private async startHub(): Promise<void> {
    const generation = this.generation;
    const store = await this.disk.mount();
    this.store = store;
    const hub = await Hub.open({
      store,
      accountSid: ACCOUNT,
      now: () => this.agenda.now,
      ids: (prefix: SidPrefix) => prefix + hex32(this.ids),
      timers: (_now, fire) =>
        (this.timers = new VirtualTimers(this.agenda, (key) => {
          this.steps += 1;
          if (!this.options.deafTimers) fire(key);
        })),
      eventRetentionMs: Number.POSITIVE_INFINITY,
      onFatal: () => this.crash('disk failure'),
    });
    if (generation !== this.generation) return; // It crashed while opening.
    this.hub = hub;
    if (this.world) this.sockets = this.openSockets(hub);
    this.steps += 1;
    this.counts.restarts += 1;
    this.mark('up');
    hub.onEvent((event) => () => this.committed(event, generation));
    this.checker = new InvariantChecker();
    for (const engine of hub.workspaces()) {
      this.checker.observe(engine.state);
      for (const lost of this.ledger.lostIn(engine.state)) this.losses.add(lost);
    }
  }

  /** The socket endpoint of a hub process; every command through it counts as a step. */
  private openSockets(hub: Hub): SimSockets {
    return new SimSockets(hub, this.world!.ws, this.network, () => (this.steps += 1));
  }

  /** An event is durable: it goes into the log and, if it concerns a connected agent, to its link. */
  private committed(event: EventRecord, generation: number): void {
    if (generation !== this.generation) return;
    this.counts.events += 1;
    this.log.update(`${event.date} ${event.eventType} ${event.resourceSid} ${event.sid}\n`);
    const taskSid = event.data['task_sid'];
    if (typeof taskSid === 'string' && (event.eventType === 'task.completed' || event.eventType === 'task.canceled' || event.eventType === 'task.deleted')) {
      this.ledger.ended.add(taskSid);
    }
    if (event.eventType.startsWith('reservation.')) this.reservationEvents.set(event.eventType, (this.reservationEvents.get(event.eventType) ?? 0) + 1);
    this.sockets?.push(event);
  }

  /** The process dies: unsynced writes are lost, links drop, and a new process starts a little later. */
  private crash(reason: string): void {
    if (!this.store) return;
    this.generation += 1;
    this.counts.crashes += 1;
    this.crashCauses.set(reason, (this.crashCauses.get(reason) ?? 0) + 1);
    this.mark(reason);
    this.store.crash();
    this.timers?.kill();
    const hub = this.hub;
    this.hub = null;
    this.store = null;
    this.sockets?.close();
    this.sockets = null;
    // Stops its purge interval; its last flush waits forever on the dead store, or fails with it.
    hub?.close().catch(() => undefined);
    // A start whose commit fails has crashed again (onFatal), and that schedules the next start.
    this.agenda.after(this.prng.int(500, 10_000), () => void this.startHub().catch(() => undefined));
  }

  /** Ends the run: the last process stops without a trace (its purge interval included). */
  private stop(): void {
    this.generation += 1;
    this.store?.crash();
    this.timers?.kill();
    this.sockets?.close();
    this.hub?.close().catch(() => undefined);
    this.hub = null;
    this.store = null;
  }

  private disconnectSomeone(): void {
    const connected = this.agents.filter((a) => a.connected);
    if (connected.length === 0) return;
    this.counts.disconnects += 1;
    this.prng.pick(connected).disconnect();
  }

  /** Checks every invariant on the live state (skipped while the hub is down). */
  private check(): void {
    if (!this.hub) return;
    this.steps = 0;
    for (const engine of this.hub.workspaces()) {
      this.counts.checks += 1;
      const problems = this.checker.check(engine.state, this.agenda.now, { timersFired: true });
      this.counts.violations += problems.length;
      for (const p of problems) if (this.violations.length < 20) this.violations.push(`t+${((this.agenda.now - EPOCH) / 1_000).toFixed(3)} s: ${p}`);
    }
  }
}

/** 32 hex digits from the generator: a SID's random part. */
function hex32(prng: Prng): string {
  let out = '';
  for (let i = 0; i < 4; i += 1) out += prng.nextUint32().toString(16).padStart(8, '0');
  return out;
}

/** Runs one seeded simulation. */
export function simulate(options: SimulationOptions): Promise<SimulationResult> {
  return new Simulation(options).run();
}
