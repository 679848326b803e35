/**
 * Every documented HTTP route as its transport registers it — method, path, who may call it and
 * the zod schemas its handler validates with — so the OpenAPI document is generated from the
 * same schemas that check requests, never written by hand.
 */
import type { z } from 'zod';

/** The methods the hub serves. */
export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** A zod object of request parameters (query for GET/DELETE, body for POST). */
export type ParamsSchema = z.ZodObject;

/** Who may call a route: the account only, the account or a worker token, anyone, or the metrics scraper. */
export type RouteAuth = 'account' | 'account-or-worker' | 'public' | 'metrics';

/** One route as the document shows it. */
export interface RouteDoc {
  method: HttpMethod;
  /** The Fastify path, e.g. `/v1/Workspaces/:ws/Workers`. */
  path: string;
  summary: string;
  description?: string;
  /** Its id in the document (default: derived from method and path, e.g. `listWorkers`). */
  operationId?: string;
  /** The group it is listed under (default: its resource, from the path). */
  tag?: string;
  /** The parameters the handler validates. */
  params?: ParamsSchema;
  /** Further parameter sets the handler validates (paging, time window). */
  alsoReads?: readonly ParamsSchema[];
  auth: RouteAuth;
  /** Status of success (default: 201 for a POST on a collection, 204 for DELETE, else 200). */
  status?: number;
  /** Failure statuses worth naming beyond the usual 400/401/403/404 (409, 410, 412). */
  errors?: readonly number[];
  /** Content type of a success (default `application/json`). */
  produces?: string;
}

/** The routes of one app, in registration order. */
export class RouteRegistry {
  private readonly docs: RouteDoc[] = [];
  private readonly keys = new Set<string>();

  /** Records a route; a second record of one method and path is a bug. */
  add(doc: RouteDoc): void {
    const key = `${doc.method} ${doc.path}`;
    if (this.keys.has(key)) throw new Error(`Route ${key} is documented twice`);
    this.keys.add(key);
    this.docs.push(doc);
  }

  /** Every route recorded so far. */
  all(): readonly RouteDoc[] {
    return this.docs;
  }
}
