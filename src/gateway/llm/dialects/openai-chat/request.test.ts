// Chat Completions requests both ways: each mapping, the pitfalls of tool turns, and a round-trip property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { GatewayError } from '../../../errors.js';
import type { CanonicalRequest, ContentPart, Message, TextPart, ToolResultPart } from '../../canonical.js';
import { requestFromCanonical, requestToCanonical } from './request.js';

const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content });
const body = (messages: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: 'gpt-4o', messages, ...extra });

function badRequest(fn: () => unknown): GatewayError {
  const err = thrown(GatewayError, fn);
  expect(err.code).toBe('BAD_REQUEST');
  return err;
}

describe('requestToCanonical', () => {
  it('reads system and developer messages into the system prompt, later ones appended', () => {
    const req = requestToCanonical(
      body([
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use English.' }] },
        user('hi'),
        { role: 'assistant', content: 'hello' },
        { role: 'system', content: 'Now be formal.' },
        user('bye'),
      ]),
    );
    expect(req.system).toEqual([
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Use English.' },
      { type: 'text', text: 'Now be formal.' },
    ]);
    expect(req.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'hello' }] },
      { role: 'user', content: [{ type: 'text', text: 'bye' }] },
    ]);
    expect(req.stream).toBe(false);
  });

  it('reads user text, images by URL and data URL, and PDF and text files', () => {
    const pdf = Buffer.from('%PDF-1.4 fake').toString('base64');
    const req = requestToCanonical(
      body([
        user([
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${pdf}` } },
          { type: 'file', file: { file_data: `data:text/plain;base64,${Buffer.from('plain ü').toString('base64')}` } },
        ]),
      ]),
    );
    expect(req.messages[0]?.content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' }, detail: 'low' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: pdf }, title: 'report.pdf' },
      { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: 'plain ü' } },
    ]);
  });

  it('rejects audio input naming the exact part', () => {
    const err = badRequest(() =>
      requestToCanonical(
        body([
          { role: 'system', content: 's' },
          user('a'),
          { role: 'assistant', content: 'b' },
          user([{ type: 'text', text: 'listen' }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }]),
        ]),
      ),
    );
    expect(err.message).toMatch(/^messages\[3\]\.content\[1\]: .*audio/);
    expect(err.param).toBe('messages[3].content[1]');
  });

  it('rejects image URLs that are neither http(s) nor base64 data, and file ids', () => {
    expect(badRequest(() => requestToCanonical(body([user([{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }])]))).param).toBe(
      'messages[0].content[0].image_url.url',
    );
    expect(badRequest(() => requestToCanonical(body([user([{ type: 'image_url', image_url: { url: 'data:image/png,raw' } }])]))).message).toMatch(/base64/);
    expect(badRequest(() => requestToCanonical(body([user([{ type: 'file', file: { file_id: 'file-abc' } }])]))).param).toBe('messages[0].content[0].file.file_id');
  });

  it('reads assistant text, refusal and tool calls, keeping invalid JSON arguments verbatim', () => {
    const req = requestToCanonical(
      body([
        user('weather?'),
        {
          role: 'assistant',
          content: 'Checking.',
          refusal: 'I will not guess.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city": "Paris"' } },
            { id: 'call_2', type: 'function', function: { name: 'time', arguments: '' } },
          ],
        },
      ]),
    );
    expect(req.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'text', text: 'I will not guess.' },
        { type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city": "Paris"' },
        { type: 'tool_call', id: 'call_2', name: 'time', arguments: '' },
      ],
    });
  });

  it('reads assistant content parts and drops the empty content clients echo beside tool calls', () => {
    const req = requestToCanonical(
      body([
        user('x'),
        { role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'refusal', refusal: 'no' }] },
        user('y'),
        { role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ]),
    );
    expect(req.messages[1]?.content).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'no' },
    ]);
    expect(req.messages[3]?.content).toEqual([{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }]);
  });

  it('merges consecutive tool messages, then the next user message, into one user turn in order', () => {
    const req = requestToCanonical(
      body([
        user('go'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
            { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'a', content: 'result A' },
        { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: 'result B' }] },
        user('and now?'),
        user('still there?'),
      ]),
    );
    expect(req.messages).toHaveLength(4);
    expect(req.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'a', content: [{ type: 'text', text: 'result A' }] },
        { type: 'tool_result', toolCallId: 'b', content: [{ type: 'text', text: 'result B' }] },
        { type: 'text', text: 'and now?' },
      ],
    });
    // Only the user message right after the tool messages joins them.
    expect(req.messages[3]).toEqual({ role: 'user', content: [{ type: 'text', text: 'still there?' }] });
  });

  it('reads an empty tool result as no content', () => {
    const req = requestToCanonical(body([user('x'), { role: 'tool', tool_call_id: 'a', content: '' }]));
    expect(req.messages[1]).toEqual({ role: 'user', content: [{ type: 'tool_result', toolCallId: 'a', content: [] }] });
  });

  it('reads tools, tool_choice and the sampling fields', () => {
    const req = requestToCanonical(
      body([user('x')], {
        tools: [
          { type: 'function', function: { name: 'weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } },
          { type: 'function', function: { name: 'noop' } },
        ],
        tool_choice: { type: 'function', function: { name: 'weather' } },
        parallel_tool_calls: false,
        max_tokens: 50,
        max_completion_tokens: 100,
        temperature: 0.2,
        top_p: 0.9,
        stop: 'END',
        seed: 7,
        user: 'u-1',
        response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true, description: 'd' } },
        reasoning_effort: 'low',
        prompt_cache_key: 'session-1',
        stream: true,
        stream_options: { include_usage: true },
        frequency_penalty: 0.5,
      }),
    );
    expect(req).toEqual({
      model: 'gpt-4o',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      tools: [
        { name: 'weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
        { name: 'noop', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'tool', name: 'weather' },
      parallelToolCalls: false,
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      stop: ['END'],
      seed: 7,
      user: 'u-1',
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true, description: 'd' },
      reasoning: { effort: 'low' },
      promptCacheKey: 'session-1',
      stream: true,
    } satisfies CanonicalRequest);
    expect(requestToCanonical(body([user('x')], { max_tokens: 50, tool_choice: 'required' }))).toMatchObject({ maxOutputTokens: 50, toolChoice: { type: 'required' } });
    expect(requestToCanonical(body([user('x')], { response_format: { type: 'json_object' } })).responseFormat).toEqual({ type: 'json_object' });
  });

  it('names the path of every wrong type', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: 'gpt-4o', messages: 'hi' }, 'messages'],
      [body([]), 'messages'],
      [{ messages: [user('x')] }, 'model'],
      [body([user('x')], { temperature: '0.5' }), 'temperature'],
      [body([user('x')], { max_completion_tokens: 0 }), 'max_completion_tokens'],
      [body([user('x')], { seed: 1.5 }), 'seed'],
      [body([user('x')], { stop: ['a', 3] }), 'stop[1]'],
      [body([user('x')], { tools: [{ type: 'function', function: {} }] }), 'tools[0].function.name'],
      [body([user('x')], { tools: [{ type: 'custom', custom: { name: 'x' } }] }), 'tools[0].type'],
      [body([user('x')], { tool_choice: 'sometimes' }), 'tool_choice'],
      [body([user('x')], { reasoning_effort: 'max' }), 'reasoning_effort'],
      [body([user('x')], { response_format: { type: 'yaml' } }), 'response_format.type'],
      [body([user('x')], { n: 2 }), 'n'],
      [body([user('x')], { functions: [] }), 'functions'],
      [body([{ role: 'robot', content: 'x' }]), 'messages[0].role'],
      [body([{ role: 'function', name: 'f', content: 'x' }]), 'messages[0].role'],
      [body([user(42)]), 'messages[0].content'],
      [body([user([{ type: 'video', video: {} }])]), 'messages[0].content[0].type'],
      [body([{ role: 'tool', content: 'x' }]), 'messages[0].tool_call_id'],
      [body([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }]), 'messages[0].tool_calls[0].function.arguments'],
      [body([{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }]), 'messages[0].content[0].type'],
    ];
    for (const [input, param] of cases) {
      const err = badRequest(() => requestToCanonical(input));
      expect({ param: err.param, prefixed: err.message.startsWith(`${param}: `) }, JSON.stringify(input)).toEqual({ param, prefixed: true });
    }
  });
});

describe('requestFromCanonical', () => {
  const base: CanonicalRequest = { model: 'client-name', system: [], messages: [], stream: false };

  it('sends tool results as tool messages before the rest of the user turn, and their media after them', () => {
    const wire = requestFromCanonical(
      {
        ...base,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'go' }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', family: 'anthropic', text: 'thinking', signature: 'sig' },
              { type: 'text', text: 'Calling.' },
              { type: 'tool_call', id: 'a', name: 'shot', arguments: '{}' },
              { type: 'tool_call', id: 'b', name: 'calc', arguments: '{"x":' },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what do you see?' },
              { type: 'tool_result', toolCallId: 'a', content: [{ type: 'text', text: 'here' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }] },
              { type: 'tool_result', toolCallId: 'b', content: [], isError: true },
            ],
          },
        ],
      },
      'gpt-4o',
    );
    expect(wire.model).toBe('gpt-4o');
    expect(wire.messages).toEqual([
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: 'Calling.',
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'shot', arguments: '{}' } },
          { id: 'b', type: 'function', function: { name: 'calc', arguments: '{"x":' } },
        ],
      },
      { role: 'tool', tool_call_id: 'a', content: 'here' },
      { role: 'tool', tool_call_id: 'b', content: '' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'text', text: 'what do you see?' },
        ],
      },
    ]);
  });

  it('drops an assistant turn that was only reasoning, and writes the other fields under their wire names', () => {
    const wire = requestFromCanonical(
      {
        ...base,
        system: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b', cacheControl: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          { role: 'assistant', content: [{ type: 'reasoning', family: 'openai', text: 'hmm' }] },
          { role: 'user', content: [{ type: 'text', text: 'y' }] },
        ],
        tools: [{ name: 't', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' } }],
        toolChoice: { type: 'tool', name: 't' },
        maxOutputTokens: 64,
        topK: 40,
        stop: ['x'],
        reasoning: { effort: 'high', budgetTokens: 2048 },
        responseFormat: { type: 'json_schema', name: 'n', schema: {} },
        stream: true,
      },
      'o4-mini',
    );
    expect(wire).toEqual({
      model: 'o4-mini',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'user', content: 'x' },
        { role: 'user', content: 'y' },
      ],
      tools: [{ type: 'function', function: { name: 't', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 't' } },
      max_completion_tokens: 64,
      stop: ['x'],
      reasoning_effort: 'high',
      response_format: { type: 'json_schema', json_schema: { name: 'n', schema: {} } },
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends PDFs as files, plain-text documents as text, and refuses documents by URL', () => {
    const wire = requestFromCanonical(
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' } },
              { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: 'body' }, title: 'notes' },
            ],
          },
        ],
      },
      'gpt-4o',
    );
    expect(wire.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          { type: 'text', text: 'notes\n\nbody' },
        ],
      },
    ]);
    const byUrl = { ...base, messages: [{ role: 'user' as const, content: [{ type: 'document' as const, source: { kind: 'url' as const, url: 'https://x/y.pdf' } }] }] };
    expect(badRequest(() => requestFromCanonical(byUrl, 'gpt-4o')).message).toMatch(/by URL/);
  });
});

// ---- round trip: every request Chat Completions can express survives wire and back unchanged

const text = fc.string({ maxLength: 20 });
const nonEmpty = fc.string({ minLength: 1, maxLength: 20 });
const textPart = (t: fc.Arbitrary<string>): fc.Arbitrary<TextPart> => t.map((s) => ({ type: 'text' as const, text: s }));
const image = fc.oneof(
  fc.record({ type: fc.constant('image' as const), source: fc.record({ kind: fc.constant('url' as const), url: fc.webUrl() }) }),
  fc.record(
    {
      type: fc.constant('image' as const),
      source: fc.record({ kind: fc.constant('base64' as const), mediaType: fc.constantFrom('image/png', 'image/jpeg', 'image/webp'), data: fc.base64String({ maxLength: 24 }) }),
      detail: fc.constantFrom('auto', 'low', 'high'),
    },
    { requiredKeys: ['type', 'source'] },
  ),
);
const pdf = fc.record({
  type: fc.constant('document' as const),
  source: fc.record({ kind: fc.constant('base64' as const), mediaType: fc.constant('application/pdf' as const), data: fc.base64String({ maxLength: 24 }) }),
  // OpenAI requires a filename with file_data, so a title is always written and read back.
  title: nonEmpty,
});
const toolResult: fc.Arbitrary<ToolResultPart> = fc.record({
  type: fc.constant('tool_result' as const),
  toolCallId: nonEmpty,
  content: fc.array(textPart(nonEmpty), { maxLength: 2 }),
});
const userMessage: fc.Arbitrary<Message> = fc
  .tuple(fc.array(toolResult, { maxLength: 2 }), fc.array(fc.oneof(textPart(text), image, pdf), { maxLength: 3 }))
  .filter(([results, parts]) => results.length + parts.length > 0)
  .map(([results, parts]) => ({ role: 'user' as const, content: [...results, ...parts] as ContentPart[] }));
const toolCall = fc.record({ type: fc.constant('tool_call' as const), id: nonEmpty, name: nonEmpty, arguments: text });
const assistantMessage: fc.Arbitrary<Message> = fc
  .tuple(fc.array(textPart(nonEmpty), { maxLength: 2 }), fc.array(toolCall, { maxLength: 2 }))
  .filter(([texts, calls]) => texts.length + calls.length > 0)
  .map(([texts, calls]) => ({ role: 'assistant' as const, content: [...texts, ...calls] }));
const conversation = fc
  .array(fc.tuple(userMessage, assistantMessage), { minLength: 1, maxLength: 3 })
  .chain((turns) => fc.boolean().map((endOnUser) => turns.flat().slice(0, endOnUser ? -1 : undefined)));
const schema = fc.record({
  type: fc.constant('object'),
  properties: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.record({ type: fc.constantFrom('string', 'number', 'boolean') }), { maxKeys: 3 }),
});
const canonicalRequest: fc.Arbitrary<CanonicalRequest> = fc.record(
  {
    model: nonEmpty,
    system: fc.array(textPart(text), { maxLength: 2 }),
    messages: conversation,
    tools: fc.array(fc.record({ name: nonEmpty, description: text, parameters: schema, strict: fc.boolean() }, { requiredKeys: ['name', 'parameters'] }), { maxLength: 3 }),
    toolChoice: fc.oneof(fc.constantFrom({ type: 'auto' as const }, { type: 'none' as const }, { type: 'required' as const }), nonEmpty.map((name) => ({ type: 'tool' as const, name }))),
    parallelToolCalls: fc.boolean(),
    maxOutputTokens: fc.integer({ min: 1, max: 1_000_000 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    topP: fc.double({ min: 0, max: 1, noNaN: true }),
    stop: fc.array(text, { maxLength: 4 }),
    seed: fc.integer(),
    user: text,
    responseFormat: fc.oneof(
      fc.constantFrom({ type: 'text' as const }, { type: 'json_object' as const }),
      fc.record({ type: fc.constant('json_schema' as const), name: nonEmpty, schema, strict: fc.boolean(), description: text }, { requiredKeys: ['type', 'name', 'schema'] }),
    ),
    reasoning: fc.record({ effort: fc.constantFrom('none' as const, 'minimal' as const, 'low' as const, 'medium' as const, 'high' as const, 'xhigh' as const) }),
    promptCacheKey: text,
    stream: fc.boolean(),
  },
  { requiredKeys: ['model', 'system', 'messages', 'stream'] },
);

describe('request round trip', () => {
  it('canonical -> Chat Completions -> canonical is the identity on what the format can express', () => {
    fc.assert(
      fc.property(canonicalRequest, nonEmpty, (req, model) => {
        // Through JSON too, so nothing depends on object identity or undefined-valued keys.
        const wire = JSON.parse(JSON.stringify(requestFromCanonical(req, model))) as Record<string, unknown>;
        expect(requestToCanonical(wire)).toEqual({ ...req, model });
      }),
      { numRuns: 300 },
    );
  });
});
