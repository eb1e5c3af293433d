// Properties: every canonical request and response Anthropic can express survives wire JSON and back unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  CacheControl,
  CanonicalRequest,
  CanonicalResponse,
  ContentPart,
  DocumentPart,
  ImagePart,
  Message,
  ReasoningPart,
  StopReason,
  TextPart,
  ToolCallPart,
  ToolDefinition,
  ToolResultPart,
} from '../../canonical.js';
import { UNPARSED_ARGUMENTS_KEY } from '../../tool-args.js';
import { anthropicMessages } from './index.js';

/** Through JSON text, as on the wire. */
const wire = (v: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const nonEmpty = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const id = fc.stringMatching(/^[a-zA-Z0-9_-]{1,16}$/);
const cache: fc.Arbitrary<CacheControl | undefined> = opt(fc.constantFrom<CacheControl>({ type: 'ephemeral' }, { type: 'ephemeral', ttl: '1h' }));
/** A finite number that survives JSON (no -0). */
const num = (min: number, max: number): fc.Arbitrary<number> => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0);

/**
 * Tool-call arguments that tool-args carries without change: canonical JSON of an object (what
 * models produce and JSON.stringify writes), or text that is not a JSON object.
 */
const toolArguments = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4, noNullPrototype: true }).map((o) => JSON.stringify(o)),
  // Blank text means "no arguments" to tool-args ({}), so it is not among the texts carried as-is.
  fc.string({ minLength: 1, maxLength: 20 }).filter((s) => {
    if (s.trim() === '') return false;
    try {
      const v: unknown = JSON.parse(s);
      return typeof v !== 'object' || v === null || Array.isArray(v);
    } catch {
      return true;
    }
  }),
).filter((a) => a !== JSON.stringify({ [UNPARSED_ARGUMENTS_KEY]: '' }) && !a.includes(UNPARSED_ARGUMENTS_KEY));

