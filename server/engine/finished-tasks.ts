/**
 * Finished tasks kept for their retention, out of the JS heap. A workspace keeps every finished
 * task readable for five minutes: 300,000 of them at 1,000 tasks/s. As objects (a task, its
 * reservations, their index entries: some twenty per task) they filled the old generation, and
 * each major collection had to mark them all, which stalled the event loop for most of a second.
 * Archived, a batch of them (those one turn of the archive timer takes) is one buffer outside the
 * heap holding their JSON back to back, with typed arrays for what lists and purges read without
 * decoding; the heap keeps their SIDs and a small integer each in the indexes below. Nothing
 * changes a finished task while archived: the engine brings one back to change it (see archive.ts).
 */
import { TASK_STATUSES, type ReservationRecord, type TaskRecord, type TaskStatus } from './model.js';
import { SidQueue } from './sid-queue.js';

/** A finished task with its reservations, oldest first. */
export interface FinishedTask {
  task: TaskRecord;
  reservations: ReservationRecord[];
}

/** Where an archived task is: its batch's slot times BATCH_ENTRIES plus its index in the batch. */
export type Place = number;

/** Entries per batch at most: a place stays a small integer (no heap number) for the first 4,096 slots. */
const BATCH_ENTRIES = 1 << 18;

/** A task's numbers the archive reads without decoding it (for lists, purges and the dashboard). */
export type ArchivedNumber = 'dateCreated' | 'priority' | 'virtualStartTime' | 'purgeAt';
const NUMBERS: readonly ArchivedNumber[] = ['dateCreated', 'priority', 'virtualStartTime', 'purgeAt'];

/** Keys of each record kind, in the order an entry lists their values (a key missing or extra does not compile). */
const TASK_KEYS = keysOf<TaskRecord>({
  sid: true, workspaceSid: true, workflowSid: true, taskQueueSid: true, taskChannelSid: true, attributes: true, priority: true,
  timeout: true, assignmentStatus: true, reason: true, dateCreated: true, dateUpdated: true, virtualStartTime: true,
  workflowEnteredAt: true, taskQueueEnteredAt: true, step: true, assignmentCount: true, rejectedWorkerSids: true,
  routingTarget: true, ignoreCapacity: true, purgeAt: true, version: true,
});
const RESERVATION_KEYS = keysOf<ReservationRecord>({
  sid: true, workspaceSid: true, taskSid: true, workerSid: true, taskQueueSid: true, workflowSid: true, taskChannelSid: true,
  status: true, timeoutAt: true, dateCreated: true, dateUpdated: true, version: true, workerVersion: true, readied: true,
});

function keysOf<T>(keys: { [K in keyof Required<T>]: true }): ReadonlyArray<keyof T> {
  return Object.keys(keys) as Array<keyof T>;
}

/** A record as the values of its keys, in order (an absent optional value is null). */
function valuesOf<T>(record: T, keys: ReadonlyArray<keyof T>): unknown[] {
  return keys.map((key) => record[key] ?? null);
}

/** The optional keys of the records (absent when archived: null in the entry, absent again when read). */
const OPTIONAL_KEYS: ReadonlySet<string> = new Set<keyof ReservationRecord>(['workerVersion', 'readied']);

/** A record from its values. */
function recordOf<T>(values: readonly unknown[], keys: ReadonlyArray<keyof T>): T {
  const record: Record<string, unknown> = {};
  for (const [i, key] of keys.entries()) if (values[i] !== null || !OPTIONAL_KEYS.has(key as string)) record[key as string] = values[i];
  return record as T;
}

/** Tasks archived together. */
interface Batch {
  /** Each entry's JSON (`[task values, [reservation values, ...]]`, values in key order), UTF-8, back to back. */
  bytes: Buffer;
  /** Where each entry ends in `bytes`; it starts where the one before ends (the first at 0). */
  ends: Uint32Array;
  sids: string[];
  numbers: Record<ArchivedNumber, Float64Array>;
  /** Each task's status, as its index in TASK_STATUSES. */
  status: Uint8Array;
  /** Entries not taken out yet; the batch goes with its last. */
  live: number;
}

const STATUS_INDEX = new Map(TASK_STATUSES.map((status, i) => [status, i]));

/** Where `byCreation` is in one batch; `order` breaks ties between batches (the earlier archived first). */
interface Cursor {
  slot: number;
  batch: Batch;
  i: number;
  order: number;
}

