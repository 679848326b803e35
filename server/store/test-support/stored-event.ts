import type { EventRecord } from '../../engine/model.js';

/** A `task.created` event of workspace WS1 as a store keeps it, for store tests; `fields` replace its own. */
export function storedEvent(sid: string, date: number, fields: Partial<EventRecord> = {}): EventRecord {
  return {
    sid,
    workspaceSid: 'WS1',
    eventType: 'task.created',
    description: '',
    resourceType: 'task',
    resourceSid: 'WT1',
    actorType: 'system',
    actorSid: null,
    date,
    data: { task_sid: 'WT1' },
    workerSid: null,
    ...fields,
  };
}
