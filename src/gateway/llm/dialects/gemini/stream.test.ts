// Tests for Gemini SSE streams <-> canonical events, including a real stream from the mock Gemini server.
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { SseEvent, StreamEvent } from '../../canonical.js';
import { readSse } from '../../sse.js';
import { MOCK_GEMINI_KEY, startMockGemini, type MockGemini } from '../../../../../test/fixtures/mock-gemini.js';
import { createStreamDecoder, createStreamEncoder } from './stream.js';

const data = (chunk: unknown): SseEvent => ({ data: JSON.stringify(chunk) });

function decodeAll(events: SseEvent[]): { out: StreamEvent[]; done: boolean } {
  const decoder = createStreamDecoder();
  const out = events.flatMap((e) => decoder.decode(e));
  return { out, done: decoder.done };
}

/** The JSON payloads of the frames an encoder wrote. */
function payloads(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .filter((f) => f !== '')
    .map((f) => {
      expect(f.startsWith('data: ')).toBe(true);
      return JSON.parse(f.slice('data: '.length)) as Record<string, unknown>;
    });
}

function partsOf(chunk: Record<string, unknown>): unknown[] {
  return ((chunk.candidates as { content: { parts: unknown[] } }[])[0]?.content.parts ?? []) as unknown[];
}

describe('Gemini stream decoder', () => {
  it('turns text, thoughts and signatures into blocks, and finishReason into the end', () => {
    const meta = { modelVersion: 'gemini-2.5-flash', responseId: 'r1' };
    const { out, done } = decodeAll([
      data({ candidates: [{ content: { role: 'model', parts: [{ text: 'hmm', thought: true }] }, index: 0 }], usageMetadata: { promptTokenCount: 10 }, ...meta }),
      data({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel', thoughtSignature: 'S' }] }, index: 0 }], ...meta }),
      data({ candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, index: 0 }], ...meta }),
      data({
        candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 15 },
        ...meta,
      }),
    ]);
    expect(out).toEqual([
      { type: 'start', id: 'r1', model: 'gemini-2.5-flash' },
      { type: 'block_start', index: 0, block: 'reasoning', family: 'gemini' },
      { type: 'reasoning_delta', index: 0, text: 'hmm' },
      { type: 'usage', usage: { inputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 } },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'reasoning', family: 'gemini' },
      { type: 'reasoning_delta', index: 1, signature: 'S' },
      { type: 'block_end', index: 1 },
      { type: 'block_start', index: 2, block: 'text' },
      { type: 'text_delta', index: 2, text: 'Hel' },
      { type: 'text_delta', index: 2, text: 'lo' },
      { type: 'text_delta', index: 2, text: '!' },
      { type: 'usage', usage: { inputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 5, reasoningTokens: 2 } },
      { type: 'block_end', index: 2 },
      { type: 'finish', stopReason: 'end' },
    ]);
    expect(done).toBe(true);
  });

  it('emits each function call whole, with distinct generated ids, and finishes with tool_calls', () => {
    const { out } = decodeAll([
      data({ candidates: [{ content: { parts: [{ text: 'Calling.' }, { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'T' }] } }], responseId: 'r2' }),
      data({ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: 'odd' } }, { functionCall: { id: 'given', name: 'g' } }] }, finishReason: 'STOP' }] }),
    ]);
    const starts = out.filter((e): e is Extract<StreamEvent, { type: 'block_start'; block: 'tool_call' }> => e.type === 'block_start' && e.block === 'tool_call');
    expect(starts.map((s) => s.name)).toEqual(['f', 'f', 'g']);
    expect(starts[0]?.id).toMatch(/^gemgen_/);
    expect(starts[1]?.id).toMatch(/^gemgen_/);
    expect(starts[0]?.id).not.toBe(starts[1]?.id);
    expect(starts[2]?.id).toBe('given');
    expect(out.filter((e) => e.type === 'tool_args_delta').map((e) => (e as { json: string }).json)).toEqual(['{"a":1}', '"odd"', '{}']);
    expect(out.slice(0, 10)).toEqual([
      { type: 'start', id: 'r2', model: '' },
      { type: 'block_start', index: 0, block: 'text' },
      { type: 'text_delta', index: 0, text: 'Calling.' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'reasoning', family: 'gemini' },
      { type: 'reasoning_delta', index: 1, signature: 'T' },
      { type: 'block_end', index: 1 },
      { type: 'block_start', index: 2, block: 'tool_call', id: starts[0]?.id, name: 'f' },
      { type: 'tool_args_delta', index: 2, json: '{"a":1}' },
      { type: 'block_end', index: 2 },
    ]);
    expect(out[out.length - 1]).toEqual({ type: 'finish', stopReason: 'tool_calls' });
  });

  it('never throws on bad JSON: it reports an error event and keeps going', () => {
    const decoder = createStreamDecoder();
    expect(decoder.decode({ data: '{"candidates": [' })).toEqual([{ type: 'error', status: 502, kind: 'upstream', message: expect.stringContaining('not JSON') }]);
    expect(decoder.done).toBe(false);
    expect(decoder.decode({ data: '' })).toEqual([]);
    expect(decoder.decode(data({ candidates: [{ content: { parts: [{ text: 'ok' }] }, finishReason: 'MAX_TOKENS' }] })).at(-1)).toEqual({ type: 'finish', stopReason: 'max_tokens' });
    expect(decoder.done).toBe(true);
  });

  it('turns an error chunk into an error event and ends the stream', () => {
    const decoder = createStreamDecoder();
    expect(decoder.decode(data({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }))).toEqual([
      { type: 'error', status: 503, kind: 'overloaded', message: 'The model is overloaded.' },
    ]);
    expect(decoder.done).toBe(true);
  });

  it('ends a blocked prompt with a content filter, and reads an array frame chunk by chunk', () => {
    expect(decodeAll([data({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, responseId: 'b' })]).out.at(-1)).toEqual({ type: 'finish', stopReason: 'content_filter' });
    const { out } = decodeAll([
      data([{ candidates: [{ content: { parts: [{ text: 'a' }] } }] }, { candidates: [{ content: { parts: [{ text: 'b' }] }, finishReason: 'SAFETY' }] }]),
    ]);
    expect(out.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text)).toEqual(['a', 'b']);
    expect(out.at(-1)).toEqual({ type: 'finish', stopReason: 'content_filter' });
  });
});