/** Whether cursor `a` reads a task created before `b`'s. */
function before(a: Cursor, b: Cursor): boolean {
  const da = a.batch.numbers.dateCreated[a.i]!;
  const db = b.batch.numbers.dateCreated[b.i]!;
  return da < db || (da === db && a.order < b.order);
}

/** Moves the cursor at `k` down a binary min-heap to its place. */
function siftDown(heap: Cursor[], k: number): void {
  for (;;) {
    const left = 2 * k + 1;
    if (left >= heap.length) return;
    const right = left + 1;
    const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
    if (!before(heap[child]!, heap[k]!)) return;
    [heap[k], heap[child]] = [heap[child]!, heap[k]!];
    k = child;
  }
}

/** The archive of a workspace's finished tasks (see the file's comment). */
export class FinishedTasks {
  /** @param batchEntries entries per batch at most (a test makes it small). */
  constructor(private readonly batchEntries = BATCH_ENTRIES) {
    this.batchEntries = Math.min(batchEntries, BATCH_ENTRIES);
  }

  /** Batches by slot, in the order they were archived. */
  private readonly batches = new Map<number, Batch>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly placeOf = new Map<string, Place>();
  private readonly taskOfReservation = new Map<string, string>();
  /** worker SID -> the archived tasks it had a reservation of, in the order archived (with SIDs since taken out). */
  private readonly ofWorker = new Map<string, SidQueue>();

  private changeCount = 0;

  /** Counts the archive's changes (tasks added or taken out): a reader that caches what it decoded checks it. */
  get changes(): number {
    return this.changeCount;
  }

  /** Tasks archived. */
  get size(): number {
    return this.placeOf.size;
  }

  /** Whether the task is archived. */
  has(taskSid: string): boolean {
    return this.placeOf.has(taskSid);
  }

  /** The archived task with its reservations: decoded, a copy to read. */
  get(taskSid: string): FinishedTask | undefined {
    const place = this.placeOf.get(taskSid);
    return place === undefined ? undefined : this.at(place);
  }

  /** The SID of the archived task a reservation belongs to. */
  taskSidOf(reservationSid: string): string | undefined {
    return this.taskOfReservation.get(reservationSid);
  }

  /** An archived task's `purgeAt`, read without decoding it. */
  purgeAt(taskSid: string): number | undefined {
    const place = this.placeOf.get(taskSid);
    return place === undefined ? undefined : this.numberAt(place, 'purgeAt');
  }

  /** The archived tasks a worker had a reservation of, each once, in the order archived. */
  *tasksOfWorker(workerSid: string): Generator<string> {
    const queue = this.ofWorker.get(workerSid);
    if (!queue) return;
    const seen = new Set<string>();
    for (const sid of queue) {
      if (!this.placeOf.has(sid) || seen.has(sid)) continue;
      seen.add(sid);
      yield sid;
    }
  }

  /** Archives finished tasks, in this order. */
  add(tasks: readonly FinishedTask[]): void {
    this.changeCount += 1;
    for (let from = 0; from < tasks.length; from += this.batchEntries) this.addBatch(tasks.slice(from, from + this.batchEntries));
  }

  /** Takes a task out of the archive (to change it, or to drop it), decoded. */
  take(taskSid: string): FinishedTask | undefined {
    const place = this.placeOf.get(taskSid);
    if (place === undefined) return undefined;
    this.changeCount += 1;
    const entry = this.at(place);
    this.placeOf.delete(taskSid);
    for (const r of entry.reservations) {
      this.taskOfReservation.delete(r.sid);
      const queue = this.ofWorker.get(r.workerSid);
      if (!queue) continue;
      // Its tasks leave in about the order they came: the front is trimmed as they go.
      for (let sid = queue.first(); sid !== undefined && !this.placeOf.has(sid); sid = queue.first()) queue.shift();
      if (queue.size === 0) this.ofWorker.delete(r.workerSid);
    }
    const slot = Math.floor(place / BATCH_ENTRIES);
    const batch = this.batches.get(slot)!;
    batch.live -= 1;
    if (batch.live === 0) {
      this.batches.delete(slot);
      this.freeSlots.push(slot);
    }
    return entry;
  }

