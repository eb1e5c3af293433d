// Legacy completions streams and non-chat usage, as OpenAI documents them.
import { describe, expect, it } from 'vitest';
import { addressBody, completionsStreamDecoder, usageOfOpenAIReply } from './index.js';

describe('legacy completions stream', () => {
  it('reads text, the finish reason, usage and [DONE]', () => {
    const d = completionsStreamDecoder();
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ data: JSON.stringify({ id: 'cmpl-1', object: 'text_completion', model: 'gpt-3.5-turbo-instruct', choices, ...extra }) });
    const events = [
      chunk([{ text: 'def ', index: 0, logprobs: null, finish_reason: null }]),
      chunk([{ text: 'f():', index: 0, logprobs: null, finish_reason: null }]),
      chunk([{ text: '', index: 0, logprobs: null, finish_reason: 'length' }]),
      chunk([], { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
    ].flatMap((e) => d.decode(e));
    expect(events).toEqual([
      { type: 'start', id: 'cmpl-1', model: 'gpt-3.5-turbo-instruct' },
      { type: 'block_start', index: 0, block: 'text' },
      { type: 'text_delta', index: 0, text: 'def ' },
      { type: 'text_delta', index: 0, text: 'f():' },
      { type: 'block_end', index: 0 },
      { type: 'finish', stopReason: 'max_tokens' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } },
    ]);
    expect(d.done).toBe(false);
    expect(d.decode({ data: '[DONE]' })).toEqual([]);
    expect(d.done).toBe(true);
  });

  it('turns bad JSON and error frames into error events, never a throw', () => {
    const d = completionsStreamDecoder();
    expect(d.decode({ data: '{"choices":' })).toMatchObject([{ type: 'error', kind: 'upstream' }]);
    expect(d.decode({ data: '{"error":{"message":"overloaded"}}' })).toMatchObject([{ type: 'error', message: 'overloaded' }]);
  });
});

describe('non-chat bodies', () => {
  it('reads embeddings usage (prompt tokens only) and addresses a body to the target model', () => {
    expect(usageOfOpenAIReply({ object: 'list', data: [], usage: { prompt_tokens: 8, total_tokens: 8 } })).toMatchObject({ inputTokens: 8, outputTokens: 0 });
    expect(addressBody({ model: 'emb', input: 'x', extra_field: 1 }, 'text-embedding-3-small', false)).toEqual({ model: 'text-embedding-3-small', input: 'x', extra_field: 1 });
    expect(addressBody({ model: 'c', prompt: 'x', stream: true }, 'm', true)).toEqual({ model: 'm', prompt: 'x', stream: true, stream_options: { include_usage: true } });
  });
});
