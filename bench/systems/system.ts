/**
 * A system under test as the bench drives it from the parent process: started pinned to its core,
 * given agents, told how many agents to offer each task, asked for the request its task source
 * sends and for its own process figures. The hub and both baselines implement it.
 */
import type { AgentSpec } from '../gen/agent.js';
import type { TaskRequestSpec } from '../gen/task-requests.js';
import type { ProcessStats } from '../lib/process-stats.js';

/** The three systems. */
export type SystemName = 'hub' | 'raw' | 'bull';

/** Human names for the table. */
export const SYSTEM_LABELS: Record<SystemName, string> = {
  hub: 'Switchboard hub',
  raw: 'Baseline 1: bare ws',
  bull: 'Baseline 2: BullMQ+Redis+socket.io',
};

/** A running system. */
export interface SystemUnderTest {
  readonly name: SystemName;
  /** Base URL of its HTTP server. */
  readonly url: string;
  /** Queue agents join (baseline 2). */
  readonly queue?: string;
  /** Creates `count` more agents (workers); returns how to connect them. */
  addAgents(count: number): Promise<AgentSpec[]>;
  /** Offers each task to up to this many agents at once (MaxReservedWorkers). */
  setMaxReserved(count: number): Promise<void>;
  /** Bytes of the offer frame to push (baselines copy the hub's). */
  setFrameBytes(offer: number, reply: number): Promise<void>;
  /** The task-creation request; `parked` sends tasks no agent matches (for the REST rate). */
  taskRequest(parked: boolean): TaskRequestSpec;
  resetStats(): Promise<void>;
  /** Process figures since the last reset; RSS includes Redis for baseline 2. */
  readStats(): Promise<ProcessStats>;
  /** Opens a second window of process figures, untouched by `resetStats` (for a whole soak). */
  resetRunStats?(): Promise<void>;
  /** Process figures since `resetRunStats`. */
  readRunStats?(): Promise<ProcessStats>;
  /** Starts a CPU profile of the server process. */
  startProfile(): Promise<void>;
  /** Stops it and writes it to `file`. */
  stopProfile(file: string): Promise<void>;
  /** Full GC; resolves with resident memory in bytes (the server's, plus Redis's for baseline 2). */
  collect(): Promise<number>;
  /** Extra facts for the report (e.g. which store the hub runs on). */
  facts(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** How a system is started. */
export interface StartChoices {
  /** Core for the system's processes. */
  core: number | undefined;
}
