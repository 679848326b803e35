import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantChecker, unpersistedChanges } from './test-support/invariants.js';
import { actionArbitrary, applyAction, type Action } from './test-support/random-actions.js';
import { randomWorkspace } from './test-support/random-workspace.js';

/** Runs actions on a fresh random workspace, checking every invariant after every step. */
function runChecked(actions: Action[], options: { multiTaskEnabled: boolean; defaultFilter: boolean }): void {
  const { h, queues } = randomWorkspace(options);
  const checker = new InvariantChecker();
  const initial = checker.check(h.state, h.clock.now, { timersFired: true });
  expect(initial, 'before any action').toEqual([]);
  for (const [i, action] of actions.entries()) {
    const { problems } = applyAction(h, queues, action);
    // An advance fires many timers: a worker offered work by one may be moved by the next.
    problems.push(...checker.check(h.state, h.clock.now, { timersFired: true, newOffersEligible: action.kind !== 'advance' }));
    problems.push(...unpersistedChanges(h.state, h.store));
    if (problems.length > 0) {
      throw new Error(`after action ${i} ${JSON.stringify(action)}:\n  ${problems.join('\n  ')}`);
    }
  }
}

describe('routing invariants under random command sequences', () => {
  it.each([
    ['multitasking and a default filter', { multiTaskEnabled: true, defaultFilter: true }],
    ['single-tasking and no default filter', { multiTaskEnabled: false, defaultFilter: false }],
  ])('with %s they hold after every step: one winner per task, capacity, terminal statuses, deadlines, indexes, never idle, offers only to eligible workers, all persisted', (_, options) => {
    fc.assert(
      fc.property(fc.array(actionArbitrary, { minLength: 1, maxLength: 50, size: 'max' }), (actions) => runChecked(actions, options)),
      { numRuns: 1000 },
    );
  }, 60_000);
});
