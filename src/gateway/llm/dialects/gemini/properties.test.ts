// Property tests: what Gemini can express survives canonical -> wire -> canonical, and encoded streams decode back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalRequest, CanonicalResponse, ContentPart, Message, ReasoningPart, StreamEvent, TextPart, ToolCallPart, ToolDefinition } from '../../canonical.js';
import { argumentsFromObject, argumentsToObject } from '../../tool-args.js';
import { mergeUsage, ZERO_USAGE, type Usage } from '../../usage.js';
import { geminiGenerate } from './index.js';

/** Through JSON, as on the wire. */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const identifier = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
const text = fc.string({ minLength: 1, maxLength: 40 });
const jsonObjectText = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()), { maxKeys: 4 }).map((o) => JSON.stringify(o));
/** Arguments as models write them: a JSON object, or text that is not one (carried as is). */
const args = fc.oneof(jsonObjectText, fc.string({ minLength: 1, maxLength: 20 }).filter((s) => argumentsFromObject(argumentsToObject(s)) === s));
const usage: fc.Arbitrary<Usage> = fc
  .record({ inputTokens: fc.nat(100_000), cacheReadTokens: fc.nat(100_000), outputTokens: fc.nat(100_000), reasoning: fc.nat(100_000) })
  .map(({ reasoning, ...u }) => ({ ...u, cacheWriteTokens: 0, reasoningTokens: Math.min(reasoning, u.outputTokens) }));

// ---- requests ----

const leafSchema = fc.oneof(
  fc.record({ type: fc.constant('string'), description: text }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constantFrom('integer', 'number'), minimum: fc.integer({ min: -10, max: 10 }), maximum: fc.integer({ min: 11, max: 99 }) }, { requiredKeys: ['type'] }),
  fc.constant({ type: 'boolean' }),
  fc.uniqueArray(text, { minLength: 1, maxLength: 4 }).map((values) => ({ type: 'string', enum: values })),
  fc.constant({ type: ['string', 'null'] }),
  fc.record({ type: fc.constant('array'), items: fc.constant({ type: 'string' }), minItems: fc.nat(3) }, { requiredKeys: ['type', 'items'] }),
);

const parameters = fc.oneof(
  fc.constant({ type: 'object', properties: {} }),
  fc.dictionary(identifier, leafSchema, { minKeys: 1, maxKeys: 4 }).chain((properties) =>
    fc.subarray(Object.keys(properties)).map((required) => ({ type: 'object', properties, ...(required.length > 0 ? { required } : {}) })),
  ),
);

const tools: fc.Arbitrary<ToolDefinition[]> = fc.uniqueArray(
  fc.record({ name: identifier, description: text, parameters }, { requiredKeys: ['name', 'parameters'] }),
  { selector: (t) => t.name, maxLength: 3 },
);

const userPart: fc.Arbitrary<ContentPart> = fc.oneof(
  text.map((t): ContentPart => ({ type: 'text', text: t })),
  fc.record({ mediaType: fc.constantFrom('image/png', 'image/jpeg', 'image/webp'), data: fc.base64String({ minLength: 4, maxLength: 12 }) }).map(
    (s): ContentPart => ({ type: 'image', source: { kind: 'base64', ...s } }),
  ),
  fc.webUrl().map((url): ContentPart => ({ type: 'image', source: { kind: 'url', url } })),
  fc.base64String({ minLength: 4, maxLength: 12 }).map((data): ContentPart => ({ type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data } })),
  fc.webUrl().map((url): ContentPart => ({ type: 'document', source: { kind: 'url', url: `${url}/paper.pdf` } })),
);

type AssistantDraft = { type: 'text'; text: string } | { type: 'call'; name: string; arguments: string } | { type: 'signature'; signature: string };
const assistantDraft: fc.Arbitrary<AssistantDraft> = fc.oneof(
  text.map((t) => ({ type: 'text' as const, text: t })),
  fc.record({ type: fc.constant('call' as const), name: identifier, arguments: args }),
  fc.base64String({ minLength: 4, maxLength: 16 }).map((signature) => ({ type: 'signature' as const, signature })),
);
/** A tool result's text: JSON object text, or words, and sometimes an error. */
const resultDraft = fc.record({ text: fc.oneof(jsonObjectText, text), isError: fc.boolean() });

