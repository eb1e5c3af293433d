// Responses streams both ways: decoding OpenAI's typed events, encoding them in the documented order (interleaved sources too), and properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SseEvent, StreamEvent } from '../../canonical.js';
import type { Usage } from '../../usage.js';
import { createStreamDecoder as createChatDecoder } from '../openai-chat/stream.js';
import { createStreamDecoder } from './decoder.js';
import { createStreamEncoder } from './encoder.js';
import { sseEventsOf } from '../../../../../test/helpers/sse.js';

type Ev = Record<string, unknown> & { type: string; sequence_number: number };


function events(text: string): Ev[] {
  return sseEventsOf(text).map((f) => JSON.parse(f.data) as Ev);
}

/**
 * The grammar of a Responses stream, as documented and as the openai SDK's accumulator relies on:
 * every frame's `event:` is its data's type; sequence numbers count from 0; created and in_progress
 * come first and one terminal event last; items are added at the next output_index and each is
 * done (with its parts) before the next is added; deltas belong to the open item; the terminal
 * response holds exactly the items that were done. Returns the last event.
 */
function checkGrammar(text: string): Ev {
  const fs = sseEventsOf(text);
  const evs = fs.map((f) => JSON.parse(f.data) as Ev);
  fs.forEach((f, i) => expect(f.event).toBe(evs[i]?.type));
  expect(evs.map((e) => e.sequence_number)).toEqual(evs.map((_, i) => i));
  expect(evs[0]?.type).toBe('response.created');
  expect(evs[1]?.type).toBe('response.in_progress');
  const last = evs.at(-1);
  expect(['response.completed', 'response.incomplete', 'response.failed', 'error']).toContain(last?.type);
  const done: unknown[] = [];
  let open: { index: number; id: string; type: string; parts: number; partOpen: boolean; summaryOpen: boolean } | null = null;
  for (const e of evs.slice(2, -1)) {
    const item = e.item as Record<string, unknown> | undefined;
    switch (e.type) {
      case 'response.output_item.added':
        expect(open).toBeNull();
        expect(e.output_index).toBe(done.length);
        expect(item?.status === undefined || item.status === 'in_progress').toBe(true);
        open = { index: e.output_index as number, id: item?.id as string, type: item?.type as string, parts: 0, partOpen: false, summaryOpen: false };
        break;
      case 'response.output_item.done':
        expect(open?.index).toBe(e.output_index);
        expect(item?.id).toBe(open?.id);
        expect(open?.partOpen || open?.summaryOpen).toBe(false);
        if (item?.type !== 'reasoning') expect(item?.status).toBe('completed');
        done.push(item);
        open = null;
        break;
      case 'response.content_part.added':
        expect(open?.type).toBe('message');
        expect(open?.partOpen).toBe(false);
        expect(e.content_index).toBe(open?.parts);
        if (open) open.partOpen = true;
        break;
      case 'response.content_part.done':
        expect(open?.partOpen).toBe(true);
        if (open) {
          open.partOpen = false;
          open.parts++;
        }
        break;
      case 'response.output_text.delta':
      case 'response.output_text.done':
        expect(open?.partOpen).toBe(true);
        expect(e.item_id).toBe(open?.id);
        break;
      case 'response.function_call_arguments.delta':
      case 'response.function_call_arguments.done':
        expect(open?.type).toBe('function_call');
        expect(e.item_id).toBe(open?.id);
        break;
      case 'response.reasoning_summary_part.added':
        expect(open?.type).toBe('reasoning');
        if (open) open.summaryOpen = true;
        break;
      case 'response.reasoning_summary_part.done':
        expect(open?.summaryOpen).toBe(true);
        if (open) open.summaryOpen = false;
        break;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_summary_text.done':
        expect(open?.summaryOpen).toBe(true);
        break;
      default:
        throw new Error(`unexpected event ${e.type} inside the stream`);
    }
  }
  // An error event cuts the stream wherever it is; anything else ends with every item done.
  if (last?.type !== 'error') {
    expect(open).toBeNull();
    expect((last?.response as Record<string, unknown>).output).toEqual(done);
  }
  return last as Ev;
}

function encodeAll(evs: StreamEvent[], id = 'resp_test'): string {
  const encoder = createStreamEncoder({ id, model: 'gpt-x', includeUsage: false });
  return evs.map((e) => encoder.encode(e)).join('') + encoder.end();
}

