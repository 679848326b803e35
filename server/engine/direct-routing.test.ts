import { describe, expect, it } from 'vitest';
import { EngineHarness } from './test-support/engine-harness.js';

/** Sales (team sales) as the workflow's only queue; Ann in it, Cy (support) outside it. */
function salesFloor() {
  const h = EngineHarness.create();
  const sales = h.addQueue('Sales', { targetWorkers: "team == 'sales'" });
  h.addWorkflow('W', { filters: [], default_filter: { queue: sales.sid } });
  const ann = h.addWorker('Ann', { attributes: { team: 'sales' } });
  const cy = h.addWorker('Cy', { attributes: { team: 'support' }, activity: 'Offline' });
  return { h, ann, cy };
}

describe('a task routed to one worker (RoutingTarget) waits for that worker', () => {
  it('outside its queue: offered once the worker becomes Available, not only when the task is created', () => {
    const { h, cy } = salesFloor();
    const task = h.addTask({ routingTarget: cy.sid, ignoreCapacity: false });
    expect(h.reservationsOf(task.sid)).toEqual([]);
    h.clock.advance(1_000);
    h.setActivity(cy.sid, 'Available');
    expect(h.onlyPending(task.sid).workerSid).toBe(cy.sid);
  });

  it('outside its queue and busy: offered once the worker finishes the task it holds', () => {
    const { h, cy } = salesFloor();
    h.setActivity(cy.sid, 'Available');
    const first = h.addTask({ routingTarget: cy.sid, ignoreCapacity: false });
    expect(h.accept(h.onlyPending(first.sid).sid).ok).toBe(true);
    const second = h.addTask({ routingTarget: cy.sid, ignoreCapacity: false });
    expect(h.reservationsOf(second.sid)).toEqual([]);
    h.clock.advance(1_000);
    h.setTaskStatus(first.sid, 'completed');
    expect(h.onlyPending(second.sid).workerSid).toBe(cy.sid);
  });

  it('ignoring capacity (the default): offered once the worker is Available again, though it still holds a task', () => {
    const { h, ann } = salesFloor();
    const held = h.addTask();
    expect(h.accept(h.onlyPending(held.sid).sid).ok).toBe(true);
    h.setActivity(ann.sid, 'Offline');
    const direct = h.addTask({ routingTarget: ann.sid });
    expect(h.reservationsOf(direct.sid)).toEqual([]);
    h.clock.advance(1_000);
    h.setActivity(ann.sid, 'Available');
    expect(h.onlyPending(direct.sid).workerSid).toBe(ann.sid);
  });

  it('is not offered to anyone else meanwhile, and a restore has nothing more to offer than the live workspace did', () => {
    const { h, cy } = salesFloor();
    h.setActivity(cy.sid, 'Available');
    const first = h.addTask({ routingTarget: cy.sid, ignoreCapacity: false });
    expect(h.accept(h.onlyPending(first.sid).sid).ok).toBe(true);
    const second = h.addTask({ routingTarget: cy.sid, ignoreCapacity: false });
    h.addWorker('Ben', { attributes: { team: 'sales' } });
    expect(h.reservationsOf(second.sid)).toEqual([]);
    h.setTaskStatus(first.sid, 'completed');
    const { twin } = h.restore();
    expect(twin.engine.routeAll(twin.clock.now)).toEqual([]);
    expect(twin.snapshot()).toEqual(h.snapshot());
  });
});
