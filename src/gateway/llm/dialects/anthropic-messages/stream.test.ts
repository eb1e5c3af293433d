// Anthropic streams: the decoder on documented sequences, the encoder's ordering, usage and errors, and properties of both.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Family, SseEvent, StopReason, StreamEvent } from '../../canonical.js';
import { argumentsToObject, UNPARSED_ARGUMENTS_KEY } from '../../tool-args.js';
import { mergeUsage, ZERO_USAGE, type Usage } from '../../usage.js';
import { anthropicMessages } from './index.js';
import { sseEventsOf } from '../../../../../test/helpers/sse.js';

// ---- helpers: SSE parsing and the documented grammar ----

interface ParsedEvent {
  event: string | undefined;
  data: { type: string } & Record<string, unknown>;
}


function parseEvents(text: string): ParsedEvent[] {
  return sseEventsOf(text).map((ev) => ({ event: ev.event, data: JSON.parse(ev.data) as ParsedEvent['data'] }));
}

const DELTA_FOR: Record<string, readonly string[]> = {
  text: ['text_delta'],
  thinking: ['thinking_delta', 'signature_delta'],
  tool_use: ['input_json_delta'],
  redacted_thinking: [],
};

/**
 * Violations of Anthropic's stream grammar (empty when valid): every event named as its `type`;
 * `message_start` first; blocks numbered 0, 1, 2... each started, given deltas of its own kind and
 * stopped before the next starts; then one `message_delta` and a final `message_stop`, or an `error`
 * event that ends the stream. `ping` may appear anywhere after the start.
 */
function grammarViolations(events: ParsedEvent[]): string[] {
  const problems: string[] = [];
  let phase: 'before' | 'body' | 'delta' | 'stopped' | 'failed' = 'before';
  let open: { index: number; type: string } | null = null;
  let nextIndex = 0;
  for (const [i, { event, data }] of events.entries()) {
    const at = `event ${i} (${data.type})`;
    if (event !== data.type) problems.push(`${at}: SSE event name ${String(event)} differs from its type`);
    if (phase === 'stopped' || phase === 'failed') {
      problems.push(`${at}: after the end of the stream`);
      continue;
    }
    if (data.type === 'error') {
      phase = 'failed';
      continue;
    }
    if (phase === 'before') {
      if (data.type !== 'message_start') problems.push(`${at}: expected message_start first`);
      phase = 'body';
      continue;
    }
    switch (data.type) {
      case 'ping':
        continue;
      case 'content_block_start': {
        const block = data['content_block'] as { type: string } | undefined;
        if (phase !== 'body') problems.push(`${at}: block after message_delta`);
        if (open) problems.push(`${at}: block ${String(data['index'])} starts while block ${open.index} is open`);
        if (data['index'] !== nextIndex) problems.push(`${at}: expected index ${nextIndex}, got ${String(data['index'])}`);
        if (!block || !(block.type in DELTA_FOR)) problems.push(`${at}: unknown block type`);
        open = { index: nextIndex, type: block?.type ?? '?' };
        nextIndex += 1;
        continue;
      }
      case 'content_block_delta': {
        const delta = data['delta'] as { type: string } | undefined;
        if (!open || data['index'] !== open.index) problems.push(`${at}: delta for block ${String(data['index'])} which is not open`);
        else if (!DELTA_FOR[open.type]?.includes(delta?.type ?? '')) problems.push(`${at}: ${String(delta?.type)} in a ${open.type} block`);
        continue;
      }
      case 'content_block_stop':
        if (!open || data['index'] !== open.index) problems.push(`${at}: stop for block ${String(data['index'])} which is not open`);
        open = null;
        continue;
      case 'message_delta':
        if (open) problems.push(`${at}: message_delta while block ${open.index} is open`);
        if (phase === 'delta') problems.push(`${at}: a second message_delta`);
        phase = 'delta';
        continue;
      case 'message_stop':
        if (phase !== 'delta') problems.push(`${at}: message_stop without message_delta`);
        phase = 'stopped';
        continue;
      default:
        problems.push(`${at}: unknown event type`);
    }
  }
  if (phase !== 'stopped' && phase !== 'failed') problems.push('the stream does not end with message_stop or error');
  return problems;
}

