// What a provider speaking Chat Completions needs beyond the codec: a body fitted to one server's known
// quirks, a call's headers, and the `GET /models` list read back. Shared by the OpenAI, Azure and compatible providers.
import { randomUUID } from 'node:crypto';
import type { ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { lowerCased, readText, staticCredentials, usableTransport, type Transport } from '../../providers/transport.js';
import type { ProviderRuntime, UpstreamRequest, UpstreamResponse } from '../../providers/types.js';
import { parseError } from './errors.js';
import { isObject, str, type Json } from './json.js';

/** How one server departs from OpenAI's Chat Completions request rules. */
export interface ChatQuirks {
  /**
   * How a stream reports usage: `on_request` only when `stream_options.include_usage` is sent
   * (OpenAI's rule, so the gateway sends it); `always` in the final chunk without being asked.
   */
  streamUsage: 'on_request' | 'always';
  /** The output limit the server reads: OpenAI's current `max_completion_tokens`, or the older `max_tokens`. */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** Top-level fields the server rejects, removed before sending. */
  drop: readonly string[];
  /** Fields the server names differently: OpenAI's name -> the server's. */
  rename: Readonly<Record<string, string>>;
  /** Whether the server rejects `messages[].name`. */
  dropMessageNames: boolean;
}

/** OpenAI itself: nothing to fix but the model, stream usage and the output limit's name. */
export const OPENAI_QUIRKS: ChatQuirks = { streamUsage: 'on_request', maxTokensField: 'max_completion_tokens', drop: [], rename: {}, dropMessageNames: false };

/**
 * A new body addressed to `model`, fitted to `quirks`: stream usage requested where the server
 * needs asking (merged into any `stream_options` the client sent), the output limit under the
 * name the server reads, renamed and rejected fields handled. The input is not modified.
 */
export function prepareChatBody(body: Record<string, unknown>, model: string, stream: boolean, quirks: ChatQuirks): Record<string, unknown> {
  const out: Json = { ...body, model };
  if (stream) {
    out.stream = true;
    if (quirks.streamUsage === 'on_request') out.stream_options = { ...(isObject(body.stream_options) ? body.stream_options : {}), include_usage: true };
  } else {
    delete out.stream;
    // OpenAI rejects stream_options on a request that does not stream.
    delete out.stream_options;
  }
  const other = quirks.maxTokensField === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
  if (out[other] !== undefined) {
    // When both are present the newer max_completion_tokens is the one meant.
    if (out[quirks.maxTokensField] === undefined || other === 'max_completion_tokens') out[quirks.maxTokensField] = out[other];
    delete out[other];
  }
  for (const [from, to] of Object.entries(quirks.rename)) {
    if (out[from] === undefined) continue;
    if (out[to] === undefined) out[to] = out[from];
    delete out[from];
  }
  for (const field of quirks.drop) delete out[field];
  if (quirks.dropMessageNames && Array.isArray(out.messages)) {
    out.messages = out.messages.map((m: unknown) => {
      if (!isObject(m) || !('name' in m)) return m;
      const { name: _name, ...rest } = m;
      return rest;
    });
  }
  return out;
}

/**
 * The headers of one upstream call: client headers forwarded to a provider of their own family,
 * then the provider's configured ones, then the caller's own credentials, which replace the
 * configured key (`keyHeader`: `authorization`, or Azure's `api-key`) rather than travel beside it.
 */
export function callHeaders(
  configured: Record<string, string>,
  keyHeader: string,
  call: { stream: boolean; requestId: string; callerCredentials?: Record<string, string>; forwardHeaders?: Record<string, string> },
): Record<string, string> {
  const own = { ...configured };
  if (call.callerCredentials) delete own[keyHeader];
  return {
    ...lowerCased(call.forwardHeaders),
    ...own,
    ...lowerCased(call.callerCredentials),
    accept: call.stream ? 'text/event-stream' : 'application/json',
    'x-request-id': call.requestId,
  };
}

/**
 * The model ids of a `GET /models` answer (`{"object": "list", "data": [{"id": ...}]}`); throws a
 * GatewayError naming the provider when the listing failed or is not such a list. `text` should
 * already have secrets redacted: upstream errors sometimes echo the key.
 */
export function modelIdsFromList(providerId: string, status: number, text: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status !== 200) {
    const detail = parseError(status, json)?.message ?? (text.slice(0, 300) || 'no details');
    throw new GatewayError(
      status === 401 || status === 403 ? 'UPSTREAM_AUTH' : 'UPSTREAM_ERROR',
      `provider "${providerId}" could not list its models (HTTP ${status}): ${detail}`,
    );
  }
  if (!isObject(json) || !Array.isArray(json.data)) {
    throw new GatewayError('UPSTREAM_ERROR', `provider "${providerId}" answered its model listing with something that is not a list of models`);
  }
  return json.data.flatMap((m: unknown) => {
    const id = isObject(m) ? str(m.id) : undefined;
    return id ? [id] : [];
  });
}

