import type { Database } from 'better-sqlite3';

/** Marks a SQLite file as Switchboard's (`PRAGMA application_id`, "SwBd"), so a foreign database is refused. */
export const APPLICATION_ID = 0x53774264;

/** One schema step: `up` moves a database from `version - 1` to `version`. */
export interface Migration {
  version: number;
  description: string;
  up: (db: Database) => void;
}

/**
 * The ordered schema history. Never edit a shipped migration: append one. Records are JSON, so a
 * new field of the engine's records needs no migration; only a new table, column or index does.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records, events with their filter indexes, meta',
    up: (db) =>
      db.exec(`
        -- A rowid table (not WITHOUT ROWID): an upsert keeps the rowid, so loading by rowid gives
        -- records back in the order they were first written, as the in-memory store does.
        CREATE TABLE records (
          workspace_sid TEXT NOT NULL,
          kind TEXT NOT NULL,
          sid TEXT NOT NULL,
          json TEXT NOT NULL,
          PRIMARY KEY (workspace_sid, kind, sid)
        );
        CREATE TABLE events (
          sid TEXT PRIMARY KEY NOT NULL,
          workspace_sid TEXT NOT NULL,
          date INTEGER NOT NULL,
          event_type TEXT NOT NULL,
          resource_sid TEXT NOT NULL,
          worker_sid TEXT,
          task_sid TEXT,
          reservation_sid TEXT,
          task_queue_sid TEXT,
          workflow_sid TEXT,
          task_channel TEXT,
          task_channel_sid TEXT,
          json TEXT NOT NULL
        );
        -- Paging walks (workspace, date, sid) backwards; each filter gets an index that keeps that order,
        -- partial where the column is often empty so the index holds only rows it can match.
        CREATE INDEX events_page ON events (workspace_sid, date, sid);
        CREATE INDEX events_type ON events (workspace_sid, event_type, date, sid);
        CREATE INDEX events_resource ON events (workspace_sid, resource_sid, date, sid);
        CREATE INDEX events_worker ON events (workspace_sid, worker_sid, date, sid) WHERE worker_sid IS NOT NULL;
        CREATE INDEX events_task ON events (workspace_sid, task_sid, date, sid) WHERE task_sid IS NOT NULL;
        CREATE INDEX events_reservation ON events (workspace_sid, reservation_sid, date, sid) WHERE reservation_sid IS NOT NULL;
        CREATE INDEX events_queue ON events (workspace_sid, task_queue_sid, date, sid) WHERE task_queue_sid IS NOT NULL;
        CREATE INDEX events_workflow ON events (workspace_sid, workflow_sid, date, sid) WHERE workflow_sid IS NOT NULL;
        -- Retention purges by date across workspaces.
        CREATE INDEX events_age ON events (date);
        CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
      `),
  },
  {
    version: 2,
    description: 'narrow event indexes: what a commit writes per event halves',
    up: (db) =>
      db.exec(`
        -- Every index costs each event a B-tree insert, and a random key (a task's, a reservation's)
        -- dirties a page of its own per event. A task, reservation or worker has few events next to
        -- the table, so its index holds the SID alone and a query sorts that handful by date; the
        -- workspace column is dropped from filters whose SIDs are unique anyway. Event SIDs now
        -- start with their time, so the primary key and the paging index grow at their right edge.
        -- A ResourceSid filter (not one of TaskRouter's) walks the paging index.
        DROP INDEX events_type;
        DROP INDEX events_resource;
        DROP INDEX events_worker;
        DROP INDEX events_task;
        DROP INDEX events_reservation;
        DROP INDEX events_queue;
        DROP INDEX events_workflow;
        CREATE INDEX events_type ON events (event_type, date, sid);
        CREATE INDEX events_worker ON events (worker_sid) WHERE worker_sid IS NOT NULL;
        CREATE INDEX events_task ON events (task_sid) WHERE task_sid IS NOT NULL;
        CREATE INDEX events_reservation ON events (reservation_sid) WHERE reservation_sid IS NOT NULL;
        CREATE INDEX events_queue ON events (task_queue_sid, date, sid) WHERE task_queue_sid IS NOT NULL;
        CREATE INDEX events_workflow ON events (workflow_sid, date, sid) WHERE workflow_sid IS NOT NULL;
      `),
  },
  {
    version: 3,
    description: "an event's JSON leaves out what its columns hold",
    // No table changes. Events written from now on are read whole only with their columns, so the
    // version moves on: an older Switchboard, which reads the JSON alone, refuses the file instead
    // of listing events without their SIDs.
    up: () => undefined,
  },
  {
    version: 4,
    description: 'commits append events to a table without filter indexes; the writer moves them into events in batches',
    up: (db) =>
      db.exec(`
        -- An event costs each of the events table's filter indexes a B-tree insert, and a commit one
        -- page of each index it touches (a worker's entry lands anywhere in its index): at a few
        -- tasks per commit, most of what the writer does. A commit appends its events here, in
        -- rowid order; the writer moves the oldest into events a few hundred at a time, where they
        -- share the indexes' pages. Reads take both tables; this one is small, so it needs no index.
        CREATE TABLE recent_events (
          sid TEXT NOT NULL,
          workspace_sid TEXT NOT NULL,
          date INTEGER NOT NULL,
          event_type TEXT NOT NULL,
          resource_sid TEXT NOT NULL,
          worker_sid TEXT,
          task_sid TEXT,
          reservation_sid TEXT,
          task_queue_sid TEXT,
          workflow_sid TEXT,
          task_channel TEXT,
          task_channel_sid TEXT,
          json TEXT NOT NULL
        );
      `),
  },
];

/** What `migrate` did. */
export interface MigrationResult {
  from: number;
  to: number;
}

/**
 * Brings a database to the newest schema: every pending migration and the new `user_version` in
 * one transaction, so a failed migration leaves the file as it was. Refuses a database written by
 * a newer Switchboard, and a SQLite file that belongs to something else.
 */
export function migrate(db: Database, file: string, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  const latest = migrations.at(-1)?.version ?? 0;
  const from = db.pragma('user_version', { simple: true }) as number;
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (from === 0) {
    // Version 0 is a new file; one that already has tables was made by another program.
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (tables.n > 0) throw new Error(`${file} is not a Switchboard database: it is a SQLite database with other tables`);
  } else if (appId !== APPLICATION_ID) {
    throw new Error(`${file} is not a Switchboard database: its application_id is ${appId}`);
  }
  if (from > latest) {
    throw new Error(`${file} has schema version ${from}, newer than this Switchboard understands (${latest}): run a newer Switchboard, or restore a backup`);
  }
  if (from === latest) return { from, to: from };
  db.transaction(() => {
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      migration.up(db);
      // Both pragmas write the file header inside the transaction, so they roll back with it.
      db.pragma(`user_version = ${migration.version}`);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
  }).immediate();
  return { from, to: latest };
}
