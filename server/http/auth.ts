/**
 * Who is calling: HTTP Basic with the account's `AccountSid:AuthToken` or an API key's
 * `SKxxx:secret` (full access), or `Authorization: Bearer <worker token>` (one worker).
 */
import { timingSafeEqual } from 'node:crypto';
import { fail, type SwitchboardError } from '../../shared/errors.js';
import { verifyWorkerToken, type Credentials, type WorkerGrant } from '../auth/tokens.js';

/** The caller of a request. */
export type Principal = { type: 'account' } | { type: 'worker'; grant: WorkerGrant };

/** A principal, or why there is none. */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: SwitchboardError };

/** The challenge sent with every 401. */
export const AUTH_CHALLENGE = 'Basic realm="Switchboard"';

/** Verified tokens kept so a busy worker is not re-verified on every call; bounded, expiry re-checked. */
const MAX_CACHED_TOKENS = 10_000;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Authenticates requests against one set of credentials. */
export class Authenticator {
  private readonly tokens = new Map<string, WorkerGrant>();

  constructor(
    private readonly credentials: Credentials,
    private readonly now: () => number = Date.now,
  ) {}

  /** The principal of an `Authorization` header, or a 401 error; synchronous unless a token must be verified. */
  authenticate(header: string | undefined): AuthResult | Promise<AuthResult> {
    if (!header) return { ok: false, error: fail('UNAUTHORIZED', 'Authentication is required') };
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'basic') return this.basic(value);
    if (scheme === 'bearer') return this.bearer(value);
    return { ok: false, error: fail('UNAUTHORIZED', 'Authorization must be Basic or Bearer') };
  }

  private basic(value: string): AuthResult {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const { accountSid, authToken, apiKeys } = this.credentials;
    const expected = user === accountSid ? authToken : user.startsWith('SK') ? apiKeys.get(user) : undefined;
    if (colon > 0 && expected !== undefined && sameSecret(secret, expected)) return { ok: true, principal: { type: 'account' } };
    return { ok: false, error: fail('UNAUTHORIZED', 'Authentication failed: wrong account SID, API key or secret') };
  }

  private bearer(token: string): AuthResult | Promise<AuthResult> {
    const now = this.now();
    const cached = this.tokens.get(token);
    if (cached) {
      if (cached.expiresAt > now) return { ok: true, principal: { type: 'worker', grant: cached } };
      this.tokens.delete(token);
      return { ok: false, error: fail('UNAUTHORIZED', 'Token has expired') };
    }
    return this.verify(token, now);
  }

  private async verify(token: string, now: number): Promise<AuthResult> {
    const verified = await verifyWorkerToken(token, this.credentials, now);
    if (!verified.ok) return verified;
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    this.tokens.set(token, verified.grant);
    return { ok: true, principal: { type: 'worker', grant: verified.grant } };
  }
}
