/**
 * The event-bridge WebSocket: takes the upgrades the router sends on `/v1/wschannels`, with the token
 * in the query, as `twilio-taskrouter` connects (`?token=…&closeExistingSessions=…&clientVersion=…
 * [&setWorkerOfflineIfDisconnected=…]`). A refused token still gets a socket, closed with 4401 and
 * the reason, so the SDK's `disconnected` says why. Pushes are built in the step and sent after
 * the commit; when a worker's last socket drops it goes Offline unless it asked otherwise.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { verifyWorkerToken, type Credentials } from '../auth/tokens.js';
import type { EventRecord } from '../engine/model.js';
import type { WorkspaceEngine } from '../engine/engine.js';
import type { Hub } from '../hub.js';
import { SessionRegistry, type SocketStats } from '../ws/session-registry.js';
import { closeSessions, endSessionsOfDeletedWorkspaces, moveOffline } from '../ws/endpoint-shared.js';
import { CLOSE, DEFAULT_SOCKETS_PER_WORKER } from '../ws/socket-options.js';
import type { UpgradeRouter } from '../ws/upgrade-router.js';
import { BridgeSession, type BridgeSessionHost } from './bridge-session.js';
import { EVENT_BRIDGE_PATH } from './envelope-endpoint.js';
import { eventPush, mayPush } from './event-frames.js';

/** Tunables; tests shrink the timings. */
export interface BridgeSocketOptions {
  /** URL path the endpoint answers on (default `/v1/wschannels`). */
  path?: string;
  /** Sockets one worker may hold open at once; the next is closed with 4029 (default 10). */
  maxSocketsPerWorker?: number;
  /** Interval of heartbeat frames and pings (default 10 s; the SDK gives up after 30–60 s of silence). */
  heartbeatMs?: number;
  /** A socket whose unsent data would pass this many bytes is cut off (default 1 MiB). */
  maxBufferedBytes?: number;
  /** How long a socket being closed has to finish the handshake (default 1 s). */
  closeGraceMs?: number;
}

/** The running endpoint. */
export interface BridgeSockets {
  /** Stops accepting sockets, closes every session (1001) and resolves once they are gone. */
  close(): Promise<void>;
  /** Open sessions right now. */
  sessionCount(): number;
  stats(): SocketStats;
}

/** The query flags are text: only `true` counts as true; an absent one takes the SDK's documented default. */
function flag(query: URLSearchParams, name: string, absent: boolean): boolean {
  const value = query.get(name);
  return value === null ? absent : value.toLowerCase() === 'true';
}

/** Attaches the event-bridge socket endpoint to the server's upgrades. */
export function attachBridgeSockets(upgrades: UpgradeRouter, hub: Hub, credentials: Credentials, options: BridgeSocketOptions = {}): BridgeSockets {
  const registry = new SessionRegistry<BridgeSession>(options.heartbeatMs ?? 10_000);
  const path = options.path ?? EVENT_BRIDGE_PATH;
  const maxPerWorker = options.maxSocketsPerWorker ?? DEFAULT_SOCKETS_PER_WORKER;
  // The SDK never sends a frame: anything bigger than a stray ping is refused by `ws` itself.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, clientTracking: false, perMessageDeflate: false });
  let shuttingDown = false;
  let closing: Promise<void> | undefined;

  const host: BridgeSessionHost = {
    registry,
    now: hub.now,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    closeGraceMs: options.closeGraceMs ?? 1000,
    ended(session, last) {
      // On shutdown the workers are not leaving: they reconnect to the next hub.
      if (last && !shuttingDown && session.offlineOnDisconnect) moveOffline(hub, session.workspaceSid, session.workerSid);
    },
  };

  const accept = async (req: http.IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams) => {
    const verified = await verifyWorkerToken(query.get('token') ?? '', credentials, hub.now());
    const refuse = (ws: WebSocket, code: number, reason: string) => ws.close(code, reason.slice(0, 120));
    if (shuttingDown) return void socket.destroy();
    await new Promise<void>((resolve) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        resolve();
        if (shuttingDown) return ws.terminate();
        if (!verified.ok) return refuse(ws, CLOSE.UNAUTHORIZED.code, verified.error.message);
        const grant = verified.grant;
        if (!hub.engine(grant.workspaceSid)?.state.workers.has(grant.workerSid)) {
          return refuse(ws, CLOSE.WORKER_GONE.code, `Worker ${grant.workerSid} not found in workspace ${grant.workspaceSid}`);
        }
        const others = [...(registry.sessionsOf(grant.workerSid) ?? [])];
        const replacing = flag(query, 'closeExistingSessions', false);
        // A socket that replaces the others takes no extra slot: they are about to close.
        if (!replacing && others.length >= maxPerWorker) {
          registry.counters.tooManySockets += 1;
          return refuse(ws, CLOSE.TOO_MANY_SOCKETS.code, `Worker ${grant.workerSid} already has ${others.length} open sockets, the most allowed`);
        }
        new BridgeSession(ws, grant, flag(query, 'setWorkerOfflineIfDisconnected', true), host);
        if (replacing) for (const other of others) other.end(CLOSE.REPLACED);
      });
    });
  };

  const unroute = upgrades.route(path, (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
    accept(req, socket, head, new URL(req.url ?? '/', 'http://localhost').searchParams),
  );

  // Runs inside the step: the frame is built from the state the event left behind, sent after the commit.
  const pushes = (event: EventRecord, engine: WorkspaceEngine): (() => void) | undefined => {
    // Most hubs serve no page on Twilio's SDK: nothing to build then.
    if (registry.sessionCount() === 0 || !mayPush(event)) return undefined;
    if (event.workerSid !== null && !event.eventType.startsWith('task.') && !registry.sessionsOf(event.workerSid)?.size) return undefined;
    const push = eventPush(event, engine.state, hub.now());
    if (!push || !push.workerSids.some((sid) => registry.sessionsOf(sid)?.size)) return undefined;
    return () => {
      for (const workerSid of push.workerSids) {
        for (const session of [...(registry.sessionsOf(workerSid) ?? [])]) {
          if (session.workspaceSid !== event.workspaceSid) continue;
          if (push.end) session.end(CLOSE.WORKER_GONE);
          else if (push.frame) session.push(push.frame);
        }
      }
    };
  };
  const unsubscribe = hub.onEvent((event, engine) => {
    try {
      return pushes(event, engine);
    } catch {
      // A push that cannot be built must never fail the command that caused it.
      return undefined;
    }
  });

  const unsubscribeDeletions = endSessionsOfDeletedWorkspaces(hub, () => registry.sockets());

  const close = async () => {
    shuttingDown = true;
    unroute();
    registry.stop();
    unsubscribe();
    unsubscribeDeletions();
    await closeSessions(registry.sockets(), host.closeGraceMs);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };

  return {
    close: () => (closing ??= close()),
    sessionCount: () => registry.sessionCount(),
    stats: () => registry.stats(),
  };
}