const conversation: fc.Arbitrary<Message[]> = fc
  .array(
    fc.record({
      user: fc.array(userPart, { minLength: 1, maxLength: 3 }),
      assistant: fc.array(assistantDraft, { minLength: 1, maxLength: 4 }),
      results: fc.array(resultDraft, { minLength: 4, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((turns) => {
    const messages: Message[] = [];
    let n = 0;
    let pending: { id: string; name: string }[] = [];
    turns.forEach((turn) => {
      // Results for the previous assistant turn's calls come first in the next user turn.
      const results: ContentPart[] = pending.map((call, i) => {
        const r = turn.results[i % turn.results.length] ?? { text: 'ok', isError: false };
        return { type: 'tool_result', toolCallId: call.id, name: call.name, content: [{ type: 'text', text: r.text }], ...(r.isError ? { isError: true } : {}) };
      });
      messages.push({ role: 'user', content: [...results, ...turn.user] });
      pending = [];
      const content: ContentPart[] = turn.assistant.map((d) => {
        if (d.type === 'text') return { type: 'text', text: d.text };
        if (d.type === 'signature') return { type: 'reasoning', family: 'gemini', signature: d.signature };
        const id = `call_${n++}`;
        pending.push({ id, name: d.name });
        return { type: 'tool_call', id, name: d.name, arguments: d.arguments };
      });
      messages.push({ role: 'assistant', content });
    });
    return messages;
  });

const request: fc.Arbitrary<CanonicalRequest> = fc
  .record(
    {
      system: fc.array(text.map((t): TextPart => ({ type: 'text', text: t })), { maxLength: 2 }),
      messages: conversation,
      tools,
      toolChoice: fc.constantFrom('auto', 'none', 'required', 'tool'),
      maxOutputTokens: fc.integer({ min: 1, max: 100_000 }),
      temperature: fc.integer({ min: 0, max: 200 }).map((t) => t / 100),
      topP: fc.integer({ min: 0, max: 100 }).map((t) => t / 100),
      topK: fc.integer({ min: 1, max: 100 }),
      seed: fc.integer(),
      stop: fc.array(text, { minLength: 1, maxLength: 3 }),
      responseFormat: fc.oneof(
        fc.constant({ type: 'json_object' as const }),
        fc.constant({ type: 'text' as const }),
        parameters.map((schema) => ({ type: 'json_schema' as const, name: 'response', schema })),
      ),
      reasoning: fc.oneof(
        fc.constantFrom('none', 'minimal', 'low', 'medium', 'high').map((effort) => ({ effort: effort as 'none' })),
        fc.integer({ min: 1, max: 32_000 }).map((budgetTokens) => ({ budgetTokens })),
      ),
    },
    { requiredKeys: ['system', 'messages'] },
  )
  .map(({ tools: ts, toolChoice, ...rest }) => {
    const req: CanonicalRequest = { model: '', stream: false, ...rest };
    if (ts && ts.length > 0) {
      req.tools = ts;
      if (toolChoice) req.toolChoice = toolChoice === 'tool' ? { type: 'tool', name: ts[0]?.name ?? '' } : { type: toolChoice };
    }
    return req;
  });

// ---- responses ----

const responseContent: fc.Arbitrary<(TextPart | ToolCallPart | ReasoningPart)[]> = fc
  .array(
    fc.oneof(
      text.map((t) => ({ type: 'text' as const, text: t })),
      fc.record({ name: identifier, arguments: args }).map((c) => ({ type: 'tool_call' as const, id: '', ...c })),
      fc.record({ text: fc.string({ maxLength: 20 }), signature: fc.base64String({ minLength: 4, maxLength: 12 }) }, { requiredKeys: [] }).filter((r) => r.text !== undefined || r.signature !== undefined).map((r) => ({ type: 'reasoning' as const, family: 'gemini' as const, ...r })),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.map((p, i) => (p.type === 'tool_call' ? { ...p, id: `toolu_${i}` } : p)));

const response: fc.Arbitrary<CanonicalResponse> = fc
  .record({ id: fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/), model: fc.string({ maxLength: 20 }), content: responseContent, usage, other: fc.constantFrom('max_tokens', 'content_filter') })
  .chain(({ other, ...r }) => {
    const natural = r.content.some((p) => p.type === 'tool_call') ? 'tool_calls' : 'end';
    return fc.constantFrom(natural, other).map((stopReason): CanonicalResponse => ({ ...r, stopReason: stopReason as CanonicalResponse['stopReason'] }));
  });

// ---- streams ----

type StreamBlock =
  | { kind: 'text'; deltas: string[] }
  | { kind: 'call'; id: string; name: string; args: string; cuts: number[] }
  | { kind: 'thought'; deltas: string[] }
  | { kind: 'signature'; signature: string };

const streamBlocks: fc.Arbitrary<StreamBlock[]> = fc
  .array(
    fc.oneof(
      fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 4 }).map((deltas) => ({ kind: 'text' as const, deltas })),
      fc.record({ name: identifier, args: jsonObjectText, cuts: fc.array(fc.nat(40), { maxLength: 3 }) }).map((c) => ({ kind: 'call' as const, id: '', ...c })),
      fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 3 }).map((deltas) => ({ kind: 'thought' as const, deltas })),
      fc.base64String({ minLength: 4, maxLength: 12 }).map((signature) => ({ kind: 'signature' as const, signature })),
    ),
    { maxLength: 5 },
  )
  .map((blocks) => blocks.map((b, i) => (b.kind === 'call' ? { ...b, id: `call_${i}` } : b)));

/** Text, thoughts, signatures and calls in order; adjacent text (and thoughts) merged, empty text dropped. */
type Item = { text: string } | { thought: string } | { signature: string } | { id: string; name: string; args: unknown };
function normalise(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if ('text' in item) {
      if (item.text === '') continue;
      if (last && 'text' in last) last.text += item.text;
      else out.push({ ...item });
    } else if ('thought' in item) {
      if (last && 'thought' in last) last.thought += item.thought;
      else out.push({ ...item });
    } else out.push(item);
  }
  return out;
}

