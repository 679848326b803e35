/** Routes of `/Workspaces/{WS}/TaskChannels`: kinds of work; an instance is addressed by SID or unique name. */
import { z } from 'zod';
import type { TaskChannelRecord } from '../../engine/model.js';
import { dispatch, found, stateOf, type Api } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { bool, text } from '../params.js';
import { serializeTaskChannel } from '../serialize.js';

const ChannelCreate = z.object({ FriendlyName: text(), UniqueName: text(), ChannelOptimizedRouting: bool().optional() });
const ChannelUpdate = z.object({ FriendlyName: text().optional(), ChannelOptimizedRouting: bool().optional() });

/** Registers the task channel routes. */
export function taskChannelRoutes(api: Api): void {
  const C = '/Workspaces/:ws/TaskChannels';
  api.get(C, { summary: 'List task channels', alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    return { status: 200, body: pageOf(call, 'task_channels', [...s.taskChannels.values()], (c) => serializeTaskChannel(s, c, call.base)) };
  });
  api.post(C, { summary: 'Create a task channel', params: ChannelCreate, errors: [409] }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const c = await dispatch<TaskChannelRecord>(call, {
      type: 'taskChannel.create',
      friendlyName: p.FriendlyName,
      uniqueName: p.UniqueName,
      channelOptimizedRouting: p.ChannelOptimizedRouting,
    });
    return { status: 201, body: serializeTaskChannel(s, c, call.base) };
  });
  api.get(`${C}/:sid`, { summary: 'Fetch a task channel by SID or unique name' }, (call) => {
    const s = stateOf(call);
    const c = s.findTaskChannel(call.path['sid']!) ?? found(s.taskChannels, call.path['sid'], 'TaskChannel');
    return { status: 200, body: serializeTaskChannel(s, c, call.base) };
  });
  api.post(`${C}/:sid`, { summary: 'Update a task channel', params: ChannelUpdate }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const sid = s.findTaskChannel(call.path['sid']!)?.sid ?? call.path['sid']!;
    const c = await dispatch<TaskChannelRecord>(call, { type: 'taskChannel.update', sid, friendlyName: p.FriendlyName, channelOptimizedRouting: p.ChannelOptimizedRouting });
    return { status: 200, body: serializeTaskChannel(s, c, call.base) };
  });
  api.delete(`${C}/:sid`, { summary: 'Delete a task channel', description: 'A channel that tasks still use is not deleted: 400.', errors: [400] }, async (call) => {
    const s = stateOf(call);
    const sid = s.findTaskChannel(call.path['sid']!)?.sid ?? call.path['sid']!;
    await dispatch(call, { type: 'taskChannel.delete', sid });
    return { status: 204 };
  });
}
