// The HTTP transport every provider shares: a keep-alive undici pool, decoded bodies, clear errors.
import { Pool } from 'undici';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { pipeline, Readable } from 'node:stream';
import type { ProviderConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors.js';
import type { SecretResolver } from '../../secrets/resolver.js';
import type { JsonSource } from '../json-source.js';
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
  /** The client's own bytes `body` was made from, when it may be sent by editing them (see json-source.ts). */
  source?: JsonSource;
  signal: AbortSignal;
}

export interface Transport {
  readonly origin: string;
  request(req: TransportRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export function createTransport(providerId: string, baseUrl: URL, timeoutMs: number, maxConnections = 1024): Transport {
  const pool = new Pool(baseUrl.origin, { connections: maxConnections, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  return {
    origin: baseUrl.origin,
    async request(req) {
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...req.headers };
      const payload = req.body ? encodeBody(req.body, req.source) : undefined;
      if (payload) {
        headers['content-type'] = 'application/json';
        // Pieces are written one after another under one content-length (no chunked encoding).
        if (Array.isArray(payload)) headers['content-length'] = String(payload.reduce((n, p) => n + p.length, 0));
      }
      try {
        const body = Array.isArray(payload) ? Readable.from(payload, { objectMode: false }) : payload;
        const res = await pool.request({ path: basePath + req.path, method: req.method, headers, body, signal: req.signal });
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

/** Reads a whole (small) upstream body as text, at most `limit` bytes (decoded once, so no character is split). */
export async function readText(body: Readable, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** A provider's configured key and headers, read once when it is built. */
export interface StaticCredentials {
  /** The configured `apiKey`, read; undefined when none is configured. */
  apiKey: string | undefined;
  /** The configured `headers`: names lower-cased, secret references filled in. */
  headers: Record<string, string>;
  /** Null when both could be read; otherwise why not, naming the provider. */
  unavailable: string | null;
}

/**
 * Reads a provider's configured key and headers. Secrets were read into the resolver's cache before
 * providers are built; one that could not be read makes the provider unavailable (with the reason)
 * instead of failing every request differently.
 */
export function staticCredentials(cfg: Pick<ProviderConfig, 'id' | 'apiKey' | 'headers'>, secrets: Pick<SecretResolver, 'get' | 'interpolate'>): StaticCredentials {
  try {
    const apiKey = cfg.apiKey ? secrets.get(cfg.apiKey) : undefined;
    const headers: Record<string, string> = {};
    for (const [name, template] of Object.entries(cfg.headers)) headers[name.toLowerCase()] = secrets.interpolate(template);
    return { apiKey, headers, unavailable: null };
  } catch (err) {
    return { apiKey: undefined, headers: {}, unavailable: unavailableBecause(cfg.id, err) };
  }
}

/** The `unavailable` reason of a provider whose configuration failed with `err`. */
export function unavailableBecause(providerId: string, err: unknown): string {
  return `provider "${providerId}": ${(err as Error).message}`;
}

/** The transport of a usable provider; otherwise a PROVIDER_UNAVAILABLE error with the reason. */
export function usableTransport(providerId: string, transport: Transport | null, unavailable: string | null): Transport {
  if (unavailable || !transport) throw new GatewayError('PROVIDER_UNAVAILABLE', unavailable ?? `provider "${providerId}" is not configured`);
  return transport;
}

/** The same headers with lower-case names (a later duplicate name wins). */
export function lowerCased(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

/** A model listing that keeps saying there is more past this many pages is broken, not long. */
const MAX_MODEL_PAGES = 100;

/**
 * Every id of a paginated model listing: `page(cursor)` reads one page (the first without a cursor)
 * and names the cursor of the next, none on the last page.
 */
export async function listAllPages(providerId: string, page: (cursor: string | undefined) => Promise<{ ids: string[]; next?: string }>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_MODEL_PAGES; n++) {
    const { ids: more, next } = await page(cursor);
    ids.push(...more);
    if (next === undefined) return ids;
    cursor = next;
  }
  throw new GatewayError('UPSTREAM_ERROR', `provider "${providerId}" kept paginating its model listing past ${MAX_MODEL_PAGES} pages`);
}

/** Below this a body edited from its source is joined into one buffer; above it the pieces are written as they are. */
const JOIN_BELOW_BYTES = 64 * 1024;

/**
 * The request as JSON: edited from the client's own bytes when there is a source, else serialised.
 * A body that cannot be encoded is the client's (nothing was sent upstream).
 */
function encodeBody(body: Record<string, unknown>, source: JsonSource | undefined): string | Buffer | Buffer[] {
  try {
    const pieces = source?.encode(body);
    if (!pieces) return JSON.stringify(body);
    const size = pieces.reduce((n, p) => n + p.length, 0);
    // Joining copies; a large prompt is not copied again just to be one buffer.
    return size < JOIN_BELOW_BYTES ? Buffer.concat(pieces, size) : pieces;
  } catch (err) {
    throw new GatewayError('BAD_REQUEST', `the request cannot be encoded as JSON for the provider (${(err as Error).message})`);
  }
}

