// The OpenAI-compatible provider: Chat Completions and model listing over a keep-alive undici pool.
import { Pool, errors as undiciErrors } from 'undici';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { pipeline, type Readable } from 'node:stream';
import type { ProviderConfig } from '../../../config/schema.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { GatewayError } from '../../../errors.js';
import type { ProviderRuntime, UpstreamRequest, UpstreamResponse } from '../types.js';
import { OPENAI_COMPATIBLE_PRESETS } from './presets.js';

const PATHS = { 'chat.completions': '/chat/completions', models: '/models' } as const;

function baseUrlOf(cfg: ProviderConfig): URL | string {
  if (cfg.baseUrl) return new URL(cfg.baseUrl);
  const preset = cfg.preset ?? (cfg.type === 'openai' ? 'openai' : undefined);
  if (preset && preset in OPENAI_COMPATIBLE_PRESETS) return new URL(OPENAI_COMPATIBLE_PRESETS[preset as keyof typeof OPENAI_COMPATIBLE_PRESETS]);
  return `unknown preset "${cfg.preset}"; known presets: ${Object.keys(OPENAI_COMPATIBLE_PRESETS).join(', ')}; or set baseUrl`;
}

/** Decodes gzip/deflate/br so the data path (and the client) always sees plain bytes. */
function decoded(body: Readable, encoding: string | undefined): Readable {
  const e = encoding?.trim().toLowerCase();
  const decoder = e === 'gzip' || e === 'x-gzip' ? createGunzip() : e === 'deflate' ? createInflate() : e === 'br' ? createBrotliDecompress() : null;
  if (!decoder) return body;
  return pipeline(body, decoder, () => {
    /* errors surface on the returned stream */
  });
}

export function createOpenAICompatibleProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  const base = baseUrlOf(cfg);
  let unavailable: string | null = typeof base === 'string' ? `provider "${cfg.id}": ${base}` : null;
  // Secrets were read into the resolver's cache before this runs; a failure to read one makes
  // the provider unavailable (with the reason) instead of failing every request differently.
  const staticHeaders: Record<string, string> = {};
  if (!unavailable) {
    try {
      if (cfg.apiKey) staticHeaders.authorization = `Bearer ${secrets.get(cfg.apiKey)}`;
      for (const [name, template] of Object.entries(cfg.headers)) staticHeaders[name.toLowerCase()] = secrets.interpolate(template);
    } catch (err) {
      unavailable = `provider "${cfg.id}": ${(err as Error).message}`;
    }
  }
  const baseUrl = typeof base === 'string' ? null : base;
  const pool = baseUrl ? new Pool(baseUrl.origin, { connections: 256, keepAliveTimeout: 30_000, headersTimeout: cfg.timeoutMs, bodyTimeout: cfg.timeoutMs }) : null;
  const basePath = baseUrl ? baseUrl.pathname.replace(/\/+$/, '') : '';

  return {
    id: cfg.id,
    type: cfg.type,
    unavailable,
    async send(req: UpstreamRequest): Promise<UpstreamResponse> {
      if (!pool || unavailable) throw new GatewayError('PROVIDER_UNAVAILABLE', unavailable ?? `provider "${cfg.id}" is not configured`);
      const headers: Record<string, string> = {
        ...staticHeaders,
        ...(req.callerCredentials ?? {}),
        accept: req.body?.stream === true ? 'text/event-stream' : 'application/json',
        'accept-encoding': 'gzip, deflate, br',
        'x-request-id': req.requestId,
      };
      const payload = req.body ? JSON.stringify(req.body) : undefined;
      if (payload) headers['content-type'] = 'application/json';
      try {
        const res = await pool.request({
          path: basePath + PATHS[req.operation],
          method: req.body ? 'POST' : 'GET',
          headers,
          body: payload,
          signal: req.signal,
        });
        const encoding = res.headers['content-encoding'];
        const { 'content-encoding': _enc, 'content-length': _len, ...rest } = res.headers;
        return { status: res.statusCode, headers: rest, body: decoded(res.body, Array.isArray(encoding) ? encoding[0] : encoding) };
      } catch (err) {
        if (req.signal.aborted) throw err;
        const what = err instanceof undiciErrors.UndiciError ? (err as Error & { code?: string }).code : (err as Error & { code?: string }).code;
        throw new GatewayError(
          'UPSTREAM_UNREACHABLE',
          `provider "${cfg.id}" could not be reached at ${baseUrl?.origin} (${what ?? (err as Error).message}); check that it is running and its baseUrl`,
          { cause: err },
        );
      }
    },
    async close() {
      await pool?.close();
    },
  };
}
