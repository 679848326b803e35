import { fail, type ErrorCode, type SwitchboardError } from '../../shared/errors.js';

/** What a command handler returns: the affected resource, or an error and no change. */
export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; error: SwitchboardError };

/** A successful outcome. */
export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** A failed outcome. */
export function err(code: ErrorCode, message: string): { ok: false; error: SwitchboardError } {
  return { ok: false, error: fail(code, message) };
}

/** TaskRouter's limit on attributes text. */
export const MAX_ATTRIBUTES_LENGTH = 4096;

/**
 * Reads attributes text: a JSON object of at most 4096 characters. Returns the object (for a caller
 * that keeps it parsed, which then need not parse the text again) or an error outcome.
 */
export function readAttributes(text: string, param = 'Attributes'): Outcome<Record<string, unknown>> {
  if (text.length > MAX_ATTRIBUTES_LENGTH) return err('BAD_REQUEST', `${param} must be at most ${MAX_ATTRIBUTES_LENGTH} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err('BAD_REQUEST', `${param} must be valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('BAD_REQUEST', `${param} must be a JSON object`);
  return ok(value as Record<string, unknown>);
}

/** Checks attributes text (see `readAttributes`). Returns an error outcome or null. */
export function checkAttributes(text: string, param = 'Attributes'): { ok: false; error: SwitchboardError } | null {
  const read = readAttributes(text, param);
  return read.ok ? null : read;
}

/**
 * A 409 when another of `records` than `self` has the name `name` (`kind` names them in the
 * message), else null: the names a workspace keeps unique.
 */
export function checkNameFree(
  records: Iterable<{ friendlyName: string }>,
  name: string,
  kind: string,
  self?: { friendlyName: string },
): { ok: false; error: SwitchboardError } | null {
  for (const r of records) if (r !== self && r.friendlyName === name) return err('CONFLICT', `${kind} named ${name} already exists`);
  return null;
}

/** Checks a FriendlyName: 1 to 64 characters. */
export function checkName(name: string, param = 'FriendlyName'): { ok: false; error: SwitchboardError } | null {
  if (name.trim().length === 0) return err('BAD_REQUEST', `${param} must not be empty`);
  if (name.length > 64) return err('BAD_REQUEST', `${param} must be at most 64 characters`);
  return null;
}

/**
 * Checks an `If-Match` header against a record's version, as HTTP reads it: `*` (any version) or a
 * comma-separated list of ETags, one of which must be the current version.
 */
export function checkVersion(ifMatch: string | undefined, version: number): { ok: false; error: SwitchboardError } | null {
  if (ifMatch === undefined) return null;
  const current = String(version);
  const matches = ifMatch.split(',').some((tag) => {
    const wanted = tag.trim().replace(/^W\//, '').replace(/"/g, '').trim();
    return wanted === '*' || wanted === current;
  });
  return matches ? null : err('PRECONDITION_FAILED', `If-Match ${ifMatch} does not match the current version ${version}`);
}
