// Properties: every canonical request and response the Responses API can express survives its wire JSON and back unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  CanonicalRequest,
  CanonicalResponse,
  ContentPart,
  DocumentPart,
  ImagePart,
  Message,
  ReasoningPart,
  ResponseFormat,
  StopReason,
  TextPart,
  ToolCallPart,
  ToolDefinition,
  ToolResultPart,
} from '../../canonical.js';
import { openaiResponses } from './index.js';

/** Through JSON text, as on the wire. */
const wire = (v: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;

const str = fc.string({ unit: 'grapheme', maxLength: 12 });
const nonEmpty = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const id = fc.stringMatching(/^[a-zA-Z0-9_-]{1,16}$/);
/** A finite number that survives JSON (no -0). */
const num = (min: number, max: number): fc.Arbitrary<number> => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0);
/** Tool-call arguments are carried as text, verbatim: any text at all. */
const toolArguments = fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 20 }));

const text = (body: fc.Arbitrary<string>): fc.Arbitrary<TextPart> => fc.record({ type: fc.constant('text' as const), text: body });
const image: fc.Arbitrary<ImagePart> = fc.record(
  {
    type: fc.constant('image' as const),
    source: fc.oneof(
      fc.record({ kind: fc.constant('url' as const), url: fc.webUrl() }),
      fc.record({ kind: fc.constant('base64' as const), mediaType: fc.constantFrom('image/png', 'image/jpeg', 'image/webp'), data: fc.base64String({ minLength: 4, maxLength: 16 }) }),
    ),
    detail: fc.constantFrom('auto', 'low', 'high'),
  },
  { requiredKeys: ['type', 'source'] },
);
/** Inline PDFs always have a filename on the wire (a default is written when there is none); text documents travel as text. */
const document: fc.Arbitrary<DocumentPart> = fc.oneof(
  fc.record({
    type: fc.constant('document' as const),
    source: fc.record({ kind: fc.constant('base64' as const), mediaType: fc.constant('application/pdf'), data: fc.base64String({ minLength: 4, maxLength: 16 }) }),
    title: str,
  }),
  fc.record({ type: fc.constant('document' as const), source: fc.record({ kind: fc.constant('url' as const), url: fc.webUrl() }), title: str }, { requiredKeys: ['type', 'source'] }),
);
/** A result of one empty text is written as "" and read back as no content, so result texts are not empty. */
const toolResult: fc.Arbitrary<ToolResultPart> = fc.record({
  type: fc.constant('tool_result' as const),
  toolCallId: id,
  content: fc.array(fc.oneof(text(nonEmpty), image, document), { maxLength: 3 }),
});
const toolCall: fc.Arbitrary<ToolCallPart> = fc.record({ type: fc.constant('tool_call' as const), id, name: id, arguments: toolArguments });
/** OpenAI reasoning with its id and encrypted content (what can be sent back); an empty summary reads as no text. */
const reasoning: fc.Arbitrary<ReasoningPart> = fc.record(
  {
    type: fc.constant('reasoning' as const),
    family: fc.constant('openai' as const),
    text: nonEmpty,
    signature: id.map((s) => `rs_${s}`),
    opaque: fc.base64String({ minLength: 4, maxLength: 40 }),
  },
  { requiredKeys: ['type', 'family', 'signature', 'opaque'] },
);

/**
 * Alternating turns, user first. A user turn has its tool results first (a user message after
 * function call outputs joins their turn); an assistant turn is any mix of reasoning, text and calls.
 */
