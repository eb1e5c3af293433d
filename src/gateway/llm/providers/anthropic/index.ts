// The Anthropic provider: Messages, token counting and model listing on api.anthropic.com (or a compatible base URL).
//
// Endpoints and headers from https://docs.anthropic.com/en/api/messages, /en/api/messages-count-tokens,
// /en/api/models-list and /en/api/versioning.
import type { ProviderConfig } from '../../../config/schema.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { GatewayError } from '../../../errors.js';
import { anthropicMessages } from '../../dialects/anthropic-messages/index.js';
import { createTransport, listAllPages, lowerCased, readText, staticCredentials, unavailableBecause, usableTransport, type Transport } from '../transport.js';
import type { Operation, ProviderRuntime, UpstreamRequest, UpstreamResponse } from '../types.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** The API version sent unless the client named its own (the only version of the Messages API so far). */
export const ANTHROPIC_VERSION = '2023-06-01';
/** The largest page `GET /v1/models` serves ("1 <= limit <= 1000"). */
const MODELS_PAGE_LIMIT = 1000;

const PATHS: Partial<Record<Operation, string>> = {
  generate: '/v1/messages',
  count_tokens: '/v1/messages/count_tokens',
  models: `/v1/models?limit=${MODELS_PAGE_LIMIT}`,
};

/** Credential headers: only the configured key or the caller's own credentials may set them. */
const CREDENTIAL_HEADERS = new Set(['x-api-key', 'authorization']);

/**
 * Fields of a Messages body that count_tokens does not take: its body is the request minus the
 * generation settings (https://docs.anthropic.com/en/api/messages-count-tokens).
 */
const GENERATION_ONLY = ['max_tokens', 'stream', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'metadata', 'service_tier'];

/** The base URL the paths are appended to. The SDK's has no `/v1`, but one pasted with it still works. */
export function anthropicBaseUrl(cfg: Pick<ProviderConfig, 'baseUrl'>): URL {
  const url = new URL(cfg.baseUrl ?? ANTHROPIC_BASE_URL);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return url;
}

export function createAnthropicProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  const { apiKey, headers: configured, unavailable: unreadable } = staticCredentials(cfg, secrets);
  let unavailable = unreadable;
  let baseUrl: URL | null = null;
  try {
    baseUrl = anthropicBaseUrl(cfg);
  } catch (err) {
    // A base URL that does not parse is the first thing wrong.
    unavailable = unavailableBecause(cfg.id, err);
  }
  const transport = baseUrl ? createTransport(cfg.id, baseUrl, cfg.timeoutMs, cfg.maxConnections) : null;

  function headersFor(req: Pick<UpstreamRequest, 'callerCredentials' | 'forwardHeaders' | 'stream'>): Record<string, string> {
    const caller = lowerCased(req.callerCredentials);
    const useCaller = Object.keys(caller).length > 0;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(configured)) {
      // The caller's credentials replace the configured ones entirely: never both.
      if (!(useCaller && CREDENTIAL_HEADERS.has(name))) headers[name] = value;
    }
    if (useCaller) Object.assign(headers, caller);
    else if (apiKey !== undefined) headers['x-api-key'] = apiKey;
    headers['anthropic-version'] = ANTHROPIC_VERSION;
    // The client's own anthropic-version and anthropic-beta go through untouched (credentials do not
    // travel this way: they come only from the configuration or callerCredentials).
    for (const [name, value] of Object.entries(lowerCased(req.forwardHeaders))) {
      if (!CREDENTIAL_HEADERS.has(name)) headers[name] = value;
    }
    headers['accept'] = req.stream === true ? 'text/event-stream' : 'application/json';
    return headers;
  }

  const ready = (): Transport => usableTransport(cfg.id, transport, unavailable);

  async function listPage(afterId: string | undefined, signal: AbortSignal): Promise<{ ids: string[]; next?: string }> {
    const path = PATHS.models + (afterId === undefined ? '' : `&after_id=${encodeURIComponent(afterId)}`);
    const res = await ready().request({ path, method: 'GET', headers: headersFor({}), signal });
    const text = await readText(res.body);
    if (res.status !== 200) {
      const parsed = anthropicMessages.parseError(res.status, text);
      const why = secrets.redact(parsed?.message ?? (text.slice(0, 200) || `HTTP ${res.status}`));
      throw new GatewayError(res.status === 401 || res.status === 403 ? 'UPSTREAM_AUTH' : 'UPSTREAM_ERROR', `provider "${cfg.id}" could not list its models (HTTP ${res.status}): ${why}`);
    }
    let page: unknown;
    try {
      page = JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError('UPSTREAM_ERROR', `provider "${cfg.id}" answered its model listing with something that is not JSON`);
    }
    const data = (page as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new GatewayError('UPSTREAM_ERROR', `provider "${cfg.id}" answered its model listing without a data array`);
    const ids = data.map((m: unknown) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === 'string');
    const { has_more: hasMore, last_id: lastId } = page as { has_more?: unknown; last_id?: unknown };
    return hasMore === true && typeof lastId === 'string' && lastId !== afterId ? { ids, next: lastId } : { ids };
  }

  return {
    id: cfg.id,
    type: cfg.type,
    family: 'anthropic',
    dialect: anthropicMessages,
    unavailable,
    countsTokens: true,
    servesResponses: false,

    prepare(body, model, stream) {
      const out: Record<string, unknown> = { ...body, model };
      if (stream) out['stream'] = true;
      else delete out['stream'];
      return out;
    },

    async send(req: UpstreamRequest): Promise<UpstreamResponse> {
      const t = ready();
      const path = PATHS[req.operation];
      if (path === undefined) throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (Anthropic) has no ${req.operation} endpoint`);
      let body = req.body;
      if (req.operation === 'count_tokens' && body) {
        body = { ...body };
        for (const field of GENERATION_ONLY) delete body[field];
      }
      return t.request({
        path,
        method: req.operation === 'models' ? 'GET' : 'POST',
        headers: headersFor({ ...req, stream: req.operation === 'generate' && (req.stream ?? req.body?.['stream'] === true) }),
        ...(req.operation === 'models' || !body ? {} : { body }),
        // The client's bytes go with a model call only (count_tokens sends a trimmed copy).
        ...(req.operation === 'generate' ? { source: req.source } : {}),
        signal: req.signal,
      });
    },

    listModels: (signal) => listAllPages(cfg.id, (cursor) => listPage(cursor, signal)),

    async close() {
      await transport?.close();
    },
  };
}
