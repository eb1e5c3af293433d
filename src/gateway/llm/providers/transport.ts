// The HTTP transport every provider shares: a keep-alive undici pool, decoded bodies, clear errors.
import { Pool } from 'undici';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { pipeline, type Readable } from 'node:stream';
import { GatewayError } from '../../errors.js';
import type { UpstreamResponse } from './types.js';

/** Decodes gzip/deflate/br so the data path (and the client) always sees plain bytes. */
function decoded(body: Readable, encoding: string | undefined): Readable {
  const e = encoding?.trim().toLowerCase();
  const decoder = e === 'gzip' || e === 'x-gzip' ? createGunzip() : e === 'deflate' ? createInflate() : e === 'br' ? createBrotliDecompress() : null;
  if (!decoder) return body;
  return pipeline(body, decoder, () => {
    /* errors surface on the returned stream */
  });
}

export interface TransportRequest {
  /** Path and query, appended to the base URL's path. */
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Record<string, unknown>;
  signal: AbortSignal;
}

export interface Transport {
  readonly origin: string;
  request(req: TransportRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export function createTransport(providerId: string, baseUrl: URL, timeoutMs: number): Transport {
  const pool = new Pool(baseUrl.origin, { connections: 256, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  return {
    origin: baseUrl.origin,
    async request(req) {
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...req.headers };
      const payload = req.body ? JSON.stringify(req.body) : undefined;
      if (payload) headers['content-type'] = 'application/json';
      try {
        const res = await pool.request({ path: basePath + req.path, method: req.method, headers, body: payload, signal: req.signal });
        const encoding = res.headers['content-encoding'];
        const { 'content-encoding': _enc, 'content-length': _len, ...rest } = res.headers;
        return { status: res.statusCode, headers: rest, body: decoded(res.body, Array.isArray(encoding) ? encoding[0] : encoding) };
      } catch (err) {
        if (req.signal.aborted) throw req.signal.reason ?? err;
        const code = (err as Error & { code?: string }).code;
        const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
        throw new GatewayError(
          timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNREACHABLE',
          timedOut
            ? `provider "${providerId}" did not answer within its timeout (${code}); it may be overloaded`
            : `provider "${providerId}" could not be reached at ${baseUrl.origin} (${code ?? (err as Error).message}); check that it is running and its baseUrl`,
          { cause: err },
        );
      }
    },
    close: () => pool.close(),
  };
}

/** Reads a whole (small) upstream body as text, at most `limit` bytes. */
export async function readText(body: Readable, limit = 1 << 20): Promise<string> {
  let text = '';
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (text.length < limit) text += chunk.toString('utf8');
  }
  return text.slice(0, limit);
}
