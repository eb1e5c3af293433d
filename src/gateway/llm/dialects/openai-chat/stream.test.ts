// Chat Completions streams both ways: decoder pitfalls (parallel tool calls, usage chunks, bad JSON), encoder frames, and a property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SseEvent, StreamEvent } from '../../canonical.js';
import type { Usage } from '../../usage.js';
import { createStreamDecoder, createStreamEncoder } from './stream.js';
import { sseEventsOf } from '../../../../../test/helpers/sse.js';

const base = { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };
const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): SseEvent => ({
  data: JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra }),
});
const usageChunk = (usage: Record<string, unknown>): SseEvent => ({ data: JSON.stringify({ ...base, choices: [], usage }) });
const DONE: SseEvent = { data: '[DONE]' };

function decodeAll(events: SseEvent[]): StreamEvent[] {
  const decoder = createStreamDecoder();
  return events.flatMap((ev) => decoder.decode(ev));
}


describe('stream decoder', () => {
  it('decodes a text stream with a final usage chunk and [DONE]', () => {
    const decoder = createStreamDecoder();
    const events = [
      chunk({ role: 'assistant', content: '', refusal: null }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({}, 'stop'),
      usageChunk({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 4 } }),
    ].flatMap((ev) => decoder.decode(ev));
    expect(decoder.done).toBe(false);
    expect(decoder.decode(DONE)).toEqual([]);
    expect(decoder.done).toBe(true);
    expect(events).toEqual([
      { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o' },
      { type: 'block_start', index: 0, block: 'text' },
      { type: 'text_delta', index: 0, text: 'Hel' },
      { type: 'text_delta', index: 0, text: 'lo' },
      { type: 'block_end', index: 0 },
      { type: 'finish', stopReason: 'end' },
      { type: 'usage', usage: { inputTokens: 5, cacheReadTokens: 4, cacheWriteTokens: 0, outputTokens: 2, reasoningTokens: 0 } },
    ]);
  });

  it('ends the reasoning block before the text block starts', () => {
    const events = decodeAll([chunk({ reasoning_content: 'think ' }), chunk({ reasoning: 'more' }), chunk({ content: 'answer' }), chunk({}, 'length')]);
    expect(events.slice(1)).toEqual([
      { type: 'block_start', index: 0, block: 'reasoning', family: 'openai' },
      { type: 'reasoning_delta', index: 0, text: 'think ' },
      { type: 'reasoning_delta', index: 0, text: 'more' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'text' },
      { type: 'text_delta', index: 1, text: 'answer' },
      { type: 'block_end', index: 1 },
      { type: 'finish', stopReason: 'max_tokens' },
    ]);
  });

  it('keeps interleaved parallel tool-call deltas apart by their index, arguments verbatim', () => {
    const events = decodeAll([
      chunk({ role: 'assistant', content: 'Two calls.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '{"tz":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city": ' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '"UTC"}' } }, { index: 0, function: { arguments: 'not json' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    expect(events.slice(1)).toEqual([
      { type: 'block_start', index: 0, block: 'text' },
      { type: 'text_delta', index: 0, text: 'Two calls.' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'tool_call', id: 'call_a', name: 'weather' },
      { type: 'block_start', index: 2, block: 'tool_call', id: 'call_b', name: 'time' },
      { type: 'tool_args_delta', index: 2, json: '{"tz":' },
      { type: 'tool_args_delta', index: 1, json: '{"city": ' },
      { type: 'tool_args_delta', index: 2, json: '"UTC"}' },
      { type: 'tool_args_delta', index: 1, json: 'not json' },
      { type: 'block_end', index: 1 },
      { type: 'block_end', index: 2 },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
  });

  it('tells tool calls apart by id when a server omits their index', () => {
    const events = decodeAll([
      chunk({ tool_calls: [{ id: 'x1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ id: 'x2', type: 'function', function: { name: 'g', arguments: '{"a":1}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    const starts = events.filter((e) => e.type === 'block_start');
    expect(starts).toEqual([
      { type: 'block_start', index: 0, block: 'tool_call', id: 'x1', name: 'f' },
      { type: 'block_start', index: 1, block: 'tool_call', id: 'x2', name: 'g' },
    ]);
  });

  it('reports usage given on a content chunk, as some compatible servers do', () => {
    const events = decodeAll([chunk({ content: 'hi' }, 'stop', { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })]);
    expect(events.map((e) => e.type)).toEqual(['start', 'block_start', 'text_delta', 'block_end', 'finish', 'usage']);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 1, reasoningTokens: 0 } });
    // include_usage makes every other chunk carry usage: null, which is not a report.
    expect(decodeAll([chunk({ content: 'hi' }, null, { usage: null })]).map((e) => e.type)).toEqual(['start', 'block_start', 'text_delta']);
  });

  it('turns invalid JSON and error frames into error events instead of throwing', () => {
    const decoder = createStreamDecoder();
    expect(decoder.decode({ data: '{"id": "x", "choi' })).toEqual([{ type: 'error', status: 502, kind: 'upstream', message: expect.stringContaining('not JSON') as unknown }]);
    expect(decoder.decode({ data: '"a string"' })).toMatchObject([{ type: 'error', kind: 'upstream' }]);
    expect(decoder.decode({ data: JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }) })).toEqual([
      { type: 'error', status: 429, kind: 'rate_limit', message: 'Rate limit reached' },
    ]);
    expect(decoder.decode({ data: JSON.stringify({ error: { message: 'overloaded', code: 503 } }) })).toEqual([{ type: 'error', status: 503, kind: 'overloaded', message: 'overloaded' }]);
    expect(decoder.done).toBe(false);
  });

  it('finishes a stream that reaches [DONE] without a finish_reason', () => {
    const events = decodeAll([chunk({ content: 'cut short' }), DONE]);
    expect(events.slice(-2)).toEqual([
      { type: 'block_end', index: 0 },
      { type: 'finish', stopReason: 'end' },
    ]);
  });
});

describe('stream encoder', () => {
  const usage: Usage = { inputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: 0, outputTokens: 4, reasoningTokens: 1 };
  const sequence: StreamEvent[] = [
    { type: 'start', id: 'msg_1', model: 'claude', usage: { inputTokens: 7 } },
    { type: 'block_start', index: 0, block: 'reasoning', family: 'anthropic' },
    { type: 'reasoning_delta', index: 0, text: 'hmm' },
    { type: 'reasoning_delta', index: 0, signature: 'sig' },
    { type: 'block_end', index: 0 },
    { type: 'block_start', index: 1, block: 'text' },
    { type: 'text_delta', index: 1, text: 'Hi' },
    { type: 'block_end', index: 1 },
    { type: 'block_start', index: 2, block: 'tool_call', id: 'toolu_1', name: 'f' },
    { type: 'tool_args_delta', index: 2, json: '{"a":' },
    { type: 'tool_args_delta', index: 2, json: '1}' },
    { type: 'block_end', index: 2 },
    { type: 'usage', usage },
    { type: 'finish', stopReason: 'tool_calls' },
  ];

  it('writes OpenAI chunks, then the usage chunk and [DONE] when usage was asked for', () => {
    const encoder = createStreamEncoder({ id: 'req-1', model: 'my-alias', includeUsage: true });
    const text = sequence.map((e) => encoder.encode(e)).join('') + encoder.end();
    const events = sseEventsOf(text);
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(chunks.every((c) => c.id === 'req-1' && c.object === 'chat.completion.chunk' && c.model === 'my-alias' && typeof c.created === 'number')).toBe(true);
    const choices = chunks.map((c) => c.choices);
    expect(choices).toEqual([
      [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
      [{ index: 0, delta: { reasoning_content: 'hmm' }, logprobs: null, finish_reason: null }],
      [{ index: 0, delta: { content: 'Hi' }, logprobs: null, finish_reason: null }],
      [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '' } }] }, logprobs: null, finish_reason: null }],
      [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }, logprobs: null, finish_reason: null }],
      [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] }, logprobs: null, finish_reason: null }],
      [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }],
      [],
    ]);
    // With include_usage every chunk has usage: null but the last, which has the counts.
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 4,
      total_tokens: 14,
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
  });

  it('writes no usage anywhere when the client did not ask for it', () => {
    const encoder = createStreamEncoder({ id: 'req-1', model: 'm', includeUsage: false });
    const text = sequence.map((e) => encoder.encode(e)).join('') + encoder.end();
    expect(text).not.toContain('usage');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('numbers tool calls by their order, whatever their block index', () => {
    const encoder = createStreamEncoder({ id: 'r', model: 'm', includeUsage: false });
    const text = [
      encoder.encode({ type: 'block_start', index: 3, block: 'tool_call', id: 'a', name: 'f' }),
      encoder.encode({ type: 'block_start', index: 5, block: 'tool_call', id: 'b', name: 'g' }),
      encoder.encode({ type: 'tool_args_delta', index: 3, json: '{}' }),
      encoder.encode({ type: 'tool_args_delta', index: 9, json: 'orphan' }),
    ].join('');
    const deltas = sseEventsOf(text).map((f) => (JSON.parse(f.data) as { choices: { delta: Record<string, unknown> }[] }).choices[0]?.delta);
    expect(deltas).toEqual([
      { role: 'assistant', content: '' },
      { tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 1, id: 'b', type: 'function', function: { name: 'g', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
    ]);
  });

  it('writes errors in OpenAI error shape, whether from error() or an error event', () => {
    const encoder = createStreamEncoder({ id: 'r', model: 'm', includeUsage: true });
    expect(sseEventsOf(encoder.error({ status: 429, kind: 'rate_limit', message: 'slow down', code: 'rate_limited' }))).toEqual([
      { data: JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limited' } }) },
    ]);
    expect(JSON.parse(sseEventsOf(encoder.encode({ type: 'error', status: 529, kind: 'overloaded', message: 'busy' }))[0]?.data ?? '')).toEqual({
      error: { message: 'busy', type: 'api_error', param: null, code: null },
    });
  });
});

// ---- property: what the encoder writes, the decoder reads back

type Block = { kind: 'text'; deltas: string[] } | { kind: 'reasoning'; deltas: string[] } | { kind: 'tool'; id: string; name: string; deltas: string[] };
const delta = fc.string({ minLength: 1, maxLength: 12 });
const block: fc.Arbitrary<Block> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), deltas: fc.array(delta, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('reasoning' as const), deltas: fc.array(delta, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('tool' as const), id: delta, name: delta, deltas: fc.array(delta, { maxLength: 4 }) }),
);
const count = fc.integer({ min: 0, max: 1_000_000 });
const usageArb = fc.record({ inputTokens: count, cacheReadTokens: count, cacheWriteTokens: fc.constant(0), outputTokens: count, reasoningTokens: count });

function eventsOf(blocks: Block[], usage: Usage): StreamEvent[] {
  const out: StreamEvent[] = [{ type: 'start', id: 'x', model: 'y' }];
  blocks.forEach((b, index) => {
    if (b.kind === 'tool') out.push({ type: 'block_start', index, block: 'tool_call', id: b.id, name: b.name });
    else if (b.kind === 'text') out.push({ type: 'block_start', index, block: 'text' });
    else out.push({ type: 'block_start', index, block: 'reasoning', family: 'openai' });
    for (const d of b.deltas) {
      if (b.kind === 'tool') out.push({ type: 'tool_args_delta', index, json: d });
      else if (b.kind === 'text') out.push({ type: 'text_delta', index, text: d });
      else out.push({ type: 'reasoning_delta', index, text: d });
    }
    out.push({ type: 'block_end', index });
  });
  out.push({ type: 'usage', usage }, { type: 'finish', stopReason: blocks.some((b) => b.kind === 'tool') ? 'tool_calls' : 'end' });
  return out;
}

/** What a reader of the stream sees: all text, all reasoning, each tool call whole, the last usage. */
function summary(events: StreamEvent[]): { text: string; reasoning: string; tools: { id: string; name: string; args: string }[]; usage: unknown; finish: unknown } {
  const tools = new Map<number, { id: string; name: string; args: string }>();
  let text = '';
  let reasoning = '';
  let usage: unknown;
  let finish: unknown;
  for (const e of events) {
    if (e.type === 'text_delta') text += e.text;
    else if (e.type === 'reasoning_delta') reasoning += e.text ?? '';
    else if (e.type === 'block_start' && e.block === 'tool_call') tools.set(e.index, { id: e.id, name: e.name, args: '' });
    else if (e.type === 'tool_args_delta') {
      const t = tools.get(e.index);
      if (t) t.args += e.json;
    } else if (e.type === 'usage') usage = e.usage;
    else if (e.type === 'finish') finish = e.stopReason;
  }
  return { text, reasoning, tools: [...tools.values()], usage, finish };
}

describe('stream round trip', () => {
  it('canonical events -> chunks -> canonical events keep text, reasoning, tool calls, usage and finish', () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 5 }), usageArb, (blocks, usage) => {
        const events = eventsOf(blocks, usage);
        const encoder = createStreamEncoder({ id: 'r', model: 'm', includeUsage: true });
        const wire = events.map((e) => encoder.encode(e)).join('') + encoder.end();
        const decoder = createStreamDecoder();
        const decoded = sseEventsOf(wire).flatMap((f) => decoder.decode(f));
        expect(decoder.done).toBe(true);
        expect(summary(decoded)).toEqual(summary(events));
      }),
      { numRuns: 300 },
    );
  });
});
