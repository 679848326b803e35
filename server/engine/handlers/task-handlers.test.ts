import { describe, expect, it } from 'vitest';
import type { Command } from '../commands.js';
import type { TaskRecord } from '../model.js';
import { eventsOf, eventTypes, persistedKeys, timerOps } from '../test-support/effect-views.js';
import { EngineHarness } from '../test-support/engine-harness.js';
import { singleQueueWorkspace } from '../test-support/fixtures.js';

type TaskCreate = Omit<Extract<Command, { type: 'task.create' }>, 'type'>;

describe('task.create', () => {
  it("has TaskRouter's defaults, enters the workflow's queue and arms its TTL", () => {
    const { h, queue, workflow } = singleQueueWorkspace();
    const { value: task, effects } = h.run<TaskRecord>({ type: 'task.create', attributes: '{"type":"x"}' });
    expect(task).toMatchObject({
      workflowSid: workflow.sid,
      taskQueueSid: queue.sid,
      taskChannelSid: h.channel('default'),
      priority: 0,
      timeout: 86_400,
      assignmentStatus: 'pending',
      virtualStartTime: h.clock.now,
      step: { filter: -1, target: 0 },
    });
    expect(eventTypes(effects)).toEqual(['task.created', 'task-queue.entered']);
    expect(timerOps(effects)).toEqual([`set ttl:${task.sid}@${h.clock.now + 86_400_000}`]);
    expect(persistedKeys(effects)).toEqual([`task:${task.sid}`]);
  });

  it('takes a channel by unique name or SID, and a queue directly without a workflow', () => {
    const { h, queue } = singleQueueWorkspace();
    const byName = h.addTask({ taskChannel: 'chat', taskQueueSid: queue.sid });
    const bySid = h.addTask({ taskChannel: h.channel('sms') });
    expect(byName).toMatchObject({ taskChannelSid: h.channel('chat'), workflowSid: null, taskQueueSid: queue.sid, step: null });
    expect(bySid.taskChannelSid).toBe(h.channel('sms'));
  });

  it.each<[string, TaskCreate]>([
    ['attributes that are not JSON', { attributes: 'nope' }],
    ['attributes over 4096 characters', { attributes: JSON.stringify({ x: 'y'.repeat(4100) }) }],
    ['a negative priority', { priority: -1 }],
    ['a priority over 2^31-1', { priority: 2 ** 31 }],
    ['a timeout of 0', { timeout: 0 }],
    ['a timeout over 14 days', { timeout: 1_209_601 }],
    ['an unknown channel', { taskChannel: 'fax' }],
    ['an unknown workflow', { workflowSid: 'WWnope' }],
    ['an unknown queue', { taskQueueSid: 'WQnope' }],
    ['an unknown routing target', { routingTarget: 'WKnope' }],
    ['a virtual start time in the future', { virtualStartTime: Date.UTC(2030, 0, 1) }],
  ])('refuses %s and changes nothing', (_, fields) => {
    const { h } = singleQueueWorkspace();
    const error = h.mustFail({ type: 'task.create', ...fields });
    expect([error.code, error.status]).toEqual(['BAD_REQUEST', 400]);
  });

  it.each([0, 2])('needs a WorkflowSid when the workspace has %i workflows', (n) => {
    const h = EngineHarness.create();
    const q = h.addQueue('Q');
    for (let i = 0; i < n; i += 1) h.addWorkflow(`W${i}`, { filters: [], default_filter: { queue: q.sid } });
    expect(h.mustFail({ type: 'task.create' }).code).toBe('BAD_REQUEST');
  });
});

