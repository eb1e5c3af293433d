// Fitting requests to each family's tool-name and tool-id rules, and restoring names in replies.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CanonicalRequest } from './canonical.js';
import { fitRequest, fitToolCallId, fitToolName, JSON_REPLY_TOOL } from './translate.js';
import { ZERO_USAGE } from './usage.js';

const base = (over: Partial<CanonicalRequest> = {}): CanonicalRequest => ({ model: 'm', system: [], messages: [], stream: false, ...over });

describe('fitToolName', () => {
  it('keeps names a family accepts', () => {
    expect(fitToolName('get_weather', 'openai')).toBe('get_weather');
    expect(fitToolName('fs.read', 'gemini')).toBe('fs.read');
  });

  it('replaces characters a family rejects and ends the name in a hash of the original', () => {
    const fitted = fitToolName('fs.read', 'anthropic');
    expect(fitted).toMatch(/^fs_read_[a-zA-Z0-9]{8}$/);
    // Two names that sanitise alike stay distinct.
    expect(fitToolName('fs:read', 'anthropic')).not.toBe(fitted);
  });

  it('starts a Gemini name with a letter or underscore', () => {
    expect(fitToolName('1tool', 'gemini')).toMatch(/^_1tool_/);
  });

  it('shortens names over 64 characters to 64, the same way every time', () => {
    const long = `mcp__server__${'x'.repeat(80)}`;
    const fitted = fitToolName(long, 'openai');
    expect(fitted.length).toBe(64);
    expect(fitToolName(long, 'openai')).toBe(fitted);
  });

  it('always yields a valid name for every family (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (name) => {
        expect(fitToolName(name, 'openai')).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
        expect(fitToolName(name, 'anthropic')).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
        expect(fitToolName(name, 'gemini')).toMatch(/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/);
      }),
    );
  });
});

describe('fitToolCallId', () => {
  it('keeps ids a family accepts and maps the others to a stable valid id', () => {
    expect(fitToolCallId('toolu_01ABC', 'openai')).toBe('toolu_01ABC');
    const long = 'call_'.padEnd(60, 'z');
    expect(fitToolCallId(long, 'openai').length).toBeLessThanOrEqual(40);
    expect(fitToolCallId(long, 'openai')).toBe(fitToolCallId(long, 'openai'));
    expect(fitToolCallId('call:1/2', 'anthropic')).toMatch(/^[a-zA-Z0-9_-]+$/);
  });
});

describe('fitRequest', () => {
  it('returns the same request when nothing has to change', () => {
    const req = base({ messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(fitRequest(req, 'anthropic').request).toBe(req);
  });

  it('renames a tool consistently in its definition, calls, results and tool choice, and restores it in replies', () => {
    const req = base({
      tools: [{ name: 'fs.read', parameters: { type: 'object' } }],
      toolChoice: { type: 'tool', name: 'fs.read' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'read it' }] },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'call:1', name: 'fs.read', arguments: '{}' }] },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'call:1', name: 'fs.read', content: [{ type: 'text', text: 'ok' }] }] },
      ],
    });
    const { request, restore } = fitRequest(req, 'anthropic');
    const upstreamName = request.tools![0]!.name;
    expect(upstreamName).not.toBe('fs.read');
    expect(request.toolChoice).toEqual({ type: 'tool', name: upstreamName });
    const call = request.messages[1]!.content[0]!;
    const result = request.messages[2]!.content[0]!;
    expect(call).toMatchObject({ type: 'tool_call', name: upstreamName });
    expect(result).toMatchObject({ type: 'tool_result', name: upstreamName });
    expect(call.type === 'tool_call' && result.type === 'tool_result' && call.id === result.toolCallId).toBe(true);
    expect(req.tools![0]!.name).toBe('fs.read'); // the client's request is not mutated

    const reply = restore().response({
      id: 'r',
      model: 'm',
      content: [{ type: 'tool_call', id: 't1', name: upstreamName, arguments: '{}' }],
      stopReason: 'tool_calls',
      usage: ZERO_USAGE,
    });
    expect(reply.content[0]).toMatchObject({ name: 'fs.read' });
    expect(restore().event({ type: 'block_start', index: 0, block: 'tool_call', id: 't1', name: upstreamName })).toEqual([
      { type: 'block_start', index: 0, block: 'tool_call', id: 't1', name: 'fs.read' },
    ]);
  });

  it('drops empty text parts and the messages they empty for families that reject them', () => {
    const req = base({
      system: [{ type: 'text', text: '' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', content: [{ type: 'text', text: '' }] },
        { role: 'user', content: [{ type: 'text', text: 'again' }] },
      ],
    });
    const anthropic = fitRequest(req, 'anthropic').request;
    expect(anthropic.system).toEqual([]);
    expect(anthropic.messages).toHaveLength(2);
    expect(fitRequest(req, 'openai').request).toBe(req);
  });
});

describe('structured replies on Anthropic', () => {
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const req = base({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'where?' }] }],
    responseFormat: { type: 'json_schema', name: 'place', schema },
  });

  it('turns a JSON-schema response format into a forced tool, leaving other families alone', () => {
    const { request } = fitRequest(req, 'anthropic');
    expect(request.responseFormat).toBeUndefined();
    expect(request.tools).toEqual([{ name: JSON_REPLY_TOOL, description: expect.any(String), parameters: schema }]);
    expect(request.toolChoice).toEqual({ type: 'tool', name: JSON_REPLY_TOOL });
    expect(fitRequest(req, 'gemini').request.responseFormat).toEqual(req.responseFormat);
  });

  it('gives the tool input back as the reply text, plain and streamed', () => {
    const { restore } = fitRequest(req, 'anthropic');
    const reply = restore().response({
      id: 'r',
      model: 'm',
      content: [{ type: 'tool_call', id: 't', name: JSON_REPLY_TOOL, arguments: '{"city":"Oslo"}' }],
      stopReason: 'tool_calls',
      usage: ZERO_USAGE,
    });
    expect(reply).toMatchObject({ content: [{ type: 'text', text: '{"city":"Oslo"}' }], stopReason: 'end' });

    const r = restore();
    const events = [
      { type: 'block_start', index: 0, block: 'tool_call', id: 't', name: JSON_REPLY_TOOL },
      { type: 'tool_args_delta', index: 0, json: '{"city":' },
      { type: 'tool_args_delta', index: 0, json: '"Oslo"}' },
      { type: 'block_end', index: 0 },
      { type: 'finish', stopReason: 'tool_calls' },
    ] as const;
    expect(events.flatMap((e) => r.event(e))).toEqual([
      { type: 'block_start', index: 0, block: 'text' },
      { type: 'text_delta', index: 0, text: '{"city":' },
      { type: 'text_delta', index: 0, text: '"Oslo"}' },
      { type: 'block_end', index: 0 },
      { type: 'finish', stopReason: 'end' },
    ]);
  });
});
