/** The dashboard of a workspace with more agents than it lists: every agent counted, the first of each activity shown, live. */
import { expect, test } from './fixtures.js';

test('with 62 agents the dashboard counts them all, lists the first 50 Available by name, and follows a change live', async ({ hub, openDashboard }) => {
  const available = hub.activitySid('Available');
  const names = Array.from({ length: 60 }, (_, i) => `Agent ${String(60 - i).padStart(2, '0')}`);
  for (const name of names) await hub.rest('POST', '/Workers', { FriendlyName: name, ActivitySid: available });
  const dashboard = await openDashboard();

  const column = (activity: string) => dashboard.locator(`[data-testid="activity-col"][data-activity="${activity}"]`);
  await expect(dashboard.getByTestId('tile-available')).toContainText('62 / 62');
  await expect(column('Available').locator('.count')).toHaveText('62');
  const chips = column('Available').getByTestId('worker-chip');
  await expect(chips).toHaveCount(50);
  await expect(chips.first()).toHaveAttribute('data-worker', 'Agent 01');
  await expect(chips.last()).toHaveAttribute('data-worker', 'Agent 50');
  // Alice and Bob sort after the agents: counted, not listed.
  await expect(column('Available').getByTestId('activity-more')).toHaveText('and 12 more');
  await expect(dashboard.locator('#agent-links a')).toHaveCount(6);

  await hub.rest('POST', `/Workers/${hub.workerSid('Alice')}`, { ActivitySid: hub.activitySid('Offline') });
  await expect(dashboard.getByTestId('tile-available')).toContainText('61 / 62');
  await expect(column('Offline').getByTestId('worker-chip')).toHaveCount(1);
  await expect(column('Offline').getByTestId('worker-chip')).toHaveAttribute('data-worker', 'Alice');
  await expect(column('Available').getByTestId('activity-more')).toHaveText('and 11 more');
});