describe('task.update', () => {
  it('changes attributes and priority of a waiting task with task.updated', () => {
    const { h } = singleQueueWorkspace();
    const task = h.addTask({ attributes: { a: 1 } });
    const { effects } = h.run({ type: 'task.update', sid: task.sid, attributes: '{"a":2}', priority: 7 });
    expect(h.task(task.sid)).toMatchObject({ attributes: '{"a":2}', priority: 7, version: 1 });
    expect(eventTypes(effects)).toContain('task.updated');
  });

  it.each<[string, 'none' | 'assigned', 'canceled' | 'wrapping' | 'completed', string]>([
    ['cancels a pending task', 'none', 'canceled', 'task.canceled'],
    ['wraps up an assigned task', 'assigned', 'wrapping', 'task.wrapup'],
    ['completes an assigned task', 'assigned', 'completed', 'task.completed'],
  ])('%s with the attributes given in the same update', (_, start, assignmentStatus, eventType) => {
    const { h } = singleQueueWorkspace();
    const task = h.addTask({ attributes: { a: 1 } });
    if (start === 'assigned') {
      h.addWorker('Ann');
      h.accept(h.onlyPending(task.sid).sid);
    }
    const { effects } = h.run({ type: 'task.update', sid: task.sid, assignmentStatus, attributes: '{"a":2,"why":"done"}', reason: 'r' });
    expect(h.task(task.sid)).toMatchObject({ assignmentStatus, attributes: '{"a":2,"why":"done"}' });
    expect(eventsOf(effects).find((e) => e.eventType === eventType)?.data).toMatchObject({ task_attributes: '{"a":2,"why":"done"}' });
  });

  it.each<[string, 'none' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled', Partial<Extract<Command, { type: 'task.update' }>>, string, number]>([
    ['wrapping a pending task', 'none', { assignmentStatus: 'wrapping' }, 'CONFLICT', 409],
    ['completing a pending task', 'none', { assignmentStatus: 'completed' }, 'CONFLICT', 409],
    ['completing a reserved task', 'reserved', { assignmentStatus: 'completed' }, 'CONFLICT', 409],
    ['canceling an assigned task', 'assigned', { assignmentStatus: 'canceled' }, 'CONFLICT', 409],
    ['canceling a wrapping task', 'wrapping', { assignmentStatus: 'canceled' }, 'CONFLICT', 409],
    ['canceling a completed task', 'completed', { assignmentStatus: 'canceled' }, 'CONFLICT', 409],
    ['canceling a canceled task', 'canceled', { assignmentStatus: 'canceled' }, 'CONFLICT', 409],
    ['wrapping a wrapping task', 'wrapping', { assignmentStatus: 'wrapping' }, 'CONFLICT', 409],
    ['changing attributes of a completed task', 'completed', { attributes: '{}' }, 'CONFLICT', 409],
    ['changing the channel of a reserved task', 'reserved', { taskChannel: 'chat' }, 'CONFLICT', 409],
    ['an unknown channel', 'none', { taskChannel: 'fax' }, 'BAD_REQUEST', 400],
    ['bad attributes', 'none', { attributes: '"x"' }, 'BAD_REQUEST', 400],
    ['a bad priority', 'none', { priority: 1.5 }, 'BAD_REQUEST', 400],
    ['a stale If-Match', 'none', { priority: 1, ifMatch: '"9"' }, 'PRECONDITION_FAILED', 412],
  ])('refuses %s and changes nothing', (_, status, fields, code, httpStatus) => {
    const { h } = singleQueueWorkspace();
    const w = status === 'none' ? null : h.addWorker('Ann');
    const task = h.addTask();
    if (w && status !== 'reserved' && status !== 'canceled') h.accept(h.onlyPending(task.sid).sid);
    if (status === 'wrapping') h.setTaskStatus(task.sid, 'wrapping');
    if (status === 'completed') h.setTaskStatus(task.sid, 'completed');
    if (status === 'canceled') h.setTaskStatus(task.sid, 'canceled');
    const error = h.mustFail({ type: 'task.update', sid: task.sid, ...fields });
    expect([error.code, error.status]).toEqual([code, httpStatus]);
  });

  it('refuses an unknown task', () => {
    expect(singleQueueWorkspace().h.mustFail({ type: 'task.update', sid: 'WTnope', priority: 1 }).code).toBe('NOT_FOUND');
  });
});

describe('task.delete', () => {
  it('drops the task and its reservations and frees the worker', () => {
    const { h } = singleQueueWorkspace();
    h.addWorker('Ann');
    const first = h.addTask();
    const second = h.addTask();
    const offer = h.onlyPending(first.sid);
    h.accept(offer.sid);
    const { effects } = h.run({ type: 'task.delete', sid: first.sid });
    expect(h.state.tasks.has(first.sid)).toBe(false);
    expect(h.state.reservations.has(offer.sid)).toBe(false);
    const next = h.onlyPending(second.sid);
    expect(persistedKeys(effects)).toEqual(
      expect.arrayContaining([`reservation:${offer.sid}-`, `task:${first.sid}-`, `task:${second.sid}`, `reservation:${next.sid}`]),
    );
    // The worker holding the deleted task is told its reservation is gone; then it takes the next task.
    expect(eventTypes(effects)).toEqual(['task.deleted', 'reservation.canceled', 'reservation.created']);
  });

  it.each<[string, Partial<Extract<Command, { type: 'task.delete' }>>, string]>([
    ['an unknown task', { sid: 'WTnope' }, 'NOT_FOUND'],
    ['a stale If-Match', { ifMatch: '5' }, 'PRECONDITION_FAILED'],
  ])('refuses %s and changes nothing', (_, fields, code) => {
    const { h } = singleQueueWorkspace();
    const task = h.addTask();
    expect(h.mustFail({ type: 'task.delete', sid: task.sid, ...fields }).code).toBe(code);
  });
});
