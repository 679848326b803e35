/**
 * The closed set of error codes Switchboard answers with, each mapped to an HTTP status and a
 * Twilio-style numeric code, so every transport reports one failure the same way.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, code: 20001 },
  UNAUTHORIZED: { status: 401, code: 20003 },
  FORBIDDEN: { status: 403, code: 20403 },
  NOT_FOUND: { status: 404, code: 20404 },
  METHOD_NOT_ALLOWED: { status: 405, code: 20004 },
  CONFLICT: { status: 409, code: 20409 },
  REQUEST_TIMEOUT: { status: 408, code: 20408 },
  GONE: { status: 410, code: 20410 },
  PRECONDITION_FAILED: { status: 412, code: 20412 },
  PAYLOAD_TOO_LARGE: { status: 413, code: 20413 },
  TOO_MANY_REQUESTS: { status: 429, code: 20429 },
  HEADERS_TOO_LARGE: { status: 431, code: 20431 },
  INTERNAL: { status: 500, code: 20500 },
  UNAVAILABLE: { status: 503, code: 20503 },
} as const;

/** One of the error codes above. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error reply: REST (Twilio's shape) and socket alike. */
export interface ErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

/** A failure with a code from the closed set; carried as a value in results and thrown only at the edges. */
export class SwitchboardError extends Error {
  readonly status: number;
  readonly twilioCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SwitchboardError';
    this.status = ERROR_CODES[code].status;
    this.twilioCode = ERROR_CODES[code].code;
  }

  /** The Twilio-style error body for this error. */
  toBody(): ErrorBody {
    return {
      code: this.twilioCode,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.twilioCode}`,
      status: this.status,
    };
  }
}

/** V8's stack depth setting (Node, Chromium); other engines ignore it. */
const errorConfig = Error as { stackTraceLimit?: number };

/**
 * Makes an error without capturing a stack trace, for errors that are values (a refusal, a hub's
 * reply): capturing one cost more than the rest of handling them. The stack depth is left as it was.
 */
export function withoutStackTrace<E extends Error>(make: () => E): E {
  const limit = errorConfig.stackTraceLimit;
  errorConfig.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    errorConfig.stackTraceLimit = limit;
  }
}

/**
 * Shorthand constructor used by the engine and the edges. The error is a value (a 410 for each
 * late accept, a 400 for each bad parameter), so it skips capturing a stack trace, which cost more
 * than the rest of a refusal.
 */
export function fail(code: ErrorCode, message: string): SwitchboardError {
  return withoutStackTrace(() => new SwitchboardError(code, message));
}
