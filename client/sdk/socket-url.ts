/** The path of the hub's worker socket endpoint. */
export const SOCKET_PATH = '/v1/sockets';

/**
 * The socket URL for a hub address: `http(s)://host[:port][/prefix]` becomes
 * `ws(s)://host[:port][/prefix]/v1/sockets`; a `ws(s)://` URL is used as given, with the path added
 * only when it has none. Throws a TypeError for anything else.
 */
export function socketUrl(base: string): string {
  const url = new URL(base);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new TypeError(`Switchboard url must be http(s):// or ws(s)://, got ${base}`);
  }
  const given = url.protocol === 'ws:' || url.protocol === 'wss:';
  url.protocol = secure ? 'wss:' : 'ws:';
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith(SOCKET_PATH) && !(given && path !== '')) url.pathname = path + SOCKET_PATH;
  url.hash = '';
  return url.toString();
}
