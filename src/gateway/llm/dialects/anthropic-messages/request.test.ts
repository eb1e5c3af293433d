// Anthropic Messages requests: each wire field's canonical form, validation paths, and Anthropic's rules on the way out.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.js';
import type { CanonicalRequest, ContentPart, Message, TextPart } from '../../canonical.js';
import { UNPARSED_ARGUMENTS_KEY } from '../../tool-args.js';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { DEFAULT_MAX_TOKENS, EFFORT_BUDGET, anthropicMessages } from './index.js';

const toCanonical = (body: Record<string, unknown>): CanonicalRequest => anthropicMessages.requestToCanonical(body);
const fromCanonical = (req: CanonicalRequest, model = 'claude-x'): Record<string, unknown> => anthropicMessages.requestFromCanonical(req, model);

const base = { model: 'claude-x', max_tokens: 100 };
const eph = { type: 'ephemeral' } as const;

function canonical(messages: Message[], extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: 'any', system: [], messages, stream: false, ...extra };
}

function badRequest(body: Record<string, unknown>): GatewayError {
  const err = thrown(GatewayError, () => toCanonical(body));
  expect(err.code).toBe('BAD_REQUEST');
  return err;
}

describe('anthropic requestToCanonical', () => {
  it('reads system as a string or as text blocks, keeping cache_control', () => {
    expect(toCanonical({ ...base, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] }).system).toEqual([{ type: 'text', text: 'Be brief.' }]);
    const req = toCanonical({
      ...base,
      system: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(req.system).toEqual([{ type: 'text', text: 'one' }, { type: 'text', text: 'two', cacheControl: { type: 'ephemeral', ttl: '1h' } }]);
  });

  it('reads every content block type, with cache_control kept on each block that has one', () => {
    const req = toCanonical({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look', cache_control: eph },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' }, cache_control: eph },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'Spec', cache_control: eph },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
            { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig==' },
            { type: 'redacted_thinking', data: 'opaque-blob' },
            { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x', n: 2 }, cache_control: eph },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'found it', cache_control: eph },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'a' }, { type: 'image', source: { type: 'url', url: 'https://e.com/i.png' } }], is_error: true },
            { type: 'tool_result', tool_use_id: 'toolu_3' },
          ],
        },
      ],
    });
    const [user, assistant, results] = req.messages;
    expect(user?.content).toEqual([
      { type: 'text', text: 'look', cacheControl: eph },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' }, cacheControl: eph },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/a.jpg' } },
      { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' }, title: 'Spec', cacheControl: eph },
      { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: 'plain words' } },
      { type: 'document', source: { kind: 'url', url: 'https://example.com/a.pdf' } },
    ]);
    expect(assistant?.content).toEqual([
      { type: 'reasoning', family: 'anthropic', text: 'hmm', signature: 'sig==' },
      { type: 'reasoning', family: 'anthropic', opaque: 'opaque-blob' },
      { type: 'tool_call', id: 'toolu_1', name: 'lookup', arguments: '{"q":"x","n":2}', cacheControl: eph },
    ]);
    expect(results?.content).toEqual([
      { type: 'tool_result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'found it' }], cacheControl: eph },
      {
        type: 'tool_result',
        toolCallId: 'toolu_2',
        content: [{ type: 'text', text: 'a' }, { type: 'image', source: { kind: 'url', url: 'https://e.com/i.png' } }],
        isError: true,
      },
      { type: 'tool_result', toolCallId: 'toolu_3', content: [] },
    ]);
  });

  it('reads tools, tool_choice and the sampling, stop, user, thinking and stream fields', () => {
    const req = toCanonical({
      model: 'claude-x',
      max_tokens: 512,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'lookup', description: 'Looks up', input_schema: { type: 'object', properties: {} }, cache_control: eph }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'u-1' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      stream: true,
    });
    expect(req).toMatchObject({
      model: 'claude-x',
      maxOutputTokens: 512,
      tools: [{ name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: {} }, cacheControl: eph }],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      stop: ['END'],
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      user: 'u-1',
      reasoning: { budgetTokens: 2048 },
      stream: true,
    });
  });

  it('maps each tool_choice and thinking variant', () => {
    const msg = { ...base, messages: [{ role: 'user', content: 'hi' }] };
    expect(toCanonical({ ...msg, tool_choice: { type: 'auto' } })).toMatchObject({ toolChoice: { type: 'auto' } });
    expect(toCanonical({ ...msg, tool_choice: { type: 'auto', disable_parallel_tool_use: false } })).toMatchObject({ parallelToolCalls: true });
    expect(toCanonical({ ...msg, tool_choice: { type: 'tool', name: 'lookup' } })).toMatchObject({ toolChoice: { type: 'tool', name: 'lookup' } });
    expect(toCanonical({ ...msg, tool_choice: { type: 'none' } })).toMatchObject({ toolChoice: { type: 'none' } });
    expect(toCanonical({ ...msg, thinking: { type: 'disabled' } }).reasoning).toEqual({ effort: 'none' });
    expect(toCanonical({ ...msg, thinking: { type: 'adaptive' } }).reasoning).toEqual({});
    expect(toCanonical(msg).stream).toBe(false);
  });

  it('rejects server and built-in tools, naming the tool', () => {
    const err = badRequest({
      ...base,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        { name: 'ok', input_schema: { type: 'object' } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      ],
    });
    expect(err.param).toBe('tools[1].type');
    expect(err.message).toContain('"web_search"');
    expect(err.message).toContain('web_search_20250305');
    // A tool typed "custom" is an ordinary tool.
    expect(toCanonical({ ...base, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'custom', name: 'c', input_schema: { type: 'object' } }] }).tools).toHaveLength(1);
  });

  it('folds system messages inside the conversation (the mid-conversation-system beta) into the system prompt, in order', () => {
    const req = anthropicMessages.requestToCanonical({
      model: 'm',
      max_tokens: 10,
      system: 'top',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'Available agent types: ...' },
        { role: 'assistant', content: 'hello' },
        { role: 'system', content: [{ type: 'text', text: 'later note' }] },
        { role: 'user', content: 'go' },
      ],
    });
    expect(req.system.map((p) => p.text)).toEqual(['top', 'Available agent types: ...', 'later note']);
    expect(req.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('sends temperature or top_p, not both (Claude Sonnet 4.5 and later refuse the pair)', () => {
    const out = anthropicMessages.requestFromCanonical({ model: 'm', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], stream: false, temperature: 1, topP: 0.95 }, 'm');
    expect(out).toMatchObject({ temperature: 1 });
    expect(out).not.toHaveProperty('top_p');
  });

  it('names the path of every invalid field', () => {
    const hi = [{ role: 'user', content: 'hi' }];
    expect(badRequest({ max_tokens: 10, messages: hi }).param).toBe('model');
    expect(badRequest({ ...base, messages: 'hi' }).param).toBe('messages');
    expect(badRequest({ ...base, messages: [] }).param).toBe('messages');
    expect(badRequest({ ...base, messages: [{ role: 'tool', content: 'x' }] }).param).toBe('messages[0].role');
    expect(badRequest({ ...base, messages: [{ role: 'system', content: 'only a system message' }] }).param).toBe('messages');
    expect(badRequest({ ...base, messages: [{ role: 'user', content: 5 }] }).param).toBe('messages[0].content');
    const unknown = badRequest({
      ...base,
      messages: [...hi, { role: 'assistant', content: 'ok' }, { role: 'user', content: [{ type: 'search_result', source: 'x' }] }],
    });
    expect(unknown.param).toBe('messages[2].content[0].type');
    expect(unknown.message).toMatch(/^messages\[2\]\.content\[0\]\.type: unsupported content block type "search_result"/);
    expect(badRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] }).param).toBe('messages[0].content[0].text');
    expect(badRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }).param).toBe(
      'messages[0].content[0].source.type',
    );
    expect(badRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'forever' } }] }] }).param).toBe(
      'messages[0].content[0].cache_control.type',
    );
    expect(badRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'tool_reference' }] }] }] }).param).toBe(
      'messages[0].content[0].content[0].type',
    );
    expect(badRequest({ ...base, messages: hi, tool_choice: { type: 'sometimes' } }).param).toBe('tool_choice.type');
    expect(badRequest({ ...base, messages: hi, tool_choice: { type: 'tool' } }).param).toBe('tool_choice.name');
    expect(badRequest({ ...base, messages: hi, thinking: { type: 'enabled' } }).param).toBe('thinking.budget_tokens');
    expect(badRequest({ ...base, messages: hi, thinking: { type: 'maybe' } }).param).toBe('thinking.type');
    expect(badRequest({ model: 'm', max_tokens: 1.5, messages: hi }).param).toBe('max_tokens');
    expect(badRequest({ ...base, messages: hi, system: [{ type: 'image' }] }).param).toBe('system[0].type');
    expect(badRequest({ ...base, messages: hi, tools: [{ name: 'x' }] }).param).toBe('tools[0].input_schema');
    expect(badRequest({ ...base, messages: hi, stream: 'yes' }).param).toBe('stream');
  });
});

