/** Readers of the REST-shaped JSON the hub sends: loose, so a field the hub adds later breaks nothing. */

/** A JSON object from the wire. */
export type Json = Record<string, unknown>;

/** A string field, or `fallback`. */
export function str(obj: Json | undefined, key: string, fallback = ''): string {
  const v = obj?.[key];
  return typeof v === 'string' ? v : fallback;
}

/** A string field, or null. */
export function strOrNull(obj: Json | undefined, key: string): string | null {
  const v = obj?.[key];
  return typeof v === 'string' ? v : null;
}

/** A number field, or `fallback`. */
export function num(obj: Json | undefined, key: string, fallback = 0): number {
  const v = obj?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** A boolean field, or `fallback`. */
export function bool(obj: Json | undefined, key: string, fallback = false): boolean {
  const v = obj?.[key];
  return typeof v === 'boolean' ? v : fallback;
}

/** A date field (ISO text), or null. */
export function date(obj: Json | undefined, key: string): Date | null {
  const v = obj?.[key];
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Attributes JSON text parsed into an object; anything else reads as `{}`. */
export function parseAttributes(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The worker and workspace a token is for, read (not verified) from its payload; empty when unreadable. */
export function tokenGrant(token: string): { workerSid: string; workspaceSid: string; expiresAt: Date | null } {
  try {
    const part = token.split('.')[1] ?? '';
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const claims = JSON.parse(atob(base64)) as { exp?: unknown; grants?: { task_router?: Json } };
    const grant = claims.grants?.task_router;
    return {
      workerSid: str(grant, 'worker_sid'),
      workspaceSid: str(grant, 'workspace_sid'),
      expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
    };
  } catch {
    return { workerSid: '', workspaceSid: '', expiresAt: null };
  }
}
