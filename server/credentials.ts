/**
 * The account's credentials: from the environment (`SWITCHBOARD_ACCOUNT_SID`, `SWITCHBOARD_AUTH_TOKEN`,
 * `SWITCHBOARD_API_KEYS`), else from the store, else generated once and kept in the store.
 */
import { randomBytes } from 'node:crypto';
import { isSid } from '../shared/sid.js';
import type { Credentials } from './auth/tokens.js';
import type { Store } from './store/store.js';

export type { Credentials };

/** Credentials and how they were obtained; `generated` ones must be shown to the operator once. */
export interface LoadedCredentials {
  credentials: Credentials;
  source: 'env' | 'store' | 'generated';
}

const TOKEN = /^[0-9A-Za-z_-]{16,}$/;

/** Parses `SK...:secret,SK...:secret`; throws an Error naming the variable on a bad entry. */
export function parseApiKeys(text: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const sid = entry.slice(0, colon);
    const secret = entry.slice(colon + 1);
    if (colon < 0 || !isSid('SK', sid) || secret.length < 16) {
      throw new Error(`SWITCHBOARD_API_KEYS must be a comma list of SK<32 hex>:<secret of 16+ characters>; bad entry for "${colon < 0 ? '(no colon)' : sid.slice(0, 34)}"`);
    }
    keys.set(sid, secret);
  }
  return keys;
}

/** Loads (or creates and persists) the account credentials. */
export async function loadCredentials(store: Store, env: NodeJS.ProcessEnv = process.env): Promise<LoadedCredentials> {
  const apiKeys = parseApiKeys(env['SWITCHBOARD_API_KEYS']);
  const envSid = env['SWITCHBOARD_ACCOUNT_SID']?.trim() || undefined;
  const envToken = env['SWITCHBOARD_AUTH_TOKEN']?.trim() || undefined;
  if (envSid !== undefined || envToken !== undefined) {
    if (envSid === undefined || !isSid('AC', envSid)) throw new Error('SWITCHBOARD_ACCOUNT_SID must be AC followed by 32 lowercase hex characters');
    if (envToken === undefined || !TOKEN.test(envToken)) throw new Error('SWITCHBOARD_AUTH_TOKEN must be at least 16 letters, digits, - or _');
    return { credentials: { accountSid: envSid, authToken: envToken, apiKeys }, source: 'env' };
  }
  const storedSid = await store.getMeta('account_sid');
  const storedToken = await store.getMeta('auth_token');
  if (storedSid && storedToken) return { credentials: { accountSid: storedSid, authToken: storedToken, apiKeys }, source: 'store' };
  const accountSid = 'AC' + randomBytes(16).toString('hex');
  const authToken = randomBytes(16).toString('hex');
  await store.setMeta('account_sid', accountSid);
  await store.setMeta('auth_token', authToken);
  return { credentials: { accountSid, authToken, apiKeys }, source: 'generated' };
}
