import type { SidPrefix } from '../../../shared/sid.js';
import type { IdSource } from '../step-context.js';

/** Deterministic SIDs from one counter: `WK` + 32 hex digits of the count, so runs repeat exactly. */
export class SequentialIds {
  constructor(private count = 0) {}

  /** How many SIDs were handed out. */
  get issued(): number {
    return this.count;
  }

  /** The id source to give the engine. */
  readonly source: IdSource = (prefix: SidPrefix) => {
    this.count += 1;
    return prefix + this.count.toString(16).padStart(32, '0');
  };

  /** A second counter that continues from the same point, for a restored twin engine. */
  fork(): SequentialIds {
    return new SequentialIds(this.count);
  }
}
