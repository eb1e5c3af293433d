// Bodies fitted to a server's quirks, call headers, and model lists read back.
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../../../test/helpers/thrown.js';
import { GatewayError } from '../../../errors.js';
import { callHeaders, modelIdsFromList, OPENAI_QUIRKS, prepareChatBody, type ChatQuirks } from './upstream.js';

describe('prepareChatBody', () => {
  it('addresses the model and asks for stream usage, keeping the client stream_options', () => {
    const body = { model: 'alias', messages: [], stream: true, stream_options: { include_obfuscation: false } };
    const out = prepareChatBody(body, 'gpt-4o', true, OPENAI_QUIRKS);
    expect(out).toEqual({ model: 'gpt-4o', messages: [], stream: true, stream_options: { include_obfuscation: false, include_usage: true } });
    expect(body).toEqual({ model: 'alias', messages: [], stream: true, stream_options: { include_obfuscation: false } });
  });

  it('removes stream fields from a request that does not stream', () => {
    expect(prepareChatBody({ messages: [], stream: true, stream_options: { include_usage: true } }, 'm', false, OPENAI_QUIRKS)).toEqual({ model: 'm', messages: [] });
  });

  it('sends the output limit under the name the server reads', () => {
    expect(prepareChatBody({ max_tokens: 10 }, 'm', false, OPENAI_QUIRKS)).toEqual({ model: 'm', max_completion_tokens: 10 });
    expect(prepareChatBody({ max_tokens: 10, max_completion_tokens: 20 }, 'm', false, OPENAI_QUIRKS)).toEqual({ model: 'm', max_completion_tokens: 20 });
    const old: ChatQuirks = { ...OPENAI_QUIRKS, maxTokensField: 'max_tokens' };
    expect(prepareChatBody({ max_completion_tokens: 20 }, 'm', false, old)).toEqual({ model: 'm', max_tokens: 20 });
    expect(prepareChatBody({ max_tokens: 10, max_completion_tokens: 20 }, 'm', false, old)).toEqual({ model: 'm', max_tokens: 20 });
  });

  it('renames, drops, leaves stream usage alone where it always comes, and strips message names', () => {
    const quirks: ChatQuirks = { streamUsage: 'always', maxTokensField: 'max_tokens', drop: ['user', 'stream_options'], rename: { seed: 'random_seed' }, dropMessageNames: true };
    const out = prepareChatBody(
      { seed: 3, user: 'u', stream_options: { include_usage: true }, messages: [{ role: 'user', name: 'ann', content: 'x' }, 'odd'] },
      'mistral-large',
      true,
      quirks,
    );
    expect(out).toEqual({ model: 'mistral-large', stream: true, random_seed: 3, messages: [{ role: 'user', content: 'x' }, 'odd'] });
  });
});

describe('callHeaders', () => {
  const configured = { authorization: 'Bearer sk-conf', 'x-team': 'a' };

  it('puts forwarded, configured and per-call headers together', () => {
    expect(callHeaders(configured, 'authorization', { stream: true, requestId: 'r1', forwardHeaders: { 'OpenAI-Beta': 'x', authorization: 'Bearer client' } })).toEqual({
      'openai-beta': 'x',
      authorization: 'Bearer sk-conf',
      'x-team': 'a',
      accept: 'text/event-stream',
      'x-request-id': 'r1',
    });
  });

  it("replaces the configured key with the caller's credentials", () => {
    expect(callHeaders({ 'api-key': 'k', 'x-team': 'a' }, 'api-key', { stream: false, requestId: 'r', callerCredentials: { Authorization: 'Bearer own' } })).toEqual({
      'x-team': 'a',
      authorization: 'Bearer own',
      accept: 'application/json',
      'x-request-id': 'r',
    });
  });
});

describe('modelIdsFromList', () => {
  it('reads the ids of a model list', () => {
    expect(modelIdsFromList('p', 200, JSON.stringify({ object: 'list', data: [{ id: 'a', object: 'model' }, { id: 'b' }, { nope: 1 }] }))).toEqual(['a', 'b']);
  });

  it('rejects failed listings and bodies that are not lists, naming the provider', () => {
    const auth = thrown(GatewayError, () => modelIdsFromList('p', 401, JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } })));
    expect(auth.code).toBe('UPSTREAM_AUTH');
    expect(auth.message).toBe('provider "p" could not list its models (HTTP 401): Incorrect API key provided');
    expect(thrown(GatewayError, () => modelIdsFromList('p', 500, 'gateway down')).message).toMatch(/HTTP 500\): gateway down/);
    expect(thrown(GatewayError, () => modelIdsFromList('p', 200, '{"models": []}')).code).toBe('UPSTREAM_ERROR');
  });
});
