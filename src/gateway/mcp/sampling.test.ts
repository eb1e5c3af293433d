import { describe, expect, it } from 'vitest';
import { chatBodyFor, resultOf, sampleThroughGateway } from './sampling.js';

describe('sampling through the gateway', () => {
  const params = {
    messages: [
      { role: 'user' as const, content: { type: 'text' as const, text: 'hi' } },
      { role: 'assistant' as const, content: { type: 'text' as const, text: 'hello' } },
      { role: 'user' as const, content: { type: 'image' as const, data: 'AAAA', mimeType: 'image/png' } },
    ],
    systemPrompt: 'be brief',
    maxTokens: 50,
    temperature: 0.2,
    stopSequences: ['END'],
  };

  it('maps a sampling request to a Chat Completions body on the route', () => {
    expect(chatBodyFor(params, 'fast')).toEqual({
      model: 'fast',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: ['END'],
    });
    expect(() => chatBodyFor({ messages: [{ role: 'user', content: { type: 'audio', data: 'x', mimeType: 'audio/wav' } }], maxTokens: 5 }, 'fast')).toThrow(/audio/);
  });

  it('maps the answer back, and a refusal to an MCP error with the gateway\'s reason', async () => {
    expect(resultOf({ model: 'gpt-4o-mini', choices: [{ message: { content: 'ok' }, finish_reason: 'length' }] })).toEqual({
      role: 'assistant',
      content: { type: 'text', text: 'ok' },
      model: 'gpt-4o-mini',
      stopReason: 'maxTokens',
    });
    const refused = sampleThroughGateway(async () => ({ status: 402, json: { error: { message: 'budget of key "k" cannot cover this request' } } }), 'k', 'fast', params, new AbortController().signal);
    await expect(refused).rejects.toThrow(/could not answer the sampling request on route "fast": budget of key "k"/);
  });
});
