// The inbound LLM APIs the gateway serves, each a wire dialect plus the few facts routing needs from it.
import type { IncomingMessage } from 'node:http';
import type { Dialect, SseEvent } from '../llm/canonical.js';
import { anthropicMessages } from '../llm/dialects/anthropic-messages/index.js';
import { geminiGenerate } from '../llm/dialects/gemini/index.js';
import { openaiChat } from '../llm/dialects/openai-chat/index.js';
import { openaiResponses } from '../llm/dialects/openai-responses/index.js';
import { addressBody, completionsStreamDecoder, usageOfOpenAIReply } from '../llm/dialects/openai-legacy/index.js';
import { sseFrame } from '../llm/sse.js';
import { GatewayError } from '../errors.js';
import type { InboundApi } from './llm.js';
import { isObject } from './io.js';

function requireModel(body: Record<string, unknown>): string {
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw new GatewayError('BAD_REQUEST', 'the request needs a "model" string', { param: 'model' });
  return model;
}

function requireArray(body: Record<string, unknown>, field: string): void {
  if (!Array.isArray(body[field])) throw new GatewayError('BAD_REQUEST', `the request needs a "${field}" array`, { param: field });
}

const positive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined);

/** An output limit held in one top-level field. */
function fieldLimit(field: string): NonNullable<InboundApi['outputLimit']> {
  return {
    read: (body) => positive(body[field]),
    write: (body, tokens) => {
      body[field] = tokens;
    },
  };
}

/**
 * OpenAI Chat Completions. Usage is always requested upstream (so the ledger is exact) and removed
 * again for a client that did not ask for it: the usage-only chunk is dropped, and a usage field
 * some compatible servers put on the last content chunk is taken off.
 */
export const openaiChatApi: InboundApi = {
  name: 'openai-chat',
  dialect: openaiChat,
  describe(body) {
    const model = requireModel(body);
    requireArray(body, 'messages');
    const streamOptions = isObject(body.stream_options) ? body.stream_options : {};
    const cacheKey = typeof body.prompt_cache_key === 'string' && body.prompt_cache_key !== '' ? body.prompt_cache_key : undefined;
    return { model, stream: body.stream === true, includeUsage: streamOptions.include_usage === true, session: cacheKey };
  },
  // max_completion_tokens is the current name, max_tokens the older one; the newer wins when both are sent.
  outputLimit: {
    read: (body) => positive(body.max_completion_tokens) ?? positive(body.max_tokens),
    write: (body, tokens) => {
      if (body.max_completion_tokens === undefined && body.max_tokens !== undefined) body.max_tokens = tokens;
      else body.max_completion_tokens = tokens;
    },
  },
  passFrame(ev: SseEvent, includeUsage: boolean): string {
    if (includeUsage || !ev.data.includes('"usage"')) return sseFrame(ev.data, ev.event);
    let chunk: unknown;
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      return sseFrame(ev.data, ev.event);
    }
    if (!isObject(chunk) || chunk.usage === undefined || chunk.usage === null) return sseFrame(ev.data, ev.event);
    if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return '';
    const { usage: _usage, ...rest } = chunk;
    return sseFrame(JSON.stringify(rest), ev.event);
  },
};

/**
 * The session in Anthropic's `metadata.user_id`. Claude Code writes it there as JSON
 * (`{"device_id":…,"session_id":…}`; older versions `user_<hash>_account_<uuid>_session_<uuid>`);
 * other clients' user ids are taken whole.
 */
function sessionFromUserId(userId: string): string {
  if (userId.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(userId);
      if (isObject(parsed) && typeof parsed.session_id === 'string' && parsed.session_id !== '') return parsed.session_id;
    } catch {
      // not JSON after all: the whole id below
    }
  }
  const legacy = /_session_([0-9a-f-]{8,})$/i.exec(userId);
  return legacy ? legacy[1]! : userId.slice(0, 256);
}

/** Anthropic Messages. The session comes from headers (x-claude-code-session-id) or `metadata.user_id`. */
export const anthropicMessagesApi: InboundApi = {
  name: 'anthropic-messages',
  dialect: anthropicMessages,
  forwardHeaders: ['anthropic-version', 'anthropic-beta'],
  describe(body) {
    const model = requireModel(body);
    requireArray(body, 'messages');
    const metadata = isObject(body.metadata) ? body.metadata : {};
    const user = typeof metadata.user_id === 'string' && metadata.user_id !== '' ? sessionFromUserId(metadata.user_id) : undefined;
    return { model, stream: body.stream === true, includeUsage: true, session: user };
  },
  outputLimit: {
    read: (body) => positive(body.max_tokens),
    write: (body, tokens) => {
      body.max_tokens = tokens;
      // Extended thinking counts inside max_tokens and needs budget_tokens >= 1024 and below it.
      if (isObject(body.thinking) && body.thinking.type === 'enabled') {
        const budget = positive(body.thinking.budget_tokens);
        if (tokens <= 1024) delete body.thinking;
        else if (budget !== undefined && budget >= tokens) body.thinking = { ...body.thinking, budget_tokens: tokens - 1 };
      }
    },
  },
};

