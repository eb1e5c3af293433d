// Responses requests both ways: each field's mapping, input items and their merging, and what is refused (stored state, foreign tools).
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { GatewayError } from '../../../errors.js';
import type { CanonicalRequest } from '../../canonical.js';
import { requestFromCanonical, requestToCanonical } from './request.js';

const body = (input: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: 'gpt-5', input, ...extra });
const user = (content: unknown): Record<string, unknown> => ({ type: 'message', role: 'user', content });

function badRequest(fn: () => unknown): GatewayError {
  const err = thrown(GatewayError, fn);
  expect(err.code).toBe('BAD_REQUEST');
  return err;
}

describe('requestToCanonical: input', () => {
  it('reads a string input as one user message and instructions as the system prompt', () => {
    const req = requestToCanonical(body('hello', { instructions: 'Be brief.' }));
    expect(req).toEqual({ model: 'gpt-5', system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }], stream: false });
  });

  it('appends system and developer messages to the instructions, in order, whatever their place', () => {
    const req = requestToCanonical(
      body(
        [
          { role: 'developer', content: 'Use English.' },
          user('hi'),
          { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Now be formal.' }] },
          user('bye'),
        ],
        { instructions: 'Be brief.' },
      ),
    );
    expect(req.system.map((p) => p.text)).toEqual(['Be brief.', 'Use English.', 'Now be formal.']);
    expect(req.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'user', content: [{ type: 'text', text: 'bye' }] },
    ]);
  });

  it('reads user text, images by URL and data URL, and PDF, text and URL files', () => {
    const pdf = Buffer.from('%PDF-1.4 fake').toString('base64');
    const req = requestToCanonical(
      body([
        user([
          { type: 'input_text', text: 'look' },
          { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
          { type: 'input_file', filename: 'report.pdf', file_data: `data:application/pdf;base64,${pdf}` },
          { type: 'input_file', file_data: pdf },
          { type: 'input_file', file_data: `data:text/plain;base64,${Buffer.from('plain ü').toString('base64')}` },
          { type: 'input_file', file_url: 'https://example.com/a.pdf', filename: 'a.pdf' },
        ]),
      ]),
    );
    expect(req.messages[0]?.content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' }, detail: 'low' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: pdf }, title: 'report.pdf' },
      { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: pdf } },
      { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: 'plain ü' } },
      { type: 'document', source: { kind: 'url', url: 'https://example.com/a.pdf' }, title: 'a.pdf' },
    ]);
  });

  it('refuses uploaded file ids in images and files, naming the path', () => {
    const img = badRequest(() => requestToCanonical(body([user('a'), user([{ type: 'input_text', text: 'x' }, { type: 'input_image', file_id: 'file-1', detail: 'auto' }])])));
    expect(img.param).toBe('input[1].content[1].file_id');
    expect(img.message).toMatch(/file ids cannot be resolved/);
    const file = badRequest(() => requestToCanonical(body([user([{ type: 'input_file', file_id: 'file-2' }])])));
    expect(file.param).toBe('input[0].content[0].file_id');
  });

  it('names the exact path of an unknown content type', () => {
    const err = badRequest(() => requestToCanonical(body([user('a'), { role: 'assistant', content: 'b' }, user('c'), user([{ type: 'input_text', text: 'ok' }, { type: 'input_audio' }])])));
    expect(err.param).toBe('input[3].content[1].type');
    expect(err.message).toMatch(/^input\[3\]\.content\[1\]\.type: unknown content type "input_audio"/);
  });

  it('merges consecutive function_call items (and the reasoning and message before them) into one assistant turn', () => {
    const req = requestToCanonical(
      body([
        user('weather and time?'),
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two tools.' }], encrypted_content: 'gAAAA+/=' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }], id: 'msg_1', status: 'completed' },
        { type: 'function_call', call_id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call', call_id: 'call_b', name: 'time', arguments: 'not json' },
      ]),
    );
    expect(req.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather and time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', family: 'openai', text: 'Two tools.', signature: 'rs_1', opaque: 'gAAAA+/=' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
          { type: 'tool_call', id: 'call_b', name: 'time', arguments: 'not json' },
        ],
      },
    ]);
  });

  it('keeps function_call_output items in order in one user turn, joined by the user message after them', () => {
    const req = requestToCanonical(
      body([
        user('go'),
        { type: 'function_call', call_id: 'b', name: 'g', arguments: '{}' },
        { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'b', output: 'second call first' },
        { type: 'function_call_output', call_id: 'a', output: [{ type: 'input_text', text: 'img:' }, { type: 'input_image', image_url: 'https://x.test/i.png' }] },
        { type: 'function_call_output', call_id: 'c', output: '' },
        user('thanks'),
        user('and more'),
      ]),
    );
    expect(req.messages.slice(2)).toEqual([
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'b', content: [{ type: 'text', text: 'second call first' }] },
          { type: 'tool_result', toolCallId: 'a', content: [{ type: 'text', text: 'img:' }, { type: 'image', source: { kind: 'url', url: 'https://x.test/i.png' } }] },
          { type: 'tool_result', toolCallId: 'c', content: [] },
          { type: 'text', text: 'thanks' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'and more' }] },
    ]);
  });

  it('reads assistant refusals and plain strings as text, and drops an empty string', () => {
    const req = requestToCanonical(
      body([
        user('q'),
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot.' }, { type: 'input_text', text: 'But...' }] },
        user('q2'),
        { role: 'assistant', content: '' },
        { type: 'function_call', call_id: 'x', name: 'f', arguments: '' },
      ]),
    );
    expect(req.messages[1]?.content).toEqual([
      { type: 'text', text: 'I cannot.' },
      { type: 'text', text: 'But...' },
    ]);
    expect(req.messages[3]?.content).toEqual([{ type: 'tool_call', id: 'x', name: 'f', arguments: '' }]);
  });

  it('reads a reasoning item without summary or encrypted content, and with raw reasoning text', () => {
    const req = requestToCanonical(
      body([
        user('q'),
        { type: 'reasoning', id: 'rs_2', summary: [] },
        { type: 'reasoning', id: 'rs_3', summary: [], content: [{ type: 'reasoning_text', text: 'raw' }] },
        { type: 'reasoning', id: 'rs_4', summary: [{ type: 'summary_text', text: 'a' }, { type: 'summary_text', text: 'b' }], encrypted_content: null },
      ]),
    );
    expect(req.messages[1]?.content).toEqual([
      { type: 'reasoning', family: 'openai', signature: 'rs_2' },
      { type: 'reasoning', family: 'openai', text: 'raw', signature: 'rs_3' },
      { type: 'reasoning', family: 'openai', text: 'a\n\nb', signature: 'rs_4' },
    ]);
  });

  it('refuses item_reference and other item types by name', () => {
    const ref = badRequest(() => requestToCanonical(body([user('a'), { type: 'item_reference', id: 'msg_1' }])));
    expect(ref.param).toBe('input[1]');
    expect(ref.message).toMatch(/item_reference.*no stored state/);
    const shell = badRequest(() => requestToCanonical(body([{ type: 'local_shell_call', call_id: 'c', action: {} }])));
    expect(shell.param).toBe('input[0].type');
    expect(shell.message).toMatch(/"local_shell_call" are not supported/);
  });

  it('refuses a wrong role, output_text from the user, and images in a system message', () => {
    expect(badRequest(() => requestToCanonical(body([{ role: 'tool', content: 'x' }]))).param).toBe('input[0].role');
    expect(badRequest(() => requestToCanonical(body([user([{ type: 'output_text', text: 'x' }])]))).message).toMatch(/belongs in assistant messages/);
    expect(badRequest(() => requestToCanonical(body([{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x.test/a.png' }] }]))).param).toBe(
      'input[0].content[0].type',
    );
  });

  it('requires call ids, names and string arguments on function items', () => {
    expect(badRequest(() => requestToCanonical(body([{ type: 'function_call', name: 'f', arguments: '{}' }]))).param).toBe('input[0].call_id');
    expect(badRequest(() => requestToCanonical(body([{ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }]))).param).toBe('input[0].arguments');
    expect(badRequest(() => requestToCanonical(body([{ type: 'function_call_output', call_id: 'c', output: 3 }]))).param).toBe('input[0].output');
  });
});

describe('requestToCanonical: settings', () => {
  it('maps every carried field', () => {
    const req = requestToCanonical(
      body('hi', {
        tools: [
          { type: 'function', name: 'weather', description: 'Weather.', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
          { type: 'function', name: 'noargs', parameters: null, strict: null },
        ],
        tool_choice: { type: 'function', name: 'weather' },
        parallel_tool_calls: false,
        max_output_tokens: 500,
        temperature: 0.2,
        top_p: 0.9,
        text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true, description: 'The answer.' }, verbosity: 'low' },
        reasoning: { effort: 'high', summary: 'auto' },
        user: 'u-1',
        prompt_cache_key: 'k',
        stream: true,
        store: true,
        include: ['reasoning.encrypted_content'],
        metadata: { a: 'b' },
      }),
    );
    expect(req).toEqual({
      model: 'gpt-5',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: true,
      tools: [
        { name: 'weather', description: 'Weather.', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
        { name: 'noargs', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'tool', name: 'weather' },
      parallelToolCalls: false,
      maxOutputTokens: 500,
      temperature: 0.2,
      topP: 0.9,
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true, description: 'The answer.' },
      reasoning: { effort: 'high' },
      user: 'u-1',
      promptCacheKey: 'k',
    } satisfies CanonicalRequest);
  });

  it('reads the other text formats and tool choices, and safety_identifier as the user', () => {
    expect(requestToCanonical(body('x', { text: { format: { type: 'json_object' } } })).responseFormat).toEqual({ type: 'json_object' });
    expect(requestToCanonical(body('x', { text: { format: { type: 'text' } } })).responseFormat).toEqual({ type: 'text' });
    for (const choice of ['auto', 'none', 'required'] as const) expect(requestToCanonical(body('x', { tool_choice: choice })).toolChoice).toEqual({ type: choice });
    expect(requestToCanonical(body('x', { safety_identifier: 'hashed' })).user).toBe('hashed');
  });

  it('refuses previous_response_id with a clear way out', () => {
    const err = badRequest(() => requestToCanonical(body('hi', { previous_response_id: 'resp_123' })));
    expect(err.param).toBe('previous_response_id');
    expect(err.message).toBe('previous_response_id: the gateway keeps no responses; send the whole conversation in input, with store: false');
  });

  it('refuses other stored state: conversation, prompt templates, background', () => {
    expect(badRequest(() => requestToCanonical(body('hi', { conversation: 'conv_1' }))).param).toBe('conversation');
    expect(badRequest(() => requestToCanonical(body('hi', { prompt: { id: 'pmpt_1' } }))).param).toBe('prompt');
    expect(badRequest(() => requestToCanonical(body('hi', { background: true }))).param).toBe('background');
    expect(requestToCanonical(body('hi', { background: false, previous_response_id: null })).messages).toHaveLength(1);
  });

  it('leaves out a web_search tool (run by OpenAI itself) and carries a namespace group\'s functions as namespace.name', () => {
    const req = requestToCanonical(
      body('hi', {
        tools: [
          { type: 'web_search', external_web_access: false },
          { type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents', tools: [{ type: 'function', name: 'close_agent', parameters: { type: 'object' } }] },
          { type: 'function', name: 'exec_command', parameters: { type: 'object' } },
        ],
      }),
    );
    expect(req.tools?.map((t) => t.name)).toEqual(['multi_agent_v1.close_agent', 'exec_command']);
    const inner = badRequest(() => requestToCanonical(body('hi', { tools: [{ type: 'namespace', name: 'ns', tools: [{ type: 'custom', name: 'c' }] }] })));
    expect(inner.param).toBe('tools[0].tools[0].type');
  });

  it('reads and writes a namespaced function call with its namespace', () => {
    const req = requestToCanonical(body([{ type: 'function_call', call_id: 'c1', namespace: 'multi_agent_v1', name: 'close_agent', arguments: '{}' }]));
    expect(req.messages[0]!.content[0]).toMatchObject({ type: 'tool_call', name: 'multi_agent_v1.close_agent' });
    const wire = requestFromCanonical(req, 'gpt-5');
    expect(JSON.stringify(wire)).toContain('"namespace":"multi_agent_v1","name":"close_agent"');
  });

  it.each(['file_search', 'code_interpreter', 'custom', 'local_shell', 'shell', 'apply_patch', 'mcp', 'image_generation'])(
    'refuses a %s tool naming its type',
    (type) => {
      const err = badRequest(() => requestToCanonical(body('hi', { tools: [{ type: 'function', name: 'f', parameters: {} }, { type, name: 'x' }] })));
      expect(err.param).toBe('tools[1].type');
      expect(err.message).toContain(`tools of type "${type}" are not supported`);
    },
  );

  it('refuses tool choices of other types, unknown formats and efforts', () => {
    expect(badRequest(() => requestToCanonical(body('x', { tool_choice: { type: 'web_search_preview' } }))).message).toMatch(/tool_choice of type "web_search_preview"/);
    expect(badRequest(() => requestToCanonical(body('x', { text: { format: { type: 'xml' } } }))).param).toBe('text.format.type');
    expect(badRequest(() => requestToCanonical(body('x', { reasoning: { effort: 'max' } }))).param).toBe('reasoning.effort');
  });

  it('requires a model and an input, and checks number fields', () => {
    expect(badRequest(() => requestToCanonical({ input: 'x' })).param).toBe('model');
    expect(badRequest(() => requestToCanonical({ model: 'm' })).param).toBe('input');
    expect(badRequest(() => requestToCanonical(body('x', { max_output_tokens: 0 }))).param).toBe('max_output_tokens');
    expect(badRequest(() => requestToCanonical(body('x', { temperature: 'hot' }))).param).toBe('temperature');
  });
});

describe('requestFromCanonical', () => {
  const base: CanonicalRequest = { model: 'ignored', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false };

  it('writes store: false, instructions, the input as items and the settings', () => {
    const out = requestFromCanonical(
      {
        ...base,
        system: [{ type: 'text', text: 'Be brief.' }],
        tools: [{ name: 'f', parameters: { type: 'object' } }, { name: 'g', description: 'G.', parameters: { type: 'object' }, strict: true }],
        toolChoice: { type: 'tool', name: 'f' },
        parallelToolCalls: true,
        maxOutputTokens: 100,
        temperature: 1,
        topP: 0.5,
        topK: 40,
        stop: ['END'],
        seed: 7,
        user: 'u',
        responseFormat: { type: 'json_schema', name: 'n', schema: { type: 'object' }, strict: true },
        reasoning: { effort: 'low', budgetTokens: 1000 },
        promptCacheKey: 'k',
        stream: true,
      },
      'gpt-5-mini',
    );
    expect(out).toEqual({
      model: 'gpt-5-mini',
      instructions: 'Be brief.',
      input: [{ type: 'message', role: 'user', content: 'hi' }],
      // Responses makes a tool without `strict` strict; canonical tools without it were not asked to be.
      tools: [
        { type: 'function', name: 'f', parameters: { type: 'object' }, strict: false },
        { type: 'function', name: 'g', description: 'G.', parameters: { type: 'object' }, strict: true },
      ],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: true,
      max_output_tokens: 100,
      temperature: 1,
      top_p: 0.5,
      user: 'u',
      text: { format: { type: 'json_schema', name: 'n', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low' },
      prompt_cache_key: 'k',
      stream: true,
      store: false,
    });
  });

  it('writes several system parts as a system message ahead of the input', () => {
    const out = requestFromCanonical({ ...base, system: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, 'm');
    expect(out.instructions).toBeUndefined();
    expect(out.input).toEqual([
      {
        type: 'message',
        role: 'system',
        content: [
          { type: 'input_text', text: 'a' },
          { type: 'input_text', text: 'b' },
        ],
      },
      { type: 'message', role: 'user', content: 'hi' },
    ]);
  });

  it('writes tool turns as function_call and function_call_output items in order, media and documents inline', () => {
    const out = requestFromCanonical(
      {
        ...base,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'go' }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Calling.' },
              { type: 'tool_call', id: 'b', name: 'g', arguments: '{"x":1}' },
              { type: 'tool_call', id: 'a', name: 'f', arguments: 'raw' },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', toolCallId: 'b', content: [{ type: 'text', text: 'B' }], isError: true },
              { type: 'tool_result', toolCallId: 'a', content: [] },
              { type: 'text', text: 'see' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' }, detail: 'high' },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBE' } },
              { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: 'notes' }, title: 'n.txt' },
            ],
          },
        ],
      },
      'm',
    );
    expect(out.input).toEqual([
      { type: 'message', role: 'user', content: 'go' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Calling.' }] },
      { type: 'function_call', call_id: 'b', name: 'g', arguments: '{"x":1}' },
      { type: 'function_call', call_id: 'a', name: 'f', arguments: 'raw' },
      { type: 'function_call_output', call_id: 'b', output: 'B' },
      { type: 'function_call_output', call_id: 'a', output: '' },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'see' },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'high' },
          { type: 'input_file', filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBE' },
          { type: 'input_text', text: 'n.txt\n\nnotes' },
        ],
      },
    ]);
  });

  it('sends OpenAI reasoning back byte for byte with include, and drops reasoning it cannot send (foreign, no encrypted content, no id)', () => {
    const opaque = 'gAAAAABo+/x==\u00e9';
    const out = requestFromCanonical(
      {
        ...base,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', family: 'anthropic', text: 'thinking', signature: 'sig' },
              { type: 'reasoning', family: 'openai', text: 'summary only' },
              { type: 'reasoning', family: 'openai', text: 'kept', signature: 'rs_1', opaque },
              { type: 'reasoning', family: 'openai', opaque: 'no-id' },
              { type: 'reasoning', family: 'openai', signature: 'rs_2', opaque: 'enc2' },
              { type: 'tool_call', id: 'c', name: 'f', arguments: '{}' },
            ],
          },
        ],
      },
      'm',
    );
    expect(out.input).toEqual([
      { type: 'message', role: 'user', content: 'q' },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'kept' }], encrypted_content: opaque },
      { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'enc2' },
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
    ]);
    expect(out.include).toEqual(['reasoning.encrypted_content']);
    // Through a Responses client and back, the encrypted content is the same bytes.
    const again = requestToCanonical(JSON.parse(JSON.stringify(out)) as Record<string, unknown>);
    expect(again.messages[1]?.content[0]).toEqual({ type: 'reasoning', family: 'openai', text: 'kept', signature: 'rs_1', opaque });
  });

  it('asks for no encrypted reasoning when none is sent back', () => {
    const out = requestFromCanonical({ ...base, messages: [...base.messages, { role: 'assistant', content: [{ type: 'reasoning', family: 'gemini', signature: 's' }, { type: 'text', text: 'a' }] }] }, 'm');
    expect(out.include).toBeUndefined();
    expect(out.input).toEqual([
      { type: 'message', role: 'user', content: 'hi' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'a' }] },
    ]);
  });

  it('writes documents by URL as file_url and refuses non-PDF binary documents', () => {
    const out = requestFromCanonical({ ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { kind: 'url', url: 'https://x.test/a.pdf' }, title: 'a' }] }] }, 'm');
    expect(out.input).toEqual([{ type: 'message', role: 'user', content: [{ type: 'input_file', file_url: 'https://x.test/a.pdf', filename: 'a' }] }]);
    const err = thrown(GatewayError, () =>
      requestFromCanonical({ ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { kind: 'base64', mediaType: 'application/zip', data: 'AA' } }] }] }, 'm'),
    );
    expect(err.code).toBe('BAD_REQUEST');
  });
});
