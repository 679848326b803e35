/**
 * Tunables of the worker socket endpoint, their defaults, and the close codes it uses. Tests shrink
 * the timings; production keeps the defaults.
 */

/** Choices for `attachWorkerSockets`; every field has a default. */
export interface SocketOptions {
  /** URL path the endpoint answers on (default `/v1/sockets`). */
  path?: string;
  /** A socket that has not authenticated after this long is closed with 4001 (default 10 s). */
  authTimeoutMs?: number;
  /** `token.expiring` is sent this long before the token expires (default 30 s). */
  tokenWarningMs?: number;
  /** Interval of server pings; a peer that has not answered the previous one is cut off (default 15 s). */
  pingIntervalMs?: number;
  /** A socket whose unsent data would pass this many bytes is cut off (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Sockets one worker may hold open at once; the next `auth` is refused with 4029 (default 10). */
  maxSocketsPerWorker?: number;
  /** Sustained client messages per second per socket (default 100). */
  messagesPerSecond?: number;
  /** Burst of client messages allowed above the sustained rate (default = `messagesPerSecond`). */
  messageBurst?: number;
  /** How long a peer being closed (shutdown, slow consumer) has to finish the handshake before it is cut (default 1 s). */
  closeGraceMs?: number;
  /** Clock for token checks, epoch ms (default: the hub's). */
  now?: () => number;
}

/** Sockets one worker may hold open at once unless configured otherwise. */
export const DEFAULT_SOCKETS_PER_WORKER = 10;

/** Options with every default filled in. */
export type ResolvedSocketOptions = Required<Omit<SocketOptions, 'now'>> & {
  now: () => number;
};

/** Fills in the defaults. */
export function resolveSocketOptions(options: SocketOptions, hubNow: () => number): ResolvedSocketOptions {
  const messagesPerSecond = options.messagesPerSecond ?? 100;
  return {
    path: options.path ?? '/v1/sockets',
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
    tokenWarningMs: options.tokenWarningMs ?? 30_000,
    pingIntervalMs: options.pingIntervalMs ?? 15_000,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    maxSocketsPerWorker: options.maxSocketsPerWorker ?? DEFAULT_SOCKETS_PER_WORKER,
    messagesPerSecond,
    messageBurst: options.messageBurst ?? messagesPerSecond,
    closeGraceMs: options.closeGraceMs ?? 1000,
    now: options.now ?? hubNow,
  };
}

/**
 * Close codes the hub sends. 4xxx are application codes (RFC 6455 §7.4.2); the SDK reconnects
 * after all of them except `UNAUTHORIZED` (its token is no good: it needs a new one) and
 * `REPLACED` (another session took over on purpose).
 */
export const CLOSE = {
  /** Another session of the same worker asked for `closeExistingSessions`. */
  REPLACED: { code: 4000, reason: 'replaced by a new session' },
  /** No `auth` frame arrived in time. */
  AUTH_TIMEOUT: { code: 4001, reason: 'authentication timeout' },
  /** The token's worker or workspace no longer exists. */
  WORKER_GONE: { code: 4004, reason: 'worker not found' },
  /** The peer did not read what it was sent fast enough. */
  SLOW_CONSUMER: { code: 4008, reason: 'send buffer full' },
  /** The worker already holds as many sockets as it may; one must close first. */
  TOO_MANY_SOCKETS: { code: 4029, reason: 'too many sockets for this worker' },
  /** The token was refused, or expired without a `token.update`. */
  UNAUTHORIZED: { code: 4401, reason: 'unauthorized' },
  TOKEN_EXPIRED: { code: 4401, reason: 'token expired' },
  /** The hub failed while serving this socket. */
  INTERNAL: { code: 1011, reason: 'internal error' },
  /** The hub is shutting down. */
  GOING_AWAY: { code: 1001, reason: 'server shutting down' },
} as const;

/** One close code with its reason text. */
export type CloseReason = (typeof CLOSE)[keyof typeof CLOSE];
