// The OpenAI provider against the local mock: exact requests, model listing, credentials and failures.
import { describe, expect, it } from 'vitest';
import { MOCK_MODEL_IDS, MOCK_UPSTREAM_KEY, mockEncryptedReasoning, mockReplyFor, startMockOpenAI } from '../../../../../test/fixtures/mock-openai.js';
import { closedPort, rejection, secretsWith, sharedMock } from '../../../../../test/helpers/upstream-server.js';
import { providerSchema, type ProviderConfig } from '../../../config/schema.js';
import { openaiChat } from '../../dialects/openai-chat/index.js';
import { openaiResponses } from '../../dialects/openai-responses/index.js';
import { readText } from '../transport.js';
import { createOpenAIProvider } from './index.js';

const mock = sharedMock(await startMockOpenAI());

const config = (fields: Record<string, unknown>): ProviderConfig => providerSchema.parse({ id: 'oai', type: 'openai', ...fields });
const signal = (): AbortSignal => AbortSignal.timeout(5_000);

describe('openai provider', () => {
  it('sends a chat completion with the Bearer key and the body fitted for OpenAI', async () => {
    const p = createOpenAIProvider(config({ baseUrl: mock.url, apiKey: 'env:OPENAI_KEY', headers: { 'OpenAI-Organization': 'org-1' } }), await secretsWith({ OPENAI_KEY: MOCK_UPSTREAM_KEY }));
    expect(p).toMatchObject({ id: 'oai', type: 'openai', family: 'openai', unavailable: null, countsTokens: false, servesResponses: true });
    const messages = [{ role: 'user', content: 'hi there' }];
    const body = p.prepare({ model: 'alias', messages, max_tokens: 10, stream_options: { include_usage: true } }, 'gpt-4o-mini', false);
    expect(body).toEqual({ model: 'gpt-4o-mini', messages, max_completion_tokens: 10 });
    const res = await p.send({ operation: 'generate', body, model: 'gpt-4o-mini', signal: signal(), requestId: 'req-7' });
    expect(res.status).toBe(200);
    const reply = openaiChat.responseToCanonical(JSON.parse(await readText(res.body)) as Record<string, unknown>);
    expect(reply.content).toEqual([{ type: 'text', text: 'echo: hi there' }]);
    expect(reply.usage.outputTokens).toBe(mockReplyFor({ messages }).usage.completion_tokens);
    expect(mock.requests[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions', body });
    expect(mock.requests[0]?.headers).toMatchObject({ authorization: `Bearer ${MOCK_UPSTREAM_KEY}`, 'openai-organization': 'org-1', accept: 'application/json', 'x-request-id': 'req-7' });
    await p.close();
  });

  it('posts a Responses API call to /v1/responses with the body exactly as given', async () => {
    const p = createOpenAIProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: MOCK_UPSTREAM_KEY }));
    const body = {
      model: 'gpt-5',
      input: [
        { role: 'user', content: 'hello' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA-opaque' },
      ],
      store: false,
      include: ['reasoning.encrypted_content'],
      some_future_field: { kept: true },
    };
    const res = await p.send({ operation: 'responses', body, model: 'gpt-5', signal: signal(), requestId: 'req-9' });
    expect(res.status).toBe(200);
    const reply = JSON.parse(await readText(res.body)) as Record<string, unknown>;
    expect(openaiResponses.responseToCanonical(reply).content).toEqual([
      { type: 'reasoning', family: 'openai', signature: expect.stringMatching(/^rs_/) as unknown, opaque: mockEncryptedReasoning(String(reply.id)) },
      { type: 'text', text: 'echo: hello' },
    ]);
    expect(mock.requests[0]).toMatchObject({ method: 'POST', url: '/v1/responses' });
    expect(JSON.parse(mock.requests[0]!.rawBody)).toEqual(body);
    expect(mock.requests[0]?.headers).toMatchObject({ authorization: `Bearer ${MOCK_UPSTREAM_KEY}`, accept: 'application/json', 'x-request-id': 'req-9' });
    await p.close();
  });

  it('lists models and has no token counting', async () => {
    const p = createOpenAIProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: MOCK_UPSTREAM_KEY }));
    expect(await p.listModels(signal())).toEqual([...MOCK_MODEL_IDS]);
    expect(mock.requests[0]).toMatchObject({ method: 'GET', url: '/v1/models' });
    expect((await rejection(p.send({ operation: 'count_tokens', body: {}, signal: signal(), requestId: 'r' }))).code).toBe('NOT_FOUND');
    await p.close();
  });

  it("replaces the configured key with the caller's own credentials", async () => {
    const p = createOpenAIProvider(config({ baseUrl: mock.url, apiKey: 'env:K' }), await secretsWith({ K: 'sk-not-this-one' }));
    const res = await p.send({ operation: 'models', signal: signal(), requestId: 'r', callerCredentials: { Authorization: `Bearer ${MOCK_UPSTREAM_KEY}` } });
    expect(res.status).toBe(200);
    await readText(res.body);
    expect(mock.requests[0]?.headers['authorization']).toBe(`Bearer ${MOCK_UPSTREAM_KEY}`);
    await p.close();
  });

  it('is unavailable for another vendor\'s preset or an unreadable secret, and says why', async () => {
    const secrets = await secretsWith({});
    const groq = createOpenAIProvider(config({ preset: 'groq' }), secrets);
    expect(groq.unavailable).toMatch(/openai-compatible/);
    const keyless = createOpenAIProvider(config({}), secrets);
    expect(keyless.unavailable).toBeNull();
    const missing = createOpenAIProvider(config({ baseUrl: mock.url, apiKey: 'keychain:openai' }), secrets);
    expect(missing.unavailable).toMatch(/^provider "oai": .*keychain:openai/);
    expect((await rejection(missing.listModels(signal()))).code).toBe('PROVIDER_UNAVAILABLE');
    expect(mock.requests).toHaveLength(0);
    await Promise.all([groq.close(), keyless.close(), missing.close()]);
  });

  it('rejects with UPSTREAM_UNREACHABLE when nothing listens at the base URL', async () => {
    const p = createOpenAIProvider(config({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1` }), await secretsWith({}));
    expect((await rejection(p.send({ operation: 'generate', body: { model: 'm', messages: [] }, signal: signal(), requestId: 'r' }))).code).toBe('UPSTREAM_UNREACHABLE');
    await p.close();
  });
});
