import { fail, SwitchboardError } from '../shared/errors.js';
import type { Actor, Command } from './engine/commands.js';
import type { Effect } from './engine/effects.js';
import { WorkspaceEngine, type NewWorkspace } from './engine/engine.js';
import type { EventRecord, WorkspaceRecord } from './engine/model.js';
import type { Outcome } from './engine/outcome.js';
import { timerKey, type IdSource } from './engine/step-context.js';
import type { EventSummary, EventSummaryQuery } from './store/event-summary.js';
import type { CommitBatch, EventQuery, Store } from './store/store.js';
import { pooledIds } from './ids.js';
import { Timers, type TimerTable } from './timers.js';


/**
 * Told of every event as it happens (synchronously, inside the step, so it can read the state the
 * event describes); what it returns runs once the event is durable. `step` numbers the step the
 * event came from: events of one step (an offer round's reservations) see the same state, so what
 * a listener builds from that state once serves them all.
 */
export type EventListener = (event: EventRecord, engine: WorkspaceEngine, step: number, origin: unknown) => (() => void) | void;

/** Told of every assignment-callback effect once the reservation is durable. */
export type CallbackListener = (effect: Extract<Effect, { type: 'assignment.callback' }>, workspaceSid: string) => void;

/** Told how long engine steps and store commits take (for metrics); called synchronously, must not throw. */
export interface HubObserver {
  step(commandType: string, ms: number): void;
  commit(ms: number, changes: number, events: number): void;
}

/** What a hub needs from outside. */
export interface HubOptions {
  store: Store;
  accountSid: string;
  ids?: IdSource;
  now?: () => number;
  /** Called once if a commit fails; the hub refuses all work from then on (main.ts exits for a restart). */
  onFatal?: (error: Error) => void;
  observer?: HubObserver;
  /** How long events are kept for the Events resource (default 7 days); older ones are purged every minute. */
  eventRetentionMs?: number;
  /** Makes the hub's timers (default: real ones, `Timers`); a simulation passes virtual ones. */
  timers?: (now: () => number, fire: (key: string) => void) => TimerTable;
}

/** The default retention of events. */
export const DEFAULT_EVENT_RETENTION_MS = 7 * 24 * 3_600_000;

/** How often old events are purged: each purge then deletes about a minute's worth. */
const EVENT_PURGE_INTERVAL_MS = 60_000;

/**
 * The imperative shell: owns one engine per workspace, feeds them commands, and performs their
 * effects — group-committing every change of a tick before any reply or push leaves, arming
 * timers, and handing events and callbacks to the transports that subscribed.
 */
export class Hub {
  private readonly engines = new Map<string, WorkspaceEngine>();
  private readonly timers: TimerTable;
  private readonly eventListeners = new Set<EventListener>();
  /** Steps performed so far: numbers each step for the event listeners. */
  private steps = 0;
  private readonly callbackListeners = new Set<CallbackListener>();
  private readonly workspaceDeletedListeners = new Set<(workspaceSid: string) => void>();
  private batch: CommitBatch = { changes: [], events: [], deletedWorkspaces: [] };
  private afterCommit: Array<() => void> = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Set when a commit failed: memory is ahead of the store, so the hub refuses all further work. */
  private failure: Error | null = null;
  readonly ids: IdSource;
  readonly now: () => number;
  readonly store: Store;
  readonly accountSid: string;
  private readonly onFatal: ((error: Error) => void) | undefined;
  private readonly observer: HubObserver | undefined;
  private readonly eventRetentionMs: number;
  private eventPurge: NodeJS.Timeout | undefined;

  private constructor(options: HubOptions) {
    this.onFatal = options.onFatal;
    this.observer = options.observer;
    this.eventRetentionMs = options.eventRetentionMs ?? DEFAULT_EVENT_RETENTION_MS;
    this.store = options.store;
    this.accountSid = options.accountSid;
    this.ids = options.ids ?? pooledIds();
    this.now = options.now ?? Date.now;
    this.timers = (options.timers ?? ((now, fire) => new Timers(now, fire)))(this.now, (key) => this.fireTimer(key));
  }

