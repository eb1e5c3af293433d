// Fuzzing the reading of upstream streams: readSse (src/gateway/llm/sse.ts) and every dialect's stream decoder, fed
// random bytes, random events and valid streams cut into random chunks. No throw (a decoder reports a bad event as
// an `error` event), no hang, the same events however the bytes are chunked or the lines end, and whatever a decoder
// makes of garbage, every client encoder can write it (what the relay does when it translates a stream).
// A bug it found (bare CR line endings, fixed) has its own property at the end; the others leave bare CRs out.
//
// Default: a few thousand cases in a few seconds. Long run: FUZZ_RUNS=100000 npx vitest run test/fuzz (runs per
// property; no time limit). Replay a failure: FUZZ_SEED=<seed printed by fast-check>.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Family, SseEvent, StopReason, StreamDecoder, StreamEncoder, StreamEvent } from '../../src/gateway/llm/canonical.js';
import { anthropicMessages } from '../../src/gateway/llm/dialects/anthropic-messages/index.js';
import { geminiGenerate } from '../../src/gateway/llm/dialects/gemini/index.js';
import { openaiChat } from '../../src/gateway/llm/dialects/openai-chat/index.js';
import { completionsStreamDecoder } from '../../src/gateway/llm/dialects/openai-legacy/index.js';
import { openaiResponses } from '../../src/gateway/llm/dialects/openai-responses/index.js';
import { readSse, sseFrame } from '../../src/gateway/llm/sse.js';
import type { Usage } from '../../src/gateway/llm/usage.js';
import { sseEventsOf } from '../helpers/sse.js';
import { anyValue, jsonText, mutate, mutation } from './json-arbitraries.js';
import { fuzzParams, fuzzTimeout } from './runs.js';

// ---- the stream formats --------------------------------------------------------------------------

interface Format {
  name: string;
  family: Family;
  decoder(): StreamDecoder;
  /** The dialect's own encoder: what makes a valid stream of this format (none for legacy completions). */
  encoder?(): StreamEncoder;
}

const encoderOptions = { id: 'resp_fuzz', model: 'model-fuzz', includeUsage: true };
const FORMATS: readonly Format[] = [
  { name: 'openai-chat', family: 'openai', decoder: openaiChat.streamDecoder, encoder: () => openaiChat.streamEncoder(encoderOptions) },
  { name: 'openai-responses', family: 'openai', decoder: openaiResponses.streamDecoder, encoder: () => openaiResponses.streamEncoder(encoderOptions) },
  { name: 'anthropic', family: 'anthropic', decoder: anthropicMessages.streamDecoder, encoder: () => anthropicMessages.streamEncoder(encoderOptions) },
  { name: 'gemini', family: 'gemini', decoder: geminiGenerate.streamDecoder, encoder: () => geminiGenerate.streamEncoder(encoderOptions) },
  { name: 'openai-completions', family: 'openai', decoder: completionsStreamDecoder },
];
/** The encoders a translated stream may be written with: one per inbound dialect. */
const CLIENT_ENCODERS = [openaiChat, openaiResponses, anthropicMessages, geminiGenerate] as const;

const format = fc.constantFrom(...FORMATS.map((f) => Object.assign(Object.create(f) as Format, { [fc.toStringMethod]: () => f.name })));

// ---- reading ---------------------------------------------------------------------------------------

async function* source(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

/** Every event readSse delivers for these chunks, in order. */
async function read(chunks: readonly Buffer[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const batch of readSse(source(chunks))) out.push(...batch);
  return out;
}

/** The bytes cut at the given points (each taken modulo the length). */
function cut(bytes: Buffer, points: readonly number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of sorted) {
    parts.push(bytes.subarray(at, p));
    at = p;
  }
  parts.push(bytes.subarray(at));
  return parts;
}

const cuts = fc.oneof(fc.array(fc.nat(), { maxLength: 20 }), fc.constant('every byte' as const));
const chunked = (bytes: Buffer, c: number[] | 'every byte'): Buffer[] => (c === 'every byte' ? [...bytes].map((b) => Buffer.from([b])) : cut(bytes, c));

