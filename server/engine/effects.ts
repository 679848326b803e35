import type { EventRecord, RecordKind, RecordKinds } from './model.js';

/** One changed record: the new value, or null when it was deleted. */
export type RecordChange = {
  [K in RecordKind]: { kind: K; sid: string; record: RecordKinds[K] | null };
}[RecordKind];

/**
 * What the shell must do after a step. Records and events are live engine objects:
 * a shell that keeps them past the current call must serialize them first.
 */
export type Effect =
  | { type: 'persist'; changes: RecordChange[] }
  | { type: 'event'; event: EventRecord }
  | { type: 'timer.set'; key: string; at: number }
  | { type: 'timer.clear'; key: string }
  | {
      type: 'assignment.callback';
      reservationSid: string;
      url: string;
      fallbackUrl: string | null;
    };

/** The `type` of every effect. */
export type EffectType = Effect['type'];
