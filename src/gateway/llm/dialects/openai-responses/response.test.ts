// Responses `response` objects both ways: output items, status <-> stop reason, usage, generated ids, and reasoning by family.
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { GatewayError } from '../../../errors.js';
import type { CanonicalResponse } from '../../canonical.js';
import { usageFromOpenAIResponses, usageToOpenAIResponses, ZERO_USAGE } from '../../usage.js';
import { openaiResponses } from './index.js';
import { responseFromCanonical, responseToCanonical } from './response.js';

const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 30 }, output_tokens: 50, output_tokens_details: { reasoning_tokens: 20 }, total_tokens: 150 };

function response(output: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'resp_1', object: 'response', created_at: 1, status: 'completed', model: 'gpt-5-2025', output, usage, ...extra };
}

describe('usage', () => {
  it('reads input_tokens as including cached (and cache-written) tokens', () => {
    expect(usageFromOpenAIResponses(usage)).toEqual({ inputTokens: 70, cacheReadTokens: 30, cacheWriteTokens: 0, outputTokens: 50, reasoningTokens: 20 });
    expect(usageFromOpenAIResponses({ input_tokens: 100, input_tokens_details: { cached_tokens: 30, cache_write_tokens: 50 }, output_tokens: 1 })).toMatchObject({
      inputTokens: 20,
      cacheReadTokens: 30,
      cacheWriteTokens: 50,
    });
    // Details larger than the total (a confused server) never make a count negative.
    expect(usageFromOpenAIResponses({ input_tokens: 10, input_tokens_details: { cached_tokens: 30 } })).toMatchObject({ inputTokens: 0, cacheReadTokens: 10 });
    expect(usageFromOpenAIResponses(null)).toBeNull();
  });

  it('writes input_tokens as every prompt token and the total as input plus output', () => {
    expect(usageToOpenAIResponses({ inputTokens: 70, cacheReadTokens: 30, cacheWriteTokens: 5, outputTokens: 50, reasoningTokens: 20 })).toEqual({
      input_tokens: 105,
      input_tokens_details: { cached_tokens: 30, cache_write_tokens: 5 },
      output_tokens: 50,
      output_tokens_details: { reasoning_tokens: 20 },
      total_tokens: 155,
    });
  });
});

