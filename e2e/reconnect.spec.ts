/**
 * The connection to the hub drops mid-offer and comes back: the page recovers by itself and shows
 * the truth (the offer was taken meanwhile), then keeps receiving offers.
 */
import type { WebSocketRoute } from '@playwright/test';
import { ended, expect, offers, test } from './fixtures.js';

test('the browser goes offline mid-offer; back online, the page shows the offer was taken', async ({ hub, openAgent }) => {
  const alice = await openAgent('Alice');
  const bob = await openAgent('Bob');
  await hub.createTask({ topic: 'Router on fire' });
  await expect(offers(alice)).toContainText('Router on fire');
  await expect(offers(bob)).toContainText('Router on fire');

  await alice.context().setOffline(true);
  await expect(alice.getByTestId('connection')).toHaveText(/Offline|Reconnecting/);
  // While Alice is away, Bob takes the task.
  await bob.getByRole('button', { name: 'Accept' }).click();
  await expect(bob.getByTestId('task')).toContainText('Router on fire');
  // Alice's page still shows the offer it last knew.
  await expect(offers(alice)).toHaveCount(1);

  await alice.context().setOffline(false);
  await expect(alice.getByTestId('connection')).toHaveText('Connected');
  await expect(offers(alice)).toHaveCount(0);
  await expect(ended(alice, 'rescinded')).toContainText('Taken by another agent');
});

test('the hub connection is cut and restored mid-offer: the SDK reconnects with backoff and catches up', async ({ hub, openAgent }) => {
  let cut = false;
  const routes: WebSocketRoute[] = [];
  const alice = await openAgent('Alice', {
    // Every socket of Alice's page goes through this proxy, which can cut the hub off.
    before: (page) =>
      page.routeWebSocket(/\/v1\/sockets$/, (ws) => {
        if (cut) {
          void ws.close({ code: 1011, reason: 'hub unreachable' });
          return;
        }
        ws.connectToServer();
        routes.push(ws);
      }),
  });
  const bob = await openAgent('Bob');
  const first = await hub.createTask({ topic: 'Printer jam' });
  await expect(offers(alice)).toContainText('Printer jam');

  cut = true;
  for (const route of routes.splice(0)) await route.close({ code: 1011, reason: 'hub unreachable' });
  await expect(alice.getByTestId('connection')).toHaveText(/Reconnecting/);
  await bob.getByRole('button', { name: 'Accept' }).click();
  await expect(bob.getByTestId('task')).toContainText('Printer jam');
  expect((await hub.reservationsOf(first.sid)).find((r) => r.worker_name === 'Alice')?.reservation_status).toBe('rescinded');

  cut = false;
  await expect(alice.getByTestId('connection')).toHaveText('Connected', { timeout: 20_000 });
  await expect(offers(alice)).toHaveCount(0);
  await expect(ended(alice, 'rescinded')).toContainText('Printer jam');

  // Alice is still Available and live: the next task reaches her.
  await hub.createTask({ topic: 'Coffee machine' });
  await expect(offers(alice)).toContainText('Coffee machine');
});
