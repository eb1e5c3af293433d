// Usage, defined once: what each token count means, and how every provider's fields map onto it.

/**
 * Token counts of one call. The four billed numbers do not overlap, so cost is a plain sum of
 * count × price:
 * - inputTokens: prompt tokens read at the full price (cache hits and cache writes excluded).
 * - cacheReadTokens: prompt tokens served from the provider's prompt cache.
 * - cacheWriteTokens: prompt tokens written to the cache (Anthropic bills these apart).
 * - outputTokens: generated tokens, reasoning included (that is how providers bill them).
 * - reasoningTokens: the part of outputTokens spent on hidden reasoning; informational.
 *
 * Mappings (each provider's documentation, read 2026-11):
 * | field            | OpenAI chat (`usage`)                      | Anthropic (`usage`)             | Gemini (`usageMetadata`)                 |
 * |------------------|--------------------------------------------|---------------------------------|------------------------------------------|
 * | inputTokens      | prompt_tokens − cached_tokens              | input_tokens (excludes cache)   | promptTokenCount − cachedContentTokenCount (+ toolUsePromptTokenCount) |
 * | cacheReadTokens  | prompt_tokens_details.cached_tokens        | cache_read_input_tokens         | cachedContentTokenCount                  |
 * | cacheWriteTokens | 0 (OpenAI does not bill writes)            | cache_creation_input_tokens     | 0                                        |
 * | outputTokens     | completion_tokens (includes reasoning)     | output_tokens (includes thinking)| candidatesTokenCount + thoughtsTokenCount |
 * | reasoningTokens  | completion_tokens_details.reasoning_tokens | 0 (not reported apart)          | thoughtsTokenCount                       |
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

function has(o: Record<string, unknown>, k: string): boolean {
  return typeof o[k] === 'number';
}

function record(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Later partial counts replace earlier ones field by field (streams report usage in pieces). */
export function mergeUsage(base: Usage, update: Partial<Usage>): Usage {
  const out = { ...base };
  for (const k of Object.keys(update) as (keyof Usage)[]) {
    const v = update[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

/** All prompt tokens, however billed. */
export function promptTokens(u: Usage): number {
  return u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}

// ---- OpenAI Chat Completions (https://platform.openai.com/docs/api-reference/chat/object) ----

export function usageFromOpenAI(u: unknown): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const o = u as Record<string, unknown>;
  const prompt = count(o.prompt_tokens);
  const cached = Math.min(count(record(o.prompt_tokens_details).cached_tokens), prompt);
  return {
    inputTokens: prompt - cached,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: count(o.completion_tokens),
    reasoningTokens: count(record(o.completion_tokens_details).reasoning_tokens),
  };
}

export function usageToOpenAI(u: Usage): Record<string, unknown> {
  const prompt = promptTokens(u);
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cacheReadTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}

// ---- OpenAI Responses (https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage) ----

/**
 * The Responses API names the same counts differently: `input_tokens` includes the cached ones, as
 * Chat's `prompt_tokens` does. `input_tokens_details.cache_write_tokens` (in the openai SDK's
 * ResponseUsage type, "a detailed breakdown of the input tokens") is read as a part of
 * `input_tokens` too, so it is billed once, at the cache-write price (which falls back to input).
 */
export function usageFromOpenAIResponses(u: unknown): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const o = u as Record<string, unknown>;
  const input = count(o.input_tokens);
  const details = record(o.input_tokens_details);
  const cached = Math.min(count(details.cached_tokens), input);
  const written = Math.min(count(details.cache_write_tokens), input - cached);
  return {
    inputTokens: input - cached - written,
    cacheReadTokens: cached,
    cacheWriteTokens: written,
    outputTokens: count(o.output_tokens),
    reasoningTokens: count(record(o.output_tokens_details).reasoning_tokens),
  };
}

export function usageToOpenAIResponses(u: Usage): Record<string, unknown> {
  const input = promptTokens(u);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheReadTokens, cache_write_tokens: u.cacheWriteTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: input + u.outputTokens,
  };
}

// ---- Anthropic Messages (https://docs.anthropic.com/en/api/messages) ----

/**
 * Anthropic's `usage`, from a message, `message_start` or `message_delta`. Only the fields present
 * are returned, because `message_delta` carries cumulative `output_tokens` and may omit the rest.
 */
export function usageFromAnthropic(u: unknown): Partial<Usage> | null {
  if (!u || typeof u !== 'object') return null;
  const o = u as Record<string, unknown>;
  const out: Partial<Usage> = {};
  if (has(o, 'input_tokens')) out.inputTokens = count(o.input_tokens);
  if (has(o, 'output_tokens')) out.outputTokens = count(o.output_tokens);
  if (has(o, 'cache_read_input_tokens')) out.cacheReadTokens = count(o.cache_read_input_tokens);
  if (has(o, 'cache_creation_input_tokens')) out.cacheWriteTokens = count(o.cache_creation_input_tokens);
  return out;
}

export function usageToAnthropic(u: Usage): Record<string, unknown> {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cacheReadTokens,
    output_tokens: u.outputTokens,
  };
}

// ---- Gemini (https://ai.google.dev/api/generate-content#UsageMetadata) ----

/** `promptTokenCount` includes cached content; `candidatesTokenCount` excludes thoughts. */
export function usageFromGemini(u: unknown): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const o = u as Record<string, unknown>;
  const prompt = count(o.promptTokenCount) + count(o.toolUsePromptTokenCount);
  const cached = Math.min(count(o.cachedContentTokenCount), prompt);
  const thoughts = count(o.thoughtsTokenCount);
  return {
    inputTokens: prompt - cached,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: count(o.candidatesTokenCount) + thoughts,
    reasoningTokens: thoughts,
  };
}

export function usageToGemini(u: Usage): Record<string, unknown> {
  const prompt = promptTokens(u);
  const candidates = Math.max(0, u.outputTokens - u.reasoningTokens);
  const out: Record<string, unknown> = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + u.outputTokens,
  };
  if (u.cacheReadTokens) out.cachedContentTokenCount = u.cacheReadTokens;
  if (u.reasoningTokens) out.thoughtsTokenCount = u.reasoningTokens;
  return out;
}
