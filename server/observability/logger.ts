/**
 * The hub's structured logger (pino): one JSON line per meaningful event on stdout, or a short
 * readable line when stdout is a terminal. No secret reaches a line: secret-named keys are
 * redacted wherever they sit, request lines carry no headers and mask secret-looking query
 * values, and every line is scrubbed of the hub's own secrets and of anything shaped like a JWT.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';
import { formatPretty } from './pretty.js';

export type { Logger };

/** How lines are written: JSON, readable, or readable only on a terminal (`auto`). */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** How to build a logger. */
export interface LoggerOptions {
  level: LogLevel;
  format?: LogFormat;
  /** Where lines go (default: stdout); tests pass a stream that captures them. */
  destination?: { write(line: string): unknown };
}

/** Keys whose values are never written, at any of the first three levels of a line. */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'authToken',
  'auth_token',
  'AuthToken',
  'token',
  'accessToken',
  'access_token',
  'secret',
  'password',
  'apiKeys',
  'credentials',
  'metricsToken',
];

/** Redaction paths for pino: each secret key at the top level and one or two levels down. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

const CENSOR = '[redacted]';
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+/g;
const SECRET_QUERY = /token|secret|password|signature|auth|key/i;

/** The hub's own secret values, removed from every line that would carry one. */
class SecretScrubber {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    if (value && value.length >= 8) this.values.add(value);
  }

  scrub(line: string): string {
    let out = line.includes('eyJ') ? line.replace(JWT, CENSOR) : line;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(CENSOR);
    return out;
  }
}

const scrubbers = new WeakMap<Logger, SecretScrubber>();

/** Tells a logger made by `createLogger` the secrets it must never write (the auth token, API key secrets, ...). */
export function hideSecrets(logger: Logger, values: Iterable<string | undefined>): void {
  const scrubber = scrubbers.get(logger);
  if (scrubber) for (const value of values) scrubber.add(value);
}

/** A URL with the values of secret-looking query parameters masked. */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let masked = false;
  for (const key of new Set(params.keys())) {
    if (SECRET_QUERY.test(key)) {
      params.set(key, 'redacted');
      masked = true;
    }
  }
  return masked ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** Serializers for Fastify's request and reply objects: no headers, masked URLs. */
export const httpSerializers = {
  req(req: { method?: string; url?: string; ip?: string; id?: string }) {
    return { method: req.method, url: safeUrl(req.url ?? ''), remoteAddress: req.ip };
  },
  res(reply: { statusCode?: number }) {
    return { statusCode: reply.statusCode };
  },
};

/** Whether `format` means readable lines here. */
export function isPretty(format: LogFormat | undefined, destination?: unknown): boolean {
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return destination === undefined && process.stdout.isTTY === true;
}

/** Builds the root logger. */
export function createLogger(options: LoggerOptions): Logger {
  const scrubber = new SecretScrubber();
  const pretty = isPretty(options.format, options.destination);
  const colors = pretty && options.destination === undefined && process.stdout.isTTY === true;
  const sink = options.destination ?? process.stdout;
  const stream: DestinationStream = {
    write(line: string) {
      const clean = scrubber.scrub(line);
      sink.write(pretty ? formatPretty(clean, colors) : clean);
    },
  };
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, ...httpSerializers },
    },
    stream,
  );
  scrubbers.set(logger, scrubber);
  return logger;
}

/** A logger that writes nothing (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