describe('responseToCanonical', () => {
  it('reads reasoning, text (refusals too) and function calls in order, with usage', () => {
    const res = responseToCanonical(
      response([
        { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: 'enc+/=' },
        {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [
            { type: 'output_text', text: 'Hello', annotations: [] },
            { type: 'refusal', refusal: 'No.' },
          ],
        },
        { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}', status: 'completed' },
        { id: 'ws_1', type: 'web_search_call', status: 'completed' },
      ]),
    );
    expect(res).toEqual({
      id: 'resp_1',
      model: 'gpt-5-2025',
      content: [
        { type: 'reasoning', family: 'openai', text: 'Plan.', signature: 'rs_1', opaque: 'enc+/=' },
        { type: 'text', text: 'Hello' },
        { type: 'text', text: 'No.' },
        { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{"a":1}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 70, cacheReadTokens: 30, cacheWriteTokens: 0, outputTokens: 50, reasoningTokens: 20 },
    } satisfies CanonicalResponse);
  });

  it.each([
    [{ status: 'completed' }, 'end'],
    [{ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }, 'max_tokens'],
    [{ status: 'incomplete', incomplete_details: { reason: 'content_filter' } }, 'content_filter'],
    [{ status: 'failed', error: { code: 'server_error', message: 'x' } }, 'error'],
  ] as const)('maps %j to %s', (extra, stop) => {
    expect(responseToCanonical(response([], extra)).stopReason).toBe(stop);
  });

  it('marks usage as estimated when there is none, and refuses what is not a response', () => {
    expect(responseToCanonical(response([], { usage: undefined }))).toMatchObject({ usage: ZERO_USAGE, usageEstimated: true });
    expect(thrown(GatewayError, () => responseToCanonical({ object: 'chat.completion', choices: [] })).code).toBe('UPSTREAM_ERROR');
  });
});

describe('responseFromCanonical', () => {
  const res: CanonicalResponse = {
    id: 'msg_anthropic_1',
    model: 'claude-x',
    content: [
      { type: 'reasoning', family: 'anthropic', text: 'secret', signature: 'sig' },
      { type: 'reasoning', family: 'openai', text: 'Plan.', signature: 'rs_keep', opaque: 'enc' },
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{}' },
      { type: 'text', text: 'c' },
    ],
    stopReason: 'tool_calls',
    usage: { inputTokens: 1, cacheReadTokens: 2, cacheWriteTokens: 0, outputTokens: 3, reasoningTokens: 0 },
  };

  it('writes the items in order: consecutive text in one message, ids generated, foreign reasoning dropped', () => {
    const out = responseFromCanonical(res);
    expect(out).toMatchObject({ id: 'msg_anthropic_1', object: 'response', status: 'completed', error: null, incomplete_details: null, model: 'claude-x', store: false });
    const output = out.output as Record<string, unknown>[];
    expect(output.map((i) => i.type)).toEqual(['reasoning', 'message', 'function_call', 'message']);
    expect(output[0]).toEqual({ id: 'rs_keep', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: 'enc' });
    expect(output[1]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'a', annotations: [] }, { type: 'output_text', text: 'b', annotations: [] }] });
    expect(output[1]?.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(output[2]).toMatchObject({ type: 'function_call', call_id: 'toolu_1', name: 'f', arguments: '{}', status: 'completed' });
    expect(output[2]?.id).toMatch(/^fc_[0-9a-f]{32}$/);
    expect(out.usage).toEqual({ input_tokens: 3, input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 6 });
    expect(JSON.stringify(out)).not.toContain('secret');
  });

  it('generates a response id and reasoning ids when canonical has none', () => {
    const out = responseFromCanonical({ ...res, id: '', content: [{ type: 'reasoning', family: 'openai', text: 'x' }] });
    expect(out.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect((out.output as Record<string, unknown>[])[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'x' }] });
    expect((out.output as Record<string, unknown>[])[0]?.id).toMatch(/^rs_/);
    expect((out.output as Record<string, unknown>[])[0]).not.toHaveProperty('encrypted_content');
  });

  it.each([
    ['max_tokens', 'incomplete', { reason: 'max_output_tokens' }],
    ['content_filter', 'incomplete', { reason: 'content_filter' }],
    ['refusal', 'incomplete', { reason: 'content_filter' }],
    ['end', 'completed', null],
    ['stop_sequence', 'completed', null],
    ['pause', 'completed', null],
  ] as const)('writes stop reason %s as status %s', (stopReason, status, details) => {
    const out = responseFromCanonical({ ...res, stopReason });
    expect(out.status).toBe(status);
    expect(out.incomplete_details).toEqual(details);
  });

  it('writes an error stop as a failed response with an error object', () => {
    const out = responseFromCanonical({ ...res, stopReason: 'error' });
    expect(out).toMatchObject({ status: 'failed', error: { code: 'server_error' } });
  });
});

describe('errors', () => {
  it('writes and reads the Chat Completions error envelope, which the Responses API shares', () => {
    expect(openaiResponses.family).toBe('openai');
    const body = openaiResponses.errorBody({ status: 400, kind: 'invalid_request', message: 'input[0].type: bad', param: 'input[0].type', code: 'bad_request' });
    expect(body).toEqual({ error: { message: 'input[0].type: bad', type: 'invalid_request_error', param: 'input[0].type', code: 'bad_request' } });
    expect(openaiResponses.parseError(400, body)).toEqual({ kind: 'invalid_request', message: 'input[0].type: bad', type: 'invalid_request_error', code: 'bad_request', param: 'input[0].type' });
    expect(openaiResponses.parseError(200, { object: 'response' })).toBeNull();
  });
});
