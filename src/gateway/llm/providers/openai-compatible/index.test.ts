// The OpenAI-compatible provider against the local mock: exact requests, presets' quirks, credentials, failures.
import { describe, expect, it } from 'vitest';
import { MOCK_MODEL_IDS, MOCK_UPSTREAM_KEY, startMockOpenAI } from '../../../../../test/fixtures/mock-openai.js';
import { closedPort, rejection, secretsWith, sharedMock } from '../../../../../test/helpers/upstream-server.js';
import { providerSchema, type ProviderConfig } from '../../../config/schema.js';
import type { StreamEvent } from '../../canonical.js';
import { openaiChat } from '../../dialects/openai-chat/index.js';
import { readSse } from '../../sse.js';
import { readText } from '../transport.js';
import { createOpenAICompatibleProvider } from './index.js';
import { OPENAI_COMPATIBLE_PRESETS } from './presets.js';

const mock = sharedMock(await startMockOpenAI());

const config = (fields: Record<string, unknown>): ProviderConfig => providerSchema.parse({ id: 'local', type: 'openai-compatible', ...fields });
const signal = (): AbortSignal => AbortSignal.timeout(5_000);

describe('openai-compatible provider', () => {
  it('streams a chat request with its key, configured headers and request id, and the reply decodes', async () => {
    const secrets = await secretsWith({ UP_KEY: MOCK_UPSTREAM_KEY, TEAM: 'blue' });
    const p = createOpenAICompatibleProvider(config({ baseUrl: mock.url, apiKey: 'env:UP_KEY', headers: { 'X-Team': 'team-${env:TEAM}' } }), secrets);
    expect(p).toMatchObject({ id: 'local', type: 'openai-compatible', family: 'openai', unavailable: null, countsTokens: false, servesResponses: false });
    expect(p.dialect).toBe(openaiChat);

    const body = p.prepare({ model: 'alias', messages: [{ role: 'user', content: 'hello' }], stream: true, max_tokens: 5 }, 'gpt-4o-mini', true);
    const res = await p.send({ operation: 'generate', body, model: 'gpt-4o-mini', stream: true, signal: signal(), requestId: 'req-1' });
    expect(res.status).toBe(200);
    const decoder = openaiChat.streamDecoder();
    const events: StreamEvent[] = [];
    for await (const batch of readSse(res.body as AsyncIterable<Buffer>)) for (const ev of batch) events.push(...decoder.decode(ev));
    expect(decoder.done).toBe(true);
    expect(events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')).toBe('echo: hello');
    expect(events.some((e) => e.type === 'usage')).toBe(true);

    const [seen] = mock.requests;
    expect(seen).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    expect(seen?.headers).toMatchObject({
      authorization: `Bearer ${MOCK_UPSTREAM_KEY}`,
      'x-team': 'team-blue',
      accept: 'text/event-stream',
      'x-request-id': 'req-1',
      'content-type': 'application/json',
    });
    expect(seen?.body).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], stream: true, stream_options: { include_usage: true }, max_completion_tokens: 5 });
    await p.close();
  });

  it("fits the body to a preset's quirks, at an overridden base URL", async () => {
    const p = createOpenAICompatibleProvider(config({ preset: 'mistral', baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: MOCK_UPSTREAM_KEY }));
    const body = p.prepare(
      { model: 'x', messages: [{ role: 'user', name: 'ann', content: 'hi' }], seed: 4, user: 'u1', max_completion_tokens: 9, stream_options: { include_usage: true } },
      'mistral-small-latest',
      true,
    );
    const res = await p.send({ operation: 'generate', body, stream: true, signal: signal(), requestId: 'r' });
    await readText(res.body);
    expect(mock.requests[0]?.body).toEqual({ model: 'mistral-small-latest', messages: [{ role: 'user', content: 'hi' }], stream: true, random_seed: 4, max_tokens: 9 });
    await p.close();
  });

  it("replaces the configured key with the caller's own credentials", async () => {
    const p = createOpenAICompatibleProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: 'sk-configured-but-wrong' }));
    const res = await p.send({
      operation: 'generate',
      body: p.prepare({ messages: [{ role: 'user', content: 'x' }] }, 'gpt-4o', false),
      signal: signal(),
      requestId: 'r',
      callerCredentials: { authorization: `Bearer ${MOCK_UPSTREAM_KEY}` },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(await readText(res.body))).toMatchObject({ object: 'chat.completion' });
    expect(mock.requests[0]?.headers).toMatchObject({ authorization: `Bearer ${MOCK_UPSTREAM_KEY}`, accept: 'application/json' });
    await p.close();
  });

  it('answers with a tool call the dialect reads, when the mock is asked to use one', async () => {
    const p = createOpenAICompatibleProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: MOCK_UPSTREAM_KEY }));
    const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const body = p.prepare({ messages: [{ role: 'user', content: 'Paris' }], tools, tool_choice: 'required' }, 'gpt-4o', false);
    const res = await p.send({ operation: 'generate', body, signal: signal(), requestId: 'r' });
    const reply = openaiChat.responseToCanonical(JSON.parse(await readText(res.body)) as Record<string, unknown>);
    expect(reply.stopReason).toBe('tool_calls');
    expect(reply.content).toEqual([{ type: 'tool_call', id: expect.any(String) as unknown, name: 'weather', arguments: '{"city":"Paris"}' }]);
    await p.close();
  });

  it('lists models, and rejects clearly when the listing fails', async () => {
    const good = createOpenAICompatibleProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: MOCK_UPSTREAM_KEY }));
    expect(await good.listModels(signal())).toEqual([...MOCK_MODEL_IDS]);
    expect(mock.requests[0]).toMatchObject({ method: 'GET', url: '/v1/models' });
    const bad = createOpenAICompatibleProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: 'sk-wrong-key-000000' }));
    const err = await rejection(bad.listModels(signal()));
    expect(err.code).toBe('UPSTREAM_AUTH');
    expect(err.message).toMatch(/^provider "local" could not list its models \(HTTP 401\): Incorrect API key/);
    expect(err.message).not.toContain('sk-wrong-key-000000');
    await Promise.all([good.close(), bad.close()]);
  });

  it('has no token counting nor Responses passthrough, and knows a preset without a model listing', async () => {
    const p = createOpenAICompatibleProvider(config({ preset: 'perplexity', baseUrl: mock.url }), await secretsWith({}));
    expect((await rejection(p.send({ operation: 'count_tokens', body: {}, signal: signal(), requestId: 'r' }))).code).toBe('NOT_FOUND');
    // Not even the openai preset: only the openai type is sent Responses calls as they are.
    const openaiPreset = createOpenAICompatibleProvider(config({ preset: 'openai', baseUrl: mock.url }), await secretsWith({}));
    expect(openaiPreset.servesResponses).toBe(false);
    expect((await rejection(openaiPreset.send({ operation: 'responses', body: { model: 'm', input: 'x' }, signal: signal(), requestId: 'r' }))).code).toBe('NOT_FOUND');
    await openaiPreset.close();
    expect((await rejection(p.listModels(signal()))).message).toMatch(/perplexity.*no model listing/);
    expect(mock.requests).toHaveLength(0);
    await p.close();
  });

  it('is unavailable, with the reason, for an unknown preset, no base URL or an unreadable secret', async () => {
    const secrets = await secretsWith({});
    const unknown = createOpenAICompatibleProvider(config({ preset: 'nope' }), secrets);
    expect(unknown.unavailable).toMatch(/unknown preset "nope"; known presets: openai, groq, mistral/);
    expect(createOpenAICompatibleProvider({ ...config({ baseUrl: mock.url }), baseUrl: undefined }, secrets).unavailable).toMatch(/set "baseUrl"/);
    const missing = createOpenAICompatibleProvider(config({ baseUrl: mock.url, apiKey: 'env:NOT_SET_ANYWHERE' }), secrets);
    expect(missing.unavailable).toMatch(/^provider "local": .*NOT_SET_ANYWHERE/);
    const err = await rejection(missing.send({ operation: 'generate', body: { model: 'x', messages: [] }, signal: signal(), requestId: 'r' }));
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(mock.requests).toHaveLength(0);
    await Promise.all([unknown.close(), missing.close()]);
  });

  it('rejects with UPSTREAM_UNREACHABLE when nothing listens at the base URL', async () => {
    const p = createOpenAICompatibleProvider(config({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1` }), await secretsWith({}));
    const err = await rejection(p.send({ operation: 'generate', body: { model: 'm', messages: [] }, signal: signal(), requestId: 'r' }));
    expect(err.code).toBe('UPSTREAM_UNREACHABLE');
    expect(err.message).toMatch(/provider "local" could not be reached/);
    await p.close();
  });
});

describe('presets', () => {
  it('cover the documented vendors with valid base URLs, local servers on loopback', () => {
    expect(Object.keys(OPENAI_COMPATIBLE_PRESETS).sort()).toEqual(
      ['cerebras', 'deepseek', 'fireworks', 'groq', 'lmstudio', 'mistral', 'ollama', 'openai', 'openrouter', 'perplexity', 'together', 'vllm', 'xai'].sort(),
    );
    for (const [name, preset] of Object.entries(OPENAI_COMPATIBLE_PRESETS)) {
      const url = new URL(preset.baseUrl);
      const local = ['ollama', 'lmstudio', 'vllm'].includes(name);
      expect({ name, protocol: url.protocol, host: local ? url.hostname : 'remote' }).toEqual({ name, protocol: local ? 'http:' : 'https:', host: local ? '127.0.0.1' : 'remote' });
    }
  });
});