// ---- what a decoder may return -----------------------------------------------------------------------

const STOP_REASONS: readonly StopReason[] = ['end', 'max_tokens', 'stop_sequence', 'tool_calls', 'content_filter', 'refusal', 'pause', 'error'];
const ERROR_KINDS = ['invalid_request', 'authentication', 'permission', 'not_found', 'request_too_large', 'rate_limit', 'overloaded', 'timeout', 'upstream', 'budget', 'content_filter', 'internal'];
const isIndex = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** Why an event is not a well-typed canonical stream event, or undefined when it is one. */
function malformed(e: StreamEvent): string | undefined {
  switch (e.type) {
    case 'start':
      return typeof e.id === 'string' && typeof e.model === 'string' ? undefined : 'start without id/model strings';
    case 'block_start':
      if (!isIndex(e.index)) return 'block_start index';
      if (e.block === 'tool_call') return typeof e.id === 'string' && typeof e.name === 'string' ? undefined : 'tool_call without id/name strings';
      if (e.block === 'reasoning') return ['openai', 'anthropic', 'gemini'].includes(e.family) ? undefined : 'reasoning family';
      return e.block === 'text' ? undefined : 'block kind';
    case 'text_delta':
      return isIndex(e.index) && typeof e.text === 'string' ? undefined : 'text_delta';
    case 'reasoning_delta':
      return isIndex(e.index) && [e.text, e.signature, e.opaque].every((v) => v === undefined || typeof v === 'string') ? undefined : 'reasoning_delta';
    case 'tool_args_delta':
      return isIndex(e.index) && typeof e.json === 'string' ? undefined : 'tool_args_delta';
    case 'block_end':
      return isIndex(e.index) ? undefined : 'block_end index';
    case 'usage':
      return Object.values(e.usage).every(isCount) ? undefined : `usage counts ${JSON.stringify(e.usage)}`;
    case 'finish':
      return STOP_REASONS.includes(e.stopReason) && (e.stopSequence === undefined || typeof e.stopSequence === 'string') ? undefined : 'finish';
    case 'error':
      return Number.isInteger(e.status) && e.status >= 400 && e.status <= 599 && ERROR_KINDS.includes(e.kind) && typeof e.message === 'string' ? undefined : `error ${JSON.stringify(e)}`;
    default:
      return `unknown event type ${JSON.stringify(e)}`;
  }
}

/** Decodes every event, checking each result; the decoder must never throw. */
function decodeAll(f: Format, events: readonly SseEvent[]): { decoded: StreamEvent[]; done: boolean } {
  const decoder = f.decoder();
  const decoded: StreamEvent[] = [];
  for (const ev of events) {
    const out = decoder.decode(ev);
    expect(Array.isArray(out), `${f.name} decode returned ${typeof out}`).toBe(true);
    for (const e of out) expect(malformed(e), `${f.name} decoded ${JSON.stringify(ev).slice(0, 300)} into ${JSON.stringify(e).slice(0, 300)}`).toBeUndefined();
    decoded.push(...out);
    expect(typeof decoder.done).toBe('boolean');
  }
  return { decoded, done: decoder.done };
}

/**
 * Writes decoded events with a client encoder as the relay does when it translates: every event until the first
 * error, which is written with `error()`; `end()` otherwise. The result must be SSE whose data is JSON (or [DONE]).
 */
function writeWith(encoder: StreamEncoder, events: readonly StreamEvent[]): string {
  let out = '';
  for (const e of events) {
    if (e.type === 'error') return out + encoder.error({ status: e.status, kind: e.kind, message: e.message });
    out += encoder.encode(e);
  }
  return out + encoder.end();
}

function expectWritable(events: readonly StreamEvent[]): void {
  for (const dialect of CLIENT_ENCODERS) {
    const text = writeWith(dialect.streamEncoder({ id: 'req_fuzz', model: 'route-fuzz', includeUsage: true }), events);
    for (const ev of sseEventsOf(text)) {
      if (ev.data === '[DONE]') continue;
      expect(() => JSON.parse(ev.data) as unknown, `${dialect.family} encoder wrote a frame that is not JSON: ${ev.data.slice(0, 200)}`).not.toThrow();
    }
  }
}

