/** Answering offers: rejecting with an activity change, letting one time out, and going Unavailable. */
import { activity, ended, expect, offers, test } from './fixtures.js';

test('rejecting with an activity change moves the agent and leaves the offer to the other', async ({ hub, openAgent }) => {
  const alice = await openAgent('Alice');
  const bob = await openAgent('Bob');
  await hub.createTask({ topic: 'Password reset', customer: 'Linus' });
  await expect(offers(alice)).toContainText('Password reset');
  await expect(offers(bob)).toContainText('Password reset');

  await alice.getByLabel('Activity after rejecting').selectOption({ label: 'go Unavailable' });
  await alice.getByRole('button', { name: 'Reject' }).click();

  await expect(ended(alice, 'rejected')).toContainText('Offer rejected');
  await expect(offers(alice)).toHaveCount(0);
  await expect(activity(alice, 'Unavailable')).toBeChecked();
  await expect(alice.getByTestId('no-offers')).toContainText('You are Unavailable');
  expect(await hub.activityOf('Alice')).toBe('Unavailable');
  // Bob's offer is untouched, and he can still take it.
  await expect(offers(bob)).toHaveCount(1);
  await bob.getByRole('button', { name: 'Accept' }).click();
  await expect(bob.getByTestId('task')).toContainText('Password reset');
});

test('an unanswered offer times out on screen and the hub moves the agent to Offline', async ({ hub, openAgent }) => {
  await hub.setReservationTimeout(3);
  await hub.setActivity('Bob', 'Offline');
  const alice = await openAgent('Alice');
  await hub.createTask({ topic: 'Late night call' });

  await expect(offers(alice)).toContainText('Late night call');
  await expect(offers(alice).getByTestId('countdown')).toHaveText(/^0:0[0-3]$/);
  await expect(ended(alice, 'timeout')).toContainText('Offer timed out', { timeout: 15_000 });
  await expect(offers(alice)).toHaveCount(0);
  await expect(activity(alice, 'Offline')).toBeChecked();
  expect(await hub.activityOf('Alice')).toBe('Offline');
});

test('going Unavailable stops offers; going Available again brings the waiting task', async ({ hub, openAgent }) => {
  const alice = await openAgent('Alice');
  const bob = await openAgent('Bob');

  await activity(alice, 'Unavailable').click();
  await expect(activity(alice, 'Unavailable')).toBeChecked();
  expect(await hub.activityOf('Alice')).toBe('Unavailable');

  const task = await hub.createTask({ topic: 'Shipping delay' });
  await expect(offers(bob)).toContainText('Shipping delay');
  // Both offers would have been made in the same routing step: the hub made only Bob's.
  expect((await hub.reservationsOf(task.sid)).map((r) => r.worker_name)).toEqual(['Bob']);
  await expect(offers(alice)).toHaveCount(0);
  await expect(alice.getByTestId('no-offers')).toContainText('You are Unavailable');

  // The queue offers a task to up to 5 agents: back to Available, Alice gets it too.
  await activity(alice, 'Available').click();
  await expect(offers(alice)).toContainText('Shipping delay');
  await expect(offers(bob)).toHaveCount(1);
});
