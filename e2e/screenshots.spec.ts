/**
 * The demo's two pages through a whole multi-reservation, photographed at each step. Every run
 * checks the flow and writes the pictures to test-results/screenshots/ (for looking at the pages);
 * with SWITCHBOARD_SCREENSHOTS=1 (`npm run screenshots`) they go to client/screenshots/, the
 * README's copies.
 */
import { fileURLToPath } from 'node:url';
import { ended, expect, offers, test } from './fixtures.js';

const dir = fileURLToPath(new URL(process.env['SWITCHBOARD_SCREENSHOTS'] ? '../client/screenshots/' : '../test-results/screenshots/', import.meta.url));

test('screenshots of the dashboard and the softphone', async ({ hub, openAgent, openDashboard }) => {
  const alice = await openAgent('Alice');
  const bob = await openAgent('Bob');
  const dashboard = await openDashboard();
  await alice.setViewportSize({ width: 820, height: 760 });
  await bob.setViewportSize({ width: 820, height: 760 });
  await alice.screenshot({ path: `${dir}agent-waiting.png` });

  await hub.createTask({ topic: 'VIP callback', customer: 'Ada Lovelace', vip: true, phone: '+44 20 7946 0018' }, { priority: 10, channel: 'voice' });
  await dashboard.getByRole('button', { name: 'Create task' }).click();
  await expect(offers(alice)).toHaveCount(2);
  await expect(offers(bob)).toHaveCount(2);
  await expect(dashboard.getByTestId('queue-waiting')).toHaveText('2');
  await alice.screenshot({ path: `${dir}agent-offers.png`, fullPage: true });

  await offers(alice).filter({ hasText: 'VIP callback' }).getByRole('button', { name: 'Accept' }).click();
  await expect(alice.getByTestId('task')).toContainText('VIP callback');
  await expect(ended(bob, 'rescinded')).toContainText('Taken by another agent');
  const stale = await ended(bob, 'rescinded').getAttribute('data-sid');
  await bob.evaluate((sid) => window.softphone!.accept(sid), stale!);
  await expect(bob.getByRole('alert')).toContainText('410');
  await bob.screenshot({ path: `${dir}agent-taken.png`, fullPage: true });
  await alice.screenshot({ path: `${dir}agent-task.png`, fullPage: true });
  await expect(dashboard.locator('[data-testid="worker-chip"][data-worker="Alice"]')).toContainText('1 task');
  await dashboard.screenshot({ path: `${dir}dashboard.png`, fullPage: true });
});
