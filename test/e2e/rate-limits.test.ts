// Rate limits end to end: 100 simultaneous requests through the official SDK against a slow mock,
// counted at the provider and in the ledger: exactly the limit gets through, every refusal is a 429
// with retry-after in the caller's shape, and refusals take nothing.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let oai: MockOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  oai = await startMockOpenAI({ chunks: 4, chunkDelayMs: 25 });
  gw = await startTestGateway(configFor(oai.url));
});
afterAll(async () => {
  await gw?.stop();
  await oai?.close();
});

async function limitedKey(name: string, limits: { rpm?: number; tpm?: number; maxConcurrency?: number }): Promise<OpenAI> {
  const made = await gw.gateway.call('keys:create', { name, ...limits }, 'cli');
  return new OpenAI({ apiKey: made.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
}

type Outcome = { ok: true } | { ok: false; status: number; retryAfter: string | null; message: string };

async function call(client: OpenAI, i: number, stream = true): Promise<Outcome> {
  try {
    if (stream) {
      const s = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: `n${i}` }], stream: true });
      for await (const _ of s);
    } else {
      await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: `n${i}` }] });
    }
    return { ok: true };
  } catch (err) {
    const e = err as { status: number; headers: Headers; message: string };
    return { ok: false, status: e.status, retryAfter: e.headers?.get('retry-after') ?? null, message: e.message };
  }
}

describe('rate limits under concurrency', () => {
  it('RPM 30 admits exactly 30 of 100 simultaneous requests; the rest are 429s with retry-after that reached nobody', async () => {
    const client = await limitedKey('rpm30', { rpm: 30 });
    const before = oai.requests.length;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => call(client, i)));
    expect(results.filter((r) => r.ok)).toHaveLength(30);
    const refused = results.filter((r): r is Extract<Outcome, { ok: false }> => !r.ok);
    expect(refused).toHaveLength(70);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(r.retryAfter)).toBeLessThanOrEqual(60);
      expect(r.message).toMatch(/key "rpm30": 30 requests per minute used of 30; retry in \d+ s/);
    }
    expect(oai.requests.length - before).toBe(30);
    // Refusals take no quota: still exactly the 30 admitted in the window, so the next is refused too.
    const again = await call(client, 101);
    expect(again).toMatchObject({ ok: false, status: 429 });
  });

  it('max concurrency 5 keeps at most 5 in flight and frees a slot when each finishes', async () => {
    const client = await limitedKey('conc5', { maxConcurrency: 5 });
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => call(client, i)));
    expect(first.filter((r) => r.ok)).toHaveLength(5);
    expect(first.filter((r) => !r.ok).every((r) => !r.ok && r.status === 429 && /5 of 5 requests in flight/.test(r.message))).toBe(true);
    // Done, so the slots are free again, sequentially as many as wanted.
    for (let i = 0; i < 8; i++) expect(await call(client, i, false)).toEqual({ ok: true });
  });

  it('TPM reserves an estimate and keeps to the real usage', async () => {
    const made = await gw.gateway.call('keys:create', { name: 'tpm', tpm: 100 }, 'cli');
    const client = new OpenAI({ apiKey: made.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const results: Outcome[] = [];
    for (let i = 0; i < 40; i++) results.push(await call(client, i, false));
    const admitted = results.filter((r) => r.ok).length;
    const tokens = gw
      .events('llm.request')
      .filter((e) => e.keyId === made.key.id)
      .reduce((n, e) => {
        const u = e.usage as { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
        return n + u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
      }, 0);
    // Each call reserves ~25 tokens (a quarter of its body) and settles at its real ~6: far more than 100/25 = 4 get in.
    expect(admitted).toBeGreaterThan(4);
    expect(admitted).toBeLessThan(40);
    expect(tokens).toBeLessThanOrEqual(100);
    const refusal = results.find((r) => !r.ok) as Extract<Outcome, { ok: false }>;
    expect(refusal.status).toBe(429);
    expect(refusal.message).toMatch(/key "tpm": .*tokens per minute/);
  });
});
