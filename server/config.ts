/** The hub's configuration, read from the environment and validated; a bad value names its variable. */
import { z } from 'zod';

/** Log levels the hub understands (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of the log levels. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Log line formats: JSON, readable, or readable only when stdout is a terminal. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

/** Everything the composition root needs to start a hub. */
export interface Config {
  port: number;
  host: string;
  /** Directory of the SQLite database, or `:memory:` for none. */
  data: string;
  /** Whether to serve the demo pages and seed a demo workspace. */
  demo: boolean;
  logLevel: LogLevel;
  /** Log line format (default `auto`). */
  logFormat?: (typeof LOG_FORMATS)[number];
  /** Origin used in resource URLs; default: the Host each request came to. */
  publicUrl?: string;
  /** A bearer token that may read `/metrics` besides the account credentials. */
  metricsToken?: string;
  /** Limits on connections; a missing field takes its value from `CONNECTION_DEFAULTS`. */
  connections?: Partial<ConnectionLimits>;
  /** Hours events are kept for the Events resource and cumulative statistics; default: the hub's (7 days). */
  eventRetentionHours?: number;
}

/** What one client may hold open, and how long a connection may take to say what it wants. */
export interface ConnectionLimits {
  /** Origins whose pages may open a socket; `undefined`: any (requests without `Origin` always pass). */
  allowedOrigins: readonly string[] | undefined;
  /** Sockets one worker may hold open at once, on each socket path. */
  maxSocketsPerWorker: number;
  /** Open sockets per client address, over both socket paths (0: no limit). */
  maxSocketsPerIp: number;
  /** A request whose headers have not all arrived after this long is answered 408 and closed. */
  headersTimeoutMs: number;
  /** A request whose body has not all arrived after this long is answered 408 and closed. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A WebSocket upgrade not accepted or refused after this long has its connection cut. */
  handshakeTimeoutMs: number;
}

/** The connection limits of a hub that was not told otherwise. */
export const CONNECTION_DEFAULTS: ConnectionLimits = {
  allowedOrigins: undefined,
  maxSocketsPerWorker: 10,
  // Generous: behind a proxy every socket comes from the proxy's address.
  maxSocketsPerIp: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // As Fastify's own server would: keep idle connections past common proxy timeouts.
  keepAliveTimeoutMs: 72_000,
  handshakeTimeoutMs: 10_000,
};

const flag = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return true;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be one of true/false/1/0/yes/no/on/off, got "${v}"` });
      return z.NEVER;
    });

const count = (name: string, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const n = /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const origins = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const origin of list) {
      if (origin === '*') continue;
      const url = URL.canParse(origin) ? new URL(origin) : undefined;
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== origin.replace(/\/+$/, '').toLowerCase()) {
        ctx.addIssue({ code: 'custom', message: `SWITCHBOARD_ALLOWED_ORIGINS must be a comma-separated list of origins such as https://app.example.com, got "${origin}"` });
        return z.NEVER;
      }
    }
    return list;
  });

const DAY_MS = 86_400_000;

