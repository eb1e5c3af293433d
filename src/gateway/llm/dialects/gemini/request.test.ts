// Tests for Gemini request bodies <-> canonical: every mapping, generated ids, name lookup, signatures, errors.
import { describe, expect, it } from 'vitest';
import type { CanonicalRequest, Message } from '../../canonical.js';
import { GatewayError } from '../../../errors.js';
import { UNPARSED_ARGUMENTS_KEY } from '../../tool-args.js';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { requestFromCanonical, requestToCanonical } from './request.js';

function canonical(messages: Message[], extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: 'ignored', system: [], messages, stream: false, ...extra };
}

describe('requestToCanonical', () => {
  it('maps contents, system instruction, tools, tool config and generation config', () => {
    const req = requestToCanonical({
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Be kind.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'look' },
            { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
            { inlineData: { mimeType: 'application/pdf', data: 'JVBER' } },
            { inlineData: { mimeType: 'text/plain', data: 'aGk=' } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } },
            { fileData: { mimeType: 'application/pdf', fileUri: 'gs://bucket/doc.pdf' } },
          ],
        },
      ],
      tools: [
        { googleSearch: {} },
        {
          functionDeclarations: [
            { name: 'search', description: 'Search the web', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING', nullable: true } }, required: ['q'] } },
            { name: 'raw', parametersJsonSchema: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } },
            { name: 'noargs' },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['search'] } },
      generationConfig: {
        maxOutputTokens: 100,
        temperature: 0.2,
        topP: 0.9,
        topK: 40,
        seed: 7,
        stopSequences: ['END'],
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { ok: { type: 'BOOLEAN' } } },
        thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
      },
    });
    expect(req).toEqual({
      model: '',
      stream: false,
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Be kind.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
            { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' } },
            { type: 'document', source: { kind: 'base64', mediaType: 'text/plain', data: 'aGk=' } },
            { type: 'image', source: { kind: 'url', url: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } },
            { type: 'document', source: { kind: 'url', url: 'gs://bucket/doc.pdf' } },
          ],
        },
      ],
      tools: [
        { name: 'search', description: 'Search the web', parameters: { type: 'object', properties: { q: { type: ['string', 'null'] } }, required: ['q'] } },
        { name: 'raw', parameters: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } },
        { name: 'noargs', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'tool', name: 'search' },
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      seed: 7,
      stop: ['END'],
      responseFormat: { type: 'json_schema', name: 'response', schema: { type: 'object', properties: { ok: { type: 'boolean' } } } },
      reasoning: { budgetTokens: 1024 },
    });
  });

  it('maps every function calling mode', () => {
    const choice = (functionCallingConfig: unknown) => requestToCanonical({ contents: [], toolConfig: { functionCallingConfig } }).toolChoice;
    expect(choice({ mode: 'AUTO' })).toEqual({ type: 'auto' });
    expect(choice({ mode: 'VALIDATED' })).toEqual({ type: 'auto' });
    expect(choice({ mode: 'NONE' })).toEqual({ type: 'none' });
    expect(choice({ mode: 'ANY' })).toEqual({ type: 'required' });
    expect(choice({ mode: 'ANY', allowedFunctionNames: ['a', 'b'] })).toEqual({ type: 'required' });
    expect(choice({ mode: 'ANY', allowedFunctionNames: ['a'] })).toEqual({ type: 'tool', name: 'a' });
  });

  it('maps thinking budgets and levels, json modes and responseJsonSchema', () => {
    const gen = (generationConfig: unknown) => requestToCanonical({ contents: [], generationConfig });
    expect(gen({ thinkingConfig: { thinkingBudget: 0 } }).reasoning).toEqual({ effort: 'none' });
    expect(gen({ thinkingConfig: { thinkingBudget: -1 } }).reasoning).toBeUndefined();
    expect(gen({ thinkingConfig: { thinkingLevel: 'LOW' } }).reasoning).toEqual({ effort: 'low' });
    expect(gen({ thinkingConfig: { thinkingLevel: 'high' } }).reasoning).toEqual({ effort: 'high' });
    expect(gen({ responseMimeType: 'application/json' }).responseFormat).toEqual({ type: 'json_object' });
    expect(gen({ responseMimeType: 'text/plain' }).responseFormat).toEqual({ type: 'text' });
    const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false };
    expect(gen({ responseMimeType: 'application/json', responseJsonSchema: schema }).responseFormat).toEqual({ type: 'json_schema', name: 'response', schema });
  });

  it('gives calls without an id a positional id and pairs responses by name, in order', () => {
    const req = requestToCanonical({
      contents: [
        { role: 'user', parts: [{ text: 'weather in two cities' }] },
        {
          role: 'model',
          parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'weather', args: { city: 'Rome' } } }, { functionCall: { name: 'time' } }],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'time', response: { output: '12:00' } } },
            { functionResponse: { name: 'weather', response: { output: 'snow' } } },
            { functionResponse: { name: 'weather', response: { temp: 30 } } },
          ],
        },
      ],
    });
    expect(req.messages[1]?.content).toEqual([
      { type: 'tool_call', id: 'gemgen_1_0', name: 'weather', arguments: '{"city":"Oslo"}' },
      { type: 'tool_call', id: 'gemgen_1_1', name: 'weather', arguments: '{"city":"Rome"}' },
      { type: 'tool_call', id: 'gemgen_1_2', name: 'time', arguments: '{}' },
    ]);
    expect(req.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', toolCallId: 'gemgen_1_2', name: 'time', content: [{ type: 'text', text: '12:00' }] },
        { type: 'tool_result', toolCallId: 'gemgen_1_0', name: 'weather', content: [{ type: 'text', text: 'snow' }] },
        { type: 'tool_result', toolCallId: 'gemgen_1_1', name: 'weather', content: [{ type: 'text', text: '{"temp":30}' }] },
      ],
    });
  });

  it('pairs responses by id when they have one, whatever the order', () => {
    const req = requestToCanonical({
      contents: [
        { role: 'model', parts: [{ functionCall: { id: 'a1', name: 'f', args: {} } }, { functionCall: { id: 'b2', name: 'f', args: {} } }] },
        { role: 'function', parts: [{ functionResponse: { id: 'b2', name: 'f', response: { error: 'boom' } } }, { functionResponse: { id: 'a1', name: 'f', response: { output: { n: 1 } } } }] },
      ],
    });
    expect(req.messages[1]?.content).toEqual([
      { type: 'tool_result', toolCallId: 'b2', name: 'f', content: [{ type: 'text', text: 'boom' }], isError: true },
      { type: 'tool_result', toolCallId: 'a1', name: 'f', content: [{ type: 'text', text: '{"n":1}' }] },
    ]);
    expect(req.messages[1]?.role).toBe('user');
  });

  it('keeps thoughts and thought signatures as Gemini reasoning, each signature before its part', () => {
    const req = requestToCanonical({
      contents: [
        {
          role: 'model',
          parts: [
            { text: 'pondering', thought: true, thoughtSignature: 'sigT' },
            { functionCall: { id: 'c', name: 'f', args: { x: 1 } }, thoughtSignature: 'sigA' },
            { text: 'done', thoughtSignature: 'sigB' },
            { text: '', thoughtSignature: 'sigC' },
          ],
        },
      ],
    });
    expect(req.messages[0]?.content).toEqual([
      { type: 'reasoning', family: 'gemini', text: 'pondering', signature: 'sigT' },
      { type: 'reasoning', family: 'gemini', signature: 'sigA' },
      { type: 'tool_call', id: 'c', name: 'f', arguments: '{"x":1}' },
      { type: 'reasoning', family: 'gemini', signature: 'sigB' },
      { type: 'text', text: 'done' },
      { type: 'reasoning', family: 'gemini', signature: 'sigC' },
    ]);
  });

  it('restores arguments that were not a JSON object', () => {
    const req = requestToCanonical({ contents: [{ role: 'model', parts: [{ functionCall: { id: 'x', name: 'f', args: { [UNPARSED_ARGUMENTS_KEY]: 'not json' } } }] }] });
    expect(req.messages[0]?.content[0]).toMatchObject({ arguments: 'not json' });
  });

  it('rejects malformed bodies with BAD_REQUEST naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'contents'],
      [{ contents: [{ role: 'assistant', parts: [] }] }, 'contents[0].role'],
      [{ contents: [{ role: 'user' }] }, 'contents[0].parts'],
      [{ contents: [{ role: 'user', parts: ['hi'] }] }, 'contents[0].parts[0]'],
      [{ contents: [{ role: 'user', parts: [{ text: 'a' }, { foo: 1 }] }] }, 'contents[0].parts[1]'],
      [{ contents: [{ role: 'model', parts: [{ functionCall: { args: {} } }] }] }, 'contents[0].parts[0].functionCall.name'],
      [{ contents: [{ role: 'user', parts: [{ inlineData: { data: 'x' } }] }] }, 'contents[0].parts[0].inlineData.mimeType'],
      [{ contents: [], systemInstruction: { parts: [{ inlineData: {} }] } }, 'systemInstruction.parts[0]'],
      [{ contents: [], tools: [{ functionDeclarations: [{ description: 'x' }] }] }, 'tools[0].functionDeclarations[0].name'],
      [{ contents: [], toolConfig: { functionCallingConfig: { mode: 'SOMETIMES' } } }, 'toolConfig.functionCallingConfig.mode'],
      [{ contents: [], generationConfig: { temperature: 'hot' } }, 'generationConfig.temperature'],
      [{ contents: [], generationConfig: { thinkingConfig: { thinkingLevel: 'MAXIMUM' } } }, 'generationConfig.thinkingConfig.thinkingLevel'],
    ];
    for (const [body, param] of cases) {
      const err = thrown(GatewayError, () => requestToCanonical(body));
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.param).toBe(param);
      expect(err.message).toContain(param);
    }
  });
});

