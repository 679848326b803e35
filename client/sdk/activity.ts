import { bool, str, type Json } from './payloads.js';

/** A presence state of the workspace (Available, Offline, ...). */
export class Activity {
  readonly sid: string;
  readonly friendlyName: string;
  /** Whether a worker in this activity can receive offers. */
  readonly available: boolean;

  /** @internal */
  constructor(
    payload: Json,
    private readonly current: () => string,
    private readonly set: (sid: string) => Promise<unknown>,
  ) {
    this.sid = str(payload, 'sid');
    this.friendlyName = str(payload, 'friendly_name');
    this.available = bool(payload, 'available');
  }

  /** Whether this is the worker's activity now. */
  get isCurrent(): boolean {
    return this.current() === this.sid;
  }

  /** Makes this the worker's activity. */
  async setAsCurrent(): Promise<this> {
    await this.set(this.sid);
    return this;
  }
}