const messages: fc.Arbitrary<Message[]> = fc
  .array(
    fc.tuple(
      fc.array(toolResult, { maxLength: 2 }),
      fc.array(fc.oneof(text(str), image, document), { maxLength: 3 }),
      fc.array(fc.oneof(reasoning, text(str), toolCall), { minLength: 1, maxLength: 4 }),
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

/** `strict` is always written (Responses would otherwise make the tool strict), so a tool that can round-trip has it. */
const tool: fc.Arbitrary<ToolDefinition> = fc.record(
  {
    name: id,
    description: str,
    parameters: fc.record({
      type: fc.constant('object'),
      properties: fc.dictionary(id, fc.record({ type: fc.constantFrom('string', 'number', 'boolean') }), { maxKeys: 3, noNullPrototype: true }),
    }),
    strict: fc.boolean(),
  },
  { requiredKeys: ['name', 'parameters', 'strict'] },
);

const responseFormat: fc.Arbitrary<ResponseFormat> = fc.oneof(
  fc.constant({ type: 'text' as const }),
  fc.constant({ type: 'json_object' as const }),
  fc.record(
    {
      type: fc.constant('json_schema' as const),
      name: id,
      schema: fc.record({ type: fc.constant('object'), properties: fc.constant({}) }),
      strict: fc.boolean(),
      description: str,
    },
    { requiredKeys: ['type', 'name', 'schema'] },
  ),
);

const request: fc.Arbitrary<CanonicalRequest> = fc.record(
  {
    model: id,
    system: fc.array(text(str), { maxLength: 3 }),
    messages,
    tools: fc.array(tool, { minLength: 1, maxLength: 3 }),
    toolChoice: fc.oneof(fc.constant({ type: 'auto' as const }), fc.constant({ type: 'none' as const }), fc.constant({ type: 'required' as const }), id.map((name) => ({ type: 'tool' as const, name }))),
    parallelToolCalls: fc.boolean(),
    maxOutputTokens: fc.integer({ min: 1, max: 128_000 }),
    temperature: num(0, 2),
    topP: num(0, 1),
    user: str,
    responseFormat,
    reasoning: fc.record({ effort: fc.constantFrom('none' as const, 'minimal' as const, 'low' as const, 'medium' as const, 'high' as const, 'xhigh' as const) }),
    promptCacheKey: str,
    stream: fc.boolean(),
  },
  { requiredKeys: ['model', 'system', 'messages', 'stream'] },
);

/** A response's stop reason follows from its content and status: function calls in a completed response mean tool_calls. */
const response: fc.Arbitrary<CanonicalResponse> = fc
  .record({
    id,
    model: id,
    content: fc.array(fc.oneof(text(str), toolCall, reasoning), { maxLength: 5 }),
    ending: fc.constantFrom<StopReason>('end', 'max_tokens', 'content_filter', 'error'),
    usage: fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat(), cacheReadTokens: fc.nat(), cacheWriteTokens: fc.nat(), reasoningTokens: fc.nat() }),
  })
  .map(({ ending, ...res }) => ({ ...res, stopReason: ending === 'end' && res.content.some((p) => p.type === 'tool_call') ? 'tool_calls' : ending }));

describe('openai-responses dialect round trips', () => {
  it('a canonical request Responses can express comes back unchanged from its wire JSON', () => {
    fc.assert(
      fc.property(request, (req) => {
        const body = wire(openaiResponses.requestFromCanonical(req, req.model));
        expect(body.store).toBe(false);
        expect(openaiResponses.requestToCanonical(body)).toEqual(req);
      }),
      { numRuns: 400 },
    );
  });

  it('the wire JSON of such a request comes back identical too', () => {
    fc.assert(
      fc.property(request, (req) => {
        const body = wire(openaiResponses.requestFromCanonical(req, req.model));
        expect(wire(openaiResponses.requestFromCanonical(openaiResponses.requestToCanonical(body), req.model))).toEqual(body);
      }),
      { numRuns: 200 },
    );
  });

  it('a canonical response Responses can express comes back unchanged from its response object', () => {
    fc.assert(
      fc.property(response, (res) => {
        expect(openaiResponses.responseToCanonical(wire(openaiResponses.responseFromCanonical(res)))).toEqual(res);
      }),
      { numRuns: 400 },
    );
  });
});
