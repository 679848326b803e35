import { randomFillSync } from 'node:crypto';
import type { SidPrefix } from '../shared/sid.js';
import type { IdSource } from './engine/step-context.js';

/**
 * Random SIDs from the OS's generator, drawn from a pooled buffer: one system call per 256 SIDs
 * instead of one per SID, which was the largest single cost of creating a task.
 */
export function pooledIds(poolBytes = 4096): IdSource {
  const pool = Buffer.alloc(poolBytes);
  let offset = poolBytes;
  return (prefix: SidPrefix) => {
    if (offset + 16 > poolBytes) {
      randomFillSync(pool);
      offset = 0;
    }
    const sid = prefix + pool.toString('hex', offset, offset + 16);
    offset += 16;
    return sid;
  };
}
