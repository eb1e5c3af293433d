// The checks every route passes first: a Host allow-list (DNS rebinding) and no foreign Origin (CSRF).
import { GatewayError } from '../errors.js';

export interface GuardOptions {
  /** The port the gateway listens on: a same-origin browser request names it. */
  port: number;
  /** Names accepted in Host besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts: string[];
  /** Exact extra origins allowed, e.g. a dev server. */
  allowedOrigins: string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `Host: name[:port]` → lower-cased name, keeping the brackets of an IPv6 literal. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function makeGuard(opts: GuardOptions): (host: string | undefined, origin: string | undefined) => void {
  const names = new Set([...LOOPBACK_NAMES, ...opts.allowedHosts.map((h) => h.toLowerCase())]);
  const origins = new Set<string>(opts.allowedOrigins.map((o) => new URL(o).origin));
  for (const n of names) {
    origins.add(`http://${n}:${opts.port}`);
    if (opts.port === 80) origins.add(`http://${n}`);
  }

  return (host, origin) => {
    // A request whose Host is some other name reached us through DNS rebinding (or a proxy we
    // do not know): answering it would let a web page read our responses.
    if (!host || !names.has(hostName(host))) {
      throw new GatewayError(
        'HOST_FORBIDDEN',
        `Host "${host ?? ''}" is not allowed. Call the gateway as localhost or 127.0.0.1, or add the name to server.allowedHosts in the config.`,
      );
    }
    // Browsers send Origin on cross-origin requests (and "null" from sandboxed frames and
    // files); any origin that is not the gateway's own is a web page acting without consent.
    if (origin !== undefined && !origins.has(origin.toLowerCase())) {
      throw new GatewayError(
        'ORIGIN_FORBIDDEN',
        `requests from the web origin "${origin}" are refused. Only the gateway's own console may call it from a browser; add trusted origins to server.allowedOrigins.`,
      );
    }
  };
}
