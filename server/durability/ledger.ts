/** Where a worker's accepts and completions come from in the load. */
export type Transport = 'rest' | 'socket';

/** An accept the hub acknowledged (a REST 200 or a socket `ok` reply), and what became of its task since. */
export interface AcknowledgedAccept {
  reservationSid: string;
  taskSid: string;
  workerSid: string;
  via: Transport;
  /**
   * `none`: never completed, so the reservation must still be accepted; `sent`: a completion got no
   * reply (the hub died), so accepted or completed; `done`: the completion was acknowledged, so completed.
   */
  completion: 'none' | 'sent' | 'done';
}

/**
 * What the hub acknowledged during a durability test, across every round: what must still be
 * there after any crash. A request that got no reply (the hub died first) promises nothing.
 */
export class Ledger {
  /** Tasks answered 201. */
  readonly tasks = new Set<string>();
  /** Workers answered 201, with the transport their load uses. */
  readonly workers = new Map<string, Transport>();
  /** Accepts acknowledged, by reservation SID. */
  readonly accepts = new Map<string, AcknowledgedAccept>();
  /** Accepts refused with 410: the task went to another worker, or the offer timed out. */
  gone = 0;
  /** Requests refused with 503 while the hub shut down. */
  refused = 0;
  /** Requests that got no reply because the hub died under them. */
  unanswered = 0;
  /** Replies no correct hub gives (a 5xx other than 503 while shutting down, an unexpected 4xx). */
  readonly unexpected: string[] = [];

  /** Workers whose load uses `via`. */
  workersOf(via: Transport): string[] {
    return [...this.workers].filter(([, t]) => t === via).map(([sid]) => sid);
  }
}