/**
 * The POST calls an OpenAI-format server takes, and their paths under its API root
 * (https://platform.openai.com/docs/api-reference: Chat Completions, embeddings, legacy
 * completions, and the Responses API at `/responses` for servers with `servesResponses`).
 */
export type PostOperation = 'generate' | 'embeddings' | 'completions' | 'responses';
export const POST_PATHS: Record<PostOperation, string> = { generate: '/chat/completions', embeddings: '/embeddings', completions: '/completions', responses: '/responses' };

export interface ChatRoutes {
  /** The model listing (`GET`). */
  models: string;
  /** Where a call goes (`POST`), and the body it sends there; `model` is the call's upstream model, if named. */
  post(operation: PostOperation, body: Record<string, unknown>, model: string | undefined): { path: string; body: Record<string, unknown> };
}

/** OpenAI's own routes, under an API root that ends in `/v1`. */
export const OPENAI_ROUTES: ChatRoutes = {
  models: '/models',
  post: (operation, body) => ({ path: POST_PATHS[operation], body }),
};

/** What sets one Chat Completions server apart from another, as its provider knows it. */
export interface ChatServer {
  /** Why the configuration cannot work (an unknown preset, no base URL), or null; secrets are then not read. */
  misconfigured: string | null;
  /** Null when there is nothing to call. */
  transport: Transport | null;
  /** Where the configured key goes: `authorization` as a Bearer token, or Azure's `api-key` as it is. */
  keyHeader: 'authorization' | 'api-key';
  /** The NOT_FOUND message for count_tokens: Chat Completions has no token-counting endpoint. */
  noTokenCounting: string;
  /** Whether the server takes OpenAI's Responses API as it is (OpenAI itself); otherwise `responses` calls are refused. */
  servesResponses: boolean;
  routes: ChatRoutes;
}

/**
 * The parts of a provider that every Chat Completions server shares: what it says about itself,
 * `send` (count_tokens refused, and `responses` where not served; the listing and the POST calls
 * routed, with the configured key and headers unless the caller brings its own credentials) and
 * `listModels`, secrets redacted from a failed listing. The provider adds the dialect, `prepare` and `close`.
 */
export function chatProviderCore(
  cfg: Pick<ProviderConfig, 'id' | 'type' | 'apiKey' | 'headers'>,
  secrets: Pick<SecretResolver, 'get' | 'interpolate' | 'redact'>,
  server: ChatServer,
): Omit<ProviderRuntime, 'dialect' | 'prepare' | 'close'> {
  const credentials = server.misconfigured === null ? staticCredentials(cfg, secrets) : null;
  const unavailable = server.misconfigured ?? credentials?.unavailable ?? null;
  const apiKey = credentials?.apiKey;
  const key = apiKey === undefined ? {} : { [server.keyHeader]: server.keyHeader === 'authorization' ? `Bearer ${apiKey}` : apiKey };
  const configured: Record<string, string> = { ...key, ...credentials?.headers };

  async function send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const transport = usableTransport(cfg.id, server.transport, unavailable);
    if (req.operation === 'count_tokens') throw new GatewayError('NOT_FOUND', server.noTokenCounting);
    if (req.operation === 'responses' && !server.servesResponses) {
      throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (${cfg.type}) does not take the Responses API as it is; Responses requests to it are translated to Chat Completions`);
    }
    const headers = callHeaders(configured, server.keyHeader, { ...req, stream: req.stream ?? req.body?.stream === true });
    if (req.operation === 'models') return transport.request({ path: server.routes.models, method: 'GET', headers, signal: req.signal });
    if (!req.body) throw new GatewayError('INTERNAL', `a ${req.operation} call to provider "${cfg.id}" had no body`);
    const { path, body } = server.routes.post(req.operation, req.body, req.model);
    return transport.request({ path, method: 'POST', headers, body, source: req.source, signal: req.signal });
  }

  return {
    id: cfg.id,
    type: cfg.type,
    family: 'openai',
    unavailable,
    countsTokens: false,
    servesResponses: server.servesResponses,
    send,
    async listModels(signal) {
      const res = await send({ operation: 'models', signal, requestId: randomUUID() });
      return modelIdsFromList(cfg.id, res.status, secrets.redact(await readText(res.body)));
    },
  };
}
