/** Routes of `/Workspaces/{WS}/Workflows`. */
import { z } from 'zod';
import type { WorkflowRecord } from '../../engine/model.js';
import { dispatch, found, MAX_BODY_BYTES, stateOf, type Api } from '../api.js';
import { PageSchema, pageOf } from '../paging.js';
import { bool, int, jsonText, optionalUrl, text } from '../params.js';
import { serializeWorkflow } from '../serialize.js';

const Fields = {
  AssignmentCallbackUrl: optionalUrl().optional(),
  FallbackAssignmentCallbackUrl: optionalUrl().optional(),
  TaskReservationTimeout: int().optional(),
};
const Create = z.object({ FriendlyName: text(), Configuration: jsonText(), ...Fields });
const Update = z.object({ FriendlyName: text().optional(), Configuration: jsonText().optional(), ReEvaluateTasks: bool().optional(), ...Fields });
const List = z.object({ FriendlyName: text().optional() });

/** Registers the workflow routes. */
export function workflowRoutes(api: Api): void {
  const F = '/Workspaces/:ws/Workflows';
  api.get(F, { summary: 'List workflows', params: List, alsoReads: [PageSchema] }, (call) => {
    const s = stateOf(call);
    const q = call.params();
    const all = [...s.workflows.values()].filter((w) => q.FriendlyName === undefined || w.friendlyName === q.FriendlyName);
    return { status: 200, body: pageOf(call, 'workflows', all, (w) => serializeWorkflow(s, w, call.base)) };
  });
  api.post(F, { summary: 'Create a workflow', params: Create, bodyLimit: MAX_BODY_BYTES }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const w = await dispatch<WorkflowRecord>(call, {
      type: 'workflow.create',
      friendlyName: p.FriendlyName,
      configuration: p.Configuration,
      assignmentCallbackUrl: p.AssignmentCallbackUrl,
      fallbackAssignmentCallbackUrl: p.FallbackAssignmentCallbackUrl,
      taskReservationTimeout: p.TaskReservationTimeout,
    });
    return { status: 201, body: serializeWorkflow(s, w, call.base) };
  });
  api.get(`${F}/:ww`, { summary: 'Fetch a workflow' }, (call) => {
    const s = stateOf(call);
    return { status: 200, body: serializeWorkflow(s, found(s.workflows, call.path['ww'], 'Workflow'), call.base) };
  });
  api.post(`${F}/:ww`, { summary: 'Update a workflow', params: Update, bodyLimit: MAX_BODY_BYTES }, async (call) => {
    const s = stateOf(call);
    const p = call.params();
    const w = await dispatch<WorkflowRecord>(call, {
      type: 'workflow.update',
      sid: call.path['ww']!,
      friendlyName: p.FriendlyName,
      configuration: p.Configuration,
      assignmentCallbackUrl: p.AssignmentCallbackUrl,
      fallbackAssignmentCallbackUrl: p.FallbackAssignmentCallbackUrl,
      taskReservationTimeout: p.TaskReservationTimeout,
      reEvaluateTasks: p.ReEvaluateTasks,
    });
    return { status: 200, body: serializeWorkflow(s, w, call.base) };
  });
  api.delete(`${F}/:ww`, { summary: 'Delete a workflow', description: 'A workflow with active tasks is not deleted: 400.', errors: [400] }, async (call) => {
    stateOf(call);
    await dispatch(call, { type: 'workflow.delete', sid: call.path['ww']! });
    return { status: 204 };
  });
}