  /** Every archived task's place, batch by batch in the order archived, each batch oldest first. */
  *places(): Generator<Place> {
    for (const [slot, batch] of this.batches) {
      for (let i = 0; i < batch.sids.length; i += 1) {
        const place = slot * BATCH_ENTRIES + i;
        if (this.placeOf.get(batch.sids[i]!) === place) yield place;
      }
    }
  }

  /**
   * Every archived task's place, oldest first (by `dateCreated`; ties in the order archived): each
   * batch holds its tasks oldest first, and the batches are merged as the places are read, so a
   * reader that stops early (a page) reads little more than it takes.
   */
  *byCreation(): Generator<Place> {
    const heap: Cursor[] = [];
    for (const [slot, batch] of this.batches) heap.push({ slot, batch, i: 0, order: heap.length });
    for (let k = (heap.length >> 1) - 1; k >= 0; k -= 1) siftDown(heap, k);
    while (heap.length > 0) {
      const top = heap[0]!;
      const place = top.slot * BATCH_ENTRIES + top.i;
      if (this.placeOf.get(top.batch.sids[top.i]!) === place) yield place;
      top.i += 1;
      if (top.i === top.batch.sids.length) {
        const last = heap.pop()!;
        if (heap.length === 0) return;
        heap[0] = last;
      }
      siftDown(heap, 0);
    }
  }

  /** The task at a place, with its reservations, decoded. */
  at(place: Place): FinishedTask {
    const batch = this.batchOf(place);
    const i = place % BATCH_ENTRIES;
    const text = batch.bytes.toString('utf8', i === 0 ? 0 : batch.ends[i - 1]!, batch.ends[i]!);
    // Written by addBatch from the engine's own records.
    const [task, reservations] = JSON.parse(text) as [unknown[], unknown[][]];
    return { task: recordOf<TaskRecord>(task, TASK_KEYS), reservations: reservations.map((r) => recordOf<ReservationRecord>(r, RESERVATION_KEYS)) };
  }

  /** A number of the task at a place, read without decoding it. */
  numberAt(place: Place, field: ArchivedNumber): number {
    return this.batchOf(place).numbers[field][place % BATCH_ENTRIES]!;
  }

  /** The status of the task at a place, read without decoding it. */
  statusAt(place: Place): TaskStatus {
    return TASK_STATUSES[this.batchOf(place).status[place % BATCH_ENTRIES]!]!;
  }

  private batchOf(place: Place): Batch {
    return this.batches.get(Math.floor(place / BATCH_ENTRIES))!;
  }

  /** Archives one batch; `tasks` is its own (a slice), sorted in place. */
  private addBatch(tasks: FinishedTask[]): void {
    if (tasks.length === 0) return;
    // Oldest first, for `byCreation` (a stable sort: ties stay in the order given).
    tasks.sort((a, b) => a.task.dateCreated - b.task.dateCreated);
    // Values without their keys: the keys took about half of each entry.
    const texts = tasks.map((t) => JSON.stringify([valuesOf(t.task, TASK_KEYS), t.reservations.map((r) => valuesOf(r, RESERVATION_KEYS))]));
    const ends = new Uint32Array(texts.length);
    let total = 0;
    for (const [i, text] of texts.entries()) ends[i] = total += Buffer.byteLength(text);
    // Its own memory, outside the pool small buffers share, so it goes when the batch does.
    const bytes = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (const text of texts) at += bytes.write(text, at);
    const slot = this.freeSlots.pop() ?? this.nextSlot++;
    const batch: Batch = {
      bytes,
      ends,
      sids: tasks.map((t) => t.task.sid),
      numbers: Object.fromEntries(NUMBERS.map((field) => [field, Float64Array.from(tasks, (t) => t.task[field] ?? 0)])) as Batch['numbers'],
      status: Uint8Array.from(tasks, (t) => STATUS_INDEX.get(t.task.assignmentStatus)!),
      live: tasks.length,
    };
    this.batches.set(slot, batch);
    for (const [i, { task, reservations }] of tasks.entries()) {
      this.placeOf.set(task.sid, slot * BATCH_ENTRIES + i);
      let lastWorker: string | undefined;
      for (const r of reservations) {
        this.taskOfReservation.set(r.sid, task.sid);
        if (r.workerSid === lastWorker) continue;
        lastWorker = r.workerSid;
        let queue = this.ofWorker.get(r.workerSid);
        if (!queue) this.ofWorker.set(r.workerSid, (queue = new SidQueue()));
        if (queue.last() !== task.sid) queue.push(task.sid);
      }
    }
  }
}
