import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { fail, type SwitchboardError } from '../../shared/errors.js';

/** Roles of a worker token, as TaskRouter's grant names them. */
export type TokenRole = 'worker' | 'supervisor' | 'admin';

/** What a verified worker token grants. */
export interface WorkerGrant {
  accountSid: string;
  workspaceSid: string;
  workerSid: string;
  role: TokenRole;
  identity: string;
  /** Expiry, epoch ms. */
  expiresAt: number;
}

/** The secrets tokens may be signed with: the account's auth token, and API keys by SID. */
export interface Credentials {
  accountSid: string;
  authToken: string;
  apiKeys: ReadonlyMap<string, string>;
}

/** Parameters of a new worker token. */
export interface WorkerTokenParams {
  credentials: Credentials;
  workspaceSid: string;
  workerSid: string;
  role?: TokenRole;
  identity?: string;
  /** Lifetime in seconds (default 3600). */
  ttl?: number;
  /** Sign with this API key instead of the auth token. */
  apiKeySid?: string;
  /** Issue time, epoch seconds (default now). */
  now?: number;
}

const encoder = new TextEncoder();

/** Mints a worker token in Twilio AccessToken form (HS256, `grants.task_router`). */
export async function createWorkerToken(params: WorkerTokenParams): Promise<string> {
  const { credentials } = params;
  const issuer = params.apiKeySid ?? credentials.accountSid;
  const secret = params.apiKeySid ? credentials.apiKeys.get(params.apiKeySid) : credentials.authToken;
  if (!secret) throw fail('BAD_REQUEST', `Unknown API key ${params.apiKeySid}`);
  const iat = params.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({
    grants: {
      identity: params.identity ?? params.workerSid,
      task_router: { workspace_sid: params.workspaceSid, worker_sid: params.workerSid, role: params.role ?? 'worker' },
    },
  })
    .setProtectedHeader({ typ: 'JWT', alg: 'HS256', cty: 'twilio-fpa;v=1' })
    .setJti(`${issuer}-${iat}`)
    .setIssuer(issuer)
    .setSubject(credentials.accountSid)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (params.ttl ?? 3600))
    .sign(encoder.encode(secret));
}

/**
 * Verifies a worker token: HS256 only, signed by the auth token (issuer = account SID) or a
 * configured API key (issuer = key SID), for this account, not expired, with a TaskRouter grant.
 */
export async function verifyWorkerToken(
  token: string,
  credentials: Credentials,
  nowMs: number = Date.now(),
): Promise<{ ok: true; grant: WorkerGrant } | { ok: false; error: SwitchboardError }> {
  const refused = (message: string) => ({ ok: false as const, error: fail('UNAUTHORIZED', message) });
  try {
    const { payload } = await jwtVerify(
      token,
      async (header, jws) => {
        const issuer = decodeIssuer(jws.payload);
        const secret = issuer === credentials.accountSid ? credentials.authToken : issuer ? credentials.apiKeys.get(issuer) : undefined;
        if (!secret || header.alg !== 'HS256') throw new Error('unknown issuer');
        return encoder.encode(secret);
      },
      { algorithms: ['HS256'], subject: credentials.accountSid, currentDate: new Date(nowMs) },
    );
    const grants = payload['grants'] as { identity?: unknown; task_router?: Record<string, unknown> } | undefined;
    const tr = grants?.task_router;
    const workspaceSid = tr?.['workspace_sid'];
    const workerSid = tr?.['worker_sid'];
    const role = tr?.['role'] ?? 'worker';
    if (typeof workspaceSid !== 'string' || typeof workerSid !== 'string') return refused('Token has no TaskRouter grant');
    if (role !== 'worker' && role !== 'supervisor' && role !== 'admin') return refused(`Token role ${String(role)} is unknown`);
    if (typeof payload.exp !== 'number') return refused('Token has no expiry');
    return {
      ok: true,
      grant: {
        accountSid: credentials.accountSid,
        workspaceSid,
        workerSid,
        role,
        identity: typeof grants?.identity === 'string' ? grants.identity : workerSid,
        expiresAt: payload.exp * 1000,
      },
    };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return refused('Token has expired');
    return refused('Token is invalid');
  }
}

function decodeIssuer(payload: Uint8Array | string): string | undefined {
  try {
    // In a compact JWS the payload arrives base64url-encoded.
    const text = typeof payload === "string" ? Buffer.from(payload, "base64url").toString("utf8") : new TextDecoder().decode(payload);
    const claims = JSON.parse(text) as { iss?: unknown };
    return typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}