// ---- valid streams -------------------------------------------------------------------------------------

/** Text as models write it: any characters (multi-byte ones get split by the chunking), newlines included. */
const modelText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 12 }), fc.constantFrom('café 🦊', '\n', '\r\n', 'data: x\n\n', '日本語', 'e\u0301'));
const argsJson = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean()), { maxKeys: 3 }).map((o) => JSON.stringify(o));

type Block = { kind: 'text'; deltas: string[] } | { kind: 'reasoning'; deltas: string[]; signature?: string } | { kind: 'tool'; name: string; args: string; cuts: number[] };
const block: fc.Arbitrary<Block> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), deltas: fc.array(modelText, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('reasoning' as const), deltas: fc.array(modelText.filter((t) => t !== ''), { minLength: 1, maxLength: 3 }), signature: fc.option(fc.base64String({ minLength: 4, maxLength: 16 }), { nil: undefined }) }, { requiredKeys: ['kind', 'deltas'] }),
  fc.record({ kind: fc.constant('tool' as const), name: fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), args: argsJson, cuts: fc.array(fc.nat(30), { maxLength: 3 }) }),
);

const usage: fc.Arbitrary<Usage> = fc.record({ inputTokens: fc.nat(100_000), outputTokens: fc.nat(100_000), cacheReadTokens: fc.nat(1000), cacheWriteTokens: fc.constant(0), reasoningTokens: fc.constant(0) });
interface StreamSpec {
  blocks: Block[];
  usage: Usage;
  stop: StopReason;
}
const stream: fc.Arbitrary<StreamSpec> = fc.record({ blocks: fc.array(block, { maxLength: 5 }), usage, stop: fc.constantFrom<StopReason>('end', 'max_tokens', 'tool_calls', 'stop_sequence') });

function splitAt(s: string, points: readonly number[]): string[] {
  const sorted = [...new Set(points.map((p) => Math.min(p, s.length)))].sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const p of sorted) {
    out.push(s.slice(at, p));
    at = p;
  }
  out.push(s.slice(at));
  return out;
}

/** A well-formed canonical event sequence for the blocks (reasoning in the format's own family). */
function canonicalEvents(f: Format, s: StreamSpec): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'start', id: 'resp_fuzz', model: 'model-fuzz' }];
  s.blocks.forEach((b, index) => {
    if (b.kind === 'text') {
      events.push({ type: 'block_start', index, block: 'text' }, ...b.deltas.map((text): StreamEvent => ({ type: 'text_delta', index, text })));
    } else if (b.kind === 'reasoning') {
      events.push({ type: 'block_start', index, block: 'reasoning', family: f.family }, ...b.deltas.map((text): StreamEvent => ({ type: 'reasoning_delta', index, text })));
      if (b.signature !== undefined) events.push({ type: 'reasoning_delta', index, signature: b.signature });
    } else {
      events.push({ type: 'block_start', index, block: 'tool_call', id: `call_${index}`, name: b.name }, ...splitAt(b.args, b.cuts).map((json): StreamEvent => ({ type: 'tool_args_delta', index, json })));
    }
    events.push({ type: 'block_end', index });
  });
  events.push({ type: 'usage', usage: s.usage }, { type: 'finish', stopReason: s.stop });
  return events;
}

/** A legacy completions stream (text_completion chunks, a usage chunk, [DONE]), which has no encoder of its own. */
function completionsStream(s: { blocks: Block[] }): string {
  const texts = s.blocks.flatMap((b) => (b.kind === 'text' ? b.deltas : []));
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string => sseFrame(JSON.stringify({ id: 'cmpl-fuzz', object: 'text_completion', created: 1, model: 'model-fuzz', choices, ...extra }));
  return (
    texts.map((text) => chunk([{ text, index: 0, logprobs: null, finish_reason: null }])).join('') +
    chunk([{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }]) +
    chunk([], { usage: { prompt_tokens: 3, completion_tokens: texts.length, total_tokens: 3 + texts.length } }) +
    sseFrame('[DONE]')
  );
}

