/**
 * Connections that break HTTP before a request reaches the app: a request line or header block
 * Node's parser refuses, headers past the size limit, or a client too slow to send its request
 * (`headersTimeout`, `requestTimeout`), or chunk extensions past the parser's limit. Node would answer these with a bare status line; the hub
 * answers with the Twilio-style error body every other refusal carries, counts them by reason
 * and closes the connection.
 */
import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { fail, type SwitchboardError } from '../../shared/errors.js';

/** Why a connection was answered and closed before its request reached the app. */
export const CLIENT_ERROR_REASONS = ['timeout', 'headers_too_large', 'body_too_large', 'malformed'] as const;
export type ClientErrorReason = (typeof CLIENT_ERROR_REASONS)[number];

/** Connections closed so far, by reason. */
export type ClientErrorCounts = Record<ClientErrorReason, number>;

/** Told of each connection closed, with what it had sent (for a debug log). */
export type ClientErrorListener = (reason: ClientErrorReason, detail: { code: string; bytesRead: number; remoteAddress: string | undefined }) => void;

const PEER_GONE = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

function classify(code: string): { reason: ClientErrorReason; error: SwitchboardError } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { reason: 'timeout', error: fail('REQUEST_TIMEOUT', 'The request did not arrive in time; the connection is closed') };
    case 'HPE_HEADER_OVERFLOW':
      return { reason: 'headers_too_large', error: fail('HEADERS_TOO_LARGE', 'The request line and headers are larger than the hub accepts') };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      // As Node answers it: the body's chunk extensions passed the parser's limit (16 KiB).
      return { reason: 'body_too_large', error: fail('PAYLOAD_TOO_LARGE', 'The chunk extensions of the request body are larger than the hub accepts') };
    default:
      return { reason: 'malformed', error: fail('BAD_REQUEST', `The request is not valid HTTP/1.1 (${code})`) };
  }
}

/** The raw HTTP answer for `error`, closing the connection. */
export function errorResponse(error: SwitchboardError): string {
  const body = JSON.stringify(error.toBody());
  return (
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\nConnection: close\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Takes over `server`'s client errors; returns the counts so far. */
export function answerClientErrors(server: Server, listener?: ClientErrorListener): () => ClientErrorCounts {
  const counts = Object.fromEntries(CLIENT_ERROR_REASONS.map((reason) => [reason, 0])) as ClientErrorCounts;
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    const code = e.code ?? 'UNKNOWN';
    // The peer went away (reset, broken pipe, hung up mid-request): there is nobody to answer.
    if (PEER_GONE.has(code) || !socket.writable) return void socket.destroy();
    const { reason, error } = classify(code);
    counts[reason] += 1;
    const net = socket as Duplex & { bytesRead?: number; remoteAddress?: string; _httpMessage?: ServerResponse | null };
    listener?.(reason, { code, bytesRead: net.bytesRead ?? 0, remoteAddress: net.remoteAddress });
    // As Node does: answer only when no response has started on this connection.
    if (!net._httpMessage?.headersSent) socket.write(errorResponse(error));
    socket.destroy();
  });
  return () => ({ ...counts });
}