  /** Opens a hub on a store: restores every workspace, re-arms timers, routes what was waiting. */
  static async open(options: HubOptions): Promise<Hub> {
    const hub = new Hub(options);
    for (const [, records] of await hub.store.load()) {
      const { engine, effects } = WorkspaceEngine.restore(records, hub.ids);
      hub.engines.set(engine.state.workspace.sid, engine);
      hub.perform(engine, effects);
    }
    for (const engine of hub.engines.values()) hub.perform(engine, engine.routeAll(hub.now()));
    await hub.flush();
    // A failed purge is retried a minute later; it never affects routing.
    const purge = () => void hub.purgeOldEvents().catch(() => undefined);
    purge();
    hub.eventPurge = setInterval(purge, EVENT_PURGE_INTERVAL_MS).unref();
    return hub;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Subscribes to workspace deletions, told once each is durable; returns the unsubscribe function. */
  onWorkspaceDeleted(listener: (workspaceSid: string) => void): () => void {
    this.workspaceDeletedListeners.add(listener);
    return () => this.workspaceDeletedListeners.delete(listener);
  }

  /** Subscribes to assignment callbacks; returns the unsubscribe function. */
  onAssignmentCallback(listener: CallbackListener): () => void {
    this.callbackListeners.add(listener);
    return () => this.callbackListeners.delete(listener);
  }

  /** Every workspace, oldest first. */
  workspaces(): WorkspaceEngine[] {
    return [...this.engines.values()];
  }

  /** The engine of a workspace, for reads. */
  engine(workspaceSid: string): WorkspaceEngine | undefined {
    return this.engines.get(workspaceSid);
  }

  /** Creates a workspace; resolves once it is durable. */
  async createWorkspace(params: Omit<NewWorkspace, 'accountSid'>): Promise<WorkspaceRecord> {
    const { engine, effects } = WorkspaceEngine.create({ ...params, accountSid: this.accountSid }, this.now(), this.ids);
    this.engines.set(engine.state.workspace.sid, engine);
    this.perform(engine, effects);
    await this.flush();
    return engine.state.workspace;
  }

  /** Deletes a workspace and everything in it; resolves once that is durable. */
  async deleteWorkspace(sid: string): Promise<boolean> {
    const engine = this.engines.get(sid);
    if (!engine) return false;
    for (const key of [...this.timerKeysOf(sid)]) this.timers.clear(key);
    this.engines.delete(sid);
    this.batch.deletedWorkspaces.push(sid);
    this.batch.changes = this.batch.changes.filter((c) => c.workspaceSid !== sid);
    await this.flush();
    // No engine step deletes a workspace, so no event tells the transports: their sessions of it end here.
    for (const listener of this.workspaceDeletedListeners) listener(sid);
    return true;
  }

  /**
   * Runs one command in a workspace. Resolves after the change is committed, so a success the
   * caller reports is never lost; a rejected command changes nothing.
   */
  async dispatch(workspaceSid: string, command: Command, actor: Actor = { type: 'account' }): Promise<Outcome> {
    const outcome = this.dispatchNow(workspaceSid, command, actor);
    try {
      await this.flush();
    } catch (error) {
      // The commit failed (fail-stop): the change is not durable, so it is refused, never acknowledged.
      return { ok: false, error: error instanceof SwitchboardError ? error : this.unavailable(error as Error) };
    }
    return outcome;
  }

  /**
   * Runs one command and queues its effects; the caller must await `flush()` before acknowledging.
   * `origin` names the connection the command came on, for the event listeners: a transport need
   * not push to that connection what its reply to the command already carries.
   */
  dispatchNow(workspaceSid: string, command: Command, actor: Actor = { type: 'account' }, origin?: unknown): Outcome {
    if (this.failure) return { ok: false, error: this.unavailable(this.failure) };
    if (this.closed) return { ok: false, error: fail('UNAVAILABLE', 'The hub is shutting down') };
    const engine = this.engines.get(workspaceSid);
    if (!engine) return { ok: false, error: fail('NOT_FOUND', `Workspace ${workspaceSid} not found`) };
    let result;
    const started = this.observer ? performance.now() : 0;
    try {
      result = engine.step(command, this.now(), actor);
    } catch (error) {
      // A bug in a step must not take the hub down; the command is refused.
      return { ok: false, error: error instanceof SwitchboardError ? error : fail('INTERNAL', `Internal error: ${(error as Error).message}`) };
    }
    this.observer?.step(command.type, performance.now() - started);
    if (!result.ok) return { ok: false, error: result.error };
    this.perform(engine, result.effects, origin);
    return { ok: true, value: result.value };
  }

  /** Resolves when everything queued so far is durable and its follow-ups have run; after a failed commit, rejects with a 503. */
  flush(): Promise<void> {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Each flush waits for the one before; a failed one leaves the hub failed, not a poisoned chain.
      this.flushing = this.flushing
        .catch(() => undefined)
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => this.commit());
    }
    return this.flushing;
  }

  /** Events of a workspace, newest first. */
  queryEvents(query: EventQuery): Promise<EventRecord[]> {
    return this.store.queryEvents(query);
  }

  /** Counts of a workspace's events, for cumulative statistics. */
  summarizeEvents(query: EventSummaryQuery): Promise<EventSummary> {
    return this.store.summarizeEvents(query);
  }

  /** Deletes events older than the retention period; resolves with how many. */
  purgeOldEvents(): Promise<number> {
    return this.store.purgeEvents(this.now() - this.eventRetentionMs);
  }

  /** Stops timers, commits what is queued and closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.eventPurge);
    this.timers.clearAll();
    try {
      await this.flush();
    } finally {
      // Even after a failed commit: the store's connections and files are released.
      await this.store.close();
    }
  }

  private async commit(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.batch;
    const after = this.afterCommit;
    this.batch = { changes: [], events: [], deletedWorkspaces: [] };
    this.afterCommit = [];
    if (this.failure) throw this.unavailable(this.failure);
    if (batch.changes.length > 0 || batch.events.length > 0 || batch.deletedWorkspaces.length > 0) {
      const started = this.observer ? performance.now() : 0;
      try {
        await this.store.commit(batch);
      } catch (error) {
        // Fail-stop: nothing of this batch is acknowledged, and the next start recovers the last durable state.
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.timers.clearAll();
        this.onFatal?.(this.failure);
        throw this.unavailable(this.failure);
      }
      this.observer?.commit(performance.now() - started, batch.changes.length, batch.events.length);
    }
    for (const fn of after) {
      try {
        fn();
      } catch {
        // A failing listener (a closed socket) must not stop the others.
      }
    }
  }

  /** The refusal of a hub whose store failed: a 503 every transport passes on as it is. */
  private unavailable(failure: Error): SwitchboardError {
    return fail('UNAVAILABLE', `The store failed; restart the hub: ${failure.message}`);
  }

  private perform(engine: WorkspaceEngine, effects: Effect[], origin?: unknown): void {
    const step = ++this.steps;
    const workspaceSid = engine.state.workspace.sid;
    for (const effect of effects) {
      switch (effect.type) {
        case 'persist':
          for (const c of effect.changes) {
            this.batch.changes.push({ workspaceSid, kind: c.kind, sid: c.sid, json: c.record ? JSON.stringify(c.record) : null });
          }
          break;
        case 'event': {
          this.batch.events.push(effect.event);
          for (const listener of this.eventListeners) {
            try {
              const then = listener(effect.event, engine, step, origin);
              if (then) this.afterCommit.push(then);
            } catch {
              // A listener's bug must not leave the step's other effects half performed.
            }
          }
          break;
        }
        case 'timer.set':
          this.timers.set(`${workspaceSid}|${effect.key}`, effect.at);
          break;
        case 'timer.clear':
          this.timers.clear(`${workspaceSid}|${effect.key}`);
          break;
        case 'assignment.callback':
          this.afterCommit.push(() => {
            for (const listener of this.callbackListeners) listener(effect, workspaceSid);
          });
          break;
      }
    }
  }

  private fireTimer(key: string): void {
    const [workspaceSid = '', engineKey = ''] = key.split('|');
    void this.dispatch(workspaceSid, { type: 'timer.fired', key: engineKey }, { type: 'system' });
  }

  private *timerKeysOf(workspaceSid: string): Iterable<string> {
    // Timers are keyed `${workspace}|${key}`; the engine knows which keys it armed.
    const state = this.engines.get(workspaceSid)?.state;
    if (!state) return;
    for (const sid of state.reservations.keys()) yield `${workspaceSid}|${timerKey.reservation(sid)}`;
    yield `${workspaceSid}|${timerKey.purge}`;
    yield `${workspaceSid}|${timerKey.archive}`;
    for (const sid of state.tasks.keys()) for (const key of [timerKey.ttl, timerKey.target]) yield `${workspaceSid}|${key(sid)}`;
  }
}
