// The Anthropic provider against local servers: exact paths and headers, credentials, pagination, and the mock end to end.
import { createParser } from 'eventsource-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ANTHROPIC_KEY, MOCK_REPLY_SUFFIX, mockAnthropicReply, mockThinkingSignature, startMockAnthropic, type MockAnthropic } from '../../../../../test/fixtures/mock-anthropic.js';
import { rejection, secretsWith, startUpstreamServer, type SeenUpstreamRequest, type UpstreamServer } from '../../../../../test/helpers/upstream-server.js';
import { providerSchema, type ProviderConfig } from '../../../config/schema.js';
import type { CanonicalRequest, SseEvent, StreamEvent } from '../../canonical.js';
import { anthropicMessages } from '../../dialects/anthropic-messages/index.js';
import { readText } from '../transport.js';
import type { ProviderRuntime } from '../types.js';
import { ANTHROPIC_VERSION, anthropicBaseUrl, createAnthropicProvider } from './index.js';

/** A recording server: answers each request with `upstream.answer` (by default 200 `{"ok": true}`). */
let upstream: UpstreamServer;
beforeAll(async () => {
  upstream = await startUpstreamServer(() => ({ json: { ok: true } }));
});
afterAll(() => upstream.close());

const providers: ProviderRuntime[] = [];
afterEach(async () => {
  upstream.reset();
  await Promise.all(providers.splice(0).map((p) => p.close()));
});

const config = (fields: Record<string, unknown>): ProviderConfig => providerSchema.parse({ id: 'claude', type: 'anthropic', ...fields });
const signal = (): AbortSignal => AbortSignal.timeout(5_000);

async function provider(fields: Record<string, unknown>, env: Record<string, string> = { ANTHROPIC_KEY: 'sk-ant-configured' }): Promise<ProviderRuntime> {
  const p = createAnthropicProvider(config({ baseUrl: upstream.url, apiKey: 'env:ANTHROPIC_KEY', ...fields }), await secretsWith(env, ['env:MISSING']));
  providers.push(p);
  return p;
}

async function sent(p: ProviderRuntime, req: Omit<Parameters<ProviderRuntime['send']>[0], 'signal' | 'requestId'>): Promise<SeenUpstreamRequest> {
  const res = await p.send({ ...req, signal: signal(), requestId: 'req-1' });
  await readText(res.body);
  const last = upstream.seen.at(-1);
  if (!last) throw new Error('nothing reached the server');
  return last;
}

