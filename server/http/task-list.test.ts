/**
 * Listing tasks: pages read only as far as they need, and attribute filters over finished tasks
 * (kept as text) find every match however its JSON was written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllHarnesses, seedWorkspace, startHarness, type Harness } from './test-harness.js';

afterEach(closeAllHarnesses);

async function workspace(h: Harness) {
  // No workers: every task waits.
  const { ws, workflow } = await seedWorkspace(h, { workers: 0 });
  const base = `/v1/Workspaces/${ws.sid}`;
  const create = async (attributes: string, cancel = false) => {
    const r = await h.request('POST', `${base}/Tasks`, { WorkflowSid: workflow.sid, Attributes: attributes });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    if (cancel) expect((await h.request('POST', `${base}/Tasks/${r.body.sid}`, { AssignmentStatus: 'canceled', Reason: 'done' })).status).toBe(200);
    return r.body.sid as string;
  };
  const list = async (query: Record<string, string | number>) => {
    const r = await h.request('GET', `${base}/Tasks`, query);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  return { create, list };
}

describe('task lists', () => {
  it('page oldest first, with a next page exactly when there are more', async () => {
    const h = await startHarness();
    const { create, list } = await workspace(h);
    const sids: string[] = [];
    for (let i = 0; i < 5; i += 1) sids.push(await create(JSON.stringify({ n: i })));
    const seen: string[] = [];
    let page = await list({ PageSize: 2 });
    for (;;) {
      seen.push(...page.tasks.map((t: { sid: string }) => t.sid));
      if (!page.meta.next_page_url) break;
      page = (await h.request('GET', page.meta.next_page_url)).body;
    }
    expect(seen).toEqual(sids);
    expect((await list({ PageSize: 5 })).meta.next_page_url).toBeNull();
    expect((await list({ PageSize: 4 })).meta.next_page_url).not.toBeNull();
    // A filter matching fewer than a page: no next page.
    expect(await list({ PageSize: 2, EvaluateTaskAttributes: 'n >= 4' })).toMatchObject({ tasks: [{ sid: sids[4] }], meta: { next_page_url: null } });
  });

  it('filter finished and live tasks by attributes however their JSON is written', async () => {
    const h = await startHarness();
    const { create, list } = await workspace(h);
    const plain = await create('{"call_sid":"CA1"}', true);
    const escaped = await create('{"call_sid":"C\\u00411"}', true);
    const spaced = await create('{ "call_sid" : "CA1" , "n" : 5.0 }', true);
    await create('{"call_sid":"CA10","n":6}', true);
    const tagged = await create('{"tags":["vip","x"],"title":"a refund please"}', true);
    const live = await create('{"call_sid":"CA1","tags":["vip"]}');
    const found = async (expression: string) => ((await list({ EvaluateTaskAttributes: expression, PageSize: 50 })).tasks as Array<{ sid: string }>).map((t) => t.sid);

    expect(await found('call_sid == "CA1"')).toEqual([plain, escaped, spaced, live]);
    expect(await found('n == "5"')).toEqual([spaced]);
    expect(await found('n == 5 OR call_sid == "CA10"')).toEqual([spaced, (await found('call_sid == "CA10"'))[0]]);
    expect(await found('tags HAS "vip"')).toEqual([tagged, live]);
    expect(await found('"vip" IN tags AND title CONTAINS "refund"')).toEqual([tagged]);
    expect(await found('call_sid IN ["CA1", "CA2"] AND call_sid != "x"')).toEqual([plain, escaped, spaced, live]);
    expect(await found('call_sid == "nobody"')).toEqual([]);
  });

  it('filter by status in creation order, live statuses from the live tasks alone', async () => {
    const h = await startHarness();
    const { create, list } = await workspace(h);
    const canceled = [await create('{"n":0}', true)];
    const waiting = [await create('{"n":1,"p":2}')];
    canceled.push(await create('{"n":2}', true));
    waiting.push(await create('{"n":3,"p":1}'), await create('{"n":4,"p":2}'));
    canceled.push(await create('{"n":5}', true));
    const sids = async (query: Record<string, string | number>) => ((await list({ PageSize: 50, ...query })).tasks as Array<{ sid: string }>).map((t) => t.sid);

    expect(await sids({ AssignmentStatus: 'pending' })).toEqual(waiting);
    expect(await sids({ AssignmentStatus: 'pending,assigned' })).toEqual(waiting);
    expect(await sids({ AssignmentStatus: 'canceled' })).toEqual(canceled);
    expect(await sids({ AssignmentStatus: 'pending,canceled' })).toEqual([canceled[0], waiting[0], canceled[1], waiting[1], waiting[2], canceled[2]]);
    expect(await sids({ AssignmentStatus: 'pending', Ordering: 'DateCreated:desc' })).toEqual([...waiting].reverse());
    expect(await sids({ AssignmentStatus: 'reserved' })).toEqual([]);
    // A page of the live ones, and the next.
    const first = await list({ AssignmentStatus: 'pending', PageSize: 2 });
    expect(first.tasks.map((t: { sid: string }) => t.sid)).toEqual(waiting.slice(0, 2));
    expect((await h.request('GET', first.meta.next_page_url)).body.tasks.map((t: { sid: string }) => t.sid)).toEqual(waiting.slice(2));
  });
});