describe('Gemini stream encoder', () => {
  const opts = { id: 'resp-9', model: 'gemini-x', includeUsage: false };

  it('writes one chunk per delta and holds the finish until end(), with usage on the last chunk', () => {
    const enc = createStreamEncoder(opts);
    let text = '';
    for (const ev of [
      { type: 'start', id: 'upstream-id', model: 'upstream-model' },
      { type: 'block_start', index: 0, block: 'text' },
      { type: 'text_delta', index: 0, text: 'Hi ' },
      { type: 'text_delta', index: 0, text: '' },
      { type: 'text_delta', index: 0, text: 'there ✓' },
      { type: 'block_end', index: 0 },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } },
      { type: 'finish', stopReason: 'end' },
    ] satisfies StreamEvent[]) {
      text += enc.encode(ev);
    }
    expect(payloads(text)).toHaveLength(2);
    const last = enc.end();
    expect(enc.end()).toBe('');
    const chunks = payloads(text + last);
    expect(chunks).toEqual([
      { candidates: [{ content: { parts: [{ text: 'Hi ' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-x', responseId: 'resp-9' },
      { candidates: [{ content: { parts: [{ text: 'there ✓' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-x', responseId: 'resp-9' },
      {
        candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 },
        modelVersion: 'gemini-x',
        responseId: 'resp-9',
      },
    ]);
    expect(text + last).not.toMatch(/^event:/m);
  });

  it('writes the finish chunk when usage arrives after the finish (an OpenAI source)', () => {
    const enc = createStreamEncoder(opts);
    expect(enc.encode({ type: 'finish', stopReason: 'max_tokens' })).toBe('');
    const written = enc.encode({ type: 'usage', usage: { inputTokens: 3, outputTokens: 4, reasoningTokens: 1, cacheReadTokens: 1, cacheWriteTokens: 0 } });
    expect(payloads(written)).toEqual([
      {
        candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 8, cachedContentTokenCount: 1, thoughtsTokenCount: 1 },
        modelVersion: 'gemini-x',
        responseId: 'resp-9',
      },
    ]);
    expect(enc.end()).toBe('');
  });

  it('buffers interleaved tool-call arguments until each call ends, leaving out generated ids', () => {
    const enc = createStreamEncoder(opts);
    const out = [
      { type: 'block_start', index: 0, block: 'tool_call', id: 'call_A', name: 'a' },
      { type: 'block_start', index: 1, block: 'tool_call', id: 'gemgen_x', name: 'b' },
      { type: 'tool_args_delta', index: 0, json: '{"q":' },
      { type: 'tool_args_delta', index: 1, json: 'not ' },
      { type: 'tool_args_delta', index: 0, json: '"x"}' },
      { type: 'tool_args_delta', index: 1, json: 'json' },
      { type: 'block_end', index: 1 },
      { type: 'block_end', index: 0 },
      { type: 'finish', stopReason: 'tool_calls' },
    ] satisfies StreamEvent[];
    const text = out.map((e) => enc.encode(e)).join('') + enc.end();
    const chunks = payloads(text);
    expect(chunks.map(partsOf)).toEqual([
      [{ functionCall: { name: 'b', args: { _gatehouse_unparsed_arguments: 'not json' } } }],
      [{ functionCall: { id: 'call_A', name: 'a', args: { q: 'x' } } }],
      [{ text: '' }],
    ]);
    expect((chunks[2]?.candidates as { finishReason: string }[])[0]?.finishReason).toBe('STOP');
  });

  it('shows thoughts, attaches Gemini signatures to the next part and drops other families’ signatures', () => {
    const enc = createStreamEncoder(opts);
    const events = [
      { type: 'block_start', index: 0, block: 'reasoning', family: 'anthropic' },
      { type: 'reasoning_delta', index: 0, text: 'claude thinks' },
      { type: 'reasoning_delta', index: 0, signature: 'anthropic-sig' },
      { type: 'block_end', index: 0 },
      { type: 'block_start', index: 1, block: 'reasoning', family: 'gemini' },
      { type: 'reasoning_delta', index: 1, text: 'gemini thinks', signature: 'own' },
      { type: 'reasoning_delta', index: 1, signature: 'G1' },
      { type: 'block_end', index: 1 },
      { type: 'block_start', index: 2, block: 'text' },
      { type: 'text_delta', index: 2, text: 'answer' },
      { type: 'block_end', index: 2 },
      { type: 'block_start', index: 3, block: 'reasoning', family: 'gemini' },
      { type: 'reasoning_delta', index: 3, signature: 'G2' },
      { type: 'block_end', index: 3 },
      { type: 'finish', stopReason: 'end' },
    ] satisfies StreamEvent[];
    const text = events.map((e) => enc.encode(e)).join('') + enc.end();
    expect(payloads(text).map(partsOf)).toEqual([
      [{ text: 'claude thinks', thought: true }],
      [{ text: 'gemini thinks', thought: true, thoughtSignature: 'own' }],
      [{ text: 'answer', thoughtSignature: 'G1' }],
      [{ text: '', thoughtSignature: 'G2' }],
    ]);
    expect(text).not.toContain('anthropic-sig');
  });

  it('writes errors in Google’s envelope and ends a stream that never finished with STOP', () => {
    const enc = createStreamEncoder(opts);
    expect(enc.error({ status: 429, kind: 'budget', message: 'budget spent' })).toBe('data: {"error":{"code":429,"message":"budget spent","status":"RESOURCE_EXHAUSTED"}}\n\n');
    expect(enc.end()).toBe('');
    const viaEvent = createStreamEncoder(opts).encode({ type: 'error', status: 502, kind: 'upstream', message: 'gone' });
    expect(payloads(viaEvent)).toEqual([{ error: { code: 502, message: 'gone', status: 'UNAVAILABLE' } }]);

    const unfinished = createStreamEncoder(opts);
    unfinished.encode({ type: 'block_start', index: 0, block: 'tool_call', id: 'c', name: 'f' });
    unfinished.encode({ type: 'tool_args_delta', index: 0, json: '{}' });
    const last = payloads(unfinished.end());
    expect(last.map(partsOf)).toEqual([[{ functionCall: { id: 'c', name: 'f', args: {} } }]]);
    expect(last[0]).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 0, candidatesTokenCount: 0, totalTokenCount: 0 } });
  });
});

describe('Gemini stream decoder on the mock server', () => {
  let mock: MockGemini | undefined;
  afterEach(async () => {
    await mock?.close();
  });

  it('decodes a real SSE stream (CRLF frames, UTF-8 split across reads) into the reply text and usage', async () => {
    mock = await startMockGemini({ chunks: 4 });
    const res = await fetch(`${mock.url}/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'x-goog-api-key': MOCK_GEMINI_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'grüße ✓' }] }], generationConfig: { thinkingConfig: { includeThoughts: true } } }),
    });
    const decoder = createStreamDecoder();
    const events: StreamEvent[] = [];
    for await (const batch of readSse(Readable.fromWeb(res.body as never) as AsyncIterable<Buffer>)) {
      for (const ev of batch) events.push(...decoder.decode(ev));
    }
    expect(decoder.done).toBe(true);
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).toBe('echo ✓ grüße ✓');
    expect(events.find((e) => e.type === 'reasoning_delta' && e.text)).toMatchObject({ text: 'Thinking about "grüße ✓"' });
    expect(events.some((e) => e.type === 'reasoning_delta' && typeof e.signature === 'string')).toBe(true);
    expect(events.filter((e) => e.type === 'usage').at(-1)).toMatchObject({ usage: { reasoningTokens: 8 } });
    expect(events.at(-1)).toEqual({ type: 'finish', stopReason: 'end' });
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
  });
});
