import type { ReservationEventType } from '../../shared/protocol.js';

/** A reservation's status, as the hub spells it. */
export type ReservationStatus = 'pending' | 'accepted' | 'rejected' | 'timeout' | 'canceled' | 'rescinded' | 'wrapping' | 'completed';

/** Statuses after which a reservation never changes again. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['rejected', 'timeout', 'canceled', 'rescinded', 'completed']);

/** The event that announces a reservation reaching each status. */
export const EVENT_OF_STATUS = {
  pending: 'reservation.created',
  accepted: 'reservation.accepted',
  rejected: 'reservation.rejected',
  timeout: 'reservation.timeout',
  canceled: 'reservation.canceled',
  rescinded: 'reservation.rescinded',
  wrapping: 'reservation.wrapup',
  completed: 'reservation.completed',
} as const satisfies Record<ReservationStatus, ReservationEventType>;

/** Narrows a status string from the wire; unknown text is null. */
export function asStatus(text: string): ReservationStatus | null {
  return Object.hasOwn(EVENT_OF_STATUS, text) ? (text as ReservationStatus) : null;
}

/** One status a reservation passes through, with the event that announces it. */
export interface Transition {
  status: ReservationStatus;
  event: ReservationEventType;
}

const step = (status: ReservationStatus): Transition => ({ status, event: EVENT_OF_STATUS[status] });

/**
 * The events that take a reservation from `from` (null: never seen) to `to`, in order, so a
 * listener sees each step once even when several happened while it was not looking:
 * unseen -> accepted gives `created, accepted`; pending -> wrapping gives `accepted, wrapup`;
 * accepted -> completed gives `completed` only (wrap-up is optional, so it is not invented).
 * No change gives nothing; a move backwards (which the hub never makes) gives nothing either.
 */
export function transitions(from: ReservationStatus | null, to: ReservationStatus): Transition[] {
  if (from === to) return [];
  if (from !== null && FINAL_STATUSES.has(from)) return [];
  const out: Transition[] = [];
  if (from === null) {
    // A reservation first seen already ended was never offered to this page: nothing to tell.
    if (FINAL_STATUSES.has(to)) return [];
    out.push(step('pending'));
    if (to === 'pending') return out;
  }
  const wasPending = from === null || from === 'pending';
  if (to === 'accepted' || to === 'wrapping' || to === 'completed') {
    if (wasPending) out.push(step('accepted'));
    if (to === 'wrapping' && from !== 'wrapping') out.push(step('wrapping'));
    if (to === 'completed') out.push(step('completed'));
    return out;
  }
  if (to === 'pending') return [];
  // rejected, timeout, canceled, rescinded: only a pending reservation ends that way.
  out.push(step(to));
  return out;
}

/** What the SDK remembers of a reservation between two snapshots. */
export interface KnownReservation {
  sid: string;
  status: ReservationStatus;
  /** Deadline of a pending reservation, epoch ms. */
  timeoutAt: number;
}

/** A reservation as a snapshot lists it. */
export interface SnapshotReservation {
  sid: string;
  status: ReservationStatus;
}

/** The changes to announce for one reservation. */
export interface ReconcileStep {
  sid: string;
  /** Whether the snapshot lists it (and so carries its fresh payload). */
  inSnapshot: boolean;
  transitions: Transition[];
}

/**
 * Compares what the SDK knew before a reconnect with the hub's new snapshot, and says what
 * happened while it was away. The snapshot lists the worker's live reservations; for one that is
 * gone the hub does not say why, so the SDK reports the most likely end:
 * - a pending one whose deadline has passed: `reservation.timeout`;
 * - any other pending one: `reservation.rescinded` (taken by another worker, or withdrawn — the
 *   page's message is the same: it is no longer yours to accept);
 * - an accepted or wrapping one: `reservation.completed` (its task was finished elsewhere).
 * A snapshot entry that carries an end status is believed as it is. Known reservations come first
 * (in the order known), then new ones in snapshot order.
 */
export function reconcile(known: Iterable<KnownReservation>, snapshot: readonly SnapshotReservation[], now: number): ReconcileStep[] {
  const fresh = new Map(snapshot.map((r) => [r.sid, r]));
  const seen = new Set<string>();
  const out: ReconcileStep[] = [];
  for (const k of known) {
    seen.add(k.sid);
    const next = fresh.get(k.sid);
    if (next) {
      const moves = transitions(k.status, next.status);
      if (moves.length > 0) out.push({ sid: k.sid, inSnapshot: true, transitions: moves });
      continue;
    }
    if (FINAL_STATUSES.has(k.status)) continue;
    const end: ReservationStatus = k.status === 'pending' ? (k.timeoutAt <= now ? 'timeout' : 'rescinded') : 'completed';
    out.push({ sid: k.sid, inSnapshot: false, transitions: [step(end)] });
  }
  for (const r of snapshot) {
    if (seen.has(r.sid)) continue;
    const moves = transitions(null, r.status);
    if (moves.length > 0) out.push({ sid: r.sid, inSnapshot: true, transitions: moves });
  }
  return out;
}
