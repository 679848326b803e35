/**
 * The task-creation request of each system, built per task: the hub's TaskRouter `POST
 * /v1/Workspaces/{WS}/Tasks` (form-encoded, Basic auth), baseline 1's `POST /push` naming its
 * target sockets, baseline 2's `POST /tasks`. Every task carries the same attributes, including
 * its intended send time `bench_t` (µs, monotonic clock), from which latency is measured.
 */

/** Which system, and what its request needs. */
export type TaskRequestSpec =
  | { system: 'hub'; workspaceSid: string; workflowSid: string; basicAuth: string }
  | { system: 'raw'; agents: number; targets: number }
  | { system: 'bull'; queue: string };

/** A request ready for the HTTP pool. */
export interface TaskRequest {
  method: string;
  path: string;
  /** Header lines, each ending in CRLF. */
  headers: string;
  body: string;
}

const JSON_HEADERS = 'Content-Type: application/json\r\n';

/** The attributes of task `seq` (the same for every system). */
export function taskAttributes(seq: number, intendedUs: number): Record<string, unknown> {
  return { type: 'support', language: 'en', customer: `C-${100000 + (seq % 900000)}`, bench_t: intendedUs, seq };
}

/** Builds the request creating task `seq`, intended to leave at `intendedUs`. */
export function taskRequest(spec: TaskRequestSpec, seq: number, intendedUs: number): TaskRequest {
  const attributes = taskAttributes(seq, intendedUs);
  switch (spec.system) {
    case 'hub':
      return {
        method: 'POST',
        path: `/v1/Workspaces/${spec.workspaceSid}/Tasks`,
        headers: `Authorization: Basic ${spec.basicAuth}\r\nContent-Type: application/x-www-form-urlencoded\r\n`,
        body: `WorkflowSid=${spec.workflowSid}&Attributes=${encodeURIComponent(JSON.stringify(attributes))}`,
      };
    case 'raw': {
      const first = (seq * spec.targets) % Math.max(1, spec.agents);
      const targets = Array.from({ length: Math.min(spec.targets, spec.agents) }, (_, i) => (first + i) % spec.agents);
      return { method: 'POST', path: '/push', headers: JSON_HEADERS, body: JSON.stringify({ task: `t${seq}`, t: intendedUs, targets, attributes }) };
    }
    case 'bull':
      return { method: 'POST', path: '/tasks', headers: JSON_HEADERS, body: JSON.stringify({ queue: spec.queue, attributes }) };
  }
}
