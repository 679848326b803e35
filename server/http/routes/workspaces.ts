/** Routes of `/Workspaces`: list, create, fetch, update, delete. */
import { z } from 'zod';
import { checkName } from '../../engine/outcome.js';
import type { WorkspaceState } from '../../engine/workspace-state.js';
import { dispatch, stateOf, type Api } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { bool, oneOf, optionalUrl, sid, text } from '../params.js';
import { serializeWorkspace } from '../serialize.js';

const Common = {
  EventCallbackUrl: optionalUrl().optional(),
  EventsFilter: text(4096).optional(),
  MultiTaskEnabled: bool().optional(),
  PrioritizeQueueOrder: oneOf(['FIFO', 'LIFO']).optional(),
};
const CreateSchema = z.object({ FriendlyName: text(), Template: oneOf(['NONE', 'FIFO']).optional(), ...Common });
const UpdateSchema = z.object({
  FriendlyName: text().optional(),
  DefaultActivitySid: sid('WA').optional(),
  TimeoutActivitySid: sid('WA').optional(),
  ...Common,
});
const ListSchema = z.object({ FriendlyName: text().optional() });

/** Registers the workspace routes. */
export function workspaceRoutes(api: Api): void {
  api.get('/Workspaces', { summary: 'List workspaces', params: ListSchema, alsoReads: [PageSchema] }, (call) => {
    const q = call.params();
    const all = call.hub.workspaces().map((e) => e.state).filter((s) => q.FriendlyName === undefined || s.workspace.friendlyName === q.FriendlyName);
    return { status: 200, body: pageOf(call, 'workspaces', all, (s: WorkspaceState) => serializeWorkspace(s, call.base)) };
  });

  api.post('/Workspaces', { summary: 'Create a workspace', params: CreateSchema }, async (call) => {
    const p = call.params();
    // The engine's naming rule, applied here because creating a workspace is not an engine command.
    const bad = checkName(p.FriendlyName);
    if (bad) throw bad.error;
    const record = await call.hub.createWorkspace({
      friendlyName: p.FriendlyName,
      eventCallbackUrl: p.EventCallbackUrl ?? null,
      eventsFilter: p.EventsFilter || null,
      multiTaskEnabled: p.MultiTaskEnabled,
      prioritizeQueueOrder: p.PrioritizeQueueOrder,
      template: p.Template,
    });
    call.req.log.info({ workspaceSid: record.sid }, 'workspace created');
    return { status: 201, body: serializeWorkspace(call.hub.engine(record.sid)!.state, call.base) };
  });

  api.get('/Workspaces/:ws', { summary: 'Fetch a workspace' }, (call) => ({ status: 200, body: serializeWorkspace(stateOf(call), call.base) }));

  api.post('/Workspaces/:ws', { summary: 'Update a workspace', params: UpdateSchema, errors: [409] }, async (call) => {
    const state = stateOf(call);
    const p = call.params();
    await dispatch(call, {
      type: 'workspace.update',
      friendlyName: p.FriendlyName,
      eventCallbackUrl: p.EventCallbackUrl,
      eventsFilter: p.EventsFilter === undefined ? undefined : p.EventsFilter || null,
      defaultActivitySid: p.DefaultActivitySid,
      timeoutActivitySid: p.TimeoutActivitySid,
      multiTaskEnabled: p.MultiTaskEnabled,
      prioritizeQueueOrder: p.PrioritizeQueueOrder,
    });
    return { status: 200, body: serializeWorkspace(state, call.base) };
  });

  api.delete('/Workspaces/:ws', { summary: 'Delete a workspace and everything in it' }, async (call) => {
    stateOf(call);
    await call.hub.deleteWorkspace(call.path['ws']!);
    call.req.log.info({ workspaceSid: call.path['ws'] }, 'workspace deleted');
    return { status: 204 };
  });
}
