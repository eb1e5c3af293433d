// Large same-family requests sent by editing the client's own bytes: the provider gets exactly what
// re-serialising would have sent (as JSON), with every policy still applied (guardrails, budgets, the ledger hash).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let mock: MockOpenAI;
let gw: TestGateway;
let key: string;
let budgetKey: string;

const AWS = ['AKIA', 'Q7WERTY2UIOP4ASD'].join('');

beforeAll(async () => {
  mock = await startMockOpenAI();
  gw = await startTestGateway(configFor(mock.url, 'guardrails: { secrets: mask }\n'));
  key = (await gw.newKey()).secret;
  budgetKey = (await gw.gateway.call('keys:create', { name: 'budgeted', budgets: [{ amountUsd: 1000, window: 'total' }] }, 'cli')).secret;
});
afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

/** A prompt past the size from which bodies are edited, with text that JSON writes in more than one way. */
const bigText = `naïve 日本語 🦊 "quoted" \\ back\\slash {[ ${'lorem ipsum dolor sit amet '.repeat(2000)}`;

async function post(secret: string, raw: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: raw });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function lastSeen(): { body: Record<string, unknown>; rawBody: string } {
  const seen = mock.requests[mock.requests.length - 1]!;
  return { body: seen.body as Record<string, unknown>, rawBody: seen.rawBody };
}

describe('a large passed-through request', () => {
  it('reaches the provider as the client sent it but for the model, its messages copied byte for byte', async () => {
    const messages = `[ {"role": "system", "content": "be brief", "model": "nested-not-touched"},\n  {"role":"user","content":${JSON.stringify(bigText)}} ]`;
    const raw = `{\n  "model": "fast",\n  "messages": ${messages},\n  "stream": false,\n  "temperature": 0.5, "x_unknown": {"kept": [1, 2.50, "\\u00e9"]}\n}`;
    const before = mock.requests.length;
    const { status } = await post(key, raw);
    expect(status).toBe(200);
    expect(mock.requests.length).toBe(before + 1);
    const seen = lastSeen();
    const expected: Record<string, unknown> = { ...(JSON.parse(raw) as Record<string, unknown>), model: 'gpt-4o-mini' };
    delete expected.stream;
    expect(seen.body).toEqual(expected);
    // Copied, not re-serialised: the client's spacing and number spelling are still there.
    expect(seen.rawBody).toContain(`"messages": ${messages}`);
    expect(seen.rawBody).toContain('2.50');
    // The ledger still hashes the bytes the client sent.
    const event = gw.events('llm.request').at(-1)!;
    expect(event.request).toEqual({ bytes: Buffer.byteLength(raw), sha256: createHash('sha256').update(raw).digest('hex') });
  });

  it('asks for usage on a stream the way re-serialising did', async () => {
    const raw = JSON.stringify({ model: 'fast', stream: true, stream_options: { include_usage: false }, messages: [{ role: 'user', content: bigText }] });
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(200);
    await res.text();
    expect(lastSeen().body).toEqual({ ...(JSON.parse(raw) as object), model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } });
  });

  it('writes the output limit a budget sets into the body', async () => {
    const raw = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: bigText }] });
    const { status } = await post(budgetKey, raw);
    expect(status).toBe(200);
    const seen = lastSeen().body;
    expect(seen.max_completion_tokens ?? seen.max_tokens).toEqual(expect.any(Number));
    expect({ ...seen, max_completion_tokens: undefined, max_tokens: undefined }).toEqual({ ...(JSON.parse(raw) as object), model: 'gpt-4o-mini', max_completion_tokens: undefined, max_tokens: undefined });
  });

  it('sends what the guardrails masked, not the client bytes that held the secret', async () => {
    const raw = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: `${bigText} my key is ${AWS}` }] });
    const { status } = await post(key, raw);
    expect(status).toBe(200);
    const seen = lastSeen();
    expect(seen.rawBody).not.toContain(AWS);
    expect(JSON.stringify(seen.body)).toContain('[[masked:');
  });

  it('sends a body with a key given twice as the gateway read it (the last one), never the client bytes', async () => {
    const raw = `{"model":"fast","messages":[{"role":"user","content":"first","content":${JSON.stringify(bigText)}}]}`;
    const { status } = await post(key, raw);
    expect(status).toBe(200);
    const seen = lastSeen();
    expect(seen.rawBody).not.toContain('"first"');
    expect(seen.body).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: bigText }] });
  });
});
