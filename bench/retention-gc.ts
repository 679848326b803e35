/**
 * What the finished tasks a hub keeps for their retention (5 minutes) cost its garbage collector.
 * Runs N tasks through create -> accept -> complete on an in-process hub (real timers on a clock
 * the bench moves, a store that keeps nothing), then measures heap per retained task, the time of
 * a full collection and of reading one, kept live (as before the archive) and then archived. Then the timers alone: N armed on the hub's `Timers` (one queue,
 * one Node timer) against N Node timers, one per key (what `Timers` did before).
 * Run: `npm run bench:retention -- [tasks]` (default 90,000: 5 minutes at 300 tasks/s).
 */
import { ARCHIVE_DELAY_MS } from '../server/engine/archive.js';
import type { Outcome } from '../server/engine/outcome.js';
import { Hub } from '../server/hub.js';
import { Timers, type TimerTable } from '../server/timers.js';
import { MemoryStore } from '../server/store/memory-store.js';
import type { CommitBatch } from '../server/store/store.js';

class NullStore extends MemoryStore {
  override async commit(_batch: CommitBatch): Promise<void> {}
}

const exposed = (globalThis as { gc?: () => void }).gc;
if (!exposed) throw new Error('run with node --expose-gc (npm run bench:retention does)');
const gc: () => void = exposed;

function fullGcMs(rounds = 5): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const t = performance.now();
    gc();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const N = Number(process.argv[2] ?? 90_000);
const ok = <T>(o: Outcome): T => {
  if (!o.ok) throw new Error(o.error.message);
  return o.value as T;
};

/** Median time of `fn` over `sids`, in µs per call. */
function perCall(sids: readonly string[], fn: (sid: string) => unknown): number {
  const runs: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    const t = performance.now();
    for (const sid of sids) fn(sid);
    runs.push(((performance.now() - t) * 1000) / sids.length);
  }
  return runs.sort((a, b) => a - b)[2]!;
}

/**
 * Runs N tasks to completion on a fresh hub whose clock stands still, so none is archived yet:
 * what they cost kept live (as before the archive). Then moves the clock past the archive delay
 * and waits for the archive timer: what the same tasks cost archived.
 */
