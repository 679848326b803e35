import { randomFillSync } from 'node:crypto';
import type { SidPrefix } from '../shared/sid.js';
import type { IdSource } from './engine/step-context.js';

/**
 * Random SIDs from the OS's generator, drawn from a pooled buffer: one system call per 256 SIDs
 * instead of one per SID, which was the largest single cost of creating a task.
 *
 * Event SIDs (`EV`) start with the time instead: 12 hex digits of milliseconds, then 20 random
 * ones. The store's event indexes are keyed by SID, and a key that grows with time is written at
 * the B-tree's right edge, where a random one would dirty a page of its own per event.
 */
export function pooledIds(poolBytes = 4096, clock: () => number = Date.now): IdSource {
  const pool = Buffer.alloc(poolBytes);
  let offset = poolBytes;
  const random = (bytes: number): string => {
    if (offset + bytes > poolBytes) {
      randomFillSync(pool);
      offset = 0;
    }
    const hex = pool.toString('hex', offset, offset + bytes);
    offset += bytes;
    return hex;
  };
  return (prefix: SidPrefix) => (prefix === 'EV' ? prefix + timeHex(clock()) + random(10) : prefix + random(16));
}

/** Milliseconds as 12 hex digits: sorts as the time does until the year 10889. */
function timeHex(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
}
