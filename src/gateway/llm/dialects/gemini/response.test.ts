// Tests for GenerateContentResponse <-> canonical: parts, finish reasons, blocked prompts, ids and usage.
import { describe, expect, it } from 'vitest';
import type { CanonicalResponse } from '../../canonical.js';
import { GatewayError } from '../../../errors.js';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { responseFromCanonical, responseToCanonical } from './response.js';

const usageMetadata = { promptTokenCount: 100, cachedContentTokenCount: 40, candidatesTokenCount: 20, thoughtsTokenCount: 5, totalTokenCount: 125 };

describe('responseToCanonical', () => {
  it('reads text, thoughts, signatures and usage', () => {
    const res = responseToCanonical({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'I think', thought: true }, { text: 'Hello ', thoughtSignature: 'sig' }, { text: 'world' }],
          },
          finishReason: 'STOP',
          index: 0,
          safetyRatings: [],
        },
      ],
      usageMetadata,
      modelVersion: 'gemini-2.5-flash',
      responseId: 'resp-1',
    });
    expect(res).toEqual({
      id: 'resp-1',
      model: 'gemini-2.5-flash',
      content: [
        { type: 'reasoning', family: 'gemini', text: 'I think' },
        { type: 'reasoning', family: 'gemini', signature: 'sig' },
        { type: 'text', text: 'Hello ' },
        { type: 'text', text: 'world' },
      ],
      stopReason: 'end',
      usage: { inputTokens: 60, cacheReadTokens: 40, cacheWriteTokens: 0, outputTokens: 25, reasoningTokens: 5 },
    });
  });

  it('says tool_calls when a STOP candidate holds function calls, and gives id-less calls distinct ids', () => {
    const body = {
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'a', args: { x: 1 } } }, { functionCall: { name: 'a', args: [1, 2] } }] }, finishReason: 'STOP' }],
      responseId: 'r-7',
    };
    const res = responseToCanonical(body);
    expect(res.stopReason).toBe('tool_calls');
    const [a, b] = res.content;
    expect(a).toMatchObject({ type: 'tool_call', name: 'a', arguments: '{"x":1}', id: expect.stringMatching(/^gemgen_/) });
    expect(b).toMatchObject({ type: 'tool_call', arguments: '[1,2]' });
    expect((a as { id: string }).id).not.toBe((b as { id: string }).id);
    // Stable for one response, different for another turn.
    expect(responseToCanonical(body).content[0]).toEqual(a);
    expect(responseToCanonical({ ...body, responseId: 'r-8' }).content[0]).not.toEqual(a);
  });

  it('maps finish reasons', () => {
    const reason = (finishReason: string) => responseToCanonical({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason }] }).stopReason;
    expect(reason('STOP')).toBe('end');
    expect(reason('MAX_TOKENS')).toBe('max_tokens');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) expect(reason(r)).toBe('content_filter');
    for (const r of ['OTHER', 'LANGUAGE', 'MALFORMED_FUNCTION_CALL', 'FINISH_REASON_UNSPECIFIED']) expect(reason(r)).toBe('end');
  });

  it('reads a blocked prompt as a content filter with no content', () => {
    const res = responseToCanonical({ promptFeedback: { blockReason: 'SAFETY', safetyRatings: [] }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } });
    expect(res).toMatchObject({ content: [], stopReason: 'content_filter', usage: { inputTokens: 9, outputTokens: 0 } });
    expect(res.id).toMatch(/^gemresp_/);
  });

  it('uses the index-0 candidate, and zero usage when none is reported', () => {
    const res = responseToCanonical({
      candidates: [
        { content: { parts: [{ text: 'second' }] }, index: 1 },
        { content: { parts: [{ text: 'first' }] }, index: 0 },
      ],
    });
    expect(res.content).toEqual([{ type: 'text', text: 'first' }]);
    expect(res.usage).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  it('refuses a body that is not a response', () => {
    expect(thrown(GatewayError, () => responseToCanonical({ error: { code: 500, message: 'x', status: 'INTERNAL' } })).code).toBe('UPSTREAM_ERROR');
  });
});

describe('responseFromCanonical', () => {
  const base: CanonicalResponse = {
    id: 'chatcmpl-1',
    model: 'gpt-x',
    content: [],
    stopReason: 'end',
    usage: { inputTokens: 60, cacheReadTokens: 40, cacheWriteTokens: 0, outputTokens: 25, reasoningTokens: 5 },
  };

  it('writes parts, thoughts, signatures, finish reason and usage', () => {
    const body = responseFromCanonical({
      ...base,
      content: [
        { type: 'reasoning', family: 'anthropic', text: 'visible thinking', signature: 'anthropic-only' },
        { type: 'reasoning', family: 'gemini', signature: 'g1' },
        { type: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{"a":1}' },
        { type: 'tool_call', id: 'gemgen_abc', name: 'g', arguments: 'raw' },
      ],
      stopReason: 'tool_calls',
    });
    expect(body).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'visible thinking', thought: true },
              { functionCall: { id: 'toolu_1', name: 'f', args: { a: 1 } }, thoughtSignature: 'g1' },
              { functionCall: { name: 'g', args: { _gatehouse_unparsed_arguments: 'raw' } } },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 125, cachedContentTokenCount: 40, thoughtsTokenCount: 5 },
      modelVersion: 'gpt-x',
      responseId: 'chatcmpl-1',
    });
  });

  it('maps stop reasons to finish reasons, and leaves content out when there is none', () => {
    const finish = (stopReason: CanonicalResponse['stopReason']) => (responseFromCanonical({ ...base, stopReason }).candidates as { finishReason: string }[])[0]?.finishReason;
    expect(finish('end')).toBe('STOP');
    expect(finish('stop_sequence')).toBe('STOP');
    expect(finish('max_tokens')).toBe('MAX_TOKENS');
    expect(finish('content_filter')).toBe('SAFETY');
    expect(finish('refusal')).toBe('SAFETY');
    expect(finish('error')).toBe('OTHER');
    expect((responseFromCanonical(base).candidates as object[])[0]).toEqual({ finishReason: 'STOP', index: 0 });
  });
});
