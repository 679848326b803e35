/**
 * Serves the built browser files (the SDK bundles and the demo pages) from `dist/client/`, with
 * content types, without directory traversal, and with a clear message when nothing is built.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The `dist/client` directory: next to the compiled server (`dist/server/demo` -> `dist/client`),
 * or under the repository when the server runs from source (`server/demo` -> `dist/client`).
 */
export function findClientDir(): string {
  const compiled = fileURLToPath(new URL('../../client/', import.meta.url));
  if (existsSync(path.join(compiled, 'switchboard.iife.js'))) return compiled;
  return fileURLToPath(new URL('../../dist/client/', import.meta.url));
}

/** The content type of a file name, by extension. */
export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Resolves `relative` inside `root`, or null when it would leave it (`..`, absolute paths,
 * backslashes, NUL, encoded tricks are all refused).
 */
export function safeJoin(root: string, relative: string): string | null {
  if (relative.includes('\0') || relative.includes('\\')) return null;
  const parts = relative.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  const resolved = path.resolve(root, ...parts);
  const base = path.resolve(root);
  return resolved === base || resolved.startsWith(base + path.sep) ? resolved : null;
}

/** How to send a file: cache policy, and a file whose absence means nothing was built (503, not 404). */
export interface SendOptions {
  immutable?: boolean;
  builtMarker: string;
}

/** Sends one file of `root`, or a 404 (503 when the client was never built). */
export async function sendFile(reply: FastifyReply, root: string, relative: string, options: SendOptions): Promise<FastifyReply> {
  const file = safeJoin(root, relative);
  const missing = (status: number, message: string) => reply.code(status).type('text/plain; charset=utf-8').send(message);
  if (!file) return missing(404, 'Not found');
  try {
    const info = await stat(file);
    if (!info.isFile()) return missing(404, 'Not found');
    const body = await readFile(file);
    return reply
      .code(200)
      .header('content-type', contentType(file))
      .header('cache-control', options.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  } catch {
    if (!existsSync(options.builtMarker)) {
      return missing(503, 'The browser files are not built yet: run `npm run build`, then reload.');
    }
    return missing(404, 'Not found');
  }
}