function encodeAll(events: StreamEvent[], finish = true): string {
  const encoder = anthropicMessages.streamEncoder({ id: 'msg_gw1', model: 'client-model', includeUsage: false });
  return events.map((ev) => encoder.encode(ev)).join('') + (finish ? encoder.end() : '');
}

function decodeAll(text: string): { events: StreamEvent[]; done: boolean } {
  const decoder = anthropicMessages.streamDecoder();
  const events = sseEventsOf(text).flatMap((ev) => decoder.decode(ev));
  return { events, done: decoder.done };
}

const sse = (data: Record<string, unknown> & { type: string }): SseEvent => ({ event: data.type, data: JSON.stringify(data) });

// ---- decoder ----

describe('anthropic stream decoder', () => {
  it('turns the documented sequence into canonical events, with usage in its partial fields only', () => {
    const decoder = anthropicMessages.streamDecoder();
    const wire = [
      sse({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-x', stop_reason: null, stop_sequence: null, usage: { input_tokens: 25, cache_read_input_tokens: 5, output_tokens: 1 } } }),
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      sse({ type: 'ping' }),
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me' } }),
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQB==' } }),
      sse({ type: 'content_block_stop', index: 0 }),
      sse({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Héllo 🦊' } }),
      sse({ type: 'content_block_stop', index: 1 }),
      sse({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } }),
      sse({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"loc' } }),
      sse({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'ation": "Paris"}' } }),
      sse({ type: 'content_block_stop', index: 2 }),
      sse({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
    ];
    const events = wire.flatMap((ev) => decoder.decode(ev));
    expect(decoder.done).toBe(false);
    expect(decoder.decode(sse({ type: 'message_stop' }))).toEqual([]);
    expect(decoder.done).toBe(true);
    expect(events).toEqual([
      { type: 'start', id: 'msg_1', model: 'claude-x' },
      { type: 'usage', usage: { inputTokens: 25, cacheReadTokens: 5, outputTokens: 1 } },
      { type: 'block_start', index: 0, block: 'reasoning', family: 'anthropic' },
      { type: 'reasoning_delta', index: 0, text: 'Let me' },
      { type: 'reasoning_delta', index: 0, signature: 'EqQB==' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'text' },
      { type: 'text_delta', index: 1, text: 'Héllo 🦊' },
      { type: 'block_end', index: 1 },
      { type: 'block_start', index: 2, block: 'tool_call', id: 'toolu_1', name: 'get_weather' },
      { type: 'tool_args_delta', index: 2, json: '{"loc' },
      { type: 'tool_args_delta', index: 2, json: 'ation": "Paris"}' },
      { type: 'block_end', index: 2 },
      { type: 'usage', usage: { outputTokens: 89 } },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
  });

  it('reads redacted thinking, skips blocks it does not model and keeps canonical indices dense', () => {
    const decoder = anthropicMessages.streamDecoder();
    const events = [
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srv', name: 'web_search', input: {} } }),
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":1}' } }),
      sse({ type: 'content_block_stop', index: 0 }),
      sse({ type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'OPAQUE' } }),
      sse({ type: 'content_block_stop', index: 1 }),
      sse({ type: 'content_block_start', index: 2, content_block: { type: 'text', text: 'pre' } }),
      sse({ type: 'content_block_delta', index: 2, delta: { type: 'citations_delta', citation: {} } }),
      sse({ type: 'content_block_stop', index: 2 }),
      sse({ type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: '###' }, usage: { output_tokens: 3, input_tokens: 9 } }),
      sse({ type: 'brand_new_event' }),
    ].flatMap((ev) => decoder.decode(ev));
    expect(events).toEqual([
      { type: 'block_start', index: 0, block: 'reasoning', family: 'anthropic' },
      { type: 'reasoning_delta', index: 0, opaque: 'OPAQUE' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'text' },
      { type: 'text_delta', index: 1, text: 'pre' },
      { type: 'block_end', index: 1 },
      { type: 'usage', usage: { outputTokens: 3, inputTokens: 9 } },
      { type: 'finish', stopReason: 'stop_sequence', stopSequence: '###' },
    ]);
  });

  it('turns error events into canonical errors with the kind and status of their type', () => {
    const errorOf = (type: string): StreamEvent[] => anthropicMessages.streamDecoder().decode(sse({ type: 'error', error: { type, message: `m ${type}` } }));
    expect(errorOf('overloaded_error')).toEqual([{ type: 'error', status: 529, kind: 'overloaded', message: 'm overloaded_error' }]);
    expect(errorOf('rate_limit_error')).toEqual([{ type: 'error', status: 429, kind: 'rate_limit', message: 'm rate_limit_error' }]);
    expect(errorOf('api_error')).toEqual([{ type: 'error', status: 500, kind: 'upstream', message: 'm api_error' }]);
    expect(errorOf('timeout_error')).toEqual([{ type: 'error', status: 504, kind: 'timeout', message: 'm timeout_error' }]);
    expect(errorOf('billing_error')).toEqual([{ type: 'error', status: 402, kind: 'budget', message: 'm billing_error' }]);
    expect(errorOf('something_new')).toEqual([{ type: 'error', status: 500, kind: 'upstream', message: 'm something_new' }]);
  });

  it('returns an error event for data that is not JSON, and never throws', () => {
    const decoder = anthropicMessages.streamDecoder();
    for (const data of ['{"type": "content_block_delta", "ind', 'not json', '', '[1,2]', 'null']) {
      const events = decoder.decode({ event: 'content_block_delta', data });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'error', kind: 'upstream', status: 502 });
    }
    expect(decoder.done).toBe(false);
  });
});

// ---- encoder ----

describe('anthropic stream encoder', () => {
  it('writes the exact documented sequence, numbering blocks from 0, with usage only at the end', () => {
    const encoder = anthropicMessages.streamEncoder({ id: 'msg_gw1', model: 'client-model', includeUsage: false });
    const start = encoder.encode({ type: 'start', id: 'chatcmpl-upstream', model: 'gpt-upstream' });
    expect(parseEvents(start)).toEqual([
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: 'msg_gw1',
            type: 'message',
            role: 'assistant',
            content: [],
            model: 'client-model',
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
          },
        },
      },
    ]);
    let body = encoder.encode({ type: 'block_start', index: 0, block: 'text' });
    body += encoder.encode({ type: 'text_delta', index: 0, text: 'Hi ' });
    body += encoder.encode({ type: 'text_delta', index: 0, text: 'é🦊' });
    body += encoder.encode({ type: 'block_end', index: 0 });
    // OpenAI sources report the finish reason and then the usage: nothing can be written for them yet.
    expect(encoder.encode({ type: 'finish', stopReason: 'end' })).toBe('');
    expect(encoder.encode({ type: 'usage', usage: { inputTokens: 12, cacheReadTokens: 4, outputTokens: 7, reasoningTokens: 2 } })).toBe('');
    const end = encoder.end();
    expect(parseEvents(body).map((e) => e.data)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'é🦊' } },
      { type: 'content_block_stop', index: 0 },
    ]);
    expect(parseEvents(end)).toEqual([
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 4, output_tokens: 7 },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
    expect(start + body + end).toMatch(/^event: message_start\ndata: \{/);
    expect(encoder.end()).toBe('');
  });

  it('puts usage known at the start into message_start', () => {
    const text = encodeAll([{ type: 'start', id: 'x', model: 'y', usage: { inputTokens: 30, cacheWriteTokens: 8 } }]);
    expect(parseEvents(text)[0]?.data).toMatchObject({ message: { usage: { input_tokens: 30, cache_creation_input_tokens: 8, output_tokens: 0 } } });
  });

  it('re-serialises interleaved parallel tool-call deltas block by block', () => {
    // OpenAI's parallel tool calls: deltas of call 0 and call 1 alternate, and the blocks end at the finish.
    const text = encodeAll([
      { type: 'start', id: 'c', model: 'm' },
      { type: 'block_start', index: 0, block: 'tool_call', id: 'call_a', name: 'weather' },
      { type: 'tool_args_delta', index: 0, json: '{"ci' },
      { type: 'block_start', index: 1, block: 'tool_call', id: 'call_b', name: 'time' },
      { type: 'tool_args_delta', index: 1, json: '{"tz":' },
      { type: 'tool_args_delta', index: 0, json: 'ty": "Paris"}' },
      { type: 'tool_args_delta', index: 1, json: '"CET"}' },
      { type: 'block_end', index: 0 },
      { type: 'block_end', index: 1 },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
    ]);
    const events = parseEvents(text);
    expect(grammarViolations(events)).toEqual([]);
    expect(events.slice(1, -2).map((e) => e.data)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'call_a', name: 'weather', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city": "Paris"}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_b', name: 'time', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"tz":"CET"}' } },
      { type: 'content_block_stop', index: 1 },
    ]);
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { input_tokens: 3, output_tokens: 4 } });
  });

  it('closes blocks a source never ended, in order, at the end', () => {
    const text = encodeAll([
      { type: 'block_start', index: 0, block: 'text' },
      { type: 'text_delta', index: 0, text: 'calling' },
      { type: 'block_start', index: 1, block: 'tool_call', id: 'call_1', name: 'f' },
      { type: 'tool_args_delta', index: 1, json: '{}' },
      { type: 'text_delta', index: 0, text: ' now' },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
    const events = parseEvents(text);
    expect(grammarViolations(events)).toEqual([]);
    expect(events.map((e) => e.data.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('wraps tool arguments that are not a JSON object, so the client can parse its input', () => {
    const events = parseEvents(
      encodeAll([
        { type: 'block_start', index: 0, block: 'tool_call', id: 'call_1', name: 'f' },
        { type: 'tool_args_delta', index: 0, json: '{"a": 1' },
        { type: 'block_end', index: 0 },
      ]),
    );
    const delta = events.find((e) => e.data.type === 'content_block_delta')?.data['delta'] as { partial_json: string };
    expect(JSON.parse(delta.partial_json)).toEqual({ [UNPARSED_ARGUMENTS_KEY]: '{"a": 1' });
  });

  it('writes Anthropic reasoning as thinking or redacted_thinking blocks and drops other families', () => {
    const events = parseEvents(
      encodeAll([
        { type: 'block_start', index: 0, block: 'reasoning', family: 'openai' },
        { type: 'reasoning_delta', index: 0, text: 'openai summary', opaque: 'enc' },
        { type: 'block_end', index: 0 },
        { type: 'block_start', index: 1, block: 'reasoning', family: 'anthropic' },
        { type: 'reasoning_delta', index: 1, text: 'step 1' },
        { type: 'reasoning_delta', index: 1, signature: 'SIG==' },
        { type: 'block_end', index: 1 },
        { type: 'block_start', index: 2, block: 'reasoning', family: 'anthropic' },
        { type: 'reasoning_delta', index: 2, opaque: 'REDACTED' },
        { type: 'block_end', index: 2 },
        { type: 'block_start', index: 3, block: 'text' },
        { type: 'text_delta', index: 3, text: 'answer' },
        { type: 'block_end', index: 3 },
      ]),
    );
    expect(grammarViolations(events)).toEqual([]);
    expect(events.slice(1, -2).map((e) => e.data)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'step 1' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'SIG==' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'REDACTED' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'answer' } },
      { type: 'content_block_stop', index: 2 },
    ]);
  });

  it('writes an error event and nothing after it', () => {
    const encoder = anthropicMessages.streamEncoder({ id: 'm', model: 'x', includeUsage: true });
    const started = encoder.encode({ type: 'block_start', index: 0, block: 'text' });
    const failed = encoder.error({ status: 529, kind: 'overloaded', message: 'Overloaded' });
    expect(parseEvents(failed)).toEqual([{ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }]);
    expect(encoder.encode({ type: 'text_delta', index: 0, text: 'late' })).toBe('');
    expect(encoder.end()).toBe('');
    expect(grammarViolations(parseEvents(started + failed))).toEqual([]);
    // A canonical error event (an upstream stream failing) is written the same way.
    const viaEvent = anthropicMessages.streamEncoder({ id: 'm', model: 'x', includeUsage: false }).encode({ type: 'error', status: 429, kind: 'rate_limit', message: 'slow down' });
    expect(parseEvents(viaEvent)).toEqual([{ event: 'error', data: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } } }]);
  });

  it('produces a stream the official SDK assembles into the expected message', async () => {
    const text = encodeAll([
      { type: 'start', id: 'up', model: 'up', usage: { inputTokens: 11 } },
      { type: 'block_start', index: 0, block: 'reasoning', family: 'anthropic' },
      { type: 'reasoning_delta', index: 0, text: 'hmm' },
      { type: 'reasoning_delta', index: 0, signature: 'S1' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'text' },
      { type: 'text_delta', index: 1, text: 'Sure, café 🦊' },
      { type: 'block_start', index: 2, block: 'tool_call', id: 'call_1', name: 'lookup' },
      { type: 'tool_args_delta', index: 2, json: '{"q":' },
      { type: 'tool_args_delta', index: 2, json: '"x"}' },
      { type: 'block_end', index: 1 },
      { type: 'block_end', index: 2 },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { outputTokens: 21 } },
    ]);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(text);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = new Anthropic({ apiKey: 'k', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries: 0 });
      const message = await client.messages.stream({ model: 'client-model', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      expect(message).toMatchObject({
        id: 'msg_gw1',
        model: 'client-model',
        stop_reason: 'tool_use',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'S1' },
          { type: 'text', text: 'Sure, café 🦊' },
          { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'x' } },
        ],
        usage: { input_tokens: 11, output_tokens: 21 },
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// ---- properties ----

type Planned =
  | { kind: 'text'; pieces: string[] }
  | { kind: 'tool'; id: string; name: string; pieces: string[] }
  | { kind: 'thinking'; pieces: string[]; signature: string }
  | { kind: 'redacted'; opaque: string }
  | { kind: 'foreign'; family: Exclude<Family, 'anthropic'>; pieces: string[] };

const piece = fc.string({ unit: 'grapheme', maxLength: 6 });
const argsText = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3, noNullPrototype: true }).map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 12 }),
);
const planned: fc.Arbitrary<Planned> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), pieces: fc.array(piece, { maxLength: 4 }) }),
  fc.record({
    kind: fc.constant('tool' as const),
    id: fc.stringMatching(/^call_[a-z0-9]{1,8}$/),
    name: fc.stringMatching(/^[a-z_]{1,10}$/),
    pieces: fc.tuple(argsText, fc.integer({ min: 1, max: 4 })).map(([text, n]) => splitInto(text, n)),
  }),
  fc.record({ kind: fc.constant('thinking' as const), pieces: fc.array(piece, { minLength: 1, maxLength: 3 }), signature: fc.base64String({ minLength: 4, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('redacted' as const), opaque: fc.base64String({ minLength: 4, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('foreign' as const), family: fc.constantFrom('openai' as const, 'gemini' as const), pieces: fc.array(piece, { maxLength: 2 }) }),
);

function splitInto(text: string, n: number): string[] {
  const chars = Array.from(text);
  const size = Math.ceil(chars.length / n) || 1;
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function blockEvents(p: Planned, index: number, withEnd: boolean): StreamEvent[] {
  const events: StreamEvent[] = [];
  switch (p.kind) {
    case 'text':
      events.push({ type: 'block_start', index, block: 'text' }, ...p.pieces.map((text): StreamEvent => ({ type: 'text_delta', index, text })));
      break;
    case 'tool':
      events.push({ type: 'block_start', index, block: 'tool_call', id: p.id, name: p.name }, ...p.pieces.map((json): StreamEvent => ({ type: 'tool_args_delta', index, json })));
      break;
    case 'thinking':
      events.push(
        { type: 'block_start', index, block: 'reasoning', family: 'anthropic' },
        ...p.pieces.map((text): StreamEvent => ({ type: 'reasoning_delta', index, text })),
        { type: 'reasoning_delta', index, signature: p.signature },
      );
      break;
    case 'redacted':
      events.push({ type: 'block_start', index, block: 'reasoning', family: 'anthropic' }, { type: 'reasoning_delta', index, opaque: p.opaque });
      break;
    case 'foreign':
      events.push({ type: 'block_start', index, block: 'reasoning', family: p.family }, ...p.pieces.map((text): StreamEvent => ({ type: 'reasoning_delta', index, text, opaque: 'x' })));
      break;
  }
  if (withEnd) events.push({ type: 'block_end', index });
  return events;
}

/**
 * Interleaves the blocks' events as an interleaving source would: each block's own events stay in
 * order, and blocks start in index order; `choices` picks which block advances next.
 */
function interleave(perBlock: StreamEvent[][], choices: number[]): StreamEvent[] {
  const pos = perBlock.map(() => 0);
  const out: StreamEvent[] = [];
  let c = 0;
  for (;;) {
    const ready = perBlock
      .map((events, i) => i)
      .filter((i) => (pos[i] ?? 0) < (perBlock[i]?.length ?? 0) && (pos[i] !== 0 || perBlock.slice(0, i).every((_e, j) => (pos[j] ?? 0) > 0)));
    if (ready.length === 0) return out;
    const pick = ready[(choices[c++ % Math.max(1, choices.length)] ?? 0) % ready.length] as number;
    out.push(perBlock[pick]?.[pos[pick] ?? 0] as StreamEvent);
    pos[pick] = (pos[pick] ?? 0) + 1;
  }
}

const expressibleStop = fc.constantFrom<StopReason>('end', 'max_tokens', 'stop_sequence', 'tool_calls', 'pause', 'refusal');
const partialUsage = fc.record(
  { inputTokens: fc.nat(10_000), outputTokens: fc.nat(10_000), cacheReadTokens: fc.nat(10_000), cacheWriteTokens: fc.nat(10_000) },
  { requiredKeys: [] },
);

interface Scenario {
  plans: Planned[];
  events: StreamEvent[];
  stop: StopReason;
}

const scenario = (withEnds: fc.Arbitrary<boolean>): fc.Arbitrary<Scenario> =>
  fc
    .record({
      plans: fc.array(planned, { maxLength: 6 }),
      choices: fc.array(fc.nat(), { maxLength: 40 }),
      ends: fc.array(withEnds, { minLength: 6, maxLength: 6 }),
      startUsage: fc.option(partialUsage, { nil: undefined }),
      midUsage: fc.array(fc.tuple(fc.nat(), partialUsage), { maxLength: 2 }),
      finalUsage: partialUsage,
      stop: expressibleStop,
      finishFirst: fc.boolean(),
    })
    .map(({ plans, choices, ends, startUsage, midUsage, finalUsage, stop, finishFirst }) => {
      const body = interleave(
        plans.map((p, i) => blockEvents(p, i, ends[i] ?? true)),
        choices,
      );
      for (const [at, usage] of midUsage) body.splice(at % (body.length + 1), 0, { type: 'usage', usage });
      const finish: StreamEvent = stop === 'stop_sequence' ? { type: 'finish', stopReason: stop, stopSequence: '##' } : { type: 'finish', stopReason: stop };
      const usageEv: StreamEvent = { type: 'usage', usage: finalUsage };
      const events: StreamEvent[] = [
        startUsage ? { type: 'start', id: 'up', model: 'up', usage: startUsage } : { type: 'start', id: 'up', model: 'up' },
        ...body,
        ...(finishFirst ? [finish, usageEv] : [usageEv, finish]),
      ];
      return { plans, events, stop };
    });

/** What a client should end up with: visible blocks in order (other families' reasoning is not sent). */
function expectedBlocks(plans: Planned[]): unknown[] {
  return plans.flatMap((p): unknown[] => {
    if (p.kind === 'text') return [{ kind: 'text', text: p.pieces.join('') }];
    if (p.kind === 'tool') return [{ kind: 'tool', id: p.id, name: p.name, input: argumentsToObject(p.pieces.join('')) }];
    if (p.kind === 'thinking') return [{ kind: 'thinking', text: p.pieces.join(''), signature: p.signature }];
    if (p.kind === 'redacted') return [{ kind: 'redacted', opaque: p.opaque }];
    return [];
  });
}

function decodedBlocks(events: StreamEvent[]): unknown[] {
  const blocks = new Map<number, { kind: string; text: string; id?: string; name?: string; signature?: string; opaque?: string }>();
  for (const ev of events) {
    if (ev.type === 'block_start') {
      blocks.set(ev.index, ev.block === 'tool_call' ? { kind: 'tool', text: '', id: ev.id, name: ev.name } : { kind: ev.block, text: '' });
    } else if (ev.type === 'text_delta' || ev.type === 'tool_args_delta') {
      const b = blocks.get(ev.index);
      if (b) b.text += ev.type === 'text_delta' ? ev.text : ev.json;
    } else if (ev.type === 'reasoning_delta') {
      const b = blocks.get(ev.index);
      if (b) {
        b.text += ev.text ?? '';
        if (ev.signature !== undefined) b.signature = ev.signature;
        if (ev.opaque !== undefined) b.opaque = ev.opaque;
      }
    }
  }
  return [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, b]) => {
      if (b.kind === 'text') return { kind: 'text', text: b.text };
      if (b.kind === 'tool') return { kind: 'tool', id: b.id, name: b.name, input: argumentsToObject(b.text) };
      return b.opaque !== undefined ? { kind: 'redacted', opaque: b.opaque } : { kind: 'thinking', text: b.text, signature: b.signature };
    });
}

describe('anthropic stream properties', () => {
  it('canonical events encoded then decoded give the same text, tool calls, reasoning, usage and stop reason', () => {
    fc.assert(
      fc.property(scenario(fc.boolean()), ({ plans, events, stop }) => {
        const { events: decoded, done } = decodeAll(encodeAll(events));
        expect(done).toBe(true);
        expect(decodedBlocks(decoded)).toEqual(expectedBlocks(plans));
        // Later partial counts replace earlier ones field by field, in the order the source sent them.
        const usage = events.reduce<Usage>((u, ev) => (ev.type === 'usage' ? mergeUsage(u, ev.usage) : ev.type === 'start' && ev.usage ? mergeUsage(u, ev.usage) : u), { ...ZERO_USAGE });
        const decodedUsage = decoded.reduce<Usage>((u, ev) => (ev.type === 'usage' ? mergeUsage(u, ev.usage) : u), { ...ZERO_USAGE });
        expect(decodedUsage).toEqual(usage);
        const finishes = decoded.filter((ev) => ev.type === 'finish');
        expect(finishes).toEqual([stop === 'stop_sequence' ? { type: 'finish', stopReason: stop, stopSequence: '##' } : { type: 'finish', stopReason: stop }]);
      }),
      { numRuns: 300 },
    );
  });

  it('an encoded stream always obeys the event-order grammar, however the source interleaves or fails', () => {
    fc.assert(
      fc.property(scenario(fc.boolean()), fc.option(fc.nat(), { nil: undefined }), ({ events }, failAt) => {
        const encoder = anthropicMessages.streamEncoder({ id: 'm', model: 'x', includeUsage: false });
        let text = '';
        for (const [i, ev] of events.entries()) {
          if (failAt !== undefined && i === failAt % events.length) {
            text += encoder.error({ status: 500, kind: 'upstream', message: 'boom' });
            break;
          }
          text += encoder.encode(ev);
        }
        text += encoder.end();
        expect(grammarViolations(parseEvents(text))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('the grammar checker itself rejects broken streams', () => {
    const ok = parseEvents(encodeAll([{ type: 'block_start', index: 0, block: 'text' }, { type: 'block_end', index: 0 }]));
    expect(grammarViolations(ok)).toEqual([]);
    expect(grammarViolations(ok.slice(1))).not.toEqual([]);
    expect(grammarViolations(ok.slice(0, -1))).not.toEqual([]);
    const swapped = [ok[0], ok[2], ok[1], ...ok.slice(3)] as ParsedEvent[];
    expect(grammarViolations(swapped)).not.toEqual([]);
    const misnamed = ok.map((e, i) => (i === 1 ? { ...e, event: 'ping' } : e));
    expect(grammarViolations(misnamed)).not.toEqual([]);
  });
});