describe('anthropic provider', () => {
  it('describes itself and fits a body: the model, and the stream flag only when streaming', async () => {
    const p = await provider({});
    expect(p).toMatchObject({ id: 'claude', type: 'anthropic', family: 'anthropic', dialect: anthropicMessages, unavailable: null, countsTokens: true, servesResponses: false });
    await expect(p.send({ operation: 'responses', body: { model: 'x', input: 'hi' }, signal: signal(), requestId: 'r' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(upstream.seen).toHaveLength(0);
    const body = { model: 'alias', max_tokens: 10, messages: [], stream: true };
    expect(p.prepare(body, 'claude-target', false)).toEqual({ model: 'claude-target', max_tokens: 10, messages: [] });
    expect(p.prepare({ ...body, stream: false }, 'claude-target', true)).toEqual({ model: 'claude-target', max_tokens: 10, messages: [], stream: true });
    expect(body.model).toBe('alias');
  });

  it('posts messages to /v1/messages with x-api-key, the API version and the configured headers', async () => {
    const p = await provider({ headers: { 'X-Team': 'team-${env:TEAM}' } }, { ANTHROPIC_KEY: 'sk-ant-configured', TEAM: 'blue' });
    const body = p.prepare({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, 'claude-target', false);
    const req = await sent(p, { operation: 'generate', body, model: 'claude-target' });
    expect(req).toMatchObject({ method: 'POST', url: '/v1/messages', body });
    expect(req.headers).toMatchObject({
      'x-api-key': 'sk-ant-configured',
      'anthropic-version': ANTHROPIC_VERSION,
      'x-team': 'team-blue',
      accept: 'application/json',
      'content-type': 'application/json',
    });
    expect(req.headers['authorization']).toBeUndefined();

    const streamed = await sent(p, { operation: 'generate', body: p.prepare(body, 'claude-target', true), stream: true });
    expect(streamed.headers['accept']).toBe('text/event-stream');
    expect(streamed.body).toMatchObject({ stream: true });
  });

  it("forwards the client's anthropic-version and anthropic-beta untouched, but never credentials that way", async () => {
    const p = await provider({});
    const req = await sent(p, {
      operation: 'generate',
      body: { model: 'm', max_tokens: 1, messages: [] },
      forwardHeaders: { 'Anthropic-Version': '2099-01-01', 'anthropic-beta': 'prompt-caching-2024-07-31, interleaved-thinking-2025-05-14', 'x-api-key': 'sk-smuggled' },
    });
    expect(req.headers['anthropic-version']).toBe('2099-01-01');
    expect(req.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31, interleaved-thinking-2025-05-14');
    expect(req.headers['x-api-key']).toBe('sk-ant-configured');
  });

  it("replaces the configured key entirely with the caller's own credentials", async () => {
    const p = await provider({ headers: { Authorization: 'Bearer ${env:ANTHROPIC_KEY}' } });
    const oauth = await sent(p, { operation: 'generate', body: { model: 'm', max_tokens: 1, messages: [] }, callerCredentials: { Authorization: 'Bearer sk-ant-oat-caller' } });
    expect(oauth.headers['authorization']).toBe('Bearer sk-ant-oat-caller');
    expect(oauth.headers['x-api-key']).toBeUndefined();

    const own = await sent(p, { operation: 'generate', body: { model: 'm', max_tokens: 1, messages: [] }, callerCredentials: { 'X-Api-Key': 'sk-ant-caller' } });
    expect(own.headers['x-api-key']).toBe('sk-ant-caller');
    // The configured Authorization header is a credential too: not sent alongside the caller's.
    expect(own.headers['authorization']).toBeUndefined();
  });

  it('counts tokens at /v1/messages/count_tokens with the generation settings left out', async () => {
    const p = await provider({});
    const body = { model: 'm', max_tokens: 100, stream: true, temperature: 0.5, top_k: 3, top_p: 0.9, stop_sequences: ['x'], metadata: { user_id: 'u' }, system: 's', messages: [{ role: 'user', content: 'hi' }], tools: [], thinking: { type: 'enabled', budget_tokens: 1024 } };
    const req = await sent(p, { operation: 'count_tokens', body });
    expect(req).toMatchObject({ method: 'POST', url: '/v1/messages/count_tokens' });
    expect(req.body).toEqual({ model: 'm', system: 's', messages: [{ role: 'user', content: 'hi' }], tools: [], thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(req.headers['accept']).toBe('application/json');
  });

  it('lists models across pages, following has_more and last_id with limit=1000', async () => {
    const pages: Record<string, { data: { type: string; id: string }[]; has_more: boolean; first_id: string; last_id: string }> = {
      '': { data: [{ type: 'model', id: 'a' }, { type: 'model', id: 'b' }], has_more: true, first_id: 'a', last_id: 'b' },
      b: { data: [{ type: 'model', id: 'c' }, { type: 'model', id: 'd' }], has_more: true, first_id: 'c', last_id: 'd' },
      d: { data: [{ type: 'model', id: 'e' }], has_more: false, first_id: 'e', last_id: 'e' },
    };
    upstream.answer = (req) => ({ json: pages[new URL(req.url, 'http://x').searchParams.get('after_id') ?? ''] });
    const p = await provider({});
    expect(await p.listModels(signal())).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(upstream.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/models?limit=1000', 'GET /v1/models?limit=1000&after_id=b', 'GET /v1/models?limit=1000&after_id=d']);
    expect(upstream.seen[0]?.headers).toMatchObject({ 'x-api-key': 'sk-ant-configured', 'anthropic-version': ANTHROPIC_VERSION });

    // The `models` operation is one page of the same listing.
    const one = await sent(p, { operation: 'models' });
    expect(one).toMatchObject({ method: 'GET', url: '/v1/models?limit=1000', body: undefined });
  });

  it('stops a listing that repeats its cursor, and reports a failed listing without the key', async () => {
    upstream.answer = () => ({ status: 200, json: { data: [{ id: 'a' }], has_more: true, last_id: 'a' } });
    const p = await provider({});
    expect(await p.listModels(signal())).toEqual(['a', 'a']);

    upstream.answer = () => ({ status: 401, json: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key sk-ant-configured' } } });
    const err = await rejection(p.listModels(signal()));
    expect(err.code).toBe('UPSTREAM_AUTH');
    expect(err.message).toContain('invalid x-api-key');
    expect(err.message).not.toContain('sk-ant-configured');

    upstream.answer = () => ({ status: 500, json: { type: 'error', error: { type: 'api_error', message: 'Internal server error' } } });
    expect((await rejection(p.listModels(signal()))).code).toBe('UPSTREAM_ERROR');
  });

  it('keeps a base URL path prefix, and accepts one pasted with /v1', async () => {
    const prefixed = await provider({ baseUrl: `${upstream.url}/proxy/anthropic/` });
    expect((await sent(prefixed, { operation: 'generate', body: { model: 'm' } })).url).toBe('/proxy/anthropic/v1/messages');
    const withV1 = await provider({ baseUrl: `${upstream.url}/v1` });
    expect((await sent(withV1, { operation: 'count_tokens', body: { model: 'm' } })).url).toBe('/v1/messages/count_tokens');
  });

  it('is unavailable, with the reason, when its key cannot be read', async () => {
    const p = await provider({ apiKey: 'env:MISSING' }, {});
    expect(p.unavailable).toMatch(/^provider "claude": .*MISSING/);
    const err = await rejection(p.send({ operation: 'generate', body: {}, signal: signal(), requestId: 'r' }));
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect((await rejection(p.listModels(signal()))).code).toBe('PROVIDER_UNAVAILABLE');
    expect(upstream.seen).toHaveLength(0);

    const header = await provider({ headers: { 'x-extra': '${env:MISSING}' } });
    expect(header.unavailable).toMatch(/MISSING/);
  });

  it('uses https://api.anthropic.com when no base URL is configured', () => {
    expect(anthropicBaseUrl({}).href).toBe('https://api.anthropic.com/');
    expect(anthropicBaseUrl({ baseUrl: 'https://proxy.example/anthropic/v1/' }).href).toBe('https://proxy.example/anthropic');
  });
});

describe('anthropic provider against the mock', () => {
  let mock: MockAnthropic;
  beforeAll(async () => {
    mock = await startMockAnthropic();
  });
  afterAll(async () => {
    await mock.close();
  });

  async function mockProvider(): Promise<ProviderRuntime> {
    const p = createAnthropicProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: MOCK_ANTHROPIC_KEY }));
    providers.push(p);
    return p;
  }

  // An OpenAI-shaped conversation: reasoning effort, tool messages then a user message, a forced-free tool list.
  const request: CanonicalRequest = {
    model: 'gpt-style-alias',
    system: [{ type: 'text', text: 'Be brief.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', family: 'anthropic', text: 'Considering: weather?', signature: mockThinkingSignature('Considering: weather?') },
          { type: 'reasoning', family: 'openai', opaque: 'gAAAA' },
          { type: 'text', text: '' },
          { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"' },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: '18°C' }] }] },
      { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
    ],
    tools: [{ name: 'get_weather', parameters: { properties: { city: { type: 'string' } } } }],
    reasoning: { effort: 'medium' },
    maxOutputTokens: 500,
    temperature: 0.7,
    stream: false,
  };

  it('sends a translated conversation Anthropic accepts, and reads the answer back', async () => {
    const p = await mockProvider();
    const body = p.prepare(anthropicMessages.requestFromCanonical(request, 'claude-sonnet-4-5'), 'claude-sonnet-4-5', false);
    const res = await p.send({ operation: 'generate', body, signal: signal(), requestId: 'r' });
    const text = await readText(res.body);
    expect(res.status, text).toBe(200);
    const reply = anthropicMessages.responseToCanonical(JSON.parse(text) as Record<string, unknown>);
    expect(reply.content.at(-1)).toEqual({ type: 'text', text: `Tool said: "18°C"${MOCK_REPLY_SUFFIX}` });
    expect(reply.content[0]).toMatchObject({ type: 'reasoning', family: 'anthropic', signature: expect.any(String) as unknown });
    expect(reply.usage.inputTokens).toBe(mockAnthropicReply(body).promptTokens);
  });

  it('streams, and the decoder reads the documented sequence into canonical events', async () => {
    const p = await mockProvider();
    const body = p.prepare(anthropicMessages.requestFromCanonical({ ...request, stream: true }, 'claude-sonnet-4-5'), 'claude-sonnet-4-5', true);
    const res = await p.send({ operation: 'generate', body, stream: true, signal: signal(), requestId: 'r' });
    expect(res.status).toBe(200);
    const decoder = anthropicMessages.streamDecoder();
    const events: StreamEvent[] = [];
    const parser = createParser({ onEvent: (ev) => events.push(...decoder.decode(ev as SseEvent)) });
    for await (const chunk of res.body as AsyncIterable<Buffer>) parser.feed(chunk.toString('utf8'));
    expect(decoder.done).toBe(true);
    const text = events.flatMap((ev) => (ev.type === 'text_delta' ? [ev.text] : [])).join('');
    expect(text).toBe(`Tool said: "18°C"${MOCK_REPLY_SUFFIX}`);
    expect(events.filter((ev) => ev.type === 'finish')).toEqual([{ type: 'finish', stopReason: 'end' }]);
  });

  it('counts tokens upstream', async () => {
    const p = await mockProvider();
    const body = anthropicMessages.requestFromCanonical(request, 'claude-sonnet-4-5');
    const res = await p.send({ operation: 'count_tokens', body, signal: signal(), requestId: 'r' });
    const text = await readText(res.body);
    expect(res.status, text).toBe(200);
    const { max_tokens: _m, temperature: _t, ...counted } = body;
    expect(JSON.parse(text)).toEqual({ input_tokens: mockAnthropicReply(counted).promptTokens });
  });
});
