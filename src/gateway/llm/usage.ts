// Usage, defined once: what each token count means, whichever provider reported it.

/**
 * Token counts of one call. The five numbers do not overlap, so cost is a plain sum of
 * count × price:
 * - inputTokens: prompt tokens read at the full price (cache hits excluded).
 * - cacheReadTokens: prompt tokens served from the provider's prompt cache.
 * - cacheWriteTokens: prompt tokens written to the cache (Anthropic bills these apart).
 * - outputTokens: generated tokens, reasoning included (that is how providers bill them).
 * - reasoningTokens: the part of outputTokens spent on hidden reasoning; informational.
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

/**
 * OpenAI Chat Completions `usage` (https://platform.openai.com/docs/api-reference/chat/object):
 * `prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens`, so the cached part is
 * subtracted to get full-price input; `completion_tokens` includes
 * `completion_tokens_details.reasoning_tokens`.
 */
export function usageFromOpenAI(u: unknown): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const o = u as Record<string, unknown>;
  const prompt = count(o.prompt_tokens);
  const details = (o.prompt_tokens_details ?? {}) as Record<string, unknown>;
  const cached = Math.min(count(details.cached_tokens), prompt);
  const completionDetails = (o.completion_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: prompt - cached,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: count(o.completion_tokens),
    reasoningTokens: count(completionDetails.reasoning_tokens),
  };
}
