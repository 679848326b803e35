/** Routes of `/Workspaces/{WS}/Events`: newest first, paged by a `(date, sid)` cursor. */
import { z } from 'zod';
import { fail } from '../../../shared/errors.js';
import type { EventRecord } from '../../engine/model.js';
import type { EventQuery } from '../../store/store.js';
import { stateOf, type Api } from '../api.js';
import { envelope, PageSchema, pageRequest } from '../paging.js';
import { text } from '../params.js';
import { serializeEvent } from '../serialize.js';
import { timeWindow, WindowSchema } from '../time-window.js';

const Filters = z.object({
  EventType: text(100).optional(),
  TaskSid: text(34).optional(),
  WorkerSid: text(34).optional(),
  ReservationSid: text(34).optional(),
  TaskQueueSid: text(34).optional(),
  WorkflowSid: text(34).optional(),
  TaskChannel: text(64).optional(),
  Sid: text(34).optional(),
  ResourceSid: text(34).optional(),
});

const CURSOR = /^PT(\d+)_(EV[0-9a-f]{32})$/;

/** Registers the event routes. */
export function eventRoutes(api: Api): void {
  const E = '/Workspaces/:ws/Events';
  api.get(E, { summary: 'List events, newest first', params: Filters, alsoReads: [WindowSchema, PageSchema], errors: [429] }, async (call) => {
    const s = stateOf(call);
    const f = call.params();
    const window = timeWindow(call.input, call.hub.now());
    const req = pageRequest(call);
    const query: EventQuery = {
      workspaceSid: s.workspace.sid,
      startDate: window.start,
      endDate: window.end,
      eventType: f.EventType,
      taskSid: f.TaskSid,
      workerSid: f.WorkerSid,
      reservationSid: f.ReservationSid,
      taskQueueSid: f.TaskQueueSid,
      workflowSid: f.WorkflowSid,
      taskChannel: f.TaskChannel,
      sid: f.Sid,
      resourceSid: f.ResourceSid,
      limit: req.pageSize + 1,
    };
    let skip = 0;
    if (req.token !== undefined) {
      const match = CURSOR.exec(req.token);
      if (!match) throw fail('BAD_REQUEST', 'PageToken is not a token this list issued');
      query.before = { date: Number(match[1]), sid: match[2]! };
    } else {
      skip = req.page * req.pageSize;
      query.limit += skip;
    }
    const rows = (await call.hub.queryEvents(query)).slice(skip);
    const page = rows.slice(0, req.pageSize);
    const last: EventRecord | undefined = page[page.length - 1];
    const next = rows.length > req.pageSize && last ? `PT${last.date}_${last.sid}` : null;
    const body = envelope(call, 'events', page.map((e) => serializeEvent(e, call.base)), req, { next, previous: req.token === undefined ? '' : null });
    return { status: 200, body };
  });
  api.get(`${E}/:ev`, { summary: 'Fetch an event', errors: [429] }, async (call) => {
    const s = stateOf(call);
    const [event] = await call.hub.queryEvents({ workspaceSid: s.workspace.sid, sid: call.path['ev']!, limit: 1 });
    if (!event) throw fail('NOT_FOUND', `Event ${call.path['ev']} not found`);
    return { status: 200, body: serializeEvent(event, call.base) };
  });
}