function splitAt(s: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, s.length)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let at = 0;
  for (const p of points) {
    pieces.push(s.slice(at, p));
    at = p;
  }
  pieces.push(s.slice(at));
  return pieces;
}

describe('Gemini dialect properties', () => {
  it('canonical requests Gemini can express survive requestFromCanonical -> requestToCanonical', () => {
    fc.assert(
      fc.property(request, (req) => {
        const body = wire(geminiGenerate.requestFromCanonical(req, 'some-model'));
        expect(body).not.toHaveProperty('model');
        expect(geminiGenerate.requestToCanonical(body)).toEqual(req);
      }),
      { numRuns: 300 },
    );
  });

  it('canonical responses Gemini can express survive responseFromCanonical -> responseToCanonical', () => {
    fc.assert(
      fc.property(response, (res) => {
        expect(geminiGenerate.responseToCanonical(wire(geminiGenerate.responseFromCanonical(res)))).toEqual(res);
      }),
      { numRuns: 300 },
    );
  });

  it('encoded streams decode back to the same text, thoughts, signatures, tool calls, usage and stop reason', () => {
    fc.assert(
      fc.property(streamBlocks, usage, fc.boolean(), fc.boolean(), (blocks, u, maxTokens, usageAfterFinish) => {
        const events: StreamEvent[] = [{ type: 'start', id: 'x', model: 'm' }];
        const expected: Item[] = [];
        blocks.forEach((b, index) => {
          if (b.kind === 'text') {
            events.push({ type: 'block_start', index, block: 'text' }, ...b.deltas.map((t): StreamEvent => ({ type: 'text_delta', index, text: t })), { type: 'block_end', index });
            expected.push({ text: b.deltas.join('') });
          } else if (b.kind === 'thought') {
            events.push(
              { type: 'block_start', index, block: 'reasoning', family: 'gemini' },
              ...b.deltas.map((t): StreamEvent => ({ type: 'reasoning_delta', index, text: t })),
              { type: 'block_end', index },
            );
            expected.push({ thought: b.deltas.join('') });
          } else if (b.kind === 'signature') {
            events.push({ type: 'block_start', index, block: 'reasoning', family: 'gemini' }, { type: 'reasoning_delta', index, signature: b.signature }, { type: 'block_end', index });
            expected.push({ signature: b.signature });
          } else {
            events.push(
              { type: 'block_start', index, block: 'tool_call', id: b.id, name: b.name },
              ...splitAt(b.args, b.cuts).map((json): StreamEvent => ({ type: 'tool_args_delta', index, json })),
              { type: 'block_end', index },
            );
            expected.push({ id: b.id, name: b.name, args: JSON.parse(b.args) as unknown });
          }
        });
        const hasCalls = blocks.some((b) => b.kind === 'call');
        const stopReason = maxTokens ? 'max_tokens' : hasCalls ? 'tool_calls' : 'end';
        const tail: StreamEvent[] = [{ type: 'usage', usage: u }, { type: 'finish', stopReason }];
        events.push(...(usageAfterFinish ? tail.reverse() : tail));

        const encoder = geminiGenerate.streamEncoder({ id: 'resp', model: 'gemini-x', includeUsage: false });
        const sse = events.map((e) => encoder.encode(e)).join('') + encoder.end();
        const decoder = geminiGenerate.streamDecoder();
        const decoded = sse
          .split('\n\n')
          .filter((f) => f !== '')
          .flatMap((f) => decoder.decode({ data: f.replace(/^data: /, '') }));

        expect(decoder.done).toBe(true);
        const items: Item[] = [];
        const calls = new Map<number, { id: string; name: string; json: string }>();
        let finalUsage: Usage = { ...ZERO_USAGE };
        for (const e of decoded) {
          if (e.type === 'text_delta') items.push({ text: e.text });
          else if (e.type === 'reasoning_delta') {
            if (e.text !== undefined) items.push({ thought: e.text });
            if (e.signature !== undefined) items.push({ signature: e.signature });
          }
          else if (e.type === 'block_start' && e.block === 'tool_call') calls.set(e.index, { id: e.id, name: e.name, json: '' });
          else if (e.type === 'tool_args_delta') calls.get(e.index)!.json += e.json;
          else if (e.type === 'block_end' && calls.has(e.index)) {
            const c = calls.get(e.index)!;
            items.push({ id: c.id, name: c.name, args: JSON.parse(c.json) as unknown });
          } else if (e.type === 'usage') finalUsage = mergeUsage(finalUsage, e.usage);
        }
        expect(normalise(items)).toEqual(normalise(expected));
        expect(finalUsage).toEqual(u);
        expect(decoded.at(-1)).toEqual({ type: 'finish', stopReason });
        expect(decoded.filter((e) => e.type === 'start')).toEqual([{ type: 'start', id: 'resp', model: 'gemini-x' }]);
      }),
      { numRuns: 300 },
    );
  });
});
