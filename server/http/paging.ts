/**
 * TaskRouter list paging: `PageSize` (default 50, max 1000), `Page`, `PageToken`, and the
 * envelope `{ <key>: [...], meta: {...} }` whose URLs are absolute and keep the list's filters.
 */
import { z } from 'zod';
import { fail } from '../../shared/errors.js';
import type { Call } from './api.js';
import { int, parseParams, text } from './params.js';

/** Default and largest page size. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** The paging parameters of every list. */
export const PageSchema = z.object({
  PageSize: int(1, MAX_PAGE_SIZE).optional(),
  Page: int(0, 1_000_000).optional(),
  PageToken: text(200).optional(),
});

/** Which page a list call asks for. */
export interface PageRequest {
  page: number;
  pageSize: number;
  /** The raw `PageToken`, when given. */
  token: string | undefined;
}

/** Reads the paging parameters of a list call. */
export function pageRequest(call: Call): PageRequest {
  const p = parseParams(PageSchema, call.input);
  return { page: p.Page ?? 0, pageSize: p.PageSize ?? DEFAULT_PAGE_SIZE, token: p.PageToken || undefined };
}

/** The absolute URL of the list with its filters and the given page. */
function pageUrl(call: Call, page: number, pageSize: number, token?: string): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(call.req.query as Record<string, unknown>)) {
    if (key === 'Page' || key === 'PageSize' || key === 'PageToken') continue;
    for (const v of Array.isArray(value) ? value : [value]) query.append(key, String(v));
  }
  query.set('PageSize', String(pageSize));
  query.set('Page', String(page));
  if (token) query.set('PageToken', token);
  const path = call.req.url.split('?')[0]!;
  return `${call.base.baseUrl}${path}?${query.toString()}`;
}

/** Where the neighbouring pages are: a `PageToken` for each ('' = by page number), or null when there is none. */
export interface PageLinks {
  next: string | null;
  previous: string | null;
}

/** The envelope of one page. */
export function envelope(call: Call, key: string, items: unknown[], req: PageRequest, links: PageLinks): Record<string, unknown> {
  return {
    [key]: items,
    meta: {
      page: req.page,
      page_size: req.pageSize,
      first_page_url: pageUrl(call, 0, req.pageSize),
      previous_page_url: req.page > 0 && links.previous !== null ? pageUrl(call, req.page - 1, req.pageSize, links.previous) : null,
      url: pageUrl(call, req.page, req.pageSize, req.token),
      next_page_url: links.next !== null ? pageUrl(call, req.page + 1, req.pageSize, links.next) : null,
      key,
    },
  };
}

/**
 * Pages a list (already filtered and ordered); `PageToken` is `PT<offset>`. An iterable is read only
 * as far as the page needs, plus one item to tell whether there is a next page.
 */
export function pageOf<T>(call: Call, key: string, all: Iterable<T>, serialize: (item: T) => unknown): Record<string, unknown> {
  const req = pageRequest(call);
  let offset = req.page * req.pageSize;
  if (req.token !== undefined) {
    const match = /^PT(\d+)$/.exec(req.token);
    if (!match) throw fail('BAD_REQUEST', 'PageToken is not a token this list issued');
    offset = Number(match[1]);
  }
  const read = Array.isArray(all) ? (all as readonly T[]) : first(all, offset + req.pageSize + 1);
  const items = read.slice(offset, offset + req.pageSize).map(serialize);
  const next = offset + req.pageSize;
  return envelope(call, key, items, req, {
    next: next < read.length ? `PT${next}` : null,
    previous: offset > 0 ? `PT${Math.max(0, offset - req.pageSize)}` : null,
  });
}

/** The first `count` items. */
function first<T>(items: Iterable<T>, count: number): T[] {
  const out: T[] = [];
  if (count <= 0) return out;
  for (const item of items) if (out.push(item) >= count) break;
  return out;
}