/** The SSE text of a valid stream in this format. */
function validStream(f: Format, s: StreamSpec): string {
  if (!f.encoder) return completionsStream(s);
  const encoder = f.encoder();
  return canonicalEvents(f, s).map((e) => encoder.encode(e)).join('') + encoder.end();
}

/** Ways a server may write the same SSE: other line endings, no space after the colon, comments, ids, retry hints. */
interface Styling {
  lineEnding: '\n' | '\r\n' | '\r';
  noSpace: boolean;
  comments: boolean;
  ids: boolean;
}
/** Bare CR line endings are left out here: they lose a stream's last event (a known bug, its own property below). */
const styling: fc.Arbitrary<Styling> = fc.record({ lineEnding: fc.constantFrom('\n' as const, '\r\n' as const), noSpace: fc.boolean(), comments: fc.boolean(), ids: fc.boolean() });

function restyle(text: string, s: Styling): string {
  const frames = text.split('\n\n').filter((f) => f !== '');
  return frames
    .map((frame, i) => {
      let lines = frame.split('\n');
      if (s.noSpace) lines = lines.map((l) => l.replace(/^(data|event): /, '$1:'));
      if (s.ids) lines.push(`id: ${i}`);
      if (s.comments) lines.unshift(': keep-alive');
      const framed = `${lines.join(s.lineEnding)}${s.lineEnding}${s.lineEnding}`;
      return s.comments && i % 2 === 0 ? `: ping${s.lineEnding}${s.lineEnding}retry: 1000${s.lineEnding}${framed}` : framed;
    })
    .join('');
}

// ---- random streams ------------------------------------------------------------------------------------

/** Lines a broken or hostile server might send, in SSE's own syntax. */
const sseLine = fc.oneof(
  fc.constantFrom('', ':', ': comment', 'data', 'data:', 'data: ', 'data: [DONE]', 'event: error', 'event: message_stop', 'id: 7', 'retry: x', 'retry: 0', 'event', 'foo: bar', '\u0000', 'data: {'),
  fc.string({ maxLength: 20 }).map((s) => `data: ${s}`),
  anyValue.map((v) => `data: ${jsonText(v)}`),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const sseSoup = fc
  .record({ lines: fc.array(sseLine, { maxLength: 20 }), ending: fc.constantFrom('\n', '\r\n'), invalid: fc.array(fc.record({ at: fc.nat(), byte: fc.constantFrom(0xff, 0x80, 0xc3, 0xe2, 0xf0, 0xed) }), { maxLength: 3 }) })
  .map(({ lines, ending, invalid }) => {
    let bytes = Buffer.from(lines.join(ending));
    for (const { at, byte } of invalid) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
    }
    return bytes;
  });
/**
 * A CR not followed by LF becomes CRLF: a bare CR line ending loses the stream's last event (the known bug of
 * the CR property below), which would otherwise fail these properties over and over.
 */
function withoutBareCr(bytes: Buffer): Buffer {
  const out: number[] = [];
  bytes.forEach((b, i) => {
    out.push(b);
    if (b === 0x0d && bytes[i + 1] !== 0x0a) out.push(0x0a);
  });
  return Buffer.from(out);
}
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)), sseSoup).map(withoutBareCr);

/**
 * Events shaped like the format's own (taken from a valid stream), with parts mutated; plus random events and
 * text that is not JSON. The event name is kept, dropped or replaced.
 */
