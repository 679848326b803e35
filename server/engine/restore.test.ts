import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Effect } from './effects.js';
import { timerOps } from './test-support/effect-views.js';
import { WorkspaceEngine } from './engine.js';
import { currentTarget } from './route.js';
import { EngineHarness } from './test-support/engine-harness.js';
import { InvariantChecker } from './test-support/invariants.js';
import { actionArbitrary, applyAction } from './test-support/random-actions.js';
import { randomWorkspace } from './test-support/random-workspace.js';

const json = (effects: Effect[]): unknown => JSON.parse(JSON.stringify(effects));

/**
 * A snapshot with each ready set sorted. Workers that went to the back in the same millisecond (the
 * offers and the rescinds of one multi-reservation round) come back in SID order, not in the order
 * they were handled; the tests below hold the idle order across a restore where times differ.
 */
function withoutIdleOrder(snapshot: unknown): unknown {
  const s = snapshot as { ready: [string, string, string[]][] };
  return { ...s, ready: s.ready.map(([q, c, workers]) => [q, c, [...workers].sort()]) };
}

/**
 * Sales (multi-reservation 2) escalating to Support after 60 s; Ann and Ben idle in Sales,
 * Sam in Support. Every change happens at its own millisecond.
 */
function busyWorkspace() {
  const h = EngineHarness.create();
  const sales = h.addQueue('Sales', { targetWorkers: "team == 'sales'", maxReservedWorkers: 2 });
  const support = h.addQueue('Support', { targetWorkers: "team == 'support'" });
  h.addWorkflow(
    'W',
    { filters: [{ expression: '1==1', targets: [{ queue: sales.sid, timeout: 60 }, { queue: support.sid }] }] },
    { taskReservationTimeout: 30 },
  );
  const tick = () => h.clock.advance(1_000);
  const ann = h.addWorker('Ann', { attributes: { team: 'sales' } });
  tick();
  const ben = h.addWorker('Ben', { attributes: { team: 'sales' } });
  tick();
  const sam = h.addWorker('Sam', { attributes: { team: 'support' }, activity: 'Offline' });
  tick();
  const offered = h.addTask({ attributes: { n: 1 }, timeout: 3_600 });
  tick();
  const waiting = h.addTask({ attributes: { n: 2 } });
  tick();
  return { h, ann, ben, sam, offered, waiting, sales, support };
}

