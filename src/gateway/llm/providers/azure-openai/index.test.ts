// The Azure OpenAI provider against a local server: deployment URLs, api-version, the api-key header, listing, failures.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerSchema, type ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import { createSecretResolver, type SecretResolver } from '../../../secrets/resolver.js';
import { readText } from '../transport.js';
import { createAzureOpenAIProvider } from './index.js';

interface Seen {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A stand-in Azure resource: records every request; answers model listings with two models, anything else with {}. */
const seen: Seen[] = [];
const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (p: Buffer) => parts.push(p));
  req.on('end', () => {
    const text = Buffer.concat(parts).toString('utf8');
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? (JSON.parse(text) as unknown) : undefined });
    const listing = req.url?.startsWith('/openai/models') || req.url?.startsWith('/openai/v1/models');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(listing ? { object: 'list', data: [{ id: 'gpt-4o', object: 'model' }, { id: 'gpt-4o-mini', object: 'model' }] } : {}));
  });
});
let endpoint = '';
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

async function secretsWith(env: Record<string, string>): Promise<SecretResolver> {
  const keychain = { backend: 'keychain' as const, get: () => Promise.resolve(null), set: () => Promise.resolve(), delete: () => Promise.resolve(false), list: () => Promise.resolve([]) };
  const secrets = createSecretResolver(keychain, env);
  await secrets.prime(Object.keys(env).map((name) => `env:${name}`));
  return secrets;
}

const config = (fields: Record<string, unknown>): ProviderConfig =>
  providerSchema.parse({ id: 'az', type: 'azure-openai', baseUrl: endpoint, apiKey: 'env:AZURE_KEY', deployments: { 'gpt-4o': 'prod 4o' }, ...fields });
const signal = (): AbortSignal => AbortSignal.timeout(5_000);
const messages = [{ role: 'user', content: 'hi' }];

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('azure-openai provider with an api-version', () => {
  it('posts to the deployment of the model, api-version in the query, key in api-key, no model in the body', async () => {
    const p = createAzureOpenAIProvider(config({ apiVersion: '2024-10-21', headers: { 'X-Ms-Client': 'gatehouse' } }), await secretsWith({ AZURE_KEY: 'azure-secret-key' }));
    expect(p).toMatchObject({ family: 'openai', unavailable: null, countsTokens: false, type: 'azure-openai' });
    const body = p.prepare({ model: 'alias', messages, max_tokens: 20 }, 'gpt-4o', true);
    expect(body).toEqual({ messages, max_completion_tokens: 20, stream: true, stream_options: { include_usage: true } });
    await readText((await p.send({ operation: 'generate', body, model: 'gpt-4o', stream: true, signal: signal(), requestId: 'req-az' })).body);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/openai/deployments/prod%204o/chat/completions?api-version=2024-10-21', body });
    expect(seen[0]?.headers).toMatchObject({ 'api-key': 'azure-secret-key', 'x-ms-client': 'gatehouse', accept: 'text/event-stream', 'x-request-id': 'req-az' });
    expect(seen[0]?.headers.authorization).toBeUndefined();
    await p.close();
  });

  it('uses a model not listed under deployments as the deployment name, and lists models by api-version', async () => {
    const p = createAzureOpenAIProvider(config({ apiVersion: '2025-04-01-preview' }), await secretsWith({ AZURE_KEY: 'k' }));
    await readText((await p.send({ operation: 'generate', body: { model: 'o4-mini', messages }, signal: signal(), requestId: 'r' })).body);
    expect(seen[0]).toMatchObject({ url: '/openai/deployments/o4-mini/chat/completions?api-version=2025-04-01-preview', body: { messages } });
    expect(await p.listModels(signal())).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/openai/models?api-version=2025-04-01-preview' });
    await p.close();
  });
});

describe('azure-openai provider on the v1 API', () => {
  it('posts to /openai/v1 with the deployment as the model, also when baseUrl already ends in /openai/v1', async () => {
    for (const baseUrl of [endpoint, `${endpoint}/openai/v1/`]) {
      seen.length = 0;
      const p = createAzureOpenAIProvider(config({ baseUrl }), await secretsWith({ AZURE_KEY: 'k1' }));
      const body = p.prepare({ messages }, 'gpt-4o', false);
      expect(body).toEqual({ model: 'prod 4o', messages });
      await readText((await p.send({ operation: 'generate', body, model: 'gpt-4o', signal: signal(), requestId: 'r' })).body);
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/openai/v1/chat/completions', body: { model: 'prod 4o', messages } });
      expect(seen[0]?.headers['api-key']).toBe('k1');
      expect(await p.listModels(signal())).toEqual(['gpt-4o', 'gpt-4o-mini']);
      expect(seen[1]?.url).toBe('/openai/v1/models');
      await p.close();
    }
  });

  it("replaces the api-key with the caller's own credentials", async () => {
    const p = createAzureOpenAIProvider(config({}), await secretsWith({ AZURE_KEY: 'k1' }));
    await readText((await p.send({ operation: 'models', signal: signal(), requestId: 'r', callerCredentials: { authorization: 'Bearer entra-token' } })).body);
    expect(seen[0]?.headers['api-key']).toBeUndefined();
    expect(seen[0]?.headers.authorization).toBe('Bearer entra-token');
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
    expect(seen).toHaveLength(0);
    await Promise.all([noBase.close(), noKey.close()]);
  });

  it('has no token counting, and rejects with UPSTREAM_UNREACHABLE when the endpoint is down', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const p = createAzureOpenAIProvider(config({ baseUrl: `http://127.0.0.1:${port}` }), await secretsWith({ AZURE_KEY: 'k' }));
    expect((await rejection(p.send({ operation: 'count_tokens', body: {}, signal: signal(), requestId: 'r' }))).code).toBe('NOT_FOUND');
    expect((await rejection(p.send({ operation: 'generate', body: { model: 'm', messages }, signal: signal(), requestId: 'r' }))).code).toBe('UPSTREAM_UNREACHABLE');
    await p.close();
  });
});