const EnvSchema = z.object({
  PORT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return 3000;
      const n = /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n) || n < 0 || n > 65_535) {
        ctx.addIssue({ code: 'custom', message: `PORT must be an integer from 0 to 65535, got "${v}"` });
        return z.NEVER;
      }
      return n;
    }),
  HOST: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? '127.0.0.1' : v.trim())),
  SWITCHBOARD_DATA: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? './data' : v.trim())),
  SWITCHBOARD_DEMO: flag('SWITCHBOARD_DEMO'),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const level = v === undefined || v === '' ? 'info' : v.trim().toLowerCase();
      if ((LOG_LEVELS as readonly string[]).includes(level)) return level as Config['logLevel'];
      ctx.addIssue({ code: 'custom', message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${v}"` });
      return z.NEVER;
    }),
  LOG_FORMAT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const format = v === undefined || v.trim() === '' ? 'auto' : v.trim().toLowerCase();
      if ((LOG_FORMATS as readonly string[]).includes(format)) return format as (typeof LOG_FORMATS)[number];
      ctx.addIssue({ code: 'custom', message: `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, got "${v}"` });
      return z.NEVER;
    }),
  SWITCHBOARD_METRICS_TOKEN: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^[\x21-\x7e]{16,512}$/.test(v), {
      message: 'SWITCHBOARD_METRICS_TOKEN must be 16 to 512 printable characters without spaces',
    }),
  SWITCHBOARD_ALLOWED_ORIGINS: origins,
  SWITCHBOARD_MAX_SOCKETS_PER_WORKER: count('SWITCHBOARD_MAX_SOCKETS_PER_WORKER', 1, 1000),
  SWITCHBOARD_MAX_SOCKETS_PER_IP: count('SWITCHBOARD_MAX_SOCKETS_PER_IP', 0, 1_000_000),
  SWITCHBOARD_HEADERS_TIMEOUT_MS: count('SWITCHBOARD_HEADERS_TIMEOUT_MS', 100, DAY_MS),
  SWITCHBOARD_REQUEST_TIMEOUT_MS: count('SWITCHBOARD_REQUEST_TIMEOUT_MS', 100, DAY_MS),
  SWITCHBOARD_KEEP_ALIVE_TIMEOUT_MS: count('SWITCHBOARD_KEEP_ALIVE_TIMEOUT_MS', 100, DAY_MS),
  SWITCHBOARD_HANDSHAKE_TIMEOUT_MS: count('SWITCHBOARD_HANDSHAKE_TIMEOUT_MS', 100, DAY_MS),
  // Up to a year. A task's events take about 11 KiB on disk (README, Configuration): 1,000 tasks/s fill about 1 TB a day.
  SWITCHBOARD_EVENT_RETENTION_HOURS: count('SWITCHBOARD_EVENT_RETENTION_HOURS', 1, 8_760),
  SWITCHBOARD_PUBLIC_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), {
      message: 'SWITCHBOARD_PUBLIC_URL must be an http(s) origin such as https://hub.example.com',
    }),
});

/** Reads the configuration from `env` (default: the process's); throws an Error naming each bad variable and what it expects. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new Error(lines.join('\n'));
  }
  const e = result.data;
  const given: Partial<ConnectionLimits> = {
    allowedOrigins: e.SWITCHBOARD_ALLOWED_ORIGINS,
    maxSocketsPerWorker: e.SWITCHBOARD_MAX_SOCKETS_PER_WORKER,
    maxSocketsPerIp: e.SWITCHBOARD_MAX_SOCKETS_PER_IP,
    headersTimeoutMs: e.SWITCHBOARD_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.SWITCHBOARD_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.SWITCHBOARD_KEEP_ALIVE_TIMEOUT_MS,
    handshakeTimeoutMs: e.SWITCHBOARD_HANDSHAKE_TIMEOUT_MS,
  };
  const connections = definedOnly(given);
  const limits = resolveConnectionLimits(connections);
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(
      `SWITCHBOARD_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not be longer than SWITCHBOARD_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`,
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    data: e.SWITCHBOARD_DATA,
    demo: e.SWITCHBOARD_DEMO,
    logLevel: e.LOG_LEVEL,
    ...(e.LOG_FORMAT !== 'auto' ? { logFormat: e.LOG_FORMAT } : {}),
    ...(e.SWITCHBOARD_PUBLIC_URL ? { publicUrl: e.SWITCHBOARD_PUBLIC_URL.replace(/\/+$/, '') } : {}),
    ...(e.SWITCHBOARD_METRICS_TOKEN ? { metricsToken: e.SWITCHBOARD_METRICS_TOKEN } : {}),
    ...(Object.keys(connections).length > 0 ? { connections } : {}),
    ...(e.SWITCHBOARD_EVENT_RETENTION_HOURS !== undefined ? { eventRetentionHours: e.SWITCHBOARD_EVENT_RETENTION_HOURS } : {}),
  };
}

/** The limits in `given`, with the defaults for those it leaves out. */
export function resolveConnectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  return { ...CONNECTION_DEFAULTS, ...definedOnly(given) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
