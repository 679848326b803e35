/** An accept the hub answered 200. */
export interface AcknowledgedAccept {
  reservationSid: string;
  taskSid: string;
  workerSid: string;
}

/**
 * What the hub acknowledged during a crash test, across every round: what must still be there
 * after any crash. A request that got no reply (the hub died first) promises nothing.
 */
export class Ledger {
  /** Tasks answered 201. */
  readonly tasks = new Set<string>();
  /** Workers answered 201. */
  readonly workers = new Set<string>();
  /** Accepts answered 200, by reservation SID. */
  readonly accepts = new Map<string, AcknowledgedAccept>();
  /** Accepts answered 410: the task went to another worker, or the offer timed out. */
  gone = 0;
  /** Requests that got no reply because the hub died under them. */
  unanswered = 0;
  /** Replies no correct hub gives (a 5xx other than 503 while shutting down, an unexpected 4xx). */
  readonly unexpected: string[] = [];
}