describe('restore', () => {
  it('brings back the same records, pending reservations and indexes', () => {
    const { h } = busyWorkspace();
    const { twin } = h.restore();
    expect(twin.snapshot()).toEqual(h.snapshot());
    expect(twin.pending().map((r) => [r.sid, r.workerSid, r.timeoutAt])).toEqual(h.pending().map((r) => [r.sid, r.workerSid, r.timeoutAt]));
    expect(twin.pending()).toHaveLength(2);
  });

  it('re-arms every timer from its absolute deadline', () => {
    const { h, offered, waiting } = busyWorkspace();
    const { effects } = h.restore();
    const [first, second] = h.pending();
    const created = h.task(offered.sid).dateCreated;
    expect(timerOps(effects).sort()).toEqual(
      [
        `set ttl:${offered.sid}@${created + 3_600_000}`,
        `set target:${offered.sid}@${created + 60_000}`,
        `set ttl:${waiting.sid}@${h.task(waiting.sid).dateCreated + 86_400_000}`,
        `set target:${waiting.sid}@${h.task(waiting.sid).dateCreated + 60_000}`,
        `set reservation:${first!.sid}@${first!.timeoutAt}`,
        `set reservation:${second!.sid}@${second!.timeoutAt}`,
      ].sort(),
    );
    expect(effects.every((e) => e.type === 'timer.set')).toBe(true);
    expect(new Map([...h.timers.entries()])).toEqual(new Map(effects.flatMap((e) => (e.type === 'timer.set' ? [[e.key, e.at] as const] : []))));
  });

  it('has nothing left to route right after a restore', () => {
    const { h } = busyWorkspace();
    const { twin } = h.restore();
    expect(twin.engine.routeAll(twin.clock.now)).toEqual([]);
  });

  it('then behaves exactly like the engine it was restored from', () => {
    const { h, ann, ben, sam, offered, waiting } = busyWorkspace();
    const { twin } = h.restore();
    const both = (act: (x: EngineHarness) => Effect[]) => {
      const a = act(h);
      const b = act(twin);
      expect(json(b)).toEqual(json(a));
      return a;
    };
    const annOffer = h.pending().find((r) => r.workerSid === ann.sid)!;
    // Ann accepts: Ben's offer on the same task is rescinded, Ben takes the waiting task.
    both((x) => x.accept(annOffer.sid).effects);
    expect(h.onlyPending(waiting.sid).workerSid).toBe(ben.sid);
    // Ben's offer times out (30 s): he goes Offline; the waiting task escalates to Support at 60 s.
    both((x) => x.advance(30_000));
    both((x) => x.setActivity(sam.sid, 'Available'));
    both((x) => x.advance(30_000));
    expect(h.onlyPending(waiting.sid).workerSid).toBe(sam.sid);
    both((x) => x.setTaskStatus(offered.sid, 'completed').effects);
    both((x) => [x.addTask({ attributes: { n: 3 } })].flatMap(() => x.events.slice(-3).map((e) => ({ type: 'event' as const, event: e }))));
    expect(twin.snapshot()).toEqual(h.snapshot());
  });

  it('fires at once a deadline that passed while the hub was down', () => {
    const { h } = busyWorkspace();
    const [offer] = h.pending();
    h.clock.advance(45_000); // down for 45 s: no timers fired
    const { twin } = h.restore();
    const effects = twin.advance(0);
    expect(twin.reservation(offer!.sid).status).toBe('timeout');
    expect(effects.some((e) => e.type === 'event' && e.event.eventType === 'reservation.timeout')).toBe(true);
  });

  it('does not bring back what was deleted', () => {
    const { h, offered } = busyWorkspace();
    h.setTaskStatus(offered.sid, 'canceled');
    h.advance(300_000);
    expect(h.state.tasks.has(offered.sid)).toBe(false);
    const { twin } = h.restore();
    expect(twin.state.tasks.has(offered.sid)).toBe(false);
    expect(twin.reservationsOf(offered.sid)).toEqual([]);
  });

  it('at any point of a random history: same records and offers, same deadlines, nothing to route, and routing continues', () => {
    fc.assert(
      fc.property(fc.array(actionArbitrary, { maxLength: 40, size: 'max' }), fc.array(actionArbitrary, { maxLength: 20 }), (history, future) => {
        const { h, queues } = randomWorkspace();
        for (const action of history) applyAction(h, queues, action);
        const { twin } = h.restore();
        expect(withoutIdleOrder(twin.snapshot())).toEqual(withoutIdleOrder(h.snapshot()));
        expect(twin.engine.routeAll(twin.clock.now)).toEqual([]);
        // The twin arms a subset of the original's timers, at the same deadlines; the rest are stale and fire as no-ops.
        const live = h.timers.entries();
        for (const [key, at] of twin.timers.entries()) expect([key, live.get(key)]).toEqual([key, at]);
        for (const [key] of live) {
          if (twin.timers.at(key) !== undefined) continue;
          h.clock.moveTo(live.get(key)!);
          const before = h.snapshot();
          const effects = h.step({ type: 'timer.fired', key }, { type: 'system' }).effects;
          // The archive timer (the twin archived at once) moves finished tasks out of the heap: nothing observable, at most itself again.
          expect(effects.filter((e) => !(key === 'archive' && e.type === 'timer.set' && e.key === 'archive'))).toEqual([]);
          expect(h.snapshot()).toEqual(before);
        }
        const checker = new InvariantChecker();
        checker.observe(twin.state);
        expect(checker.check(twin.state, twin.clock.now, { timersFired: true }).filter((p) => !p.includes(' holds '))).toEqual([]);
        for (const action of future) {
          const { problems } = applyAction(twin, queues, action);
          problems.push(...checker.check(twin.state, twin.clock.now, { timersFired: true, newOffersEligible: action.kind !== 'advance' }));
          expect(problems).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});

describe('restore after a downtime', () => {
  it('fires every deadline that passed while the hub was down at once, first due first: every invariant holds and nothing is left overdue', () => {
    fc.assert(
      fc.property(
        fc.array(actionArbitrary, { maxLength: 40, size: 'max' }),
        fc.integer({ min: 1, max: 400_000 }),
        fc.array(actionArbitrary, { maxLength: 10 }),
        (history, downtime, future) => {
          const { h, queues } = randomWorkspace();
          for (const action of history) applyAction(h, queues, action);
          const { twin } = h.restore();
          const checker = new InvariantChecker();
          checker.observe(twin.state);
          // As the hub does on open: every timer due by now fires now, in deadline order.
          twin.clock.moveTo(twin.clock.now + downtime);
          const now = twin.clock.now;
          for (let due = twin.timers.takeDue(now); due; due = twin.timers.takeDue(now)) twin.step({ type: 'timer.fired', key: due.key }, { type: 'system' });
          const overdue: string[] = [];
          for (const task of twin.state.tasks.values()) {
            if (task.assignmentStatus !== 'pending' && task.assignmentStatus !== 'reserved') continue;
            if (task.dateCreated + task.timeout * 1000 <= now) overdue.push(`task ${task.sid} waits past its TTL`);
            const offset = currentTarget(twin.state, task)?.deadlineOffsetMs;
            if (offset != null && task.workflowEnteredAt + offset <= now) overdue.push(`task ${task.sid} waits on a target past its timeout`);
          }
          for (const sid of twin.state.purgeQueue) {
            const purgeAt = twin.state.findTask(sid)?.purgeAt;
            if (purgeAt != null && purgeAt <= now - 1_000) overdue.push(`finished task ${sid} is kept past its purge`);
          }
          expect(overdue).toEqual([]);
          expect(twin.engine.routeAll(now)).toEqual([]);
          expect(checker.check(twin.state, now, { timersFired: true }).filter((p) => !p.includes(' holds '))).toEqual([]);
          for (const action of future) {
            const { problems } = applyAction(twin, queues, action);
            problems.push(...checker.check(twin.state, twin.clock.now, { timersFired: true }));
            expect(problems).toEqual([]);
          }
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);
});

describe("restore takes a worker's version and its channel's last offer time from its newest offer", () => {
  const channelOf = (h: EngineHarness, workerSid: string) => [...h.state.channelsOfWorker.get(workerSid)!.values()][0]!;

  it('an offer saves neither the worker nor its channel; the restored twin has both as they were', () => {
    const { h, ann, offered } = busyWorkspace();
    const offer = h.reservationsOf(offered.sid).find((r) => r.workerSid === ann.sid)!;
    expect(h.store.get('worker', ann.sid)).toMatchObject({ version: h.worker(ann.sid).version - 1 });
    expect(h.store.get('reservation', offer.sid)).toMatchObject({ workerVersion: h.worker(ann.sid).version });
    expect(h.store.get('workerChannel', channelOf(h, ann.sid).sid)).toMatchObject({ lastReservedAt: 0 });
    const { twin } = h.restore();
    expect(twin.worker(ann.sid)).toEqual(h.worker(ann.sid));
    expect(channelOf(twin, ann.sid)).toEqual({ ...channelOf(h, ann.sid), lastReservedAt: offer.dateCreated });
  });

  it('reservations written before they carried the worker version restore with the versions of the worker records', () => {
    const { h, ann, ben } = busyWorkspace();
    const records = h.store.records();
    for (const change of records) {
      if (change.kind === 'reservation') delete change.record!.workerVersion;
      // What the older hub saved with each offer.
      if (change.kind === 'worker') change.record = h.worker(change.sid);
      if (change.kind === 'workerChannel') change.record = h.state.workerChannels.get(change.sid)!;
    }
    const { engine } = WorkspaceEngine.restore(records, h.ids.fork().source);
    for (const worker of [ann, ben]) expect(engine.state.workers.get(worker.sid)).toEqual(h.worker(worker.sid));
  });
});

describe('restore keeps the idle order', () => {
  it('a worker who got an offer since (still with free capacity) stays behind those idle longer', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    h.addWorkflow('W', { filters: [], default_filter: { queue: q.sid } });
    const ann = h.addWorker('Ann', { capacity: { chat: 2 } });
    h.clock.advance(1_000);
    const ben = h.addWorker('Ben', { capacity: { chat: 2 } });
    h.clock.advance(1_000);
    const first = h.addTask({ taskChannel: 'chat' });
    expect(h.onlyPending(first.sid).workerSid).toBe(ann.sid);
    h.clock.advance(1_000);
    const { twin } = h.restore();
    expect(twin.snapshot()).toEqual(h.snapshot());
    expect(twin.onlyPending(twin.addTask({ taskChannel: 'chat' }).sid).workerSid).toBe(ben.sid);
  });
});

describe('restore keeps the idle order of workers who finished work', () => {
  /** One queue of everyone, multi-reservation `maxReservedWorkers`; Ann then Ben become available a second apart. */
  function twoAgents(maxReservedWorkers = 1) {
    const h = EngineHarness.create();
    const q = h.addQueue('Q', { maxReservedWorkers });
    h.addWorkflow('W', { filters: [], default_filter: { queue: q.sid } });
    const ann = h.addWorker('Ann');
    h.clock.advance(1_000);
    const ben = h.addWorker('Ben');
    h.clock.advance(1_000);
    return { h, ann, ben };
  }

  /** The worker the next task is offered to, in the original and in a twin restored now. */
  function nextOffer(h: EngineHarness): [string, string] {
    const { twin } = h.restore();
    const live = h.addTask();
    const restored = twin.addTask();
    return [h.nameOf(h.onlyPending(live.sid).workerSid), twin.nameOf(twin.onlyPending(restored.sid).workerSid)];
  }

  /** Ann is offered a long task, then Ben a short one; both take them, and Ben finishes first. */
  function shortBeforeLong(h: EngineHarness, ann: { sid: string }, ben: { sid: string }): { long: { sid: string } } {
    const long = h.addTask();
    h.clock.advance(1_000);
    const short = h.addTask();
    expect([h.onlyPending(long.sid).workerSid, h.onlyPending(short.sid).workerSid]).toEqual([ann.sid, ben.sid]);
    h.accept(h.onlyPending(long.sid).sid);
    h.accept(h.onlyPending(short.sid).sid);
    h.clock.advance(1_000);
    h.setTaskStatus(short.sid, 'completed');
    h.clock.advance(1_000);
    h.setTaskStatus(long.sid, 'completed');
    return { long };
  }

  it('one who finished a task later stays behind one who finished earlier, though offered it first', () => {
    const { h, ann, ben } = twoAgents();
    shortBeforeLong(h, ann, ben);
    h.clock.advance(1_000);
    expect(nextOffer(h)).toEqual(['Ben', 'Ben']);
  });

  it('and still once the finished tasks are purged, their reservations with them', () => {
    const { h, ann, ben } = twoAgents();
    const { long } = shortBeforeLong(h, ann, ben);
    h.advance(600_000);
    expect(h.state.findTask(long.sid)).toBeUndefined();
    expect(nextOffer(h)).toEqual(['Ben', 'Ben']);
  });

  it('in a multi-reservation round, the one whose offer was rescinded stays ahead of the one who took the task and finished it', () => {
    const { h, ann, ben } = twoAgents(2);
    const task = h.addTask();
    h.clock.advance(1_000);
    h.accept(h.reservationsOf(task.sid).find((r) => r.workerSid === ann.sid)!.sid);
    expect(h.reservationsOf(task.sid).find((r) => r.workerSid === ben.sid)!.status).toBe('rescinded');
    h.clock.advance(1_000);
    h.setTaskStatus(task.sid, 'completed');
    h.clock.advance(1_000);
    const { twin } = h.restore();
    const live = h.addTask();
    const restored = twin.addTask();
    const offered = (x: EngineHarness, sid: string) => x.reservationsOf(sid).map((r) => x.nameOf(r.workerSid));
    expect([offered(h, live.sid), offered(twin, restored.sid)]).toEqual([['Ben', 'Ann'], ['Ben', 'Ann']]);
  });

  it('a worker who joins a queue takes its place by idle time there, as a rebuild and a restore give it, not the back', () => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q', { targetWorkers: "skill == 'x'" });
    h.addWorkflow('W', { filters: [], default_filter: { queue: q.sid } });
    const ann = h.addWorker('Ann', { attributes: { skill: 'y' } });
    h.clock.advance(1_000);
    h.addWorker('Ben', { attributes: { skill: 'x' } });
    h.clock.advance(1_000);
    h.run({ type: 'worker.update', sid: ann.sid, attributes: JSON.stringify({ skill: 'x' }) });
    h.clock.advance(1_000);
    expect(nextOffer(h)).toEqual(['Ann', 'Ann']);
  });
});
