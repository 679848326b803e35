/**
 * Helpers shared by the reliability tests: hostile tokens, a snapshot of a hub's durable records
 * (to prove that refused input changed nothing), percentiles, and small waiting utilities.
 */
import { createWorkerToken, type Credentials } from '../auth/tokens.js';
import type { Hub } from '../hub.js';

/** The ways a worker token can be bad, each aimed at `workerSid` so that a bypass would grant it. */
export interface HostileTokens {
  expired: string;
  /** Signed with a secret the hub does not know. */
  forged: string;
  /** Another worker's valid token with its payload rewritten to `workerSid` (signature left as is). */
  tampered: string;
  /** `alg: none`, no signature. */
  algNone: string;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Builds the hostile tokens for a worker; `donorToken` is a valid token of any other worker. */
export async function hostileTokens(credentials: Credentials, workspaceSid: string, workerSid: string, donorToken: string): Promise<HostileTokens> {
  const nowS = Math.floor(Date.now() / 1000);
  const expired = await createWorkerToken({ credentials, workspaceSid, workerSid, now: nowS - 7200, ttl: 60 });
  const forged = await createWorkerToken({ credentials: { ...credentials, authToken: 'not-the-auth-token-0123456789' }, workspaceSid, workerSid });
  const [header = '', payload = '', signature = ''] = donorToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { grants: { task_router: Record<string, string> } };
  claims.grants.task_router['worker_sid'] = workerSid;
  claims.grants.task_router['workspace_sid'] = workspaceSid;
  const tampered = `${header}.${b64url(claims)}.${signature}`;
  const algNone = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
    iss: credentials.accountSid,
    sub: credentials.accountSid,
    iat: nowS,
    exp: nowS + 3600,
    grants: { identity: workerSid, task_router: { workspace_sid: workspaceSid, worker_sid: workerSid, role: 'worker' } },
  })}.`;
  return { expired, forged, tampered, algNone };
}

/** Everything the hub has made durable (records per workspace and the events), as one comparable string. */
export async function durableSnapshot(hub: Hub): Promise<string> {
  await hub.flush();
  const loaded = await hub.store.load();
  const parts: string[] = [];
  for (const ws of [...loaded.keys()].sort()) {
    const records = (loaded.get(ws) ?? []).map((r) => JSON.stringify(r)).sort();
    const events = await hub.queryEvents({ workspaceSid: ws, limit: 100_000 });
    parts.push(`${ws}:${records.join('\n')}\nevents=${events.length}`);
  }
  return parts.join('\n---\n');
}

/** The p-th percentile (0..100) of samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Renders rows as an aligned text table. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
