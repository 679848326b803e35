/**
 * Baseline 1, the physical limit: a bare `ws` server with no routing, no persistence, no
 * validation beyond JSON.parse. `POST /push` names the target sockets and the server pushes each
 * one a frame of the same size as the hub's `reservation.created` (serialized once per request).
 * An `accept` frame is answered at once; the first accept of a multi-target push wins and the
 * others get a `rescinded` frame of the same size; later accepts get a 410 reply.
 *
 * Bench child process: `ready` carries the URL; sizes are set with the `configure` command.
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { serve } from '../lib/ipc.js';
import { statsHandlers } from '../lib/process-stats.js';

/** What `POST /push` carries. */
interface PushRequest {
  task: string;
  /** Intended send time (µs, monotonic), echoed in the frame. */
  t: number;
  targets: number[];
}

const sockets = new Map<number, WebSocket>();
/** Pushed tasks waiting for their first accept: task -> targets. */
const open = new Map<string, number[]>();
let frameBytes = 1500;
let replyBytes = 1500;

/** A JSON frame padded with spaces to exactly `size` bytes (never shorter than its content). */
function padded(value: Record<string, unknown>, size: number): Buffer {
  const text = JSON.stringify(value);
  return Buffer.from(text.length >= size ? text : text.slice(0, -1) + ' '.repeat(size - text.length) + '}');
}

function push(request: PushRequest): void {
  const frame = padded({ type: 'offer', task: request.task, t: request.t }, frameBytes);
  for (const id of request.targets) sockets.get(id)?.send(frame, { binary: false });
  open.set(request.task, request.targets);
}

function onFrame(id: number, ws: WebSocket, text: string): void {
  const message = JSON.parse(text) as { type: string; ref: number; task: string };
  if (message.type === 'accept') {
    const targets = open.get(message.task);
    const won = targets !== undefined;
    if (targets) {
      open.delete(message.task);
      const rescind = padded({ type: 'rescinded', task: message.task }, frameBytes);
      for (const other of targets) if (other !== id) sockets.get(other)?.send(rescind, { binary: false });
    }
    ws.send(won ? padded({ type: 'reply', ref: message.ref, ok: true }, replyBytes) : JSON.stringify({ type: 'reply', ref: message.ref, ok: false, status: 410 }));
  } else {
    ws.send(JSON.stringify({ type: 'reply', ref: message.ref, ok: true }));
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let status = 201;
    if (req.method === 'POST' && req.url === '/push') {
      try {
        push(JSON.parse(Buffer.concat(chunks).toString()) as PushRequest);
      } catch {
        status = 400;
      }
    } else status = 404;
    const body = status === 201 ? '{"ok":true}' : '{"ok":false}';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});

const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, maxPayload: 64 * 1024 });
wss.on('connection', (ws, req) => {
  const id = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('id'));
  sockets.set(id, ws);
  ws.on('message', (data) => onFrame(id, ws, data.toString()));
  ws.on('close', () => {
    if (sockets.get(id) === ws) sockets.delete(id);
  });
  ws.on('error', () => undefined);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serve(
    {
      ...statsHandlers(),
      configure: (args) => {
        frameBytes = Number(args['frameBytes'] ?? frameBytes);
        replyBytes = Number(args['replyBytes'] ?? replyBytes);
      },
      connected: () => sockets.size,
    },
    { url: `http://127.0.0.1:${port}` },
  );
});
