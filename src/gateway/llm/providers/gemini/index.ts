// The Gemini provider: generateContent, streamGenerateContent, countTokens and model listing on the Gemini API.
//
// Endpoints from https://ai.google.dev/api/generate-content, https://ai.google.dev/api/tokens and
// https://ai.google.dev/api/models; the key header from https://ai.google.dev/gemini-api/docs/api-key (read 2026-11).
import type { ProviderConfig } from '../../../config/schema.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { GatewayError } from '../../../errors.js';
import { geminiGenerate } from '../../dialects/gemini/index.js';
import { createTransport, listAllPages, lowerCased, readText, staticCredentials, unavailableBecause, usableTransport, type Transport } from '../transport.js';
import type { ProviderRuntime, UpstreamRequest, UpstreamResponse } from '../types.js';

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';
/** `models.list` serves at most 1000 models per page, whatever pageSize asks for. */
const MODELS_PAGE_SIZE = 1000;
/** Credential headers: only the configured key or the caller's own credentials may set them. */
const CREDENTIAL_HEADERS = new Set(['x-goog-api-key', 'authorization']);
/** Fields of a generateContent body; a count_tokens body with any besides `contents` must be wrapped. */
const CONTENTS_ONLY = new Set(['contents']);

/**
 * The model's path segment. Clients of the Gemini SDKs often say `models/gemini-x`; that prefix is
 * dropped. Anything that could step to another resource (`/`, `..`) is refused rather than encoded.
 */
