import type { RecordChange } from '../engine/effects.js';
import type { EventRecord, RecordKind } from '../engine/model.js';
import type { EventSummary, EventSummaryQuery } from './event-summary.js';

/** One record change as it is written: the record already serialized, so later steps cannot alter it. */
export interface StoredChange {
  workspaceSid: string;
  kind: RecordKind;
  sid: string;
  /** The record as JSON text, or null when it was deleted. */
  json: string | null;
}

/** Everything one group commit writes, atomically. */
export interface CommitBatch {
  changes: StoredChange[];
  events: EventRecord[];
  /**
   * Workspaces deleted with everything in them: their records go with the batch; their events,
   * which nothing can read once the workspace is gone, may go after it (a busy workspace's week
   * of events is millions of rows), but do go, even across a restart.
   */
  deletedWorkspaces: string[];
}

/** Filters of the Events resource. */
export interface EventQuery {
  workspaceSid: string;
  startDate?: number;
  endDate?: number;
  eventType?: string;
  resourceSid?: string;
  workerSid?: string;
  taskSid?: string;
  reservationSid?: string;
  taskQueueSid?: string;
  workflowSid?: string;
  taskChannel?: string;
  sid?: string;
  /** Newest first; at most this many. */
  limit: number;
  /** Only events older than this `(date, sid)` position: the paging cursor. */
  before?: { date: number; sid: string };
}

/**
 * The persistence port. A hub owns the workspaces it loads; every adapter (SQLite embedded,
 * in-memory for tests, PostgreSQL for several hubs) writes a batch atomically or not at all.
 */
export interface Store {
  /** Every persisted record, grouped by workspace SID. */
  load(): Promise<Map<string, RecordChange[]>>;
  /** Writes one batch atomically; resolves once it is durable. */
  commit(batch: CommitBatch): Promise<void>;
  /** Events matching a query, newest first. */
  queryEvents(query: EventQuery): Promise<EventRecord[]>;
  /** Counts of the events matching a query, for cumulative statistics (see event-summary.ts). */
  summarizeEvents(query: EventSummaryQuery): Promise<EventSummary>;
  /** Deletes events older than `before`; returns how many. */
  purgeEvents(before: number): Promise<number>;
  /** A small key-value area for hub settings (generated credentials, schema data). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Writes a consistent copy of the store to `file`. */
  backup(file: string): Promise<void>;
  close(): Promise<void>;
}
