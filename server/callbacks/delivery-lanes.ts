/**
 * Webhook deliveries waiting to be sent: one FIFO lane per callback URL, taken in turn, with at most
 * `perLane` of a lane in flight, so a URL that hangs holds a few senders of its own and never
 * everyone's. Bounded: past `max` waiting, the oldest of the longest lane is dropped.
 */
export class DeliveryLanes<T> {
  private readonly lanes = new Map<string, { waiting: T[]; inFlight: number }>();
  private count = 0;

  constructor(
    private readonly max: number,
    private readonly perLane: number,
  ) {}

  /** Deliveries waiting, over all lanes. */
  get waiting(): number {
    return this.count;
  }

  /** Queues `item` on the lane of `url`; returns true when an older delivery was dropped to make room. */
  push(url: string, item: T): boolean {
    let dropped = false;
    if (this.count >= this.max) dropped = this.dropOldestOfLongest();
    let lane = this.lanes.get(url);
    if (!lane) this.lanes.set(url, (lane = { waiting: [], inFlight: 0 }));
    lane.waiting.push(item);
    this.count += 1;
    return dropped;
  }

  /** The next delivery that may leave (its lane marked one more in flight), or undefined when none may. */
  take(): { url: string; item: T } | undefined {
    for (const [url, lane] of this.lanes) {
      if (lane.inFlight >= this.perLane || lane.waiting.length === 0) continue;
      const item = lane.waiting.shift()!;
      this.count -= 1;
      lane.inFlight += 1;
      // Round-robin: the lane that just sent goes to the back.
      this.lanes.delete(url);
      this.lanes.set(url, lane);
      return { url, item };
    }
    return undefined;
  }

  /** Marks one delivery of the lane of `url` as finished. */
  done(url: string): void {
    const lane = this.lanes.get(url);
    if (!lane) return;
    lane.inFlight -= 1;
    if (lane.inFlight <= 0 && lane.waiting.length === 0) this.lanes.delete(url);
  }

  private dropOldestOfLongest(): boolean {
    let longest: T[] | undefined;
    for (const lane of this.lanes.values()) if (!longest || lane.waiting.length > longest.length) longest = lane.waiting;
    if (!longest || longest.length === 0) return false;
    longest.shift();
    this.count -= 1;
    return true;
  }
}
