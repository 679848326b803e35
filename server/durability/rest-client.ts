/** A reply: the HTTP status and the parsed JSON body (null when there was none). */
export interface Reply {
  status: number;
  body: Record<string, unknown> & Record<string, any>;
}

/**
 * The smallest TaskRouter REST client the durability tests need: HTTP Basic auth, form-encoded
 * bodies as Twilio's helpers send them, JSON replies, and paged lists. A request that gets no
 * reply (the hub was killed) rejects; a reply of any status resolves.
 */
export class RestClient {
  private readonly auth: string;

  constructor(
    readonly baseUrl: string,
    accountSid: string,
    authToken: string,
    private readonly timeoutMs = 15_000,
  ) {
    this.auth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  }

  /** GETs a path (under `/v1`) with query parameters. */
  get(path: string, query: Record<string, string> = {}): Promise<Reply> {
    const qs = new URLSearchParams(query).toString();
    return this.send('GET', `${this.baseUrl}/v1${path}${qs ? `?${qs}` : ''}`);
  }

  /** POSTs form parameters to a path (under `/v1`). */
  post(path: string, params: Record<string, string>): Promise<Reply> {
    return this.send('POST', `${this.baseUrl}/v1${path}`, new URLSearchParams(params).toString());
  }

  /** Every item of a paged list, following `meta.next_page_url`; throws on a non-200 page. */
  async list(path: string, key: string, query: Record<string, string> = {}): Promise<Array<Record<string, any>>> {
    const items: Array<Record<string, any>> = [];
    let reply = await this.get(path, { PageSize: '1000', ...query });
    for (;;) {
      if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      items.push(...(reply.body[key] as Array<Record<string, any>>));
      const next = reply.body['meta']?.['next_page_url'] as string | null | undefined;
      if (!next) return items;
      reply = await this.send('GET', next);
    }
  }

  private async send(method: string, url: string, body?: string): Promise<Reply> {
    const response = await fetch(url, {
      method,
      headers: { authorization: this.auth, ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Reply['body']) : {} };
  }
}