export function geminiModelSegment(model: string | undefined): string {
  const id = (model ?? '').replace(/^models\//, '');
  if (id === '' || id.includes('/') || id.includes('..')) {
    throw new GatewayError('BAD_REQUEST', `model "${model ?? ''}" is not a Gemini model id (expected e.g. "gemini-2.5-flash", without "/" or "..")`, {
      param: 'model',
    });
  }
  return encodeURIComponent(id);
}

/**
 * countTokens takes `{contents}` alone, or `{generateContentRequest}` (a whole generateContent body
 * with its `model`) when system instruction, tools or settings must be counted too
 * (https://ai.google.dev/api/tokens#method:-models.counttokens).
 */
function countTokensBody(body: Record<string, unknown>, segment: string): Record<string, unknown> {
  const name = `models/${decodeURIComponent(segment)}`;
  const gcr = body['generateContentRequest'];
  if (gcr && typeof gcr === 'object' && !Array.isArray(gcr)) {
    return { ...body, generateContentRequest: { ...(gcr as Record<string, unknown>), model: name } };
  }
  if (Object.keys(body).every((k) => CONTENTS_ONLY.has(k))) return body;
  return { generateContentRequest: { model: name, ...body } };
}

export function createGeminiProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  const { apiKey, headers: configured, unavailable: unreadable } = staticCredentials(cfg, secrets);
  let unavailable = unreadable;
  let baseUrl: URL | null = null;
  try {
    baseUrl = new URL(cfg.baseUrl ?? GEMINI_BASE_URL);
  } catch (err) {
    // A base URL that does not parse is the first thing wrong.
    unavailable = unavailableBecause(cfg.id, err);
  }
  const transport = baseUrl && !unavailable ? createTransport(cfg.id, baseUrl, cfg.timeoutMs, cfg.maxConnections) : null;

  function headersFor(req: Pick<UpstreamRequest, 'callerCredentials' | 'forwardHeaders'>, stream: boolean): Record<string, string> {
    const caller = lowerCased(req.callerCredentials);
    const useCaller = Object.keys(caller).length > 0;
    const headers: Record<string, string> = {};
    // Forwarded client headers never carry credentials: those come from the configuration or the caller.
    for (const [name, value] of Object.entries(lowerCased(req.forwardHeaders))) {
      if (!CREDENTIAL_HEADERS.has(name)) headers[name] = value;
    }
    for (const [name, value] of Object.entries(configured)) {
      // The caller's credentials (e.g. an OAuth bearer token) replace the configured key entirely.
      if (!(useCaller && CREDENTIAL_HEADERS.has(name))) headers[name] = value;
    }
    if (useCaller) Object.assign(headers, caller);
    else if (apiKey !== undefined) headers['x-goog-api-key'] = apiKey;
    headers['accept'] = stream ? 'text/event-stream' : 'application/json';
    return headers;
  }

  const ready = (): Transport => usableTransport(cfg.id, transport, unavailable);

  async function listPage(pageToken: string | undefined, signal: AbortSignal): Promise<{ ids: string[]; next?: string }> {
    const path = `/models?pageSize=${MODELS_PAGE_SIZE}` + (pageToken === undefined ? '' : `&pageToken=${encodeURIComponent(pageToken)}`);
    const res = await ready().request({ path, method: 'GET', headers: headersFor({}, false), signal });
    const text = await readText(res.body);
    if (res.status !== 200) {
      let parsed = null;
      try {
        parsed = geminiGenerate.parseError(res.status, JSON.parse(text) as unknown);
      } catch {
        // not JSON: the raw text is reported below
      }
      const why = secrets.redact(parsed?.message ?? (text.slice(0, 200) || `HTTP ${res.status}`));
      const auth = parsed ? parsed.kind === 'authentication' || parsed.kind === 'permission' : res.status === 401 || res.status === 403;
      throw new GatewayError(auth ? 'UPSTREAM_AUTH' : 'UPSTREAM_ERROR', `provider "${cfg.id}" could not list its models (HTTP ${res.status}): ${why}`);
    }
    let page: unknown;
    try {
      page = JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError('UPSTREAM_ERROR', `provider "${cfg.id}" answered its model listing with something that is not JSON`);
    }
    const models = (page as { models?: unknown }).models;
    // An account with no models gets `{}`: proto3 JSON leaves an empty list out.
    if (models !== undefined && !Array.isArray(models)) throw new GatewayError('UPSTREAM_ERROR', `provider "${cfg.id}" answered its model listing without a models array`);
    const ids = (models ?? [])
      .map((m: unknown) => (m as { name?: unknown }).name)
      .filter((n): n is string => typeof n === 'string')
      .map((n) => n.replace(/^models\//, ''));
    const next = (page as { nextPageToken?: unknown }).nextPageToken;
    return typeof next === 'string' && next !== '' && next !== pageToken ? { ids, next } : { ids };
  }

  return {
    id: cfg.id,
    type: cfg.type,
    family: 'gemini',
    dialect: geminiGenerate,
    unavailable,
    countsTokens: true,
    servesResponses: false,

    prepare(body) {
      // The model and the streaming choice live in the URL: the body is otherwise sent as it is.
      const { model: _model, ...rest } = body;
      return rest;
    },

    async send(req: UpstreamRequest): Promise<UpstreamResponse> {
      const t = ready();
      if (req.operation === 'models') {
        return t.request({ path: `/models?pageSize=${MODELS_PAGE_SIZE}`, method: 'GET', headers: headersFor(req, false), signal: req.signal });
      }
      if (req.operation === 'embeddings' || req.operation === 'completions' || req.operation === 'responses') {
        // Gemini's embeddings (embedContent) take another shape; the gateway does not translate them yet.
        throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (Gemini) does not serve OpenAI-style ${req.operation}`);
      }
      const segment = geminiModelSegment(req.model);
      const body = req.body ?? {};
      if (req.operation === 'count_tokens') {
        return t.request({ path: `/models/${segment}:countTokens`, method: 'POST', headers: headersFor(req, false), body: countTokensBody(body, segment), signal: req.signal });
      }
      const stream = req.stream === true;
      return t.request({
        path: `/models/${segment}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
        method: 'POST',
        headers: headersFor(req, stream),
        body,
        source: req.source,
        signal: req.signal,
      });
    },

    listModels: (signal) => listAllPages(cfg.id, (cursor) => listPage(cursor, signal)),

    async close() {
      await transport?.close();
    },
  };
}
