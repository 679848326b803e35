/**
 * A system under test with its generators and connected agents, for the length of a phase. A run
 * that leaves a backlog (the system could not keep up) would leak into the next scenario, so the
 * session can start over: a fresh system, fresh generators, the same number of agents.
 */
import { Generators } from './gen/generators.js';
import { startBullSystem } from './systems/bull-system.js';
import { startHubSystem } from './systems/hub-system.js';
import { startRawSystem } from './systems/raw-system.js';
import type { StartChoices, SystemName, SystemUnderTest } from './systems/system.js';

/** Where things run. */
export interface Placement {
  serverCore: number | undefined;
  generatorCore: number | undefined;
  profileDir?: string | undefined;
  /** Agents per generator process (default `AGENTS_PER_FLEET`). */
  agentsPerFleet?: number | undefined;
}

const STARTERS: Record<SystemName, (choices: StartChoices) => Promise<SystemUnderTest>> = {
  hub: startHubSystem,
  raw: startRawSystem,
  bull: startBullSystem,
};

/** A running system and its generators. */
export class PhaseSession {
  private constructor(
    readonly name: SystemName,
    private readonly placement: Placement,
    private readonly frameBytes: number,
    public system: SystemUnderTest,
    public gens: Generators,
  ) {}

  /** Starts a system (no agents yet) and its task source. */
  static async open(name: SystemName, placement: Placement, frameBytes: number): Promise<PhaseSession> {
    const [system, gens] = await PhaseSession.start(name, placement, frameBytes);
    return new PhaseSession(name, placement, frameBytes, system, gens);
  }

  private static async start(name: SystemName, placement: Placement, frameBytes: number): Promise<[SystemUnderTest, Generators]> {
    const system = await STARTERS[name]({ core: placement.serverCore });
    const gens = new Generators(placement.generatorCore, name, { url: system.url, ...(system.queue ? { queue: system.queue } : {}) }, placement.agentsPerFleet);
    try {
      await system.setFrameBytes(frameBytes, frameBytes);
      await gens.start();
    } catch (error) {
      await gens.close().catch(() => undefined);
      await system.stop().catch(() => undefined);
      throw error;
    }
    return [system, gens];
  }

  /** Connects agents until there are `total`. */
  async grow(total: number): Promise<void> {
    const missing = total - this.gens.agents;
    if (missing <= 0) return;
    const connected = await this.gens.connect(await this.system.addAgents(missing));
    if (connected.failed > 0) throw new Error(`${connected.failed} agents failed to connect: ${connected.firstError}`);
  }

  /** Replaces the system and generators with fresh ones holding as many agents as before. */
  async restart(): Promise<void> {
    const agents = this.gens.agents;
    await this.close();
    [this.system, this.gens] = await PhaseSession.start(this.name, this.placement, this.frameBytes);
    await this.grow(agents);
  }

  /** Stops everything, whatever state it is in. */
  async close(): Promise<void> {
    await this.gens.close().catch(() => undefined);
    await this.system.stop().catch(() => undefined);
  }
}