describe('anthropic requestFromCanonical', () => {
  const user = (...content: ContentPart[]): Message => ({ role: 'user', content });
  const assistant = (...content: ContentPart[]): Message => ({ role: 'assistant', content });
  const text = (t: string): TextPart => ({ type: 'text', text: t });

  it('addresses the model and fills the documented default max_tokens', () => {
    const body = fromCanonical(canonical([user(text('hi'))]), 'claude-target');
    expect(body).toEqual({ model: 'claude-target', max_tokens: DEFAULT_MAX_TOKENS, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(fromCanonical(canonical([user(text('hi'))], { maxOutputTokens: 77, stream: true }))).toMatchObject({ max_tokens: 77, stream: true });
  });

  it('puts tool results first in a user turn, in their order, with the other content after them', () => {
    const req = canonical([
      user(text('call both')),
      assistant({ type: 'tool_call', id: 't1', name: 'a', arguments: '{}' }, { type: 'tool_call', id: 't2', name: 'b', arguments: '{}' }),
      user(text('here:'), { type: 'tool_result', toolCallId: 't2', content: [text('two')] }, text('and'), { type: 'tool_result', toolCallId: 't1', content: [text('one')] }),
    ]);
    const messages = fromCanonical(req)['messages'] as { content: { type: string; tool_use_id?: string; text?: string }[] }[];
    expect(messages[2]?.content.map((b) => b.tool_use_id ?? b.text)).toEqual(['t2', 't1', 'here:', 'and']);
  });

  it('merges consecutive messages of the same role (tool messages then a user message, as OpenAI sends them)', () => {
    const req = canonical([
      user(text('q')),
      assistant(text('thinking aloud')),
      assistant({ type: 'tool_call', id: 't1', name: 'a', arguments: '{"x":1}' }),
      user({ type: 'tool_result', toolCallId: 't1', content: [text('r1')] }),
      user(text('also this')),
      user(text('')),
    ]);
    const messages = fromCanonical(req)['messages'] as { role: string; content: { type: string }[] }[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]?.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    expect(messages[2]?.content).toEqual([
      { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'r1' }] },
      { type: 'text', text: 'also this' },
    ]);
  });

  it('sends Anthropic thinking back byte for byte and drops other families’ reasoning', () => {
    const thinking = 'Let me think…\n  about “this”\u0000 ✓';
    const signature = 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxhLJpXhO+/0==';
    const req = canonical([
      user(text('q')),
      assistant(
        { type: 'reasoning', family: 'anthropic', text: thinking, signature },
        { type: 'reasoning', family: 'anthropic', opaque: 'REDACTED+/=' },
        { type: 'reasoning', family: 'openai', text: 'summary', opaque: 'gAAAA-encrypted' },
        { type: 'reasoning', family: 'gemini', signature: 'gemini-thought-sig' },
        { type: 'reasoning', family: 'anthropic', text: 'unsigned' },
        text('answer'),
      ),
    ]);
    const body = fromCanonical(req);
    const messages = body['messages'] as { content: unknown[] }[];
    expect(messages[1]?.content).toEqual([
      { type: 'thinking', thinking, signature },
      { type: 'redacted_thinking', data: 'REDACTED+/=' },
      { type: 'text', text: 'answer' },
    ]);
    const raw = JSON.stringify(body);
    expect(raw).not.toContain('gAAAA-encrypted');
    expect(raw).not.toContain('gemini-thought-sig');
    // Round trip: the same bytes come back into the canonical form.
    expect(toCanonical(body).messages[1]?.content[0]).toEqual({ type: 'reasoning', family: 'anthropic', text: thinking, signature });
  });

  it('keeps cache_control on system, tools and every kind of part', () => {
    const req = canonical(
      [
        user(
          { type: 'text', text: 't', cacheControl: eph },
          { type: 'image', source: { kind: 'url', url: 'https://e.com/i.png' }, detail: 'high', cacheControl: eph },
          { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' }, cacheControl: { type: 'ephemeral', ttl: '1h' } },
        ),
        assistant({ type: 'tool_call', id: 't1', name: 'a', arguments: '{}', cacheControl: eph }),
        user({ type: 'tool_result', toolCallId: 't1', content: [text('r')], cacheControl: eph }),
      ],
      {
        system: [{ type: 'text', text: 'sys', cacheControl: eph }],
        tools: [{ name: 'a', parameters: { type: 'object' }, cacheControl: eph }],
      },
    );
    const body = fromCanonical(req);
    expect(body['system']).toEqual([{ type: 'text', text: 'sys', cache_control: eph }]);
    expect(body['tools']).toEqual([{ name: 'a', input_schema: { type: 'object' }, cache_control: eph }]);
    const messages = body['messages'] as { content: Record<string, unknown>[] }[];
    expect(messages.flatMap((m) => m.content.map((b) => b['cache_control']))).toEqual([eph, eph, { type: 'ephemeral', ttl: '1h' }, eph, eph]);
    // detail is OpenAI's only.
    expect(JSON.stringify(body)).not.toContain('detail');
  });

  it('carries arguments that are not a JSON object through tool-args, and back unchanged', () => {
    const args = ['{"city": "Paris"', 'not json at all', '[1,2]', '42'];
    for (const a of args) {
      const body = fromCanonical(canonical([user(text('q')), assistant({ type: 'tool_call', id: 't1', name: 'f', arguments: a })]));
      const block = (body['messages'] as { content: { input: unknown }[] }[])[1]?.content[0];
      expect(block?.input).toEqual({ [UNPARSED_ARGUMENTS_KEY]: a });
      expect(toCanonical(body).messages[1]?.content[0]).toMatchObject({ type: 'tool_call', arguments: a });
    }
    const empty = fromCanonical(canonical([user(text('q')), assistant({ type: 'tool_call', id: 't1', name: 'f', arguments: '' })]));
    expect((empty['messages'] as { content: { input: unknown }[] }[])[1]?.content[0]?.input).toEqual({});
  });

  it('maps effort to the budget table, keeps the budget below max_tokens and leaves out what thinking forbids', () => {
    const msgs = [user(text('q'))];
    for (const [effort, budget] of Object.entries(EFFORT_BUDGET)) {
      const body = fromCanonical(canonical(msgs, { reasoning: { effort: effort as keyof typeof EFFORT_BUDGET } }));
      expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: budget });
      expect(body['max_tokens']).toBeGreaterThan(budget);
    }
    const raised = fromCanonical(canonical(msgs, { reasoning: { effort: 'high' }, maxOutputTokens: 1000, temperature: 0.2, topK: 5, topP: 0.5 }));
    expect(raised).toMatchObject({ max_tokens: 16384 + 1000, thinking: { type: 'enabled', budget_tokens: 16384 } });
    expect(raised).not.toHaveProperty('temperature');
    expect(raised).not.toHaveProperty('top_k');
    expect(raised).not.toHaveProperty('top_p');
    expect(fromCanonical(canonical(msgs, { reasoning: { budgetTokens: 4000 }, maxOutputTokens: 10000, topP: 0.97 }))).toMatchObject({
      max_tokens: 10000,
      thinking: { type: 'enabled', budget_tokens: 4000 },
      top_p: 0.97,
    });
    expect(fromCanonical(canonical(msgs, { reasoning: { budgetTokens: 100 } }))['thinking']).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(fromCanonical(canonical(msgs, { reasoning: { budgetTokens: 0 } }))['thinking']).toEqual({ type: 'disabled' });
    expect(fromCanonical(canonical(msgs, { reasoning: { effort: 'none' }, temperature: 0.2 }))).toMatchObject({ thinking: { type: 'disabled' }, temperature: 0.2 });
    expect(fromCanonical(canonical(msgs, { reasoning: {} }))['thinking']).toEqual({ type: 'adaptive' });
    // Forced tool use and thinking cannot go together: the forced tool wins.
    const forced = fromCanonical(canonical(msgs, { reasoning: { effort: 'high' }, tools: [{ name: 'f', parameters: { type: 'object' } }], toolChoice: { type: 'required' }, temperature: 0.1 }));
    expect(forced).not.toHaveProperty('thinking');
    expect(forced).toMatchObject({ tool_choice: { type: 'any' }, temperature: 0.1, max_tokens: DEFAULT_MAX_TOKENS });
  });

  it('maps tool choice and the parallel setting', () => {
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    const msgs = [user(text('q'))];
    expect(fromCanonical(canonical(msgs, { tools, toolChoice: { type: 'auto' } }))['tool_choice']).toEqual({ type: 'auto' });
    expect(fromCanonical(canonical(msgs, { tools, toolChoice: { type: 'none' }, parallelToolCalls: false }))['tool_choice']).toEqual({ type: 'none' });
    expect(fromCanonical(canonical(msgs, { tools, toolChoice: { type: 'tool', name: 'f' }, parallelToolCalls: true }))['tool_choice']).toEqual({
      type: 'tool',
      name: 'f',
      disable_parallel_tool_use: false,
    });
    expect(fromCanonical(canonical(msgs, { tools, parallelToolCalls: false }))['tool_choice']).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(fromCanonical(canonical(msgs, { parallelToolCalls: false }))).not.toHaveProperty('tool_choice');
  });

  it('makes input_schema an object schema, and rejects a schema that cannot be one', () => {
    const msgs = [user(text('q'))];
    const schemas = (parameters: Record<string, unknown>): unknown => (fromCanonical(canonical(msgs, { tools: [{ name: 'f', parameters }] }))['tools'] as { input_schema: unknown }[])[0]?.input_schema;
    expect(schemas({ properties: { a: { type: 'string' } } })).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
    expect(schemas({})).toEqual({ type: 'object' });
    expect(schemas({ type: ['object', 'null'], properties: {} })).toEqual({ type: 'object', properties: {} });
    const err = thrown(GatewayError, () => fromCanonical(canonical(msgs, { tools: [{ name: 'f', parameters: {} }, { name: 'g', parameters: { type: 'string' } }] })));
    expect(err).toMatchObject({ code: 'BAD_REQUEST', param: 'tools[1].parameters' });
    expect(err.message).toContain('"g"');
  });

  it('leaves out what Anthropic has no field for: response format, seed, cache key, strict', () => {
    const body = fromCanonical(
      canonical([user(text('q'))], {
        responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' } },
        seed: 7,
        promptCacheKey: 'k',
        tools: [{ name: 'f', parameters: { type: 'object' }, strict: true }],
        user: 'u-9',
        stop: ['x', 'y'],
      }),
    );
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'metadata', 'model', 'stop_sequences', 'tools']);
    expect(body).toMatchObject({ metadata: { user_id: 'u-9' }, stop_sequences: ['x', 'y'] });
    expect(JSON.stringify(body['tools'])).not.toContain('strict');
  });

  it('sends documents as Anthropic supports them: PDF, plain text (decoded when base64), URL', () => {
    const doc = (source: Extract<ContentPart, { type: 'document' }>['source']): unknown =>
      (fromCanonical(canonical([user({ type: 'document', source, title: 'T' })]))['messages'] as { content: unknown[] }[])[0]?.content[0];
    expect(doc({ kind: 'base64', mediaType: 'text/plain', data: Buffer.from('héllo').toString('base64') })).toEqual({
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: 'héllo' },
      title: 'T',
    });
    expect(doc({ kind: 'url', url: 'https://e.com/d.pdf' })).toEqual({ type: 'document', source: { type: 'url', url: 'https://e.com/d.pdf' }, title: 'T' });
    expect(thrown(GatewayError, () => doc({ kind: 'base64', mediaType: 'application/msword', data: 'AA' })).code).toBe('BAD_REQUEST');
  });

  it('sends a single plain system part as a string and several as blocks', () => {
    expect(fromCanonical(canonical([user(text('q'))], { system: [{ type: 'text', text: 'one' }] }))['system']).toBe('one');
    expect(fromCanonical(canonical([user(text('q'))], { system: [text('a'), text('b')] }))['system']).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
    ]);
    expect(fromCanonical(canonical([user(text('q'))], { system: [{ type: 'text', text: '' }] }))).not.toHaveProperty('system');
  });
});