async function retainedTasks(): Promise<void> {
  let clock = Math.ceil(Date.now() / 1_000) * 1_000;
  const hub = await Hub.open({ store: new NullStore(), accountSid: `AC${'a'.repeat(32)}`, now: () => clock });
  const ws = await hub.createWorkspace({ friendlyName: 'gc', template: 'FIFO' });
  const engine = hub.engine(ws.sid)!;
  const available = [...engine.state.activities.values()].find((a) => a.friendlyName === 'Available')!.sid;
  const workers: string[] = [];
  for (let i = 0; i < 100; i += 1) {
    const w = ok<{ sid: string }>(hub.dispatchNow(ws.sid, { type: 'worker.create', friendlyName: `w${i}`, activitySid: available, attributes: JSON.stringify({ skills: ['a', 'b'], i }) }));
    workers.push(w.sid);
  }
  await hub.flush();
  gc();
  const base = process.memoryUsage().heapUsed;
  const baseBuffers = process.memoryUsage().arrayBuffers;
  const baseGc = fullGcMs();
  const started = performance.now();
  const sids: string[] = [];
  for (let i = 0; i < N; i += 1) {
    const task = ok<{ sid: string }>(hub.dispatchNow(ws.sid, { type: 'task.create', attributes: JSON.stringify({ customer: `c${i}`, language: 'en', topic: { kind: 'billing', n: i } }) }));
    const reservation = [...(engine.state.pendingOfTask.get(task.sid) ?? [])][0];
    if (!reservation) throw new Error('not offered');
    ok(hub.dispatchNow(ws.sid, { type: 'reservation.update', sid: reservation.sid, status: 'accepted' }));
    ok(hub.dispatchNow(ws.sid, { type: 'task.update', sid: task.sid, assignmentStatus: 'completed' }));
    sids.push(task.sid);
    if (i % 1000 === 999) await hub.flush();
  }
  await hub.flush();
  const ran = performance.now() - started;
  const sample = sids.filter((_, i) => i % 10 === 0);

  const measure = (label: string) => {
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    const line = {
      label,
      heapEach: (heapUsed - base) / N,
      buffersEach: (arrayBuffers - baseBuffers) / N,
      gcMs: fullGcMs(),
      readUs: perCall(sample, (sid) => engine.state.findTask(sid)),
      live: engine.state.tasks.size,
      archived: engine.state.finished.size,
    };
    console.log(
      `  ${label.padEnd(9)} ${line.heapEach.toFixed(0).padStart(5)} B of heap each (+${line.buffersEach.toFixed(0)} B in buffers), full GC ${line.gcMs.toFixed(1).padStart(6)} ms, ` +
        `read one ${line.readUs.toFixed(2)} µs (tasks live ${line.live}, archived ${line.archived})`,
    );
    return line;
  };
  console.log(`${N} finished tasks retained (empty hub: full GC ${baseGc.toFixed(1)} ms; ran ${((ran / N) * 1000).toFixed(1)} µs/task):`);
  const live = measure('live');
  /** Moves the clock and waits for the timers to bring the state about; the process's CPU per task meanwhile (µs). */
  const cpuUntil = async (ms: number, done: () => boolean, what: string): Promise<number> => {
    clock += ms;
    const started = performance.now();
    const cpu = process.cpuUsage();
    while (!done()) {
      if (performance.now() - started > 30_000) throw new Error(`timed out waiting for ${what}: ${engine.state.tasks.size} live, ${engine.state.finished.size} archived`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / N;
  };
  const archiving = await cpuUntil(ARCHIVE_DELAY_MS + 1_000, () => engine.state.finished.size === N, 'the archive');
  const archived = measure('archived');
  console.log(
    `  archived / live: heap ${(archived.heapEach / live.heapEach).toFixed(2)}x, full GC ${(archived.gcMs / live.gcMs).toFixed(2)}x, ` +
      `read ${(archived.readUs / live.readUs).toFixed(0)}x`,
  );
  // The purge timer's Node timer waits five minutes of real time: the bench fires it, step after step, as it would come back.
  clock += 300_000;
  const purgeCpu = process.cpuUsage();
  while (engine.state.finished.size > 0 || engine.state.tasks.size > 0) ok(hub.dispatchNow(ws.sid, { type: 'timer.fired', key: 'purge' }, { type: 'system' }));
  await hub.flush();
  const purgeUsed = process.cpuUsage(purgeCpu);
  const purging = (purgeUsed.user + purgeUsed.system) / N;
  console.log(`  CPU per task: archiving it ${archiving.toFixed(1)} µs, purging it from the archive ${purging.toFixed(1)} µs`);
  await hub.close();
}

await retainedTasks();

/** The baseline: one Node timer per key, as `Timers` was before its queue. */
class NodeTimers implements TimerTable {
  private readonly handles = new Map<string, NodeJS.Timeout>();
  constructor(private readonly fire: (key: string) => void) {}
  set(key: string, at: number): void {
    this.clear(key);
    const handle = setTimeout(() => {
      this.handles.delete(key);
      this.fire(key);
    }, Math.max(0, at - Date.now()));
    handle.unref();
    this.handles.set(key, handle);
  }
  clear(key: string): void {
    clearTimeout(this.handles.get(key));
    this.handles.delete(key);
  }
  clearAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
  }
}

const table = (label: string, make: () => TimerTable): string => {
  gc();
  const before = process.memoryUsage().heapUsed;
  const timers = make();
  const at = Date.now() + 300_000;
  const setStarted = performance.now();
  for (let i = 0; i < N; i += 1) timers.set(`WS${'0'.repeat(32)}|purge:WT${i.toString(16).padStart(32, '0')}`, at + (i % 1000));
  const setUs = ((performance.now() - setStarted) * 1000) / N;
  gc();
  const line = `${label.padEnd(26)} ${String(Math.round((process.memoryUsage().heapUsed - before) / N)).padStart(5)} B each, full GC ${fullGcMs().toFixed(1).padStart(6)} ms, set ${setUs.toFixed(2)} µs`;
  timers.clearAll();
  return line;
};
console.log(`${N} armed timers:`);
console.log(`  ${table('Timers (one queue)', () => new Timers(Date.now, () => undefined))}`);
console.log(`  ${table('baseline: a Node timer each', () => new NodeTimers(() => undefined))}`);
