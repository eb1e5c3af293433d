// Anthropic `message` objects <-> canonical responses: blocks, stop reasons, usage, and what is not a message.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.js';
import type { CanonicalResponse, StopReason } from '../../canonical.js';
import { UNPARSED_ARGUMENTS_KEY } from '../../tool-args.js';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { anthropicMessages } from './index.js';

const message = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-x',
  content: [
    { type: 'thinking', thinking: 'plan', signature: 'sig/+=' },
    { type: 'redacted_thinking', data: 'opaque' },
    { type: 'text', text: 'Hello', citations: [{ type: 'char_location', cited_text: 'x' }] },
    { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'q' } },
    { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
    { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 10, cache_creation_input_tokens: 3, cache_read_input_tokens: 20, output_tokens: 7, service_tier: 'standard' },
};

describe('anthropic responseToCanonical', () => {
  it('reads text, tool_use and thinking blocks in order, skipping server tool blocks, with usage', () => {
    expect(anthropicMessages.responseToCanonical(message)).toEqual({
      id: 'msg_01',
      model: 'claude-x',
      content: [
        { type: 'reasoning', family: 'anthropic', text: 'plan', signature: 'sig/+=' },
        { type: 'reasoning', family: 'anthropic', opaque: 'opaque' },
        { type: 'text', text: 'Hello' },
        { type: 'tool_call', id: 'toolu_1', name: 'lookup', arguments: '{"q":"x"}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 10, cacheWriteTokens: 3, cacheReadTokens: 20, outputTokens: 7, reasoningTokens: 0 },
    });
  });

  it('maps every stop reason, and keeps the stop sequence', () => {
    const cases: [string | null, StopReason][] = [
      ['end_turn', 'end'],
      ['max_tokens', 'max_tokens'],
      ['stop_sequence', 'stop_sequence'],
      ['tool_use', 'tool_calls'],
      ['pause_turn', 'pause'],
      ['refusal', 'refusal'],
      ['model_context_window_exceeded', 'max_tokens'],
    ];
    for (const [wire, canonical] of cases) {
      expect(anthropicMessages.responseToCanonical({ ...message, stop_reason: wire }).stopReason).toBe(canonical);
    }
    const stopped = anthropicMessages.responseToCanonical({ ...message, stop_reason: 'stop_sequence', stop_sequence: '###' });
    expect(stopped.stopSequence).toBe('###');
  });

  it('rejects what is not a message as an upstream error', () => {
    expect(thrown(GatewayError, () => anthropicMessages.responseToCanonical({ type: 'error', error: { type: 'api_error', message: 'x' } })).code).toBe('UPSTREAM_ERROR');
    expect(thrown(GatewayError, () => anthropicMessages.responseToCanonical({ ...message, content: 'text' })).code).toBe('UPSTREAM_ERROR');
    expect(thrown(GatewayError, () => anthropicMessages.responseToCanonical({ ...message, content: [{ type: 'text' }] })).code).toBe('UPSTREAM_ERROR');
  });
});

describe('anthropic responseFromCanonical', () => {
  const res: CanonicalResponse = {
    id: 'chatcmpl-9',
    model: 'gpt-x',
    content: [
      { type: 'reasoning', family: 'openai', text: 'summary', opaque: 'enc' },
      { type: 'reasoning', family: 'anthropic', text: 'plan', signature: 's' },
      { type: 'text', text: 'Hi' },
      { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{"a":1' },
    ],
    stopReason: 'tool_calls',
    usage: { inputTokens: 5, outputTokens: 9, cacheReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 4 },
  };

  it('writes a complete message object, dropping foreign reasoning and wrapping invalid arguments', () => {
    expect(anthropicMessages.responseFromCanonical(res)).toEqual({
      id: 'chatcmpl-9',
      type: 'message',
      role: 'assistant',
      model: 'gpt-x',
      content: [
        { type: 'thinking', thinking: 'plan', signature: 's' },
        { type: 'text', text: 'Hi' },
        { type: 'tool_use', id: 'call_1', name: 'f', input: { [UNPARSED_ARGUMENTS_KEY]: '{"a":1' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 2, output_tokens: 9 },
    });
  });

  it('maps stop reasons Anthropic lacks onto the nearest it has', () => {
    const stop = (stopReason: StopReason): unknown => anthropicMessages.responseFromCanonical({ ...res, stopReason })['stop_reason'];
    expect(stop('content_filter')).toBe('refusal');
    expect(stop('error')).toBe('end_turn');
    expect(stop('end')).toBe('end_turn');
    expect(stop('pause')).toBe('pause_turn');
    expect(anthropicMessages.responseFromCanonical({ ...res, stopReason: 'stop_sequence', stopSequence: 'END' })).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
  });
});
