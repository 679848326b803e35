import type { ReservationStatus, TaskStatus } from './model.js';

/** Every legal task status move, in one table. */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['reserved', 'canceled'],
  reserved: ['pending', 'assigned', 'canceled'],
  assigned: ['wrapping', 'completed'],
  wrapping: ['completed'],
  completed: [],
  canceled: [],
};

/** Every legal reservation status move, in one table. */
export const RESERVATION_TRANSITIONS: Readonly<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  pending: ['accepted', 'rejected', 'timeout', 'canceled', 'rescinded'],
  accepted: ['wrapping', 'completed'],
  wrapping: ['completed'],
  rejected: [],
  timeout: [],
  canceled: [],
  rescinded: [],
  completed: [],
};

/** True when a task may move from `from` to `to`. */
export function canMoveTask(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

/** True when a reservation may move from `from` to `to`. */
export function canMoveReservation(from: ReservationStatus, to: ReservationStatus): boolean {
  return RESERVATION_TRANSITIONS[from].includes(to);
}

/** Reservation statuses that hold a unit of the worker's channel capacity. */
export const CAPACITY_HOLDING: ReadonlySet<ReservationStatus> = new Set(['pending', 'accepted', 'wrapping']);

/** Reservation statuses from which nothing follows. */
export const RESERVATION_ENDED: ReadonlySet<ReservationStatus> = new Set([
  'rejected',
  'timeout',
  'canceled',
  'rescinded',
  'completed',
]);
