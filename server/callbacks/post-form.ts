/** The outcome of one webhook POST. */
export type PostResult = { ok: true; status: number; body: string; contentType: string } | { ok: false; reason: string };

/** POSTs form-encoded parameters with a deadline; never throws. */
export async function postForm(url: string, params: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Switchboard-Hub' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    if (response.status < 200 || response.status >= 300) return { ok: false, reason: `HTTP ${response.status}` };
    return { ok: true, status: response.status, body, contentType: response.headers.get('content-type') ?? '' };
  } catch (error) {
    const e = error as Error & { cause?: { message?: unknown } };
    if (e.name === 'TimeoutError') return { ok: false, reason: `no answer within ${timeoutMs} ms` };
    // fetch says only "fetch failed"; the cause says what: refused, reset, too many redirects...
    const cause = typeof e.cause?.message === 'string' ? `: ${e.cause.message}` : '';
    return { ok: false, reason: `${e.message}${cause}` };
  }
}
