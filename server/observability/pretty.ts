/**
 * A small readable form of a JSON log line, for a terminal: `12:04:05.123 INFO  listening url=...`,
 * with the error stack, if any, below it. Anything that is not a JSON object passes through.
 */

const LEVEL_COLORS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** Fields every line has, shown in the prefix or left out. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** Formats one JSON line (with its newline) for a terminal. */
export function formatPretty(line: string, colors: boolean): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry['time'] === 'string' ? entry['time'].slice(11, 23) : '';
  const level = String(entry['level'] ?? 'info');
  const tag = level.toUpperCase().padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, v]) => `${key}=${value(v)}`)
    .join(' ');
  const paint = (code: string | undefined, text: string) => (colors && code ? `${code}${text}${RESET}` : text);
  let out = `${paint(DIM, time)} ${paint(LEVEL_COLORS[level], tag)} ${String(entry['msg'] ?? '')}${fields ? ` ${paint(DIM, fields)}` : ''}\n`;
  const err = entry['err'] as { stack?: unknown; message?: unknown } | undefined;
  if (err) out += `${String(err.stack ?? err.message ?? '').replace(/^/gm, '    ')}\n`;
  return out;
}
