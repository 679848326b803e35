/**
 * Twilio's own browser SDK (`twilio-taskrouter` 2.1.1, its `index.window.js` from node_modules,
 * loaded unmodified with `addScriptTag({ path })`) in Chromium, pointed at the hub with
 * `ebServer`/`wsServer`: it connects, is offered a task and accepts it. The page comes from
 * 127.0.0.1 and the SDK talks to `localhost`, another origin, so the browser's CORS preflight for
 * the SDK's headers is exercised too.
 *
 * That bundle is not standalone: it `require()`s axios, events, lodash, loglevel, jwt-decode,
 * graphql-ws, @babel/runtime and Node's `https` at load, leaving them to the app's bundler. So the
 * page first gets a `require` serving exactly those names, built from node_modules with esbuild (as
 * an app's bundler would; `https` is only asked for an `Agent` it never uses in a browser).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import twilio from 'twilio';
import { expect, test } from './fixtures.js';

const bundle = createRequire(import.meta.url).resolve('twilio-taskrouter/dist/index.window.js');

/** Browser builds of the modules the SDK bundle `require()`s, behind a global `require`. */
async function sdkRequireShim(): Promise<string> {
  const names = [...new Set([...readFileSync(bundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!))];
  const stubs: Record<string, string> = { https: '{ Agent: function Agent() {} }', ws: 'window.WebSocket' };
  const entries = names.map((name) => `${JSON.stringify(name)}: () => ${stubs[name] ?? `require(${JSON.stringify(name)})`}`);
  const contents = `const modules = {${entries.join(',\n')}};
const cache = {};
window.require = (name) => {
  if (!(name in modules)) throw new Error('twilio-taskrouter asked for an unknown module ' + name);
  return name in cache ? cache[name] : (cache[name] = modules[name]());
};`;
  const result = await build({
    stdin: { contents, resolveDir: dirname(bundle), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0]!.text;
}

test('the unmodified twilio-taskrouter browser bundle accepts a reservation from the hub', async ({ hub, page }) => {
  const { accountSid, authToken } = hub.running.credentials;
  const workerSid = hub.workerSid('Alice');
  // Minted as a Twilio backend does; signed with the account's auth token (the issuer is the account).
  const { AccessToken } = twilio.jwt;
  const jwt = new AccessToken(accountSid, accountSid, authToken, { identity: 'alice', ttl: 600 });
  jwt.addGrant(new AccessToken.TaskRouterGrant({ workspaceSid: hub.demo.workspace_sid, workerSid, role: 'worker' }));
  const otherOrigin = hub.url.replace('127.0.0.1', 'localhost');

  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${hub.url}/healthz`);
  await page.addScriptTag({ content: await sdkRequireShim() });
  await page.addScriptTag({ path: bundle });

  const ready = await page.evaluate(
    ({ token, origin }) =>
      new Promise<{ sid: string; activity: string; activities: number }>((resolve, reject) => {
        const w = window as any;
        const worker = new w.TaskRouter.Worker(token, {
          ebServer: `${origin}/v1/wschannels`,
          wsServer: `${origin.replace(/^http/, 'ws')}/v1/wschannels`,
          logLevel: 'silent',
        });
        w.offers = [];
        worker.on('reservationCreated', (reservation: any) => w.offers.push(reservation));
        worker.on('error', (error: Error) => reject(error));
        worker.on('ready', () => resolve({ sid: worker.sid, activity: worker.activity.name, activities: worker.activities.size }));
        w.worker = worker;
      }),
    { token: jwt.toJwt(), origin: otherOrigin },
  );
  expect(ready).toEqual({ sid: workerSid, activity: 'Available', activities: 3 });

  const task = await hub.createTask({ topic: 'Order never arrived', customer: 'Ada' });
  await expect.poll(() => page.evaluate(() => (window as any).offers.length)).toBe(1);
  const offer = await page.evaluate(() => {
    const r = (window as any).offers[0];
    return { taskSid: r.task.sid, topic: r.task.attributes.topic, status: r.status };
  });
  expect(offer).toEqual({ taskSid: task.sid, topic: 'Order never arrived', status: 'pending' });

  const accepted = await page.evaluate(async () => {
    const r = (window as any).offers[0];
    const heard = new Promise((resolve) => r.once('accepted', resolve));
    const answered = await r.accept();
    await heard;
    return { status: answered.status, taskStatus: r.task.status };
  });
  expect(accepted).toEqual({ status: 'accepted', taskStatus: 'assigned' });

  const reservations = await hub.reservationsOf(task.sid);
  expect(reservations.find((r) => r.worker_name === 'Alice')?.reservation_status).toBe('accepted');
  expect((await hub.rest('GET', `/Tasks/${task.sid}`)).assignment_status).toBe('assigned');
  await page.evaluate(() => (window as any).worker.disconnect());
  expect(errors).toEqual([]);
});
