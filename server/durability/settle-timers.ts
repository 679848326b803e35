import { deadlineOf, overdueReservations, pendingReservations } from './audit.js';
import type { CrashWorkspace } from './crash-workspace.js';
import type { RestClient } from './rest-client.js';
import { waitFor } from './wait-for.js';

/** How late after its deadline a re-armed timer may fire and commit. */
const TIMER_GRACE_MS = 300;

/**
 * After a restart, waits out the deadline of every offer left pending by the crash (exact, from
 * its `reservation.created` event): by then each must be gone, its timer re-armed from the store,
 * or fired at once if the deadline passed while the hub was down. Looks at the offers of
 * `workers`; returns how many were left pending, and the violations.
 */
export async function settleTimers(client: RestClient, cw: CrashWorkspace, workers: readonly string[]): Promise<{ left: number; violations: string[] }> {
  const left = await pendingReservations(client, cw, workers);
  const created = await Promise.all(
    left.map(async (r) => {
      const [event] = await client.list(`/Workspaces/${cw.ws}/Events`, 'events', { ReservationSid: r['sid'], EventType: 'reservation.created' });
      return event ? (event['event_date_ms'] as number) : deadlineOf(cw, r) - cw.reservationTimeoutS * 1_000;
    }),
  );
  const until = Math.max(Date.now(), ...created.map((ms) => ms + cw.reservationTimeoutS * 1_000 + TIMER_GRACE_MS));
  const sids = new Set(left.map((r) => r['sid'] as string));
  let late: string[] = [];
  try {
    await waitFor(
      async () => {
        if (Date.now() < until) return false;
        const pending = await pendingReservations(client, cw, workers);
        late = [...pending.filter((r) => sids.has(r['sid'])).map((r) => `${r['sid']} (left pending at the crash)`), ...(await overdueReservations(client, cw, workers))];
        return late.length === 0;
      },
      { timeoutMs: until - Date.now() + 2_000, everyMs: 50, what: 'the offers left pending to time out' },
    );
    return { left: left.length, violations: [] };
  } catch {
    return { left: left.length, violations: late.map((r) => `reservation ${r} stayed pending past its deadline after the restart`) };
  }
}
