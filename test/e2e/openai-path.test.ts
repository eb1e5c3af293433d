// The OpenAI path end to end: the official SDK -> gateway -> mock provider, and what the ledger records.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_UPSTREAM_KEY, mockReplyFor, startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let mock: MockOpenAI;
let gw: TestGateway;
let key: string;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockOpenAI({ gzip: true, chunks: 4 });
  gw = await startTestGateway(configFor(mock.url));
  key = (await gw.newKey()).secret;
  client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

const messages = [{ role: 'user' as const, content: 'hello gateway' }];

function lastUsageEvent(): Record<string, unknown> {
  const events = gw.events('llm.request');
  return events[events.length - 1]!;
}

describe('POST /v1/chat/completions', () => {
  it('answers a plain request through the provider, which sees only the provider key', async () => {
    const before = mock.requests.length;
    const res = await client.chat.completions.create({ model: 'fast', messages });
    const expected = mockReplyFor({ messages }, 4);
    expect(res.choices[0]!.message.content).toBe(expected.content);
    expect(res.usage?.prompt_tokens).toBe(expected.usage.prompt_tokens);

    const seen = mock.requests[before]!;
    expect(seen.headers.authorization).toBe(`Bearer ${MOCK_UPSTREAM_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toContain(key);
    expect(seen.rawBody).not.toContain(key);
    expect((seen.body as { model: string }).model).toBe('gpt-4o-mini');

    const event = lastUsageEvent();
    expect(event).toMatchObject({
      route: 'fast',
      provider: 'mock',
      model: 'gpt-4o-mini',
      stream: false,
      status: 200,
      outcome: 'ok',
      usage: { inputTokens: expected.usage.prompt_tokens, outputTokens: expected.usage.completion_tokens, cacheReadTokens: 0 },
    });
    expect(JSON.stringify(gw.events())).not.toContain(key);
  });

  it('maps cached prompt tokens out of input tokens (OpenAI counts them inside prompt_tokens)', async () => {
    await client.chat.completions.create({ model: 'fast', messages, prompt_cache_key: 'session-1' });
    const expected = mockReplyFor({ messages, prompt_cache_key: 'session-1' }, 4);
    const cached = expected.usage.prompt_tokens_details!.cached_tokens!;
    expect(cached).toBeGreaterThan(0);
    expect(lastUsageEvent().usage).toMatchObject({ inputTokens: expected.usage.prompt_tokens - cached, cacheReadTokens: cached });
  });

  it('streams, strips the usage chunk the client did not ask for, and still records usage', async () => {
    const before = mock.requests.length;
    const stream = await client.chat.completions.create({ model: 'fast', messages, stream: true });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usageChunks++;
    }
    const expected = mockReplyFor({ messages }, 4);
    expect(text).toBe(expected.content);
    expect(usageChunks).toBe(0);
    expect((mock.requests[before]!.body as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage).toBe(true);
    expect(lastUsageEvent()).toMatchObject({ stream: true, outcome: 'ok', usage: { outputTokens: expected.usage.completion_tokens } });
    expect(lastUsageEvent().ttftMs).toEqual(expect.any(Number));
  });

  it('passes the usage chunk to a client that asked for it', async () => {
    const stream = await client.chat.completions.create({ model: 'fast', messages, stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBe(mockReplyFor({ messages }, 4).usage.completion_tokens);
  });

  it('reaches the provider by provider/model without a route', async () => {
    const res = await client.chat.completions.create({ model: 'mock/gpt-4o', messages });
    expect(res.choices[0]!.message.content).toContain('hello gateway');
    expect(lastUsageEvent()).toMatchObject({ route: 'mock/gpt-4o', model: 'gpt-4o' });
  });

  it('cancels the upstream call when the client goes away mid-stream, and records it', async () => {
    const slow = await startMockOpenAI({ chunks: 50, chunkDelayMs: 20 });
    const g = await startTestGateway(configFor(slow.url));
    try {
      const c = new OpenAI({ apiKey: (await g.newKey()).secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
      const ac = new AbortController();
      const stream = await c.chat.completions.create({ model: 'fast', messages, stream: true }, { signal: ac.signal });
      let n = 0;
      // The SDK may end the iteration quietly or throw an abort error; either way it stops reading.
      await (async () => {
        for await (const _ of stream) if (++n === 3) ac.abort();
      })().catch(() => undefined);
      expect(n).toBe(3);
      await expect.poll(() => slow.closedEarly, { timeout: 5000 }).toBe(1);
      await expect.poll(() => g.events('llm.request').at(-1)?.outcome, { timeout: 5000 }).toBe('client_aborted');
    } finally {
      await g.stop();
      await slow.close();
    }
  });

  it('records a stream the provider cut halfway, and tells the client it is incomplete', async () => {
    mock.setNext({ dropAfterChunks: 3 });
    const stream = await client.chat.completions.create({ model: 'fast', messages, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
          /* read to the end */
        }
      })(),
    ).rejects.toThrow(/ended the stream before it finished/);
    expect(lastUsageEvent().outcome).toBe('upstream_cut');
  });
});

describe('refusals and errors in OpenAI shape', () => {
  it('names an unknown model and lists what is available', async () => {
    const err = await client.chat.completions.create({ model: 'nope', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as Error).message).toMatch(/"nope" is not a route.*Available: fast/);
    await expect
      .poll(() => gw.events('http.refused').at(-1))
      .toMatchObject({ code: 'MODEL_NOT_FOUND', status: 404, path: '/v1/chat/completions', keyId: expect.stringMatching(/^key_/) });
  });

  it('rejects a malformed body with 400 naming the problem', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"model": "fast", "messages": [',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
  });

  it('refuses a model outside the key grants, naming the grant', async () => {
    const limited = new OpenAI({ apiKey: (await gw.newKey({ name: 'limited', models: ['fast'] })).secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await expect(limited.chat.completions.create({ model: 'fast', messages })).resolves.toBeTruthy();
    const err = await limited.chat.completions.create({ model: 'mock/gpt-4o', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as Error).message).toMatch(/not granted the model "mock\/gpt-4o".*fast/);
  });

  it('retries an upstream 500, then answers 502 with the provider message in OpenAI shape, every attempt recorded', async () => {
    const err = await client.chat.completions.create({ model: 'mock/mock-error', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    // routing.retries defaults to 2: three attempts in all.
    expect(lastUsageEvent()).toMatchObject({ outcome: 'upstream_error', status: 502, attempts: [{ status: 500 }, { status: 500 }, { status: 500 }] });
  });

  it('recovers from a one-off upstream 500 by retrying', async () => {
    mock.setNext({ status: 500 });
    const res = await client.chat.completions.create({ model: 'fast', messages });
    expect(res.choices[0]!.message.content).toBe(mockReplyFor({ messages }, 4).content);
    expect(lastUsageEvent()).toMatchObject({ outcome: 'ok', attempts: [{ status: 500 }] });
  });

  it('passes an upstream 429 on with its retry-after when the wait is longer than a backoff', async () => {
    mock.setNext({ status: 429, headers: { 'retry-after': '60' } });
    const err = await client.chat.completions.create({ model: 'fast', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('60');
    expect(lastUsageEvent()).toMatchObject({ outcome: 'upstream_error', status: 429, attempts: [{ status: 429 }] });
  });

  it('says the provider credential failed (502), not the client key, and never echoes the provider key', async () => {
    const g = await startTestGateway(configFor(mock.url), { env: { MOCK_UPSTREAM_KEY: 'sk-wrong-provider-key-123456' } });
    try {
      const c = new OpenAI({ apiKey: (await g.newKey()).secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
      const err = await c.chat.completions.create({ model: 'fast', messages }).catch((e: unknown) => e);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((err as Error).message).toMatch(/provider "mock" refused the gateway's credentials/);
      expect((err as Error).message).not.toContain('sk-wrong-provider-key-123456');
    } finally {
      await g.stop();
    }
  });

  it('names a provider that cannot be reached', async () => {
    const g = await startTestGateway(configFor('http://127.0.0.1:9/v1'));
    try {
      const c = new OpenAI({ apiKey: (await g.newKey()).secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
      const err = await c.chat.completions.create({ model: 'fast', messages }).catch((e: unknown) => e);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((err as Error).message).toMatch(/provider "mock" could not be reached/);
      expect(g.events('llm.request').at(-1)).toMatchObject({ provider: 'mock', status: 502, outcome: 'upstream_error' });
      expect(g.events('http.failed')).toEqual([]);
    } finally {
      await g.stop();
    }
  });

  it('refuses a revoked key at once', async () => {
    const k = await gw.newKey({ name: 'short-lived' });
    const c = new OpenAI({ apiKey: k.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await c.chat.completions.create({ model: 'fast', messages });
    await gw.gateway.call('keys:revoke', { id: k.id }, 'local');
    const err = await c.chat.completions.create({ model: 'fast', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as Error).message).toMatch(/has been revoked/);
  });

  it('a rotated key keeps its identity; the old secret stops working', async () => {
    const k = await gw.newKey({ name: 'rotating' });
    const rotated = await gw.gateway.call('keys:rotate', { id: k.id }, 'local');
    expect(rotated.key.id).toBe(k.id);
    const old = new OpenAI({ apiKey: k.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await expect(old.chat.completions.create({ model: 'fast', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const fresh = new OpenAI({ apiKey: rotated.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await fresh.chat.completions.create({ model: 'fast', messages });
    expect(lastUsageEvent().keyId).toBe(k.id);
  });
});

describe('GET /v1/models', () => {
  it('lists routes and the provider models in OpenAI shape', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['fast', 'mock/gpt-4o-mini', 'mock/gpt-4o']));
  });
});

describe('a ledger that cannot be written (a full disk)', () => {
  it('withholds the reply: 503 for a plain request, a cut stream with no [DONE] for a streamed one', async () => {
    const Database = (await import('better-sqlite3')).default;
    const { join } = await import('node:path');
    const side = new Database(join(gw.dataDir, 'gatehouse.sqlite'));
    side.exec(
      "CREATE TRIGGER full_disk BEFORE INSERT ON events WHEN NEW.type = 'llm.request' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
    );
    try {
      const err = await client.chat.completions.create({ model: 'fast', messages }).catch((e: unknown) => e);
      expect((err as { status?: number }).status).toBe(503);
      expect((err as Error).message).toMatch(/could not record this request.*withheld/);

      const stream = await client.chat.completions.create({ model: 'fast', messages, stream: true });
      let chunks = 0;
      const outcome = await (async () => {
        for await (const _ of stream) chunks++;
        return 'completed';
      })().catch(() => 'cut');
      expect(outcome).toBe('cut');
      expect(chunks).toBeGreaterThan(0);
    } finally {
      side.exec('DROP TRIGGER full_disk');
      side.close();
    }
    // And the gateway carries on once the disk has room again.
    await expect(client.chat.completions.create({ model: 'fast', messages })).resolves.toBeTruthy();
  });
});

describe('provider headers', () => {
  it('interpolates ${env:NAME} in configured header values, and never sends the client key upstream', async () => {
    const config = configFor(mock.url).replace('    apiKey: env:MOCK_UPSTREAM_KEY\n', '    apiKey: env:MOCK_UPSTREAM_KEY\n    headers: { OpenAI-Organization: "org-${env:ORG_SUFFIX}" }\n');
    const g = await startTestGateway(config, { env: { ORG_SUFFIX: 'acme42' } });
    try {
      const secret = (await g.newKey()).secret;
      const c = new OpenAI({ apiKey: secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
      await c.chat.completions.create({ model: 'fast', messages });
      const seen = mock.requests.at(-1)!;
      expect(seen.headers['openai-organization']).toBe('org-acme42');
      expect(Object.values(seen.headers).join(' ')).not.toContain(secret);
    } finally {
      await g.stop();
    }
  });
});
