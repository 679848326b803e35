import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import { compileExpression, parseOrderBy, type CompiledExpression } from './expression/index.js';

/** One compiled workflow target. */
export interface CompiledTarget {
  queueSid: string;
  priority: number | null;
  /** Cumulative deadline from the task's entry into the workflow, in ms; null = wait forever. */
  deadlineOffsetMs: number | null;
  expression: CompiledExpression | null;
  compareWorkers: ((a: unknown, b: unknown) => number) | null;
  skipIf: CompiledExpression | null;
  /** A `task.` path or a literal worker SID. */
  knownWorkerSid: string | null;
  knownWorkerFriendlyName: string | null;
}

/** One compiled workflow filter. */
export interface CompiledFilter {
  name: string;
  expression: CompiledExpression;
  targets: CompiledTarget[];
}

/** A workflow configuration compiled once, at create or update. */
export interface CompiledWorkflow {
  filters: CompiledFilter[];
  defaultQueueSid: string | null;
  /** Every queue the workflow routes to, so a queue in use is not deleted. */
  queueSids: ReadonlySet<string>;
}

/** TaskRouter's limit on a workflow configuration. */
export const MAX_CONFIGURATION_BYTES = 1_038_576;

type Parsed = { ok: true; workflow: CompiledWorkflow } | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toInt(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

/**
 * Parses and compiles a workflow configuration. `queueExists` tells which queue SIDs are valid.
 * Errors name the offending path, e.g. `task_routing.filters[0].targets[1].timeout`.
 */
export function compileWorkflow(configuration: string, queueExists: (sid: string) => boolean): Parsed {
  if (Buffer.byteLength(configuration, 'utf8') > MAX_CONFIGURATION_BYTES) {
    return { ok: false, message: `Configuration is larger than ${MAX_CONFIGURATION_BYTES} bytes` };
  }
  if (nestsDeeperThan(configuration, MAX_JSON_DEPTH)) return { ok: false, message: `Configuration nests deeper than ${MAX_JSON_DEPTH} levels` };
  let json: unknown;
  try {
    json = JSON.parse(configuration);
  } catch {
    return { ok: false, message: 'Configuration is not valid JSON' };
  }
  const routing = isObject(json) ? json['task_routing'] : undefined;
  if (!isObject(routing)) return { ok: false, message: 'Configuration must have a task_routing object' };
  const rawFilters = routing['filters'] ?? [];
  if (!Array.isArray(rawFilters)) return { ok: false, message: 'task_routing.filters must be an array' };

  const queueSids = new Set<string>();
  const checkQueue = (sid: unknown, path: string): string | { error: string } => {
    if (typeof sid !== 'string' || !queueExists(sid)) return { error: `${path} is not a TaskQueue of this workspace` };
    queueSids.add(sid);
    return sid;
  };

  const filters: CompiledFilter[] = [];
  for (const [fi, raw] of rawFilters.entries()) {
    const at = `task_routing.filters[${fi}]`;
    if (!isObject(raw)) return { ok: false, message: `${at} must be an object` };
    const source = raw['expression'] ?? '1==1';
    if (typeof source !== 'string') return { ok: false, message: `${at}.expression must be a string` };
    const expr = compileExpression(source);
    if (!expr.ok) return { ok: false, message: `${at}.expression: ${expr.error.message}` };
    const rawTargets = raw['targets'];
    if (!Array.isArray(rawTargets) || rawTargets.length === 0) {
      return { ok: false, message: `${at}.targets must be a non-empty array` };
    }
    const targets: CompiledTarget[] = [];
    let queue: string | null = null;
    let cumulativeMs = 0;
    for (const [ti, rawTarget] of rawTargets.entries()) {
      const tat = `${at}.targets[${ti}]`;
      const target = compileTarget(rawTarget, tat, queue, cumulativeMs, checkQueue);
      if ('error' in target) return { ok: false, message: target.error };
      targets.push(target);
      queue = target.queueSid;
      if (target.deadlineOffsetMs !== null) cumulativeMs = target.deadlineOffsetMs;
    }
    const name = raw['filter_friendly_name'] ?? raw['friendly_name'] ?? `filter ${fi}`;
    filters.push({ name: String(name), expression: expr.expression, targets });
  }

  let defaultQueueSid: string | null = null;
  const rawDefault = routing['default_filter'];
  if (rawDefault !== undefined) {
    if (!isObject(rawDefault)) return { ok: false, message: 'task_routing.default_filter must be an object' };
    const q = checkQueue(rawDefault['queue'], 'task_routing.default_filter.queue');
    if (typeof q !== 'string') return { ok: false, message: q.error };
    defaultQueueSid = q;
  }
  return { ok: true, workflow: { filters, defaultQueueSid, queueSids } };
}

function compileTarget(
  raw: unknown,
  at: string,
  inheritedQueue: string | null,
  cumulativeMs: number,
  checkQueue: (sid: unknown, path: string) => string | { error: string },
): CompiledTarget | { error: string } {
  if (!isObject(raw)) return { error: `${at} must be an object` };
  const queueSid = checkQueue(raw['queue'] ?? inheritedQueue, `${at}.queue`);
  if (typeof queueSid !== 'string') return queueSid;

  let priority: number | null = null;
  if (raw['priority'] !== undefined) {
    priority = toInt(raw['priority']);
    if (priority === null || priority < 0) return { error: `${at}.priority must be a non-negative integer` };
  }
  let deadlineOffsetMs: number | null = null;
  if (raw['timeout'] !== undefined) {
    const timeout = toInt(raw['timeout']);
    if (timeout === null || timeout <= 0) return { error: `${at}.timeout must be a positive integer of seconds` };
    deadlineOffsetMs = cumulativeMs + timeout * 1000;
  }
  const optionalExpression = (key: string): CompiledExpression | null | { error: string } => {
    const source = raw[key];
    if (source === undefined || source === null || source === '') return null;
    if (typeof source !== 'string') return { error: `${at}.${key} must be a string` };
    const compiled = compileExpression(source);
    return compiled.ok ? compiled.expression : { error: `${at}.${key}: ${compiled.error.message}` };
  };
  const expression = optionalExpression('expression');
  if (expression && 'error' in expression) return expression;
  const skipIf = optionalExpression('skip_if');
  if (skipIf && 'error' in skipIf) return skipIf;

  let compareWorkers: CompiledTarget['compareWorkers'] = null;
  if (typeof raw['order_by'] === 'string' && raw['order_by'].trim() !== '') {
    const order = parseOrderBy(raw['order_by']);
    if (!order.ok) return { error: `${at}.order_by: ${order.error.message}` };
    compareWorkers = order.compare;
  }
  const known = (key: string): string | null | { error: string } => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    return typeof v === 'string' && v !== '' ? v : { error: `${at}.${key} must be a string` };
  };
  const knownWorkerSid = known('known_worker_sid');
  if (knownWorkerSid && typeof knownWorkerSid !== 'string') return knownWorkerSid;
  const knownWorkerFriendlyName = known('known_worker_friendly_name');
  if (knownWorkerFriendlyName && typeof knownWorkerFriendlyName !== 'string') return knownWorkerFriendlyName;

  return {
    queueSid,
    priority,
    deadlineOffsetMs,
    expression,
    compareWorkers,
    skipIf,
    knownWorkerSid,
    knownWorkerFriendlyName,
  };
}
