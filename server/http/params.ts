/**
 * Zod building blocks for TaskRouter's request parameters, which arrive form-encoded (strings)
 * or as JSON (typed values): booleans from true/false/1/0/yes/no, integers from digit strings,
 * SIDs by prefix, ISO dates to epoch ms, JSON documents as text. Every failure names its parameter.
 * Each block carries a description (zod metadata) that the OpenAPI document shows.
 */
import { z } from 'zod';
import { fail } from '../../shared/errors.js';
import { isSid, type SidPrefix } from '../../shared/sid.js';

const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

/** A text parameter, at most `max` characters (a transport limit, not a domain rule). */
export function text(max = 65_536) {
  return z.string({ error: required('a string') }).max(max, { error: `must be at most ${max} characters` }).meta({ description: `Text, at most ${max} characters` });
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** A boolean: true/false/1/0/yes/no in any case, or a JSON boolean. */
export function bool() {
  return z.union([z.boolean(), z.string(), z.number()], { error: required('true or false') }).transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = String(v).trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  }).meta({ description: 'A boolean: true or false (also 1/0, yes/no, in any case)' });
}

/** An integer (domain ranges are the engine's; `min`/`max` here only bound transport values). */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return z.union([z.number(), z.string()], { error: required('an integer') }).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: 'custom', message: 'must be an integer' });
      return z.NEVER;
    }
    if (n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  }).meta({ description: min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER ? 'An integer' : `An integer from ${min} to ${max}` });
}

/** A SID with one of the given prefixes. */
export function sid(...prefixes: SidPrefix[]) {
  return z
    .string({ error: required('a SID') })
    .refine((v) => prefixes.some((p) => isSid(p, v)), { error: `must be a SID starting with ${prefixes.join(' or ')}` })
    .meta({ description: `A SID starting with ${prefixes.join(' or ')}`, pattern: `^(${prefixes.join('|')})[0-9a-f]{32}$` });
}

/** A SID, or empty text meaning "none" (null). */
export function optionalSid(prefix: SidPrefix) {
  return z
    .union([z.literal(''), sid(prefix)], { error: `must be a SID starting with ${prefix}` })
    .transform((v) => (v === '' ? null : v))
    .meta({ description: `A SID starting with ${prefix}, or empty for none` });
}

/** One of a closed set of words (matched case-sensitively, as TaskRouter does). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: required(`one of ${values.join(', ')}`) }).meta({ description: `One of ${values.join(', ')}` });
}

/** An ISO-8601 date (or epoch seconds), as epoch milliseconds. */
export function date() {
  return z.union([z.string(), z.number()], { error: required('an ISO-8601 date') }).transform((v, ctx) => {
    const ms = typeof v === 'number' || /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date' });
      return z.NEVER;
    }
    return ms;
  }).meta({ description: 'An ISO-8601 date, or epoch seconds' });
}

/** A JSON document as text: form bodies send text, JSON bodies may send the object itself. */
export function jsonText() {
  return z
    .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], { error: required('JSON text') })
    .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    .meta({ description: 'A JSON document: as text in a form body, as text or the value itself in a JSON body' });
}

/** An http(s) URL, or empty text meaning "none" (null). */
export function optionalUrl() {
  return z
    .string({ error: required('a URL') })
    .refine((v) => v === '' || /^https?:\/\/[^\s]+$/i.test(v), { error: 'must be an http or https URL' })
    .transform((v) => (v === '' ? null : v))
    .meta({ description: 'An http or https URL, or empty for none' });
}

/** A parameter that may repeat (`A=x&A=y`) or hold a comma list; always an array of words. */
export function list() {
  return z
    .union([z.string(), z.array(z.string())], { error: 'must be text' })
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0))
    .meta({ description: 'Words: the parameter repeated, or a comma-separated list' });
}

/**
 * Parses raw parameters with a schema; unknown parameters are ignored, as TaskRouter does.
 * Throws a 400 SwitchboardError whose message names the first bad parameter.
 */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = issue.path.map(String).join('.') || 'The request body';
  throw fail('BAD_REQUEST', `${name} ${issue.message}`);
}