const text: fc.Arbitrary<TextPart> = fc.record({ type: fc.constant('text' as const), text: nonEmpty, cacheControl: cache });
const image: fc.Arbitrary<ImagePart> = fc.record({
  type: fc.constant('image' as const),
  source: fc.oneof(
    fc.record({ kind: fc.constant('url' as const), url: fc.webUrl() }),
    fc.record({ kind: fc.constant('base64' as const), mediaType: fc.constantFrom('image/png', 'image/jpeg', 'image/webp'), data: fc.base64String({ minLength: 4, maxLength: 16 }) }),
  ),
  cacheControl: cache,
});
const document: fc.Arbitrary<DocumentPart> = fc.record({
  type: fc.constant('document' as const),
  source: fc.oneof(
    fc.record({ kind: fc.constant('url' as const), url: fc.webUrl() }),
    fc.record({ kind: fc.constant('base64' as const), mediaType: fc.constant('application/pdf'), data: fc.base64String({ minLength: 4, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('text' as const), mediaType: fc.constant('text/plain' as const), data: fc.string({ maxLength: 20 }) }),
  ),
  title: opt(fc.string({ maxLength: 10 })),
  cacheControl: cache,
});
const toolResult: fc.Arbitrary<ToolResultPart> = fc.record({
  type: fc.constant('tool_result' as const),
  toolCallId: id,
  content: fc.array(fc.oneof(text, image, document), { maxLength: 3 }),
  isError: opt(fc.boolean()),
  cacheControl: cache,
});
const toolCall: fc.Arbitrary<ToolCallPart> = fc.record({ type: fc.constant('tool_call' as const), id, name: id, arguments: toolArguments, cacheControl: cache });
const reasoning: fc.Arbitrary<ReasoningPart> = fc.oneof(
  fc.record({ type: fc.constant('reasoning' as const), family: fc.constant('anthropic' as const), text: fc.string({ maxLength: 20 }), signature: fc.base64String({ minLength: 4, maxLength: 24 }) }),
  fc.record({ type: fc.constant('reasoning' as const), family: fc.constant('anthropic' as const), opaque: fc.base64String({ minLength: 4, maxLength: 24 }) }),
);

/** Alternating turns, user first; user turns have their tool results first, as Anthropic requires. */
const messages: fc.Arbitrary<Message[]> = fc
  .array(
    fc.tuple(
      fc.array(toolResult, { maxLength: 2 }),
      fc.array(fc.oneof(text, image, document), { maxLength: 3 }),
      fc.array(fc.oneof(reasoning, text, toolCall), { minLength: 1, maxLength: 4 }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .chain((turns) => fc.boolean().map((endWithUser) => ({ turns, endWithUser })))
  .map(({ turns, endWithUser }) => {
    const out: Message[] = [];
    turns.forEach(([results, others, assistant], i) => {
      const user: ContentPart[] = [...results, ...others];
      out.push({ role: 'user', content: user.length > 0 ? user : [{ type: 'text', text: 'q' }] });
      if (i < turns.length - 1 || !endWithUser) out.push({ role: 'assistant', content: assistant });
    });
    return out;
  });

const tool: fc.Arbitrary<ToolDefinition> = fc.record({
  name: id,
  description: opt(fc.string({ maxLength: 20 })),
  parameters: fc.record({
    type: fc.constant('object'),
    properties: fc.dictionary(id, fc.record({ type: fc.constantFrom('string', 'number', 'boolean') }), { maxKeys: 3, noNullPrototype: true }),
  }),
  cacheControl: cache,
});

const request: fc.Arbitrary<CanonicalRequest> = fc
  .record({
    model: id,
    system: fc.array(text, { maxLength: 3 }),
    messages,
    tools: opt(fc.array(tool, { minLength: 1, maxLength: 3 })),
    toolChoice: opt(fc.oneof(fc.constant({ type: 'auto' as const }), fc.constant({ type: 'none' as const }), fc.constant({ type: 'required' as const }), id.map((name) => ({ type: 'tool' as const, name })))),
    parallel: opt(fc.boolean()),
    maxOutputTokens: fc.integer({ min: 1, max: 64_000 }),
    temperature: opt(num(0, 1)),
    topP: opt(num(0, 1)),
    topK: opt(fc.integer({ min: 0, max: 500 })),
    stop: opt(fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 3 })),
    user: opt(fc.string({ maxLength: 10 })),
    thinking: fc.constantFrom('off', 'none', 'adaptive', 'budget'),
    budget: fc.integer({ min: 1024, max: 32_000 }),
    stream: fc.boolean(),
  })
  .map((r) => {
    const forced = r.toolChoice?.type === 'required' || r.toolChoice?.type === 'tool';
    const req: CanonicalRequest = { model: r.model, system: r.system, messages: r.messages, stream: r.stream, maxOutputTokens: r.maxOutputTokens };
    if (r.tools) req.tools = r.tools;
    if (r.toolChoice) req.toolChoice = r.toolChoice;
    // Anthropic carries the parallel setting on tool_choice (not on "none").
    if (r.toolChoice && r.toolChoice.type !== 'none' && r.parallel !== undefined) req.parallelToolCalls = r.parallel;
    if (r.stop) req.stop = r.stop;
    if (r.user !== undefined) req.user = r.user;
    // Expressible thinking: a budget below max_tokens; none of it with a forced tool.
    const thinking = forced && (r.thinking === 'adaptive' || r.thinking === 'budget') ? 'off' : r.thinking;
    if (thinking === 'none') req.reasoning = { effort: 'none' };
    if (thinking === 'adaptive') req.reasoning = {};
    if (thinking === 'budget') {
      req.reasoning = { budgetTokens: r.budget };
      req.maxOutputTokens = Math.max(r.maxOutputTokens, r.budget + 1);
    }
    const thinkingOn = thinking === 'adaptive' || thinking === 'budget';
    // Sampling settings Anthropic accepts alongside thinking.
    if (r.temperature !== undefined && !thinkingOn) req.temperature = r.temperature;
    if (r.topK !== undefined && !thinkingOn) req.topK = r.topK;
    if (r.topP !== undefined && (!thinkingOn || r.topP >= 0.95)) req.topP = r.topP;
    return req;
  });

const stopReason = fc.constantFrom<StopReason>('end', 'max_tokens', 'stop_sequence', 'tool_calls', 'pause', 'refusal');
const response: fc.Arbitrary<CanonicalResponse> = fc
  .record({
    id: id,
    model: id,
    content: fc.array(
      fc.oneof(
        fc.record({ type: fc.constant('text' as const), text: fc.string({ unit: 'grapheme', maxLength: 20 }) }),
        fc.record({ type: fc.constant('tool_call' as const), id, name: id, arguments: toolArguments }),
        reasoning,
      ),
      { maxLength: 5 },
    ),
    stopReason,
    stopSequence: fc.string({ maxLength: 5 }),
    usage: fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat(), cacheReadTokens: fc.nat(), cacheWriteTokens: fc.nat(), reasoningTokens: fc.constant(0) }),
  })
  .map(({ stopSequence, ...res }) => (res.stopReason === 'stop_sequence' ? { ...res, stopSequence } : res));

describe('anthropic dialect round trips', () => {
  it('a canonical request Anthropic can express comes back unchanged from its wire JSON', () => {
    fc.assert(
      fc.property(request, (req) => {
        // With both, top_p is left out on purpose (Sonnet 4.5 and later refuse the pair).
        fc.pre(req.temperature === undefined || req.topP === undefined);
        const body = wire(anthropicMessages.requestFromCanonical(req, req.model));
        expect(anthropicMessages.requestToCanonical(body)).toEqual(req);
      }),
      { numRuns: 400 },
    );
  });

  it('the wire JSON of such a request comes back identical too', () => {
    fc.assert(
      fc.property(request, (req) => {
        const body = wire(anthropicMessages.requestFromCanonical(req, req.model));
        expect(wire(anthropicMessages.requestFromCanonical(anthropicMessages.requestToCanonical(body), req.model))).toEqual(body);
      }),
      { numRuns: 200 },
    );
  });

  it('a canonical response Anthropic can express comes back unchanged from its message object', () => {
    fc.assert(
      fc.property(response, (res) => {
        expect(anthropicMessages.responseToCanonical(wire(anthropicMessages.responseFromCanonical(res)))).toEqual(res);
      }),
      { numRuns: 400 },
    );
  });
});
