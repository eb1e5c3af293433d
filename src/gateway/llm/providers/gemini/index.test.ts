// Tests for the Gemini provider against local HTTP servers on 127.0.0.1: URLs, keys, bodies, listing, errors.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import type { CanonicalRequest, StreamEvent } from '../../canonical.js';
import { readSse } from '../../sse.js';
import { readText } from '../transport.js';
import type { ProviderRuntime, UpstreamRequest } from '../types.js';
import { MOCK_GEMINI_KEY, MOCK_GEMINI_MODELS, MOCK_GEMINI_OAUTH_TOKEN, startMockGemini, type MockGemini, type MockGeminiOptions } from '../../../../../test/fixtures/mock-gemini.js';
import { closedPort, secretsWith, startUpstreamServer } from '../../../../../test/helpers/upstream-server.js';
import { createGeminiProvider, geminiModelSegment } from './index.js';

function config(overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return { id: 'gem', type: 'gemini', apiKey: 'env:GEMINI_KEY', headers: {}, timeoutMs: 10_000, maxConnections: 1024, deployments: {}, ...overrides };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

async function mockWith(opts: MockGeminiOptions = {}): Promise<MockGemini> {
  const mock = await startMockGemini(opts);
  cleanup.push(() => mock.close());
  return mock;
}

async function providerFor(baseUrl: string, overrides: Partial<ProviderConfig> = {}, env: Record<string, string> = { GEMINI_KEY: MOCK_GEMINI_KEY }): Promise<ProviderRuntime> {
  const provider = createGeminiProvider(config({ baseUrl, ...overrides }), await secretsWith(env));
  cleanup.push(() => provider.close());
  return provider;
}

function call(req: Partial<UpstreamRequest> & Pick<UpstreamRequest, 'operation'>): UpstreamRequest {
  return { signal: AbortSignal.timeout(10_000), requestId: 'req-1', ...req };
}

async function json(res: { body: NodeJS.ReadableStream | AsyncIterable<Buffer> }): Promise<Record<string, unknown>> {
  return JSON.parse(await readText(res.body as never)) as Record<string, unknown>;
}

/** A bare server for answers the mock does not give: each request gets `text()` as a 200 body. */
async function rawServer(text: () => string): Promise<{ url: string; paths: () => string[] }> {
  const server = await startUpstreamServer(() => ({ text: text() }));
  cleanup.push(() => server.close());
  return { url: `${server.url}/v1beta`, paths: () => server.seen.map((r) => r.url) };
}

describe('createGeminiProvider', () => {
  it('describes itself and is unavailable, with the reason, when its key cannot be read', async () => {
    const ok = await providerFor('http://127.0.0.1:9/v1beta');
    expect(ok).toMatchObject({ id: 'gem', type: 'gemini', family: 'gemini', countsTokens: true, servesResponses: false, unavailable: null });
    await expect(ok.send(call({ operation: 'responses', body: { model: 'm', input: 'hi' } }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(ok.dialect.family).toBe('gemini');

    const broken = createGeminiProvider(config({ apiKey: 'env:NOT_SET' }), await secretsWith({}));
    expect(broken.unavailable).toContain('NOT_SET');
    expect(broken.unavailable).toContain('provider "gem"');
    await expect(broken.send(call({ operation: 'models' }))).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await expect(broken.listModels(AbortSignal.timeout(1000))).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });

    const badHeader = createGeminiProvider(config({ headers: { 'x-extra': '${keychain:missing}' } }), await secretsWith({ GEMINI_KEY: 'k' }));
    expect(badHeader.unavailable).toContain('keychain:missing');
  });

  it('prepare drops a model field and nothing else', async () => {
    const p = await providerFor('http://127.0.0.1:9/v1beta');
    const body = { model: 'x', contents: [], generationConfig: { temperature: 1 } };
    const out = p.prepare(body, 'gemini-2.5-flash', true);
    expect(out).toEqual({ contents: [], generationConfig: { temperature: 1 } });
    expect(body.model).toBe('x');
  });

  it('sends a translated request with a raw MCP tool schema to :generateContent, and Gemini accepts it', async () => {
    const mock = await mockWith();
    const p = await providerFor(mock.url);
    const req: CanonicalRequest = {
      model: 'client-name',
      stream: false,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'please use the tool' }] }],
      tools: [
        {
          name: 'read_file',
          parameters: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: { path: { type: 'string' }, encoding: { anyOf: [{ type: 'string', enum: ['utf8', 'base64'] }, { type: 'null' }] } },
            required: ['path'],
            additionalProperties: false,
          },
        },
      ],
    };
    const body = p.prepare({ ...p.dialect.requestFromCanonical(req, 'gemini-2.5-flash'), model: 'gemini-2.5-flash' }, 'gemini-2.5-flash', false);
    const res = await p.send(call({ operation: 'generate', model: 'gemini-2.5-flash', body }));
    expect(res.status).toBe(200);
    const canonical = p.dialect.responseToCanonical(await json(res));
    expect(canonical.stopReason).toBe('tool_calls');
    expect(canonical.content).toEqual([{ type: 'tool_call', id: expect.stringMatching(/^gemgen_/), name: 'read_file', arguments: '{"path":"please use the tool","encoding":"please use the tool"}' }]);
    const seen = mock.requests[0];
    expect(seen).toMatchObject({ method: 'POST', path: '/v1beta/models/gemini-2.5-flash:generateContent' });
    expect(seen?.headers['x-goog-api-key']).toBe(MOCK_GEMINI_KEY);
    expect(seen?.headers['accept']).toBe('application/json');
    expect(seen?.body).not.toHaveProperty('model');
  });

  it('streams from :streamGenerateContent?alt=sse', async () => {
    const mock = await mockWith({ chunks: 3 });
    const p = await providerFor(mock.url);
    const res = await p.send(call({ operation: 'generate', model: 'gemini-2.0-flash', stream: true, body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }));
    expect(res.status).toBe(200);
    const decoder = p.dialect.streamDecoder();
    const events: StreamEvent[] = [];
    for await (const batch of readSse(res.body as AsyncIterable<Buffer>)) for (const ev of batch) events.push(...decoder.decode(ev));
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).toBe('echo ✓ hi');
    expect(decoder.done).toBe(true);
    expect(mock.requests[0]).toMatchObject({ path: '/v1beta/models/gemini-2.0-flash:streamGenerateContent', query: { alt: 'sse' } });
    expect(mock.requests[0]?.headers['accept']).toBe('text/event-stream');
  });

  it('counts tokens with {contents} as is, and wraps a whole request in generateContentRequest with its model', async () => {
    const mock = await mockWith();
    const p = await providerFor(mock.url);
    const contents = [{ role: 'user', parts: [{ text: 'count me please' }] }];
    const plain = await p.send(call({ operation: 'count_tokens', model: 'gemini-2.5-flash', body: { contents } }));
    expect(plain.status).toBe(200);
    expect(await json(plain)).toMatchObject({ totalTokens: 4 });
    expect(mock.requests[0]?.body).toEqual({ contents });

    const full = await p.send(call({ operation: 'count_tokens', model: 'models/gemini-2.5-flash', body: { contents, systemInstruction: { parts: [{ text: 'a long system instruction' }] } } }));
    expect(full.status).toBe(200);
    expect(((await json(full)).totalTokens as number) > 4).toBe(true);
    expect(mock.requests[1]).toMatchObject({
      path: '/v1beta/models/gemini-2.5-flash:countTokens',
      body: { generateContentRequest: { model: 'models/gemini-2.5-flash', contents, systemInstruction: { parts: [{ text: 'a long system instruction' }] } } },
    });

    const given = await p.send(call({ operation: 'count_tokens', model: 'gemini-2.5-flash', body: { generateContentRequest: { model: 'models/client-alias', contents } } }));
    expect(given.status).toBe(200);
    expect(mock.requests[2]?.body).toEqual({ generateContentRequest: { model: 'models/gemini-2.5-flash', contents } });
  });

  it('lists models through every page, without the models/ prefix', async () => {
    const mock = await mockWith({ modelsPageSize: 2 });
    const p = await providerFor(mock.url);
    expect(await p.listModels(AbortSignal.timeout(5000))).toEqual(MOCK_GEMINI_MODELS.map((m) => m.name.slice('models/'.length)));
    expect(mock.requests.map((r) => r.query.pageSize)).toEqual(['1000', '1000', '1000']);
    expect(mock.requests.map((r) => r.query.pageToken)).toEqual([undefined, expect.any(String), expect.any(String)]);
    const res = await p.send(call({ operation: 'models' }));
    expect(res.status).toBe(200);
    expect(mock.requests[3]).toMatchObject({ method: 'GET', path: '/v1beta/models', query: { pageSize: '1000' } });
  });

  it('lets caller credentials replace the key entirely, and interpolates configured headers', async () => {
    const mock = await mockWith();
    const p = await providerFor(mock.url, { headers: { 'X-Goog-Api-Key': '${env:GEMINI_KEY}', 'x-goog-user-project': '${env:PROJECT}' } }, { GEMINI_KEY: MOCK_GEMINI_KEY, PROJECT: 'proj-1' });
    const res = await p.send(
      call({
        operation: 'generate',
        model: 'gemini-2.5-flash',
        body: { contents: [{ parts: [{ text: 'x' }] }] },
        callerCredentials: { Authorization: `Bearer ${MOCK_GEMINI_OAUTH_TOKEN}` },
        forwardHeaders: { 'x-goog-api-key': 'smuggled', 'x-client-thing': 'kept' },
      }),
    );
    expect(res.status).toBe(200);
    const headers = mock.requests[0]?.headers ?? {};
    expect(headers['authorization']).toBe(`Bearer ${MOCK_GEMINI_OAUTH_TOKEN}`);
    expect(headers).not.toHaveProperty('x-goog-api-key');
    expect(headers['x-goog-user-project']).toBe('proj-1');
    expect(headers['x-client-thing']).toBe('kept');

    await p.send(call({ operation: 'generate', model: 'gemini-2.5-flash', body: { contents: [{ parts: [{ text: 'x' }] }] } }));
    expect(mock.requests[1]?.headers['x-goog-api-key']).toBe(MOCK_GEMINI_KEY);
    expect(mock.requests[1]?.headers).not.toHaveProperty('authorization');
  });

  it('puts model ids in the path safely and refuses ids that could leave models/', async () => {
    expect(geminiModelSegment('gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(geminiModelSegment('models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(geminiModelSegment('tuned model?x=1#y')).toBe('tuned%20model%3Fx%3D1%23y');
    for (const bad of ['', undefined, 'a/b', 'models/', '..', 'gemini..x', 'models/../files']) {
      expect(() => geminiModelSegment(bad)).toThrow(GatewayError);
    }
    const srv = await rawServer(() => '{}');
    const p = await providerFor(srv.url);
    await expect(p.send(call({ operation: 'generate', model: '../files', body: {} }))).rejects.toMatchObject({ code: 'BAD_REQUEST', param: 'model' });
    await p.send(call({ operation: 'generate', model: 'a b', body: {} }));
    expect(srv.paths()).toEqual(['/v1beta/models/a%20b:generateContent']);
  });

  it('reports a rejected key as UPSTREAM_AUTH (Gemini says 400 API_KEY_INVALID) with the key redacted', async () => {
    const mock = await mockWith();
    const p = await providerFor(mock.url, {}, { GEMINI_KEY: 'wrong-but-long-key' });
    const err = await p.listModels(AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH', message: expect.stringContaining('API key not valid') });
    expect((err as Error).message).not.toContain('wrong-but-long-key');
  });

  it('fails a listing that is not JSON or never ends', async () => {
    const notJson = await rawServer(() => '<html>');
    await expect((await providerFor(notJson.url)).listModels(AbortSignal.timeout(5000))).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    let n = 0;
    const endless = await rawServer(() => JSON.stringify({ models: [{ name: `models/m${n}` }], nextPageToken: `t${n++}` }));
    await expect((await providerFor(endless.url)).listModels(AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('100 pages') });
    const repeating = await rawServer(() => JSON.stringify({ models: [{ name: 'models/only' }], nextPageToken: 'same' }));
    expect(await (await providerFor(repeating.url)).listModels(AbortSignal.timeout(5000))).toEqual(['only', 'only']);
    const empty = await rawServer(() => '{}');
    expect(await (await providerFor(empty.url)).listModels(AbortSignal.timeout(5000))).toEqual([]);
  });

  it('rejects with UPSTREAM_UNREACHABLE when nothing listens', async () => {
    const p = await providerFor(`http://127.0.0.1:${await closedPort()}/v1beta`);
    await expect(p.send(call({ operation: 'models' }))).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE' });
  });
});
