/**
 * Decoding client frames and encoding server frames. Every inbound frame goes through
 * `ClientMessageSchema.safeParse`; a frame that fails names what was wrong and, when a `ref` can be
 * read from it, is answered as a failed reply to that `ref`.
 */
import { fail, SwitchboardError } from '../../shared/errors.js';
import { ClientMessageSchema, type ClientMessage, type ServerMessage } from '../../shared/protocol.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';

/** A decoded frame, or why it could not be, with the `ref` to answer when one was readable. */
export type Decoded = { ok: true; message: ClientMessage } | { ok: false; ref: string | undefined; error: SwitchboardError };

interface Issue {
  code: string;
  path: PropertyKey[];
  expected?: unknown;
  keys?: string[];
  options?: unknown[];
  minimum?: unknown;
  maximum?: unknown;
  origin?: unknown;
}

function describeIssue(issue: Issue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'frame';
  switch (issue.code) {
    case 'invalid_type':
      return `${where} must be ${String(issue.expected)}`;
    case 'unrecognized_keys':
      return `unknown field${(issue.keys?.length ?? 0) > 1 ? 's' : ''} ${(issue.keys ?? []).join(', ')}`;
    case 'invalid_union':
      return issue.options ? `${where} must be one of ${issue.options.map(String).join(', ')}` : `${where} is invalid`;
    case 'too_small':
      return issue.origin === 'string' ? `${where} must be at least ${String(issue.minimum)} characters` : `${where} is too small`;
    case 'too_big':
      return issue.origin === 'string' ? `${where} must be at most ${String(issue.maximum)} characters` : `${where} is too big`;
    default:
      return `${where} is invalid`;
  }
}

function readRef(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { ref?: unknown }).ref;
  return typeof ref === 'string' && ref.length > 0 && ref.length <= 64 ? ref : undefined;
}

/** Decodes one WebSocket message; never throws. */
export function decodeFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Decoded {
  if (isBinary) return { ok: false, ref: undefined, error: fail('BAD_REQUEST', 'Binary frames are not supported; send JSON text') };
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return { ok: false, ref: undefined, error: fail('BAD_REQUEST', `The frame nests deeper than ${MAX_JSON_DEPTH} levels`) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, ref: undefined, error: fail('BAD_REQUEST', 'The frame is not valid JSON') };
  }
  const parsed = ClientMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issues = parsed.error.issues as unknown as Issue[];
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  const prefix = typeof type === 'string' && type.length <= 64 ? `Invalid ${type} message: ` : 'Invalid message: ';
  const message = prefix + issues.slice(0, 3).map(describeIssue).join('; ');
  return { ok: false, ref: readRef(value), error: fail('BAD_REQUEST', message) };
}

const PING_HEAD = Buffer.from('{"type":"ping","ref":"');
const PING_REF = /^[\w-]{1,64}$/;

/**
 * The `ref` of a keep-alive exactly as the SDK writes it (`{"type":"ping","ref":"12"}`, a plain
 * `ref`), else undefined and the frame takes the full decoding. Every connected SDK pings every
 * 10 s: at 10,000 workers that is 1,000 frames a second, answered here without parsing them.
 */
export function pingRef(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string | undefined {
  if (isBinary || !Buffer.isBuffer(data) || data.length > PING_HEAD.length + 66 || data.length < PING_HEAD.length + 3) return undefined;
  if (data.compare(PING_HEAD, 0, PING_HEAD.length, 0, PING_HEAD.length) !== 0) return undefined;
  if (data[data.length - 2] !== 0x22 || data[data.length - 1] !== 0x7d) return undefined; // "}
  const ref = data.toString('latin1', PING_HEAD.length, data.length - 2);
  return PING_REF.test(ref) ? ref : undefined;
}

/** The reply to a ping, encoded (its `ref` needs no escaping: see `pingRef`). */
export function pingReply(ref: string): Buffer {
  return Buffer.from(`{"type":"reply","ref":"${ref}","ok":true}`);
}

/** The wire form of an error. */
export function errorPayload(error: SwitchboardError): { code: number; message: string; status: number } {
  return { code: error.twilioCode, message: error.message, status: error.status };
}

/** Turns anything thrown into a `SwitchboardError` without leaking internals. */
export function asSwitchboardError(error: unknown): SwitchboardError {
  return error instanceof SwitchboardError ? error : fail('INTERNAL', 'Internal error');
}

/** A successful reply. */
export function okReply(ref: string, data?: unknown): ServerMessage {
  return data === undefined ? { type: 'reply', ref, ok: true } : { type: 'reply', ref, ok: true, data };
}

/** A failed reply. */
export function errorReply(ref: string, error: SwitchboardError): ServerMessage {
  return { type: 'reply', ref, ok: false, error: errorPayload(error) };
}

/** A failed reply when the frame had a `ref`, else a bare `error` frame. */
export function failureFrame(ref: string | undefined, error: SwitchboardError): ServerMessage {
  return ref === undefined ? { type: 'error', error: errorPayload(error) } : errorReply(ref, error);
}
