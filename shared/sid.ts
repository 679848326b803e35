import { z } from 'zod';

/** The two-letter prefixes of every resource SID, as TaskRouter spells them. */
export const SID_PREFIXES = {
  account: 'AC',
  workspace: 'WS',
  activity: 'WA',
  worker: 'WK',
  taskQueue: 'WQ',
  workflow: 'WW',
  task: 'WT',
  reservation: 'WR',
  taskChannel: 'TC',
  workerChannel: 'WC',
  event: 'EV',
  apiKey: 'SK',
} as const;

/** One of the SID prefixes above. */
export type SidPrefix = (typeof SID_PREFIXES)[keyof typeof SID_PREFIXES];

const SID_BODY = /^[0-9a-f]{32}$/;

/** True when `value` is a SID with the given prefix: two letters and 32 lowercase hex characters. */
export function isSid(prefix: SidPrefix, value: unknown): value is string {
  return typeof value === 'string' && value.length === 34 && value.startsWith(prefix) && SID_BODY.test(value.slice(2));
}

/** A zod schema accepting only SIDs with `prefix`. */
export function sidSchema(prefix: SidPrefix) {
  return z.string().refine((v) => isSid(prefix, v), { message: `must be a SID starting with ${prefix}` });
}

/** Builds a SID from a prefix and 16 bytes (given, so callers choose their source of randomness). */
export function sidFromBytes(prefix: SidPrefix, bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return prefix + hex.slice(0, 32).padEnd(32, '0');
}