/**
 * OpenAI's Responses API (POST /v1/responses, and each turn of its WebSocket mode). To a provider
 * of type `openai` it is passed through to OpenAI's own `/responses`: the body goes as sent with
 * only the model changed, so `store`, `include: ["reasoning.encrypted_content"]`, reasoning items
 * with their encrypted content, `previous_response_id` and fields the gateway does not know all
 * reach OpenAI, and the reply comes back as OpenAI sent it. To every other provider (compatible
 * servers and Azure included) it is translated through the canonical model (to Chat Completions
 * for OpenAI-format ones), statelessly: the gateway stores no responses.
 */
export const openaiResponsesApi: InboundApi = {
  name: 'openai-responses',
  dialect: openaiResponses,
  servedUpstream: { operation: 'responses', by: (provider) => provider.servesResponses },
  describe(body) {
    const model = requireModel(body);
    if (typeof body.input !== 'string' && !Array.isArray(body.input)) throw new GatewayError('BAD_REQUEST', 'the request needs an "input" (a string or an array of items)', { param: 'input' });
    const cacheKey = typeof body.prompt_cache_key === 'string' && body.prompt_cache_key !== '' ? body.prompt_cache_key : undefined;
    return { model, stream: body.stream === true, includeUsage: true, session: cacheKey };
  },
  outputLimit: fieldLimit('max_output_tokens'),
};

/** POST /v1/embeddings, passed through to OpenAI-format providers (https://platform.openai.com/docs/api-reference/embeddings). */
export const openaiEmbeddingsApi: InboundApi = {
  name: 'openai-embeddings',
  dialect: openaiChat,
  describe(body) {
    const model = requireModel(body);
    if (body.input === undefined) throw new GatewayError('BAD_REQUEST', 'the request needs an "input"', { param: 'input' });
    return { model, stream: false, includeUsage: false, session: undefined };
  },
  passthroughOnly: { operation: 'embeddings', what: 'embeddings', address: (body, model) => addressBody(body, model, false), usage: usageOfOpenAIReply },
};

/** POST /v1/completions (legacy text completions, used for autocomplete), passed through to OpenAI-format providers. */
export const openaiCompletionsApi: InboundApi = {
  name: 'openai-completions',
  dialect: openaiChat,
  describe(body) {
    const model = requireModel(body);
    if (body.prompt === undefined) throw new GatewayError('BAD_REQUEST', 'the request needs a "prompt"', { param: 'prompt' });
    const streamOptions = isObject(body.stream_options) ? body.stream_options : {};
    return { model, stream: body.stream === true, includeUsage: streamOptions.include_usage === true, session: undefined };
  },
  passFrame: (ev, includeUsage) => openaiChatApi.passFrame!(ev, includeUsage),
  outputLimit: fieldLimit('max_tokens'),
  passthroughOnly: {
    operation: 'completions',
    what: 'legacy completions',
    address: addressBody,
    usage: usageOfOpenAIReply,
    streamDecoder: completionsStreamDecoder,
  },
};

/**
 * The Gemini API (`/v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`).
 * The model and whether to stream come from the URL, not the body.
 */
export function geminiGenerateApi(model: string, stream: boolean): InboundApi {
  return {
    name: 'gemini-generate',
    dialect: geminiGenerate,
    describe(body) {
      requireArray(body, 'contents');
      return { model, stream, includeUsage: true, session: undefined };
    },
    outputLimit: {
      read: (body) => (isObject(body.generationConfig) ? positive(body.generationConfig.maxOutputTokens) : undefined),
      write: (body, tokens) => {
        body.generationConfig = { ...(isObject(body.generationConfig) ? body.generationConfig : {}), maxOutputTokens: tokens };
      },
    },
  };
}

/** The dialect whose error shape a path's clients expect; null for routes outside the LLM APIs. */
export function dialectForPath(path: string, req: IncomingMessage): Dialect | null {
  if (path.startsWith('/v1/messages')) return anthropicMessages;
  if (path.startsWith('/v1beta/')) return geminiGenerate;
  if (path === '/v1/models' && typeof req.headers['anthropic-version'] === 'string') return anthropicMessages;
  if (path.startsWith('/v1/') || path === '/v1') {
    // Anthropic's SDK and Claude Code always send anthropic-version; answer them in their shape.
    return typeof req.headers['anthropic-version'] === 'string' ? anthropicMessages : openaiChat;
  }
  return null;
}
