/**
 * The headline: a task offered to Alice and Bob at once; the first accept wins, the other offer
 * is rescinded on Bob's screen, and Bob's late accept is refused with 410.
 */
import { activity, ended, expect, offers, test } from './fixtures.js';

test('both agents see the offer, Alice wins, Bob sees it taken and his late accept fails with 410', async ({ hub, openAgent, openDashboard }) => {
  const alice = await openAgent('Alice');
  const bob = await openAgent('Bob');
  const dashboard = await openDashboard();

  // The operator creates a task from the dashboard's form.
  await dashboard.getByLabel('Attributes').fill(JSON.stringify({ topic: 'Refund request', customer: 'Grace Hopper', order: 1042 }));
  await dashboard.getByLabel('Priority').fill('3');
  await dashboard.getByRole('button', { name: 'Create task' }).click();
  await expect(dashboard.getByTestId('task-created')).toContainText('reserved');

  // Both agents get the offer, with its attributes and a running countdown.
  for (const page of [alice, bob]) {
    await expect(offers(page)).toHaveCount(1);
    await expect(offers(page)).toContainText('Refund request');
    await expect(offers(page)).toContainText('Grace Hopper');
    await expect(offers(page)).toContainText('priority 3');
    await expect(offers(page).getByTestId('countdown')).toHaveText(/^0:[0-5]\d$/);
  }
  const queue = dashboard.getByTestId('queue-row').filter({ hasText: 'Support' });
  await expect(queue.getByTestId('queue-waiting')).toHaveText('1');
  await expect(dashboard.locator('[data-testid="worker-chip"][data-worker="Bob"]')).toContainText('1 offer');

  await alice.getByRole('button', { name: 'Accept' }).click();

  await expect(alice.getByTestId('task')).toContainText('Refund request');
  await expect(alice.getByTestId('task-status')).toHaveText('Assigned');
  await expect(offers(alice)).toHaveCount(0);

  await expect(offers(bob)).toHaveCount(0);
  await expect(ended(bob, 'rescinded')).toContainText('Taken by another agent');
  await expect(ended(bob, 'rescinded')).toContainText('Refund request');

  // Bob's click arrives late: the SDK's accept on the stale reservation is refused with 410.
  const staleSid = await ended(bob, 'rescinded').getAttribute('data-sid');
  expect(staleSid).toMatch(/^WR[0-9a-f]{32}$/);
  const failure = await bob.evaluate(async (sid) => {
    const reservation = window.softphone!.seen.get(sid)!;
    try {
      await reservation.accept();
      return null;
    } catch (error) {
      const e = error as { name: string; status: number; code: number };
      return { name: e.name, status: e.status, code: e.code };
    }
  }, staleSid!);
  expect(failure).toEqual({ name: 'SwitchboardError', status: 410, code: 20410 });
  // The same late accept through the page's own button handler: the page says so.
  await bob.evaluate((sid) => window.softphone!.accept(sid), staleSid!);
  await expect(bob.getByRole('alert')).toContainText('410');
  await expect(ended(bob, 'rescinded').getByTestId('card-error')).toContainText('Too late');

  // The dashboard follows live; the hub agrees on who won.
  await expect(queue.getByTestId('queue-waiting')).toHaveText('0');
  await expect(dashboard.locator('[data-testid="worker-chip"][data-worker="Alice"]')).toContainText('1 task');
  await expect(dashboard.getByTestId('task-row').first()).toContainText('assigned');
  await expect(dashboard.getByTestId('task-row').first()).toContainText('Alice');
  const taskSid = await dashboard.getByTestId('task-row').first().getAttribute('data-sid');
  const reservations = await hub.reservationsOf(taskSid!);
  expect(reservations.map((r) => `${r.worker_name}:${r.reservation_status}`).sort()).toEqual(['Alice:accepted', 'Bob:rescinded']);

  // Alice wraps up and completes.
  await alice.getByRole('button', { name: 'Wrap up' }).click();
  await expect(alice.getByTestId('task-status')).toHaveText('Wrapping up');
  await alice.getByRole('button', { name: 'Complete' }).click();
  await expect(alice.getByTestId('task')).toHaveCount(0);
  await expect(ended(alice, 'completed')).toContainText('Task completed');
  await expect(dashboard.getByTestId('task-row').first()).toContainText('completed');
  await expect(activity(alice, 'Available')).toBeChecked();
});
