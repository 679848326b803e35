import { ERROR_CODES, withoutStackTrace, type ErrorCode } from '../../shared/errors.js';

/** The body of an error as the hub sends it. */
export interface ErrorPayload {
  code: number;
  message: string;
  status: number;
}

/**
 * Why a command failed: `status` is the HTTP status the REST API would answer (410 when a
 * reservation was already taken, rescinded or timed out), `code` the Twilio-style numeric code.
 */
export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';

  constructor(
    message: string,
    readonly status: number,
    readonly code: number,
  ) {
    super(message);
  }

  /**
   * The error of a hub reply. It carries no stack trace: one would show only the SDK's socket
   * handler, never the caller's code (the reply arrives on its own turn of the event loop), and
   * capturing it cost more than the rest of handling the reply, which adds up where a multi-offer
   * round turns dozens of late accepts into 410s.
   */
  static from(body: ErrorPayload): SwitchboardError {
    return withoutStackTrace(() => new SwitchboardError(body.message, body.status, body.code));
  }

  /** An error raised by the SDK itself, with a code from the hub's closed set. */
  static local(code: ErrorCode, message: string): SwitchboardError {
    return new SwitchboardError(message, ERROR_CODES[code].status, ERROR_CODES[code].code);
  }
}
