// The Azure OpenAI provider against a local server: deployment URLs, api-version, the api-key header, listing, failures.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPort, rejection, secretsWith, startUpstreamServer, type UpstreamServer } from '../../../../../test/helpers/upstream-server.js';
import { providerSchema, type ProviderConfig } from '../../../config/schema.js';
import { readText } from '../transport.js';
import { createAzureOpenAIProvider } from './index.js';

/** A stand-in Azure resource: records every request; answers model listings with two models, anything else with {}. */
let azure: UpstreamServer;
beforeAll(async () => {
  azure = await startUpstreamServer((req) => {
    const listing = req.url.startsWith('/openai/models') || req.url.startsWith('/openai/v1/models');
    return { json: listing ? { object: 'list', data: [{ id: 'gpt-4o', object: 'model' }, { id: 'gpt-4o-mini', object: 'model' }] } : {} };
  });
});
afterAll(() => azure.close());
beforeEach(() => {
  azure.reset();
});

const config = (fields: Record<string, unknown>): ProviderConfig =>
  providerSchema.parse({ id: 'az', type: 'azure-openai', baseUrl: azure.url, apiKey: 'env:AZURE_KEY', deployments: { 'gpt-4o': 'prod 4o' }, ...fields });
const signal = (): AbortSignal => AbortSignal.timeout(5_000);
const messages = [{ role: 'user', content: 'hi' }];

describe('azure-openai provider with an api-version', () => {
  it('posts to the deployment of the model, api-version in the query, key in api-key, no model in the body', async () => {
    const p = createAzureOpenAIProvider(config({ apiVersion: '2024-10-21', headers: { 'X-Ms-Client': 'gatehouse' } }), await secretsWith({ AZURE_KEY: 'azure-secret-key' }));
    expect(p).toMatchObject({ family: 'openai', unavailable: null, countsTokens: false, type: 'azure-openai' });
    const body = p.prepare({ model: 'alias', messages, max_tokens: 20 }, 'gpt-4o', true);
    expect(body).toEqual({ messages, max_completion_tokens: 20, stream: true, stream_options: { include_usage: true } });
    await readText((await p.send({ operation: 'generate', body, model: 'gpt-4o', stream: true, signal: signal(), requestId: 'req-az' })).body);
    expect(azure.seen[0]).toMatchObject({ method: 'POST', url: '/openai/deployments/prod%204o/chat/completions?api-version=2024-10-21', body });
    expect(azure.seen[0]?.headers).toMatchObject({ 'api-key': 'azure-secret-key', 'x-ms-client': 'gatehouse', accept: 'text/event-stream', 'x-request-id': 'req-az' });
    expect(azure.seen[0]?.headers.authorization).toBeUndefined();
    await p.close();
  });

  it('uses a model not listed under deployments as the deployment name, and lists models by api-version', async () => {
    const p = createAzureOpenAIProvider(config({ apiVersion: '2025-04-01-preview' }), await secretsWith({ AZURE_KEY: 'k' }));
    await readText((await p.send({ operation: 'generate', body: { model: 'o4-mini', messages }, signal: signal(), requestId: 'r' })).body);
    expect(azure.seen[0]).toMatchObject({ url: '/openai/deployments/o4-mini/chat/completions?api-version=2025-04-01-preview', body: { messages } });
    expect(await p.listModels(signal())).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(azure.seen[1]).toMatchObject({ method: 'GET', url: '/openai/models?api-version=2025-04-01-preview' });
    await p.close();
  });
});

describe('azure-openai provider on the v1 API', () => {
  it('posts to /openai/v1 with the deployment as the model, also when baseUrl already ends in /openai/v1', async () => {
    for (const baseUrl of [azure.url, `${azure.url}/openai/v1/`]) {
      azure.seen.length = 0;
      const p = createAzureOpenAIProvider(config({ baseUrl }), await secretsWith({ AZURE_KEY: 'k1' }));
      const body = p.prepare({ messages }, 'gpt-4o', false);
      expect(body).toEqual({ model: 'prod 4o', messages });
      await readText((await p.send({ operation: 'generate', body, model: 'gpt-4o', signal: signal(), requestId: 'r' })).body);
      expect(azure.seen[0]).toMatchObject({ method: 'POST', url: '/openai/v1/chat/completions', body: { model: 'prod 4o', messages } });
      expect(azure.seen[0]?.headers['api-key']).toBe('k1');
      expect(await p.listModels(signal())).toEqual(['gpt-4o', 'gpt-4o-mini']);
      expect(azure.seen[1]?.url).toBe('/openai/v1/models');
      await p.close();
    }
  });

  it("replaces the api-key with the caller's own credentials", async () => {
    const p = createAzureOpenAIProvider(config({}), await secretsWith({ AZURE_KEY: 'k1' }));
    await readText((await p.send({ operation: 'models', signal: signal(), requestId: 'r', callerCredentials: { authorization: 'Bearer entra-token' } })).body);
    expect(azure.seen[0]?.headers['api-key']).toBeUndefined();
    expect(azure.seen[0]?.headers.authorization).toBe('Bearer entra-token');
    await p.close();
  });
});

describe('azure-openai provider failures', () => {
  it('is unavailable without a baseUrl or with an unreadable key, and says why', async () => {
    const noBase = createAzureOpenAIProvider({ ...config({}), baseUrl: undefined }, await secretsWith({ AZURE_KEY: 'k' }));
    expect(noBase.unavailable).toMatch(/needs "baseUrl".*openai\.azure\.com/);
    expect((await rejection(noBase.send({ operation: 'generate', body: { messages }, model: 'gpt-4o', signal: signal(), requestId: 'r' }))).code).toBe('PROVIDER_UNAVAILABLE');
    const noKey = createAzureOpenAIProvider(config({}), await secretsWith({}));
    expect(noKey.unavailable).toMatch(/^provider "az": .*AZURE_KEY/);
    expect(azure.seen).toHaveLength(0);
    await Promise.all([noBase.close(), noKey.close()]);
  });

  it('has no token counting nor Responses passthrough, and rejects with UPSTREAM_UNREACHABLE when the endpoint is down', async () => {
    const p = createAzureOpenAIProvider(config({ baseUrl: `http://127.0.0.1:${await closedPort()}` }), await secretsWith({ AZURE_KEY: 'k' }));
    expect((await rejection(p.send({ operation: 'count_tokens', body: {}, signal: signal(), requestId: 'r' }))).code).toBe('NOT_FOUND');
    expect(p.servesResponses).toBe(false);
    expect((await rejection(p.send({ operation: 'responses', body: { model: 'm', input: 'x' }, signal: signal(), requestId: 'r' }))).code).toBe('NOT_FOUND');
    expect((await rejection(p.send({ operation: 'generate', body: { model: 'm', messages }, signal: signal(), requestId: 'r' }))).code).toBe('UPSTREAM_UNREACHABLE');
    await p.close();
  });
});
