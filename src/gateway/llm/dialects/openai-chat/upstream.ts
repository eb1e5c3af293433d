// What a provider speaking Chat Completions needs beyond the codec: a body fitted to one server's known
// quirks, a call's headers, and the `GET /models` list read back. Shared by the OpenAI, Azure and compatible providers.
import { GatewayError } from '../../../errors.js';
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

function lowerCased(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
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
