// chat.completion objects both ways: content, reasoning, refusal, finish reasons, usage, and a round-trip property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { GatewayError } from '../../../errors.js';
import type { CanonicalResponse, StopReason } from '../../canonical.js';
import { finishReasonToOpenAI, responseFromCanonical, responseToCanonical, stopReasonFromOpenAI } from './response.js';

const completion = (message: Record<string, unknown>, finishReason = 'stop'): Record<string, unknown> => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finishReason }],
  usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, prompt_tokens_details: { cached_tokens: 40 }, completion_tokens_details: { reasoning_tokens: 5 } },
});

describe('responseToCanonical', () => {
  it('reads text, tool calls (invalid JSON kept verbatim), finish reason and usage', () => {
    const res = responseToCanonical(
      completion(
        {
          content: 'Let me check.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city": "Par' } },
            { id: 'call_2', type: 'function', function: { name: 'time', arguments: '{}' } },
          ],
        },
        'tool_calls',
      ),
    );
    expect(res).toEqual({
      id: 'chatcmpl-1',
      model: 'gpt-4o-2024-08-06',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city": "Par' },
        { type: 'tool_call', id: 'call_2', name: 'time', arguments: '{}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 60, cacheReadTokens: 40, cacheWriteTokens: 0, outputTokens: 20, reasoningTokens: 5 },
    } satisfies CanonicalResponse);
  });

  it('reads reasoning_content or reasoning as an openai reasoning part, and a refusal as text', () => {
    expect(responseToCanonical(completion({ content: 'Paris.', reasoning_content: 'The capital is...' })).content).toEqual([
      { type: 'reasoning', family: 'openai', text: 'The capital is...' },
      { type: 'text', text: 'Paris.' },
    ]);
    expect(responseToCanonical(completion({ content: 'x', reasoning: 'OpenRouter style' })).content[0]).toEqual({ type: 'reasoning', family: 'openai', text: 'OpenRouter style' });
    expect(responseToCanonical(completion({ content: null, refusal: "I can't help with that." })).content).toEqual([{ type: 'text', text: "I can't help with that." }]);
  });

  it('marks a reply without usage as estimated, with zero counts for the caller to replace', () => {
    const { usage: _usage, ...noUsage } = completion({ content: 'hi' });
    const res = responseToCanonical(noUsage);
    expect(res.usageEstimated).toBe(true);
    expect(res.usage).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(responseToCanonical(completion({ content: 'hi' })).usageEstimated).toBeUndefined();
  });

  it('rejects a body that is not a completion', () => {
    expect(thrown(GatewayError, () => responseToCanonical({ object: 'list', data: [] })).code).toBe('UPSTREAM_ERROR');
    expect(thrown(GatewayError, () => responseToCanonical({ choices: [{ index: 0 }] })).code).toBe('UPSTREAM_ERROR');
  });

  it('maps finish reasons both ways', () => {
    expect(['stop', 'length', 'tool_calls', 'function_call', 'content_filter', null, 'eos'].map(stopReasonFromOpenAI)).toEqual([
      'end',
      'max_tokens',
      'tool_calls',
      'tool_calls',
      'content_filter',
      'end',
      'end',
    ]);
    const all: StopReason[] = ['end', 'stop_sequence', 'max_tokens', 'tool_calls', 'content_filter', 'refusal', 'pause', 'error'];
    expect(all.map(finishReasonToOpenAI)).toEqual(['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'content_filter', 'stop', 'stop']);
  });
});

describe('responseFromCanonical', () => {
  it('writes a chat.completion with joined text, tool calls, reasoning_content and usage', () => {
    const wire = responseFromCanonical({
      id: 'msg_1',
      model: 'claude-sonnet',
      content: [
        { type: 'reasoning', family: 'anthropic', text: 'think', signature: 'sig' },
        { type: 'text', text: 'Hello ' },
        { type: 'text', text: 'there' },
        { type: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{"a":1}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 10, cacheReadTokens: 5, cacheWriteTokens: 3, outputTokens: 7, reasoningTokens: 2 },
    });
    expect(wire).toEqual({
      id: 'msg_1',
      object: 'chat.completion',
      created: expect.any(Number) as unknown,
      model: 'claude-sonnet',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hello there',
            refusal: null,
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
            reasoning_content: 'think',
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 18, completion_tokens: 7, total_tokens: 25, prompt_tokens_details: { cached_tokens: 5 }, completion_tokens_details: { reasoning_tokens: 2 } },
    });
  });

  it('writes null content beside tool calls and "" for an empty reply', () => {
    const usage = { inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    const withCall = responseFromCanonical({ id: 'a', model: 'm', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '' }], stopReason: 'tool_calls', usage });
    expect((withCall.choices as { message: { content: unknown } }[])[0]?.message.content).toBeNull();
    const empty = responseFromCanonical({ id: 'a', model: 'm', content: [], stopReason: 'refusal', usage });
    expect((empty.choices as { message: { content: unknown }; finish_reason: string }[])[0]).toMatchObject({ message: { content: '' }, finish_reason: 'content_filter' });
  });
});

const nonEmpty = fc.string({ minLength: 1, maxLength: 20 });
const count = fc.integer({ min: 0, max: 10_000_000 });
const canonicalResponse: fc.Arbitrary<CanonicalResponse> = fc
  .record({
    id: fc.string({ maxLength: 20 }),
    model: fc.string({ maxLength: 20 }),
    reasoning: fc.option(nonEmpty, { nil: undefined }),
    text: fc.option(nonEmpty, { nil: undefined }),
    calls: fc.array(fc.record({ type: fc.constant('tool_call' as const), id: nonEmpty, name: fc.string({ maxLength: 20 }), arguments: fc.string({ maxLength: 30 }) }), { maxLength: 3 }),
    stopReason: fc.constantFrom<StopReason>('end', 'max_tokens', 'tool_calls', 'content_filter'),
    // OpenAI bills no cache writes: a canonical count of them has nowhere to go.
    usage: fc.record({ inputTokens: count, cacheReadTokens: count, cacheWriteTokens: fc.constant(0), outputTokens: count, reasoningTokens: count }),
  })
  .map(({ reasoning, text, calls, ...rest }) => ({
    ...rest,
    content: [
      ...(reasoning !== undefined ? [{ type: 'reasoning' as const, family: 'openai' as const, text: reasoning }] : []),
      ...(text !== undefined ? [{ type: 'text' as const, text }] : []),
      ...calls,
    ],
  }));

describe('response round trip', () => {
  it('canonical -> chat.completion -> canonical is the identity on what the format can express', () => {
    fc.assert(
      fc.property(canonicalResponse, (res) => {
        const wire = JSON.parse(JSON.stringify(responseFromCanonical(res))) as Record<string, unknown>;
        expect(responseToCanonical(wire)).toEqual(res);
      }),
      { numRuns: 300 },
    );
  });
});
