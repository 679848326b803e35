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
}

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
  return {
    port: e.PORT,
    host: e.HOST,
    data: e.SWITCHBOARD_DATA,
    demo: e.SWITCHBOARD_DEMO,
    logLevel: e.LOG_LEVEL,
    ...(e.LOG_FORMAT !== 'auto' ? { logFormat: e.LOG_FORMAT } : {}),
    ...(e.SWITCHBOARD_PUBLIC_URL ? { publicUrl: e.SWITCHBOARD_PUBLIC_URL.replace(/\/+$/, '') } : {}),
    ...(e.SWITCHBOARD_METRICS_TOKEN ? { metricsToken: e.SWITCHBOARD_METRICS_TOKEN } : {}),
  };
}
