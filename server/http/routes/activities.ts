/** Routes of `/Workspaces/{WS}/Activities`: presence states. */
import { z } from 'zod';
import type { ActivityRecord } from '../../engine/model.js';
import { dispatch, found, stateOf, type Api } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { bool, text } from '../params.js';
import { serializeActivity } from '../serialize.js';

const ActivityCreate = z.object({ FriendlyName: text(), Available: bool().optional() });
const ActivityUpdate = z.object({ FriendlyName: text().optional() });
const ActivityList = z.object({ FriendlyName: text().optional(), Available: bool().optional() });

/** Workers may read their workspace's activities. */
const anyWorker = () => true;

/** Registers the activity routes. */
export function activityRoutes(api: Api): void {
  const A = '/Workspaces/:ws/Activities';
  api.get(A, { summary: 'List activities', params: ActivityList, alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    const q = call.params();
    const all = [...s.activities.values()].filter(
      (a) => (q.FriendlyName === undefined || a.friendlyName === q.FriendlyName) && (q.Available === undefined || a.available === q.Available),
    );
    return { status: 200, body: pageOf(call, 'activities', all, (a) => serializeActivity(s, a, call.base)) };
  }, anyWorker);
  api.post(A, { summary: 'Create an activity', params: ActivityCreate, errors: [409] }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const a = await dispatch<ActivityRecord>(call, { type: 'activity.create', friendlyName: p.FriendlyName, available: p.Available });
    return { status: 201, body: serializeActivity(s, a, call.base) };
  });
  api.get(`${A}/:sid`, { summary: 'Fetch an activity' }, (call) => {
    const s = stateOf(call);
    return { status: 200, body: serializeActivity(s, found(s.activities, call.path['sid'], 'Activity'), call.base) };
  }, anyWorker);
  api.post(`${A}/:sid`, { summary: 'Update an activity', params: ActivityUpdate, errors: [409] }, async (call) => {
    const s = stateOf(call);
    // `Available` is immutable after create; TaskRouter ignores it on update, and so do we.
    const p = call.params();
    const a = await dispatch<ActivityRecord>(call, { type: 'activity.update', sid: call.path['sid']!, friendlyName: p.FriendlyName });
    return { status: 200, body: serializeActivity(s, a, call.base) };
  });
  api.delete(`${A}/:sid`, { summary: 'Delete an activity', description: "The workspace's default or timeout activity, a worker's current one or a queue's is not deleted: 400.", errors: [400] }, async (call) => {
    stateOf(call);
    await dispatch(call, { type: 'activity.delete', sid: call.path['sid']! });
    return { status: 204 };
  });
}
