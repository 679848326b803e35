/**
 * The compatibility edge for Twilio's own `twilio-taskrouter` SDK, in one call for the composition
 * root: the request envelope (`POST /v1/wschannels`, with CORS) on the REST app, and the event-bridge
 * WebSocket (`/v1/wschannels`) on the server's upgrade router. Point the SDK's `ebServer` and `wsServer` at them.
 */
import type { FastifyInstance } from 'fastify';
import type { Credentials } from '../auth/tokens.js';
import type { Hub } from '../hub.js';
import { attachBridgeSockets, type BridgeSocketOptions, type BridgeSockets } from './bridge-sockets.js';
import { registerEnvelopeEndpoint } from './envelope-endpoint.js';
import type { UpgradeRouter } from '../ws/upgrade-router.js';

/** The running edge. */
export interface TwilioEdge {
  /** Closes every event-bridge socket (1001) and resolves once they are gone. */
  close(): Promise<void>;
  /** The socket endpoint, for counters. */
  sockets: BridgeSockets;
}

/** Registers the envelope endpoint on `app` (before it is ready) and routes the socket endpoint's upgrades. */
export function attachTwilioEdge(app: FastifyInstance, upgrades: UpgradeRouter, hub: Hub, credentials: Credentials, options: BridgeSocketOptions = {}): TwilioEdge {
  registerEnvelopeEndpoint(app, { hub, credentials });
  const sockets = attachBridgeSockets(upgrades, hub, credentials, options);
  return { close: () => sockets.close(), sockets };
}
