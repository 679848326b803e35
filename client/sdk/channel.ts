import { bool, num, str, strOrNull, type Json } from './payloads.js';

/** The worker's capacity on one task channel. */
export class Channel {
  readonly sid: string;
  /** Unique name of the task channel (`default`, `voice`, `chat`, ...). */
  taskChannelUniqueName: string | null = null;
  taskChannelSid = '';
  /** How many tasks of this channel the worker takes at once. */
  capacity = 1;
  available = true;
  /** Reservations now holding capacity on this channel (pending, accepted, wrapping up). */
  assignedTasks = 0;
  /** Free capacity, 0..100. */
  availableCapacityPercentage = 0;

  /** @internal */
  constructor(payload: Json) {
    this.sid = str(payload, 'sid');
    this.absorb(payload);
  }

  /** @internal Takes a fresh payload; returns whether anything changed. */
  absorb(payload: Json): boolean {
    const before = this.state();
    this.taskChannelUniqueName = strOrNull(payload, 'task_channel_unique_name');
    this.taskChannelSid = str(payload, 'task_channel_sid');
    this.capacity = num(payload, 'configured_capacity', this.capacity);
    this.available = bool(payload, 'available', this.available);
    this.assignedTasks = num(payload, 'assigned_tasks', this.assignedTasks);
    this.availableCapacityPercentage = num(payload, 'available_capacity_percentage', this.availableCapacityPercentage);
    return this.state() !== before;
  }

  /**
   * @internal Takes the number of the worker's reservations holding this channel's capacity, which
   * the hub counts the same way; returns whether the load changed.
   */
  follow(assigned: number): boolean {
    if (assigned === this.assignedTasks) return false;
    this.assignedTasks = assigned;
    const free = this.available && this.capacity > 0 ? Math.max(0, this.capacity - assigned) : 0;
    this.availableCapacityPercentage = this.capacity > 0 ? Math.floor((free * 100) / this.capacity) : 0;
    return true;
  }

  private state(): string {
    return `${this.taskChannelUniqueName} ${this.taskChannelSid} ${this.capacity} ${this.available} ${this.assignedTasks} ${this.availableCapacityPercentage}`;
  }
}
