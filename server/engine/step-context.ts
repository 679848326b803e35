import type { SidPrefix } from '../../shared/sid.js';
import type { Actor } from './commands.js';
import type { Effect, RecordChange } from './effects.js';
import type { EventRecord, RecordKind, RecordKinds, TaskRecord } from './model.js';

/** Where the engine gets new SIDs: injected, so a step stays deterministic. */
export type IdSource = (prefix: SidPrefix) => string;

/**
 * The scratchpad of one step: the time, who asked, the records it changed, the effects it produced,
 * and the routing work it queued for the end of the step.
 */
export class StepContext {
  private readonly effects: Effect[] = [];
  private readonly changes = new Map<string, RecordChange>();
  /** Tasks that entered or re-entered routing and must look for workers. */
  readonly tasksToRoute = new Set<TaskRecord>();
  /** Workers that gained capacity and must look for tasks. */
  readonly workersToRoute = new Set<string>();

  constructor(
    readonly now: number,
    readonly actor: Actor,
    readonly ids: IdSource,
    readonly workspaceSid: string,
  ) {}

  /** Marks a record as changed; the last value of a step is what gets persisted. */
  save<K extends RecordKind>(kind: K, record: RecordKinds[K]): void {
    this.changes.set(kind + record.sid, { kind, sid: record.sid, record } as RecordChange);
  }

  /** Marks a record as deleted. */
  remove(kind: RecordKind, sid: string): void {
    this.changes.set(kind + sid, { kind, sid, record: null } as RecordChange);
  }

  /** Records an event (built field by field, in the stored order: a spread of `event` was one more object per event). */
  emit(event: Omit<EventRecord, 'sid' | 'workspaceSid' | 'date' | 'actorType' | 'actorSid'>): void {
    this.effects.push({
      type: 'event',
      event: {
        sid: this.ids('EV'),
        workspaceSid: this.workspaceSid,
        date: this.now,
        actorType: this.actor.type,
        actorSid: this.actor.type === 'worker' ? this.actor.sid : null,
        eventType: event.eventType,
        description: event.description,
        resourceType: event.resourceType,
        resourceSid: event.resourceSid,
        workerSid: event.workerSid,
        data: event.data,
      },
    });
  }

  /** Arms (or re-arms) a timer that comes back as a `timer.fired` command. */
  setTimer(key: string, at: number): void {
    this.effects.push({ type: 'timer.set', key, at });
  }

  /** Disarms a timer. */
  clearTimer(key: string): void {
    this.effects.push({ type: 'timer.clear', key });
  }

  /** Queues any other effect. */
  push(effect: Effect): void {
    this.effects.push(effect);
  }

  /** The step's effects, the persist effect first so the shell can commit before it acts. */
  finish(): Effect[] {
    if (this.changes.size === 0) return this.effects;
    return [{ type: 'persist', changes: [...this.changes.values()] }, ...this.effects];
  }
}

/**
 * The whole second at or after `at`: the workspace-wide timers (archive, purge) fire on whole
 * seconds, so one firing takes every task due within the same second (in slices of
 * `RECORDS_PER_SLICE`).
 */
export function wholeSecondFrom(at: number): number {
  return Math.ceil(at / 1_000) * 1_000;
}

/**
 * Records (a task and each of its reservations) one step of the archive or the purge takes: it
 * stops once it has this many (a task is never split from its offers), and the rest goes in the
 * next turn, after the loop has served what came in between. Counted in records, not tasks: a
 * multi-reservation task has up to 50 offers, and a second's worth of them at 100 tasks/s (5,100
 * records) held the loop for 20-28 ms in one step, every offer and reply of that moment waiting.
 */
export const RECORDS_PER_SLICE = 512;

/** Timer keys, one namespace per deadline kind. */
export const timerKey = {
  reservation: (sid: string) => `reservation:${sid}`,
  ttl: (sid: string) => `ttl:${sid}`,
  target: (sid: string) => `target:${sid}`,
  /** The workspace's one purge timer, for the first finished task due (see sid-queue.ts). */
  purge: 'purge',
  /** The workspace's one archive timer, for the first finished task due (see archive.ts). */
  archive: 'archive',
};
