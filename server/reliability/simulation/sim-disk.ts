import type { RecordChange } from '../../engine/effects.js';
import type { EventRecord } from '../../engine/model.js';
import type { EventSummary, EventSummaryQuery } from '../../store/event-summary.js';
import { MemoryStore } from '../../store/memory-store.js';
import type { CommitBatch, EventQuery, Store } from '../../store/store.js';
import type { Agenda, Scheduled } from './agenda.js';
import type { Prng } from './prng.js';

/**
 * When a commit is acknowledged: after its write is synced (what the shipped SQLite store does),
 * or as soon as it is written, the sync following later (a deliberately unsafe store).
 */
export type SyncPolicy = 'sync-then-ack' | 'ack-then-sync';

/** The disk's faults and delays, in virtual milliseconds. */
export interface DiskFaults {
  /** How long a commit's write and sync take. */
  writeMs: readonly [number, number];
  /** With `ack-then-sync`: how long written batches wait for the sync. */
  writebackMs: readonly [number, number];
  /** Chance that a commit fails (the hub then stops and is restarted). */
  failRate: number;
}

/**
 * The simulated disk: `image` holds every synced batch, which is all that survives a crash. Each
 * hub "process" mounts a `SimStore` on it; a crash rolls the disk back to the last sync.
 */
export class SimDisk {
  /** What survives a crash. */
  readonly image = new MemoryStore();
  /** Batches synced, and commits that failed. */
  readonly stats = { synced: 0, failed: 0, lostAtCrash: 0 };
  /** Writes fail by chance only once armed: the workspace the run needs is set up on a sound disk. */
  failuresArmed = false;

  constructor(
    readonly policy: SyncPolicy,
    readonly faults: DiskFaults,
    private readonly agenda: Agenda,
    private readonly prng: Prng,
  ) {}

  /** Opens a store on what the disk holds, as a restarted process does. */
  async mount(): Promise<SimStore> {
    const live = new MemoryStore();
    await live.commit(await snapshotBatch(this.image));
    return new SimStore(this, live, this.agenda, this.prng);
  }
}

/** Everything a memory store holds, as one batch that recreates it in first-write order. */
async function snapshotBatch(store: MemoryStore): Promise<CommitBatch> {
  const batch: CommitBatch = { changes: [], events: [], deletedWorkspaces: [] };
  for (const [workspaceSid, records] of await store.load()) {
    for (const r of records) batch.changes.push({ workspaceSid, kind: r.kind, sid: r.sid, json: JSON.stringify(r.record) });
    batch.events.push(...(await store.queryEvents({ workspaceSid, limit: Number.MAX_SAFE_INTEGER })).reverse());
  }
  return batch;
}

/**
 * One process's view of the simulated disk (a `MemoryStore` for what it has written): a commit
 * completes after a random write time on the agenda, or fails by chance; `crash` loses every
 * write not yet synced and leaves every pending commit unanswered forever.
 */
export class SimStore implements Store {
  private dead = false;
  private readonly inFlight = new Set<Scheduled>();
  /** With `ack-then-sync`: written, acknowledged, not yet synced. */
  private unsynced: CommitBatch[] = [];
  private writeback: Scheduled | undefined;

  constructor(
    private readonly disk: SimDisk,
    private readonly live: MemoryStore,
    private readonly agenda: Agenda,
    private readonly prng: Prng,
  ) {}

  /** Whether a commit's write is under way (a crash now loses it). */
  get writing(): boolean {
    return this.inFlight.size > 0;
  }

  /** The process died: writes in flight and unsynced ones are lost. */
  crash(): void {
    this.dead = true;
    for (const entry of this.inFlight) entry.cancelled = true;
    this.disk.stats.lostAtCrash += this.inFlight.size + this.unsynced.length;
    this.inFlight.clear();
    if (this.writeback) this.writeback.cancelled = true;
    this.unsynced = [];
  }

  commit(batch: CommitBatch): Promise<void> {
    if (this.dead) return new Promise(() => undefined);
    // Events are live engine objects: copy what is written now.
    const copy: CommitBatch = { changes: [...batch.changes], events: batch.events.map((e) => structuredClone(e)), deletedWorkspaces: [...batch.deletedWorkspaces] };
    // Drawn either way, so arming the faults does not shift the rest of the seed's choices.
    const fails = this.prng.chance(this.disk.faults.failRate) && this.disk.failuresArmed;
    const [min, max] = this.disk.faults.writeMs;
    return new Promise<void>((resolve, reject) => {
      const entry = this.agenda.after(this.prng.int(min, max), () => {
        this.inFlight.delete(entry);
        if (fails) {
          this.disk.stats.failed += 1;
          reject(new Error('simulated disk: write failed'));
          return;
        }
        void this.live.commit(copy);
        if (this.disk.policy === 'sync-then-ack') this.sync([copy]);
        else this.later(copy);
        resolve();
      });
      this.inFlight.add(entry);
    });
  }

  load(): Promise<Map<string, RecordChange[]>> {
    return this.live.load();
  }

  queryEvents(query: EventQuery): Promise<EventRecord[]> {
    return this.live.queryEvents(query);
  }

  summarizeEvents(query: EventSummaryQuery): Promise<EventSummary> {
    return this.live.summarizeEvents(query);
  }

  purgeEvents(before: number): Promise<number> {
    return this.live.purgeEvents(before);
  }

  getMeta(key: string): Promise<string | undefined> {
    return this.live.getMeta(key);
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.live.setMeta(key, value);
  }

  backup(): Promise<void> {
    return Promise.reject(new Error('A simulated store has nothing to back up'));
  }

  async close(): Promise<void> {}

  private sync(batches: CommitBatch[]): void {
    for (const b of batches) void this.disk.image.commit(b);
    this.disk.stats.synced += batches.length;
  }

  private later(batch: CommitBatch): void {
    this.unsynced.push(batch);
    if (this.writeback) return;
    const [min, max] = this.disk.faults.writebackMs;
    this.writeback = this.agenda.after(this.prng.int(min, max), () => {
      this.writeback = undefined;
      const batches = this.unsynced;
      this.unsynced = [];
      this.sync(batches);
    });
  }
}
