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
  /** Reservations now holding capacity on this channel. */
  assignedTasks = 0;
  /** Free capacity, 0..100. */
  availableCapacityPercentage = 0;
  /** @internal JSON text of the last payload, to tell a real change from a repeat. */
  fingerprint = '';

  /** @internal */
  constructor(payload: Json) {
    this.sid = str(payload, 'sid');
    this.absorb(payload);
  }

  /** @internal Takes a fresh payload; returns whether anything changed. */
  absorb(payload: Json): boolean {
    const fingerprint = JSON.stringify(payload);
    if (fingerprint === this.fingerprint) return false;
    this.fingerprint = fingerprint;
    this.taskChannelUniqueName = strOrNull(payload, 'task_channel_unique_name');
    this.taskChannelSid = str(payload, 'task_channel_sid');
    this.capacity = num(payload, 'configured_capacity', this.capacity);
    this.available = bool(payload, 'available', this.available);
    this.assignedTasks = num(payload, 'assigned_tasks', this.assignedTasks);
    this.availableCapacityPercentage = num(payload, 'available_capacity_percentage', this.availableCapacityPercentage);
    return true;
  }
}
