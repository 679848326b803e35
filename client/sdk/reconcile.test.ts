import { describe, expect, it } from 'vitest';
import { reconcile, transitions, type KnownReservation, type ReservationStatus } from './reconcile.js';

const events = (from: ReservationStatus | null, to: ReservationStatus) => transitions(from, to).map((t) => t.event);

describe('transitions', () => {
  it.each<[ReservationStatus | null, ReservationStatus, string[]]>([
    [null, 'pending', ['reservation.created']],
    [null, 'accepted', ['reservation.created', 'reservation.accepted']],
    [null, 'wrapping', ['reservation.created', 'reservation.accepted', 'reservation.wrapup']],
    [null, 'rescinded', []],
    [null, 'completed', []],
    ['pending', 'pending', []],
    ['pending', 'accepted', ['reservation.accepted']],
    ['pending', 'wrapping', ['reservation.accepted', 'reservation.wrapup']],
    ['pending', 'completed', ['reservation.accepted', 'reservation.completed']],
    ['pending', 'rejected', ['reservation.rejected']],
    ['pending', 'timeout', ['reservation.timeout']],
    ['pending', 'canceled', ['reservation.canceled']],
    ['pending', 'rescinded', ['reservation.rescinded']],
    ['accepted', 'wrapping', ['reservation.wrapup']],
    ['accepted', 'completed', ['reservation.completed']],
    ['wrapping', 'completed', ['reservation.completed']],
    ['wrapping', 'wrapping', []],
    ['accepted', 'pending', []],
    ['rescinded', 'accepted', []],
    ['completed', 'completed', []],
  ])('%s -> %s', (from, to, expected) => {
    expect(events(from, to)).toEqual(expected);
  });

  it('steps through the statuses in order', () => {
    expect(transitions('pending', 'wrapping').map((t) => t.status)).toEqual(['accepted', 'wrapping']);
  });
});

describe('reconcile', () => {
  const now = 1_000_000;
  const known = (sid: string, status: ReservationStatus, timeoutAt = now + 30_000): KnownReservation => ({ sid, status, timeoutAt });
  const summary = (steps: ReturnType<typeof reconcile>) => steps.map((s) => `${s.sid}:${s.transitions.map((t) => t.event).join(',')}`);

  it('reports nothing when nothing changed', () => {
    expect(reconcile([known('WR1', 'pending'), known('WR2', 'accepted')], [{ sid: 'WR1', status: 'pending' }, { sid: 'WR2', status: 'accepted' }], now)).toEqual([]);
  });

  it('a pending offer gone before its deadline was rescinded', () => {
    expect(summary(reconcile([known('WR1', 'pending')], [], now))).toEqual(['WR1:reservation.rescinded']);
  });

  it('a pending offer gone after its deadline timed out', () => {
    expect(summary(reconcile([known('WR1', 'pending', now - 1)], [], now))).toEqual(['WR1:reservation.timeout']);
    expect(summary(reconcile([known('WR1', 'pending', now)], [], now))).toEqual(['WR1:reservation.timeout']);
  });

  it('an accepted or wrapping reservation gone was completed', () => {
    expect(summary(reconcile([known('WR1', 'accepted'), known('WR2', 'wrapping')], [], now))).toEqual([
      'WR1:reservation.completed',
      'WR2:reservation.completed',
    ]);
  });

  it('a new offer is created; one accepted meanwhile is created then accepted', () => {
    const steps = reconcile([], [{ sid: 'WR1', status: 'pending' }, { sid: 'WR2', status: 'accepted' }], now);
    expect(summary(steps)).toEqual(['WR1:reservation.created', 'WR2:reservation.created,reservation.accepted']);
    expect(steps.every((s) => s.inSnapshot)).toBe(true);
  });

  it('a status change seen in the snapshot is announced, and an end status listed is believed', () => {
    const steps = reconcile(
      [known('WR1', 'pending'), known('WR2', 'accepted'), known('WR3', 'pending', now - 5)],
      [{ sid: 'WR1', status: 'accepted' }, { sid: 'WR2', status: 'wrapping' }, { sid: 'WR3', status: 'canceled' }],
      now,
    );
    expect(summary(steps)).toEqual(['WR1:reservation.accepted', 'WR2:reservation.wrapup', 'WR3:reservation.canceled']);
  });

  it('ignores ended reservations it never knew, and known ones already ended', () => {
    expect(reconcile([known('WR1', 'rescinded')], [{ sid: 'WR2', status: 'timeout' }], now)).toEqual([]);
  });

  it('orders known reservations first, then new ones in snapshot order', () => {
    const steps = reconcile([known('WR9', 'pending')], [{ sid: 'WR2', status: 'pending' }, { sid: 'WR1', status: 'pending' }], now);
    expect(steps.map((s) => s.sid)).toEqual(['WR9', 'WR2', 'WR1']);
    expect(steps[0]!.inSnapshot).toBe(false);
  });
});
