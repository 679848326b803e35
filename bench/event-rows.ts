/**
 * Event-row benchmark: the loop's time to turn an event into the JSON its row stores, as the store
 * does it (`storedEventJson`: built from the parts, the strings events repeat escaped once) against
 * the code before (a copy of the data without its column fields, then `JSON.stringify`), on the
 * same events, alternating, in one process. The events are a hub's own: lifecycles of a queue with
 * MaxReservedWorkers 1 and 50 (where fifty offers and forty-nine rescinds share their task's strings).
 *
 *   npm run bench:event-rows [-- --tasks 150 --runs 10]
 */
import { loadavg } from 'node:os';
import type { EventRecord } from '../server/engine/model.js';
import { JsonStrings, storedEventJson } from '../server/store/event-json.js';
import { MemoryStore } from '../server/store/memory-store.js';
import { inColumn } from '../server/store/sqlite-events.js';
import { benchHub } from './lib/bench-hub.js';
import { intOptions } from './lib/int-options.js';
import { median } from './lib/median.js';

interface Options {
  tasks: number;
  runs: number;
}

/** The code before: the data copied without its column fields, the whole event through `JSON.stringify`. */
function before(e: EventRecord): string {
  const data: Record<string, unknown> = {};
  for (const key in e.data) {
    const value = e.data[key];
    if (!inColumn(key, value)) data[key] = value;
  }
  return JSON.stringify({ description: e.description, resourceType: e.resourceType, actorType: e.actorType, actorSid: e.actorSid, workerSid: e.workerSid, data });
}

/** The events of `tasks` lifecycles (create, accept the first offer, complete) on a queue offering to `maxReservedWorkers`. */
async function hubEvents(maxReservedWorkers: number, tasks: number): Promise<EventRecord[]> {
  const store = new MemoryStore();
  const events: EventRecord[] = [];
  let capturing = false;
  const commit = store.commit.bind(store);
  store.commit = (batch) => {
    if (capturing) events.push(...batch.events);
    return commit(batch);
  };
  const { hub, state, must, activity } = await benchHub(store);
  try {
    const available = activity('Available');
    for (let i = 0; i < 200; i += 1) {
      await must({ type: 'worker.create', friendlyName: `agent-${i}`, activitySid: available, attributes: JSON.stringify({ skills: ['support', 'billing'], languages: ['en'], level: i % 5 }) });
    }
    const queue = await must({ type: 'taskQueue.create', friendlyName: 'All', targetWorkers: '1==1', maxReservedWorkers });
    const workflow = await must({ type: 'workflow.create', friendlyName: 'Main', configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }) });
    capturing = true;
    for (let n = 0; n < tasks; n += 1) {
      const task = await must({ type: 'task.create', attributes: JSON.stringify({ type: 'support', customer: `C-${n}`, priority: 'normal' }), workflowSid: workflow.sid });
      const winner = [...(state.pendingOfTask.get(task.sid) ?? [])][0]!;
      await must({ type: 'reservation.update', sid: winner.sid, status: 'accepted' }, { type: 'worker', sid: winner.workerSid });
      await must({ type: 'task.update', sid: task.sid, assignmentStatus: 'completed', reason: 'resolved' });
    }
  } finally {
    await hub.close();
  }
  return events;
}

/** Microseconds per event of one pass over the events (five times over, so a pass is long enough to time). */
function pass(events: readonly EventRecord[], serialize: (e: EventRecord) => string): number {
  let chars = 0;
  const started = performance.now();
  for (let k = 0; k < 5; k += 1) for (const e of events) chars += serialize(e).length;
  if (chars === 0) throw new Error('nothing serialized');
  return ((performance.now() - started) * 1_000) / (5 * events.length);
}

async function main(): Promise<void> {
  const options = intOptions<Options>({ tasks: 150, runs: 10 });
  console.log(`Event-row bench: ${options.tasks} lifecycles per queue, ${options.runs} runs per cell, load average ${loadavg()[0]!.toFixed(2)}`);
  const rows = ['| MaxReservedWorkers | Events | Before: copy + JSON.stringify (µs per event, median) | Now: storedEventJson | Ratio |', '| --- | --- | --- | --- | --- |'];
  for (const maxReservedWorkers of [1, 50]) {
    const events = await hubEvents(maxReservedWorkers, options.tasks);
    const strings = new JsonStrings();
    const now = (e: EventRecord) => storedEventJson(e, inColumn, strings);
    for (const e of events) if (now(e) !== before(e)) throw new Error(`the two differ on ${e.eventType}: ${now(e)} against ${before(e)}`);
    const times = { before: [] as number[], now: [] as number[] };
    for (let r = 0; r < options.runs; r += 1) {
      // Alternating, each side first every other run.
      if (r % 2 === 0) times.before.push(pass(events, before));
      times.now.push(pass(events, now));
      if (r % 2 === 1) times.before.push(pass(events, before));
    }
    const b = median(times.before);
    const n = median(times.now);
    rows.push(`| ${maxReservedWorkers} | ${events.length} | ${b.toFixed(2)} | ${n.toFixed(2)} | ${(n / b).toFixed(2)}x |`);
  }
  console.log(rows.join('\n'));
}

await main();
