/**
 * The native WebSocket endpoint for the Switchboard SDK: takes the upgrades the router sends on
 * `/v1/sockets`, pings peers, pushes each event that concerns a worker to that worker's sessions
 * once it is committed, and moves a worker offline when its last session drops if it asked for that.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../../shared/protocol.js';
import type { Credentials } from '../auth/tokens.js';
import type { WorkspaceEngine } from '../engine/engine.js';
import type { EventRecord } from '../engine/model.js';
import type { Hub } from '../hub.js';
import { closeSessions, endSessionsOfDeletedWorkspaces, moveOffline } from './endpoint-shared.js';
import { PushEncoder } from './payloads.js';
import { SessionRegistry, type SocketStats } from './session-registry.js';
import { CLOSE, resolveSocketOptions, type SocketOptions } from './socket-options.js';
import type { UpgradeRouter } from './upgrade-router.js';
import { WorkerSession, type SessionHost } from './worker-session.js';

/** The running endpoint. */
export interface WorkerSockets {
  /** Stops accepting sockets, closes every session (1001) and resolves once they are gone. */
  close(): Promise<void>;
  /** Authenticated sessions right now. */
  sessionCount(): number;
  /** Counters for operators and tests. */
  stats(): SocketStats;
}

/**
 * Events the reply to the session's own command carries in full: `reservation.accept`, `.reject`,
 * `task.wrap` and `task.complete` answer with the reservation.
 */
const REPLY_CARRIES: ReadonlySet<string> = new Set(['reservation.accepted', 'reservation.rejected', 'reservation.wrapup', 'reservation.completed']);

/** Attaches the worker socket endpoint to the server's upgrades; pass it as `startServer`'s `attachSockets`. */
export function attachWorkerSockets(upgrades: UpgradeRouter, hub: Hub, credentials: Credentials, options: SocketOptions = {}): WorkerSockets {
  const opts = resolveSocketOptions(options, hub.now);
  const registry = new SessionRegistry<WorkerSession>(opts.pingIntervalMs);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false, perMessageDeflate: false });
  let closing: Promise<void> | undefined;
  let shuttingDown = false;

  const host: SessionHost = {
    hub,
    credentials,
    options: opts,
    registry,
    ended(session: WorkerSession, last: boolean) {
      // On shutdown the workers are not leaving: they will reconnect to the next hub.
      if (last && !shuttingDown && session.offlineOnDisconnect && session.workspaceSid && session.workerSid) {
        moveOffline(hub, session.workspaceSid, session.workerSid);
      }
    },
  };

  const unroute = upgrades.route(opts.path, (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (shuttingDown) return void socket.destroy();
    return new Promise<void>((resolve) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (shuttingDown) ws.terminate();
        else new WorkerSession(ws, host, socket);
        resolve();
      });
    });
  });

  // Runs inside the step: build the frame now, once for every session, from the state the event
  // left behind; send it only after the commit.
  const encoder = new PushEncoder();
  const pushes = (event: EventRecord, engine: WorkspaceEngine, step: number, origin: unknown): (() => void) | undefined => {
    if (event.workerSid === null) return undefined;
    const live = registry.sessionsOf(event.workerSid);
    if (!live || live.size === 0) return undefined;
    // The session that accepted, rejected, wrapped or completed gets the reservation in its reply
    // (serialized after the commit, so never older than this push): the SDK takes whichever comes
    // first, and the same frame twice would only cost both ends. The worker's other sessions get the push.
    const echoed = REPLY_CARRIES.has(event.eventType) ? origin : undefined;
    const targets = [...live].filter((s) => s.workspaceSid === event.workspaceSid && s !== echoed);
    if (targets.length === 0) return undefined;
    if (event.eventType === 'worker.deleted') return () => targets.forEach((s) => s.end(CLOSE.WORKER_GONE));
    const frame = encoder.encode(event, engine.state, hub.now(), step);
    if (!frame) return undefined;
    return () => {
      for (const session of targets) session.push(frame);
    };
  };
  const unsubscribe = hub.onEvent((event, engine, step, origin) => {
    try {
      return pushes(event, engine, step, origin);
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
    await closeSessions(registry.sockets(), opts.closeGraceMs);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };

  return {
    close: () => (closing ??= close()),
    sessionCount: () => registry.sessionCount(),
    stats: () => registry.stats(),
  };
}
