/** A small REST client for seeding the hub (not measured): Basic auth, form bodies, bounded parallelism. */
import type { Credentials } from '../../server/auth/tokens.js';

type Json = Record<string, unknown>;
type Params = Record<string, string | number | boolean>;

/** Calls the hub's REST API with the account's credentials. */
export class RestClient {
  readonly basicAuth: string;

  constructor(
    private readonly url: string,
    credentials: Credentials,
  ) {
    this.basicAuth = Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString('base64');
  }

  /** GET, throwing on a non-2xx answer. */
  get(path: string): Promise<Json> {
    return this.call('GET', path, undefined);
  }

  /** POST a form, throwing on a non-2xx answer. */
  post(path: string, params: Params): Promise<Json> {
    return this.call('POST', path, params);
  }

  /** `count` POSTs built by `make(i)`, at most `parallel` at once; results in order. */
  async postMany(count: number, make: (i: number) => [string, Params], parallel = 32): Promise<Json[]> {
    const out: Json[] = new Array<Json>(count);
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        const [path, params] = make(i);
        out[i] = await this.post(path, params);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
    return out;
  }

  private async call(method: string, path: string, params: Params | undefined): Promise<Json> {
    const body = params ? new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString() : undefined;
    const response = await fetch(this.url + path, {
      method,
      headers: { authorization: `Basic ${this.basicAuth}`, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as Json;
  }
}