describe('requestFromCanonical', () => {
  it('maps messages, system, tools and settings, merging consecutive turns of one role', () => {
    const body = requestFromCanonical(
      canonical(
        [
          { role: 'user', content: [{ type: 'text', text: 'first' }] },
          { role: 'user', content: [{ type: 'text', text: 'second' }] },
          { role: 'assistant', content: [{ type: 'reasoning', family: 'anthropic', text: 'hmm', signature: 'anthropic-sig' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'answer' }] },
        ],
        {
          system: [{ type: 'text', text: 'sys' }],
          tools: [{ name: 'f', description: 'does f', parameters: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } }],
          toolChoice: { type: 'required' },
          maxOutputTokens: 50,
          temperature: 1,
          topP: 0.5,
          topK: 3,
          seed: 1,
          stop: ['x'],
          user: 'ignored',
          parallelToolCalls: false,
          responseFormat: { type: 'json_object' },
          reasoning: { effort: 'medium' },
        },
      ),
      'gemini-2.5-flash',
    );
    expect(body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'first' }, { text: 'second' }] },
        { role: 'model', parts: [{ text: 'answer' }] },
      ],
      systemInstruction: { parts: [{ text: 'sys' }] },
      tools: [{ functionDeclarations: [{ name: 'f', description: 'does f', parameters: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
      generationConfig: {
        maxOutputTokens: 50,
        temperature: 1,
        topP: 0.5,
        topK: 3,
        seed: 1,
        stopSequences: ['x'],
        responseMimeType: 'application/json',
        thinkingConfig: { thinkingLevel: 'MEDIUM', includeThoughts: true },
      },
    });
    expect(body).not.toHaveProperty('model');
  });

  it('names every function response from its call, sends ids only when Gemini or the client made them', () => {
    const body = requestFromCanonical(
      canonical([
        { role: 'user', content: [{ type: 'text', text: 'go' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_call', id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' },
            { type: 'tool_call', id: 'gemgen_1_1', name: 'other', arguments: 'oops not json' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: '{"hits":3}' }] },
            { type: 'tool_result', toolCallId: 'gemgen_1_1', content: [{ type: 'text', text: 'plain words' }], isError: true },
            { type: 'tool_result', toolCallId: 'lost', name: 'fallback_name', content: [{ type: 'text', text: '{"output":"x"}' }] },
          ],
        },
      ]),
      'm',
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'go' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { id: 'call_1', name: 'lookup', args: { q: 'a' } } },
          { functionCall: { name: 'other', args: { [UNPARSED_ARGUMENTS_KEY]: 'oops not json' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'call_1', name: 'lookup', response: { hits: 3 } } },
          { functionResponse: { name: 'other', response: { error: 'plain words' } } },
          { functionResponse: { id: 'lost', name: 'fallback_name', response: { output: '{"output":"x"}' } } },
        ],
      },
    ]);
  });

  it('refuses a tool result it cannot name', () => {
    const err = thrown(GatewayError, () =>
      requestFromCanonical(canonical([{ role: 'user', content: [{ type: 'tool_result', toolCallId: 'nowhere', content: [] }] }]), 'm'),
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.param).toBe('messages[0].content[0]');
  });

  it('re-attaches Gemini signatures to the following part and drops thought text and other families', () => {
    const body = requestFromCanonical(
      canonical([
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', family: 'gemini', text: 'secret thoughts', signature: 'S1' },
            { type: 'tool_call', id: 'k', name: 'f', arguments: '{}' },
            { type: 'reasoning', family: 'openai', opaque: 'enc', signature: 'not-ours' },
            { type: 'text', text: 'after' },
            { type: 'reasoning', family: 'gemini', signature: 'S2' },
            { type: 'reasoning', family: 'gemini', signature: 'S3' },
            { type: 'text', text: 'end' },
            { type: 'reasoning', family: 'gemini', signature: 'S4' },
          ],
        },
      ]),
      'm',
    );
    expect((body.contents as unknown[])[1]).toEqual({
      role: 'model',
      parts: [
        { functionCall: { id: 'k', name: 'f', args: {} }, thoughtSignature: 'S1' },
        { text: 'after' },
        { text: '', thoughtSignature: 'S2' },
        { text: 'end', thoughtSignature: 'S3' },
        { text: '', thoughtSignature: 'S4' },
      ],
    });
    expect(JSON.stringify(body)).not.toContain('secret thoughts');
  });

  it('drops messages left empty, so no content has empty parts', () => {
    const body = requestFromCanonical(
      canonical([
        { role: 'user', content: [{ type: 'text', text: 'a' }] },
        { role: 'assistant', content: [{ type: 'reasoning', family: 'anthropic', text: 'x', signature: 'y' }] },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
      ]),
      'm',
    );
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }]);
  });

  it('writes media inline, by file URI with a MIME type, or from a data URL; result media follow the response', () => {
    const body = requestFromCanonical(
      canonical([
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'UklG' } },
            { type: 'image', source: { kind: 'url', url: 'https://x.test/cat.PNG?size=2' } },
            { type: 'image', source: { kind: 'url', url: 'https://x.test/cat' } },
            { type: 'image', source: { kind: 'url', url: 'data:image/gif;base64,R0lG' } },
            { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: 'héllo' } },
            { type: 'document', source: { kind: 'url', url: 'https://x.test/paper.pdf' } },
            { type: 'document', source: { kind: 'url', url: 'https://x.test/notes.txt' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'shot', name: 'screenshot', arguments: '{}' }] },
        {
          role: 'user',
          content: [{ type: 'tool_result', toolCallId: 'shot', content: [{ type: 'text', text: 'see image' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'PNG' } }] }],
        },
      ]),
      'm',
    );
    const [first, , third] = body.contents as { parts: unknown[] }[];
    expect(first?.parts).toEqual([
      { inlineData: { mimeType: 'image/webp', data: 'UklG' } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://x.test/cat.PNG?size=2' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://x.test/cat' } },
      { inlineData: { mimeType: 'image/gif', data: 'R0lG' } },
      { inlineData: { mimeType: 'text/plain', data: Buffer.from('héllo').toString('base64') } },
      { fileData: { mimeType: 'application/pdf', fileUri: 'https://x.test/paper.pdf' } },
      { fileData: { mimeType: 'text/plain', fileUri: 'https://x.test/notes.txt' } },
    ]);
    expect(third?.parts).toEqual([
      { functionResponse: { id: 'shot', name: 'screenshot', response: { output: 'see image' } } },
      { inlineData: { mimeType: 'image/png', data: 'PNG' } },
    ]);
  });

  it('maps tool choices, leaves tool config out without tools, and omits parameters of argument-less tools', () => {
    const tools = [
      { name: 'a', parameters: { type: 'object', properties: {} } },
      { name: 'b', parameters: { type: 'object', properties: { x: { type: 'number' } } } },
    ];
    const fc = (toolChoice: CanonicalRequest['toolChoice']) => requestFromCanonical(canonical([], { tools, toolChoice }), 'm').toolConfig;
    expect(fc({ type: 'auto' })).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(fc({ type: 'none' })).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(fc({ type: 'tool', name: 'b' })).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['b'] } });
    expect(requestFromCanonical(canonical([], { tools }), 'm').tools).toEqual([
      { functionDeclarations: [{ name: 'a' }, { name: 'b', parameters: { type: 'OBJECT', properties: { x: { type: 'NUMBER' } } } }] },
    ]);
    expect(requestFromCanonical(canonical([], { toolChoice: { type: 'none' } }), 'm')).toEqual({ contents: [] });
  });

  it('maps response formats and reasoning settings', () => {
    const gc = (extra: Partial<CanonicalRequest>) => requestFromCanonical(canonical([], extra), 'm').generationConfig;
    const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false, $defs: {} };
    expect(gc({ responseFormat: { type: 'json_schema', name: 'x', schema, strict: true } })).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(gc({ responseFormat: { type: 'text' } })).toEqual({ responseMimeType: 'text/plain' });
    expect(gc({ reasoning: { effort: 'none' } })).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(gc({ reasoning: { effort: 'xhigh' } })).toEqual({ thinkingConfig: { thinkingLevel: 'HIGH', includeThoughts: true } });
    expect(gc({ reasoning: { effort: 'low', budgetTokens: 2048 } })).toEqual({ thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } });
    expect(gc({ reasoning: { budgetTokens: 0 } })).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(gc({})).toBeUndefined();
  });

  it('keeps a tool result whose JSON is an object with only "output" or "error" distinguishable', () => {
    const body = requestFromCanonical(
      canonical([
        { role: 'assistant', content: [{ type: 'tool_call', id: 'i', name: 'f', arguments: '{}' }] },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'i', content: [{ type: 'text', text: '{"error":"not really"}' }] }] },
      ]),
      'm',
    );
    const fr = ((body.contents as { parts: { functionResponse: unknown }[] }[])[1]?.parts[0] as { functionResponse: unknown }).functionResponse;
    expect(fr).toEqual({ id: 'i', name: 'f', response: { output: '{"error":"not really"}' } });
    expect(requestToCanonical(body).messages[1]?.content[0]).toEqual({ type: 'tool_result', toolCallId: 'i', name: 'f', content: [{ type: 'text', text: '{"error":"not really"}' }] });
  });
});
