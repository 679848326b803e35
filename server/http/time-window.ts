/**
 * The time window of Events and cumulative statistics: `StartDate`/`EndDate` (ISO-8601), or the
 * last `Minutes` (default 15) before `EndDate` or now.
 */
import { z } from 'zod';
import { fail } from '../../shared/errors.js';
import { date, int, parseParams } from './params.js';

/** Default window, in minutes. */
export const DEFAULT_WINDOW_MINUTES = 15;

/** The time-window parameters. */
export const WindowSchema = z.object({
  Minutes: int(1, 525_600).optional(),
  StartDate: date().optional(),
  EndDate: date().optional(),
});

/** A closed interval of epoch ms. */
export interface TimeWindow {
  start: number;
  end: number;
}

/** Reads the window parameters of a call at time `now`. */
export function timeWindow(input: Record<string, unknown>, now: number): TimeWindow {
  const p = parseParams(WindowSchema, input);
  const end = p.EndDate ?? now;
  const start = p.StartDate ?? end - (p.Minutes ?? DEFAULT_WINDOW_MINUTES) * 60_000;
  if (start > end) throw fail('BAD_REQUEST', 'StartDate must not be after EndDate');
  return { start, end };
}
