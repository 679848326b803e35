import type { Effect, RecordChange } from '../effects.js';
import type { EventRecord } from '../model.js';

/** The events among some effects, in order. */
export function eventsOf(effects: readonly Effect[]): EventRecord[] {
  return effects.flatMap((e) => (e.type === 'event' ? [e.event] : []));
}

/** The `eventType` of every event among some effects, in order. */
export function eventTypes(effects: readonly Effect[]): string[] {
  return eventsOf(effects).map((e) => e.eventType);
}

/** The record changes of the persist effects, in order. */
export function changesOf(effects: readonly Effect[]): RecordChange[] {
  return effects.flatMap((e) => (e.type === 'persist' ? e.changes : []));
}

/** `kind:sid` of every persisted change (`-` suffix for a deletion), in order. */
export function persistedKeys(effects: readonly Effect[]): string[] {
  return changesOf(effects).map((c) => `${c.kind}:${c.sid}${c.record === null ? '-' : ''}`);
}

/** Timer effects as `set key@at` / `clear key`, in order. */
export function timerOps(effects: readonly Effect[]): string[] {
  return effects.flatMap((e) => (e.type === 'timer.set' ? [`set ${e.key}@${e.at}`] : e.type === 'timer.clear' ? [`clear ${e.key}`] : []));
}