const sse = (o: Record<string, unknown>): SseEvent => ({ event: String(o.type), data: JSON.stringify(o) });
const usageWire = { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 17 };

/** A stream as OpenAI sends it: reasoning with encrypted content, a message, a function call. */
function openaiStream(terminal: Record<string, unknown>): SseEvent[] {
  const resp = { id: 'resp_9', object: 'response', created_at: 1, status: 'in_progress', model: 'gpt-5', output: [], usage: null };
  let n = 0;
  const ev = (type: string, f: Record<string, unknown> = {}): SseEvent => sse({ type, ...f, sequence_number: n++ });
  return [
    ev('response.created', { response: resp }),
    ev('response.in_progress', { response: resp }),
    ev('response.output_item.added', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } }),
    ev('response.reasoning_summary_part.added', { item_id: 'rs_1', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } }),
    ev('response.reasoning_summary_text.delta', { item_id: 'rs_1', output_index: 0, summary_index: 0, delta: 'Think' }),
    ev('response.reasoning_summary_text.done', { item_id: 'rs_1', output_index: 0, summary_index: 0, text: 'Think' }),
    ev('response.reasoning_summary_part.done', { item_id: 'rs_1', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: 'Think' } }),
    ev('response.reasoning_summary_part.added', { item_id: 'rs_1', output_index: 0, summary_index: 1, part: { type: 'summary_text', text: '' } }),
    ev('response.reasoning_summary_text.delta', { item_id: 'rs_1', output_index: 0, summary_index: 1, delta: 'More' }),
    ev('response.output_item.done', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [], encrypted_content: 'gAAA+/==' } }),
    ev('response.output_item.added', { output_index: 1, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
    ev('response.content_part.added', { item_id: 'msg_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
    ev('response.output_text.delta', { item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Hel', logprobs: [] }),
    ev('response.output_text.delta', { item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'lo', logprobs: [] }),
    ev('response.output_text.done', { item_id: 'msg_1', output_index: 1, content_index: 0, text: 'Hello', logprobs: [] }),
    ev('response.content_part.done', { item_id: 'msg_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: 'Hello', annotations: [] } }),
    ev('response.output_item.done', { output_index: 1, item: { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [] } }),
    ev('response.output_item.added', { output_index: 2, item: { id: 'fc_1', type: 'function_call', status: 'in_progress', call_id: 'call_1', name: 'f', arguments: '' } }),
    ev('response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 2, delta: '{"a"' }),
    ev('response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 2, delta: ':1}' }),
    ev('response.function_call_arguments.done', { item_id: 'fc_1', output_index: 2, name: 'f', arguments: '{"a":1}' }),
    ev('response.output_item.done', { output_index: 2, item: { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' } }),
    ev(String(terminal.type), { response: { ...resp, ...(terminal.response as object), usage: usageWire } }),
  ];
}

describe('stream decoder', () => {
  it('decodes reasoning (id, summaries, encrypted content), text and a function call, then usage and the finish', () => {
    const decoder = createStreamDecoder();
    const out = openaiStream({ type: 'response.completed', response: { status: 'completed' } }).flatMap((e) => {
      expect(decoder.done).toBe(false);
      return decoder.decode(e);
    });
    expect(decoder.done).toBe(true);
    expect(out).toEqual([
      { type: 'start', id: 'resp_9', model: 'gpt-5' },
      { type: 'block_start', index: 0, block: 'reasoning', family: 'openai' },
      { type: 'reasoning_delta', index: 0, signature: 'rs_1' },
      { type: 'reasoning_delta', index: 0, text: 'Think' },
      { type: 'reasoning_delta', index: 0, text: '\n\nMore' },
      { type: 'reasoning_delta', index: 0, opaque: 'gAAA+/==' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'text' },
      { type: 'text_delta', index: 1, text: 'Hel' },
      { type: 'text_delta', index: 1, text: 'lo' },
      { type: 'block_end', index: 1 },
      { type: 'block_start', index: 2, block: 'tool_call', id: 'call_1', name: 'f' },
      { type: 'tool_args_delta', index: 2, json: '{"a"' },
      { type: 'tool_args_delta', index: 2, json: ':1}' },
      { type: 'block_end', index: 2 },
      { type: 'usage', usage: { inputTokens: 6, cacheReadTokens: 4, cacheWriteTokens: 0, outputTokens: 7, reasoningTokens: 3 } },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
  });

  it('reads response.incomplete as max_tokens (or content_filter) and is done after it', () => {
    const decoder = createStreamDecoder();
    const out = openaiStream({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } }).flatMap((e) => decoder.decode(e));
    expect(out.at(-1)).toEqual({ type: 'finish', stopReason: 'max_tokens' });
    expect(decoder.done).toBe(true);
    const filtered = createStreamDecoder().decode(sse({ type: 'response.incomplete', response: { id: 'r', status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] } }));
    expect(filtered.at(-1)).toEqual({ type: 'finish', stopReason: 'content_filter' });
  });

  it('reads response.failed as an error event and is done', () => {
    const decoder = createStreamDecoder();
    decoder.decode(sse({ type: 'response.created', response: { id: 'r', model: 'm' } }));
    const out = decoder.decode(sse({ type: 'response.failed', response: { id: 'r', status: 'failed', error: { code: 'rate_limit_exceeded', message: 'slow down' } } }));
    expect(out).toEqual([{ type: 'error', status: 429, kind: 'rate_limit', message: 'slow down' }]);
    expect(decoder.done).toBe(true);
  });

  it('reads the error event in the SDK shape and in the envelope shape', () => {
    expect(createStreamDecoder().decode(sse({ type: 'error', code: 'insufficient_quota', message: 'no money', param: null, sequence_number: 3 }))).toEqual([
      { type: 'error', status: 429, kind: 'budget', message: 'no money' },
    ]);
    expect(createStreamDecoder().decode({ event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'server_error', message: 'boom' } }) })).toEqual([
      { type: 'error', status: 502, kind: 'upstream', message: 'boom' },
    ]);
  });

  it('turns bad JSON into an error event instead of throwing', () => {
    const decoder = createStreamDecoder();
    expect(decoder.decode({ event: 'response.output_text.delta', data: '{"type": "response.out' })).toEqual([
      { type: 'error', status: 502, kind: 'upstream', message: 'the provider sent a stream event that is not JSON: {"type": "response.out' },
    ]);
    expect(decoder.decode({ data: '[1,2]' })[0]).toMatchObject({ type: 'error', kind: 'upstream' });
    expect(decoder.done).toBe(false);
  });

  it('takes text, arguments and reasoning from done events when a server sends no deltas', () => {
    const decoder = createStreamDecoder();
    const out = [
      sse({ type: 'response.created', response: { id: 'r', model: 'm' } }),
      sse({ type: 'response.output_item.done', output_index: 0, item: { id: 'rs', type: 'reasoning', summary: [{ type: 'summary_text', text: 'S' }] } }),
      sse({ type: 'response.output_item.done', output_index: 1, item: { id: 'm', type: 'message', content: [{ type: 'output_text', text: 'whole' }] } }),
      sse({ type: 'response.output_item.added', output_index: 2, item: { id: 'fc', type: 'function_call', call_id: 'c', name: 'f', arguments: '' } }),
      sse({ type: 'response.function_call_arguments.done', output_index: 2, item_id: 'fc', arguments: '{}' }),
      sse({ type: 'response.output_item.done', output_index: 2, item: { id: 'fc', type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' } }),
      sse({ type: 'response.completed', response: { id: 'r', status: 'completed', output: [] } }),
    ].flatMap((e) => decoder.decode(e));
    expect(out.filter((e) => e.type !== 'block_start' && e.type !== 'block_end')).toEqual([
      { type: 'start', id: 'r', model: 'm' },
      { type: 'reasoning_delta', index: 0, signature: 'rs' },
      { type: 'reasoning_delta', index: 0, text: 'S' },
      { type: 'text_delta', index: 1, text: 'whole' },
      { type: 'tool_args_delta', index: 2, json: '{}' },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
  });
});

describe('stream encoder', () => {
  it('writes the documented sequence for reasoning, text and a function call, with usage in response.completed', () => {
    const text = encodeAll([
      { type: 'start', id: 'ignored', model: 'ignored' },
      { type: 'block_start', index: 0, block: 'reasoning', family: 'openai' },
      { type: 'reasoning_delta', index: 0, signature: 'rs_abc' },
      { type: 'reasoning_delta', index: 0, text: 'Plan' },
      { type: 'reasoning_delta', index: 0, opaque: 'enc==' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'text' },
      { type: 'text_delta', index: 1, text: 'Hi' },
      { type: 'text_delta', index: 1, text: '!' },
      { type: 'block_end', index: 1 },
      { type: 'block_start', index: 2, block: 'tool_call', id: 'call_1', name: 'f' },
      { type: 'tool_args_delta', index: 2, json: '{}' },
      { type: 'block_end', index: 2 },
      { type: 'usage', usage: { inputTokens: 5, cacheReadTokens: 1, outputTokens: 9, reasoningTokens: 2 } },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
    const evs = events(text);
    expect(evs.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(evs[0]).toMatchObject({ sequence_number: 0, response: { id: 'resp_test', object: 'response', status: 'in_progress', model: 'gpt-x', output: [] } });
    expect(evs[2]).toEqual({ type: 'response.output_item.added', output_index: 0, item: { id: 'rs_abc', type: 'reasoning', summary: [] }, sequence_number: 2 });
    expect(evs[7]?.item).toEqual({ id: 'rs_abc', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan' }], encrypted_content: 'enc==' });
    const msgId = (evs[8]?.item as { id: string }).id;
    expect(msgId).toMatch(/^msg_/);
    expect(evs[10]).toEqual({ type: 'response.output_text.delta', item_id: msgId, output_index: 1, content_index: 0, delta: 'Hi', logprobs: [], sequence_number: 10 });
    expect(evs[12]).toMatchObject({ type: 'response.output_text.done', text: 'Hi!' });
    expect(evs[15]?.item).toMatchObject({ type: 'function_call', status: 'in_progress', call_id: 'call_1', name: 'f', arguments: '' });
    expect(evs[17]).toMatchObject({ type: 'response.function_call_arguments.done', output_index: 2, name: 'f', arguments: '{}' });
    const completed = checkGrammar(text);
    expect(completed.response).toMatchObject({
      status: 'completed',
      usage: { input_tokens: 6, input_tokens_details: { cached_tokens: 1 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 15 },
    });
    expect(text.split('\n\n')[0]).toMatch(/^event: response\.created\ndata: \{"type":"response\.created"/);
  });

  it('keeps OpenAI encrypted reasoning byte for byte and drops another family’s reasoning entirely', () => {
    const opaque = 'gAAAAB\u00e9\u2028+/==';
    const text = encodeAll([
      { type: 'start', id: 'x', model: 'y' },
      { type: 'block_start', index: 0, block: 'reasoning', family: 'anthropic' },
      { type: 'reasoning_delta', index: 0, text: 'claude thinks' },
      { type: 'reasoning_delta', index: 0, signature: 'EqQBCkYI' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'reasoning', family: 'openai' },
      { type: 'reasoning_delta', index: 1, opaque },
      { type: 'block_end', index: 1 },
      { type: 'block_start', index: 2, block: 'text' },
      { type: 'text_delta', index: 2, text: 'ok' },
      { type: 'block_end', index: 2 },
      { type: 'finish', stopReason: 'end' },
    ]);
    expect(text).not.toContain('claude thinks');
    expect(text).not.toContain('EqQBCkYI');
    const completed = checkGrammar(text);
    const output = (completed.response as { output: Record<string, unknown>[] }).output;
    expect(output.map((i) => i.type)).toEqual(['reasoning', 'message']);
    expect(output[0]?.encrypted_content).toBe(opaque);
    expect(output[0]?.summary).toEqual([]);
  });

  it('writes interleaved parallel tool calls from a Chat stream one item at a time', () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): SseEvent => ({
      data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const chat = createChatDecoder();
    const canonical = [
      chunk({ role: 'assistant', content: 'Two.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '{"tz":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '"UTC"}' } }, { index: 0, function: { arguments: '"Oslo"}' } }] }),
      chunk({}, 'tool_calls'),
      { data: '[DONE]' },
    ].flatMap((e) => chat.decode(e));
    // The source really interleaves: a delta for block 1 comes after block 2 started.
    expect(canonical.findIndex((e) => e.type === 'tool_args_delta' && e.index === 1)).toBeGreaterThan(canonical.findIndex((e) => e.type === 'block_start' && e.index === 2));
    const text = encodeAll(canonical);
    const completed = checkGrammar(text);
    expect((completed.response as { output: unknown[] }).output).toMatchObject([
      { type: 'message', content: [{ text: 'Two.' }] },
      { type: 'function_call', call_id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call', call_id: 'call_b', name: 'time', arguments: '{"tz":"UTC"}' },
    ]);
    // The first call streams live; the second is written whole once the first is done.
    const argDeltas = events(text).filter((e) => e.type === 'response.function_call_arguments.delta');
    expect(argDeltas.map((e) => [e.output_index, e.delta])).toEqual([
      [1, '{"city":'],
      [1, '"Oslo"}'],
      [2, '{"tz":"UTC"}'],
    ]);
  });

  it('ends with response.incomplete for max_tokens and content_filter', () => {
    for (const [stop, reason] of [
      ['max_tokens', 'max_output_tokens'],
      ['content_filter', 'content_filter'],
    ] as const) {
      const last = checkGrammar(encodeAll([{ type: 'block_start', index: 0, block: 'text' }, { type: 'text_delta', index: 0, text: 'cut' }, { type: 'finish', stopReason: stop }]));
      expect(last).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason } } });
    }
  });

  it('writes a well-formed empty response when the source had no content', () => {
    const last = checkGrammar(encodeAll([{ type: 'start', id: 'a', model: 'b' }, { type: 'finish', stopReason: 'end' }]));
    expect(last.response).toMatchObject({ status: 'completed', output: [] });
  });

  it('writes error() as an error event and nothing after it', () => {
    const encoder = createStreamEncoder({ id: 'resp_e', model: 'm', includeUsage: true });
    const head = encoder.encode({ type: 'block_start', index: 0, block: 'text' }) + encoder.encode({ type: 'text_delta', index: 0, text: 'part' });
    const err = encoder.error({ status: 429, kind: 'rate_limit', message: 'slow down', code: 'rate_limited' });
    expect(events(err)).toEqual([{ type: 'error', code: 'rate_limited', message: 'slow down', param: null, sequence_number: 5 }]);
    expect(sseEventsOf(err)[0]?.event).toBe('error');
    expect(encoder.encode({ type: 'text_delta', index: 0, text: 'more' })).toBe('');
    expect(encoder.end()).toBe('');
    checkGrammar(head + err);
  });

  it('writes an error stream event the same way, even as the first thing', () => {
    const encoder = createStreamEncoder({ id: 'resp_e', model: 'm', includeUsage: true });
    const text = encoder.encode({ type: 'error', status: 503, kind: 'overloaded', message: 'busy' });
    expect(events(text).map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'error']);
    expect(events(text)[2]).toMatchObject({ code: null, message: 'busy', param: null });
  });
});

// ---- properties: every encoded stream obeys the grammar and decodes back to what was encoded

type Block = { kind: 'text'; deltas: string[] } | { kind: 'reasoning'; id: string; deltas: string[]; opaque?: string } | { kind: 'tool'; id: string; name: string; deltas: string[] };
const delta = fc.string({ minLength: 1, maxLength: 12 });
const word = fc.stringMatching(/^[a-zA-Z0-9_]{1,12}$/);
const block: fc.Arbitrary<Block> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), deltas: fc.array(delta, { maxLength: 4 }) }),
  fc.record(
    { kind: fc.constant('reasoning' as const), id: word.map((w) => `rs_${w}`), deltas: fc.array(delta, { maxLength: 4 }), opaque: fc.base64String({ minLength: 4, maxLength: 40 }) },
    { requiredKeys: ['kind', 'id', 'deltas'] },
  ),
  fc.record({ kind: fc.constant('tool' as const), id: word, name: word, deltas: fc.array(delta, { maxLength: 4 }) }),
);
const count = fc.integer({ min: 0, max: 1_000_000 });
const usageArb: fc.Arbitrary<Usage> = fc.record({ inputTokens: count, cacheReadTokens: count, cacheWriteTokens: count, outputTokens: count, reasoningTokens: count });

/** Canonical events for the blocks; with `interleave`, tool blocks stay open to the end as OpenAI Chat's decoder leaves them. */
function eventsOf(blocks: Block[], usage: Usage, stop: 'end' | 'tool_calls' | 'max_tokens', interleave: boolean): StreamEvent[] {
  const out: StreamEvent[] = [{ type: 'start', id: 'x', model: 'y' }];
  const late: StreamEvent[] = [];
  blocks.forEach((b, index) => {
    if (b.kind === 'tool') out.push({ type: 'block_start', index, block: 'tool_call', id: b.id, name: b.name });
    else if (b.kind === 'text') out.push({ type: 'block_start', index, block: 'text' });
    else out.push({ type: 'block_start', index, block: 'reasoning', family: 'openai' }, { type: 'reasoning_delta', index, signature: b.id });
    b.deltas.forEach((d, i) => {
      const ev: StreamEvent = b.kind === 'tool' ? { type: 'tool_args_delta', index, json: d } : b.kind === 'text' ? { type: 'text_delta', index, text: d } : { type: 'reasoning_delta', index, text: d };
      // Interleaved: a tool call's later deltas come after the blocks that follow it.
      (interleave && b.kind === 'tool' && i > 0 ? late : out).push(ev);
    });
    if (b.kind === 'reasoning' && b.opaque !== undefined) out.push({ type: 'reasoning_delta', index, opaque: b.opaque });
    (interleave && b.kind === 'tool' ? late : out).push({ type: 'block_end', index });
  });
  out.push(...late.sort((a, b) => (a.type === 'block_end' ? 1 : 0) - (b.type === 'block_end' ? 1 : 0)));
  out.push({ type: 'usage', usage }, { type: 'finish', stopReason: stop });
  return out;
}

/** What a reader of the stream sees: text per block in order, reasoning with its id and encrypted content, each tool call whole, usage, finish. */
function summary(evs: StreamEvent[]): unknown {
  const blocks = new Map<number, { kind: string; id?: string; name?: string; text: string; signature?: string; opaque?: string }>();
  let usage: unknown;
  let finish: unknown;
  for (const e of evs) {
    if (e.type === 'block_start') blocks.set(e.index, { kind: e.block, text: '', ...(e.block === 'tool_call' ? { id: e.id, name: e.name } : {}) });
    else if (e.type === 'text_delta' || e.type === 'tool_args_delta') {
      const b = blocks.get(e.index);
      if (b) b.text += e.type === 'text_delta' ? e.text : e.json;
    } else if (e.type === 'reasoning_delta') {
      const b = blocks.get(e.index);
      if (!b) continue;
      b.text += e.text ?? '';
      if (e.signature !== undefined) b.signature = e.signature;
      if (e.opaque !== undefined) b.opaque = (b.opaque ?? '') + e.opaque;
    } else if (e.type === 'usage') usage = e.usage;
    else if (e.type === 'finish') finish = e.stopReason;
  }
  return { blocks: [...blocks.entries()].sort(([a], [b]) => a - b).map(([, b]) => b), usage, finish };
}

describe('stream properties', () => {
  const stop = fc.constantFrom('end' as const, 'max_tokens' as const);
  it('an encoded stream always obeys the grammar and decodes back to the same text, reasoning, tool calls, usage and finish', () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 6 }), usageArb, stop, (blocks, usage, s) => {
        const reason = s === 'end' && blocks.some((b) => b.kind === 'tool') ? 'tool_calls' : s;
        const evs = eventsOf(blocks, usage, reason, false);
        const text = encodeAll(evs);
        checkGrammar(text);
        const decoder = createStreamDecoder();
        const decoded = sseEventsOf(text).flatMap((f) => decoder.decode(f));
        expect(decoder.done).toBe(true);
        expect(summary(decoded)).toEqual(summary(evs));
      }),
      { numRuns: 300 },
    );
  });

  it('interleaved sources (tool calls left open) still give a valid stream with every call whole', () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 6 }), usageArb, (blocks, usage) => {
        const evs = eventsOf(blocks, usage, blocks.some((b) => b.kind === 'tool') ? 'tool_calls' : 'end', true);
        const text = encodeAll(evs);
        checkGrammar(text);
        const decoder = createStreamDecoder();
        const decoded = sseEventsOf(text).flatMap((f) => decoder.decode(f));
        // Blocks may be renumbered by the order they were written; their content is the same.
        expect(summary(decoded)).toEqual(summary(evs));
      }),
      { numRuns: 300 },
    );
  });
});