const eventsFor = (f: Format): fc.Arbitrary<SseEvent[]> =>
  stream.chain((s) => {
    const valid = sseEventsOf(validStream(f, s));
    const one: fc.Arbitrary<SseEvent> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({ pick: fc.nat(), mutations: fc.array(mutation, { maxLength: 3 }), name: fc.constantFrom('keep', 'drop', 'error', 'message_stop', 'ping') }).map(({ pick, mutations, name }) => {
          const ev = valid[pick % valid.length] ?? { data: '{}' };
          const data = ev.data === '[DONE]' ? ev.data : jsonText(mutate(JSON.parse(ev.data) as unknown, mutations));
          const event = name === 'keep' ? ev.event : name === 'drop' ? undefined : name;
          return event === undefined ? { data } : { event, data };
        }),
      },
      { weight: 1, arbitrary: anyValue.map((v) => ({ data: jsonText(v) })) },
      { weight: 1, arbitrary: fc.constantFrom('[DONE]', '', ' ', '{', '{"type":', 'null', '[]', '[{"error":{}}]', '{"error":"boom"}', '{"error":{"code":"x"}}').map((data) => ({ data })) },
    );
    return fc.array(one, { maxLength: 25 });
  });

// ---- the properties ------------------------------------------------------------------------------------

describe('fuzzing SSE reading and the stream decoders', () => {
  it('readSse reads any bytes, cut anywhere, into the same events as in one piece, without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(anyBytes, cuts, async (bytes, c) => {
        const whole = await read([bytes]);
        for (const ev of whole) {
          expect(typeof ev.data).toBe('string');
          if (ev.event !== undefined) expect(typeof ev.event).toBe('string');
        }
        expect(await read(chunked(bytes, c))).toEqual(whole);
      }),
      fuzzParams(1000),
    );
  }, fuzzTimeout(60_000));

  it('each decoder reads a valid stream, restyled and cut anywhere, into the same events as the plain stream, with no error and to its end', async () => {
    await fc.assert(
      fc.asyncProperty(format, stream, styling, cuts, async (f, s, style, c) => {
        const plain = validStream(f, s);
        const reference = decodeAll(f, await read([Buffer.from(plain)]));
        expect(reference.decoded.filter((e) => e.type === 'error')).toEqual([]);
        expect(reference.done, `${f.name} did not reach the end of a valid stream`).toBe(true);
        const styled = decodeAll(f, await read(chunked(Buffer.from(restyle(plain, style)), c)));
        expect(styled.decoded).toEqual(reference.decoded);
        expect(styled.done).toBe(true);
      }),
      fuzzParams(600),
    );
  }, fuzzTimeout(60_000));

  it('each decoder turns random bytes into well-typed events (errors as error events), and every client encoder can write them', async () => {
    await fc.assert(
      fc.asyncProperty(format, anyBytes, cuts, async (f, bytes, c) => {
        const { decoded } = decodeAll(f, await read(chunked(bytes, c)));
        expectWritable(decoded);
      }),
      fuzzParams(1000),
    );
  }, fuzzTimeout(60_000));

  it('each decoder turns its own events with wrong types, missing or extra fields into well-typed events, and every client encoder can write them', () => {
    fc.assert(
      fc.property(format.chain((f) => fc.tuple(fc.constant(f), eventsFor(f))), ([f, events]) => {
        const { decoded } = decodeAll(f, events);
        expectWritable(decoded);
      }),
      fuzzParams(1000),
    );
  }, fuzzTimeout(60_000));

  // A bug this found (fixed): with bare CR line endings (allowed by the SSE spec) the last event of a stream was never
  // delivered: eventsource-parser 3.1.1 keeps a chunk's final "\r" pending until the next line ending, which never
  // comes. Minimal: readSse([Buffer.from('data: x\r\r')]) yielded no event, so an upstream using CR lost its [DONE].
  it('readSse delivers the last event of a stream whose lines end with a bare CR', async () => {
    await fc.assert(
      fc.asyncProperty(format, stream, (f, s) => {
        const text = restyle(validStream(f, s), { lineEnding: '\r', noSpace: false, comments: false, ids: false });
        return read([Buffer.from(text)]).then((events) => {
          expect(decodeAll(f, events).done).toBe(true);
        });
      }),
      { ...fuzzParams(20), endOnFailure: true },
    );
  }, fuzzTimeout(30_000));
});
