// The Gemini API served by the gateway, driven by Google's official @google/genai SDK: passed through
// to a Gemini provider, and translated to Anthropic and OpenAI providers.
import { GoogleGenAI, FunctionCallingConfigMode, type FunctionDeclaration } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ANTHROPIC_KEY, MOCK_REPLY_SUFFIX, startMockAnthropic, type MockAnthropic } from '../fixtures/mock-anthropic.js';
import { MOCK_GEMINI_KEY, startMockGemini, type MockGemini } from '../fixtures/mock-gemini.js';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { rejection } from '../helpers/thrown.js';

let oai: MockOpenAI;
let anth: MockAnthropic;
let gem: MockGemini;
let gw: TestGateway;
let key: string;

beforeAll(async () => {
  [oai, anth, gem] = await Promise.all([startMockOpenAI(), startMockAnthropic(), startMockGemini()]);
  gw = await startTestGateway(
    `version: 1
server: { port: 0 }
providers:
  - { id: oai, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: anth, type: anthropic, baseUrl: ${anth.url}, apiKey: env:ANTH_KEY }
  - { id: gem, type: gemini, baseUrl: ${gem.url}, apiKey: env:GEM_KEY }
models:
  - name: gemini-2.5-flash
    targets: [{ provider: gem, model: gemini-2.5-flash }]
  - name: claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
  - name: gpt
    targets: [{ provider: oai, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }]
`,
    { env: { ANTH_KEY: MOCK_ANTHROPIC_KEY, GEM_KEY: MOCK_GEMINI_KEY } },
  );
  key = (await gw.newKey({ name: 'gemini-api' })).secret;
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([oai?.close(), anth?.close(), gem?.close()]);
});

const genai = (): GoogleGenAI => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: gw.url } });
const lastRequest = (): Record<string, unknown> => gw.events('llm.request').at(-1)!;

const weather: FunctionDeclaration = {
  name: 'get_weather',
  description: 'Weather for a city',
  parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('Gemini API to a Gemini provider (passed through)', () => {
  it('answers generateContent and streamGenerateContent, with the virtual key never sent upstream', async () => {
    const res = await genai().models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello gemini' });
    expect(res.text).toContain('hello gemini');
    const seen = gem.requests.at(-1)!;
    expect(seen.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(seen.headers['x-goog-api-key']).toBe(MOCK_GEMINI_KEY);
    expect(JSON.stringify(seen.headers)).not.toContain(key);
    expect(lastRequest()).toMatchObject({ api: 'gemini-generate', provider: 'gem', translated: false, outcome: 'ok' });
    expect(res.usageMetadata?.promptTokenCount).toBeGreaterThan(0);

    let text = '';
    for await (const chunk of await genai().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'stream gemini' })) text += chunk.text ?? '';
    expect(text).toContain('stream gemini');
    expect(gem.requests.at(-1)!.query).toMatchObject({ alt: 'sse' });
    expect(lastRequest()).toMatchObject({ stream: true, outcome: 'ok' });
    expect((lastRequest().usage as { outputTokens: number }).outputTokens).toBeGreaterThan(0);
  });

  it('counts tokens through the provider and lists models in Gemini shape', async () => {
    const counted = await genai().models.countTokens({ model: 'gemini-2.5-flash', contents: 'count me' });
    expect(counted.totalTokens).toBeGreaterThan(0);
    expect(gem.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:countTokens');
    const names: string[] = [];
    for await (const m of await genai().models.list()) names.push(m.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['models/gemini-2.5-flash', 'models/claude', 'models/gpt']));
  });
});

describe('Gemini API to Anthropic and OpenAI providers (translated)', () => {
  it('answers plain and streamed requests from an Anthropic provider', async () => {
    const res = await genai().models.generateContent({ model: 'claude', contents: 'hi claude', config: { systemInstruction: 'be brief' } });
    expect(res.text).toBe(`Echo: hi claude${MOCK_REPLY_SUFFIX}`);
    expect(anth.requests.at(-1)!.body).toMatchObject({ model: 'claude-sonnet-4-5', system: 'be brief' });
    expect(lastRequest()).toMatchObject({ api: 'gemini-generate', provider: 'anth', translated: true });

    let text = '';
    for await (const chunk of await genai().models.generateContentStream({ model: 'claude', contents: 'stream claude' })) text += chunk.text ?? '';
    expect(text).toBe(`Echo: stream claude${MOCK_REPLY_SUFFIX}`);
  });

  it('makes a function call on an OpenAI provider and takes the function response back', async () => {
    const client = genai();
    const first = await client.models.generateContent({
      model: 'gpt',
      contents: 'use the tool for Lisbon',
      config: { tools: [{ functionDeclarations: [weather] }], toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } } },
    });
    const call = first.functionCalls?.[0];
    expect(call).toMatchObject({ name: 'get_weather' });
    const second = await client.models.generateContent({
      model: 'gpt',
      contents: [
        { role: 'user', parts: [{ text: 'use the tool for Lisbon' }] },
        { role: 'model', parts: [{ functionCall: call! }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', ...(call?.id ? { id: call.id } : {}), response: { output: 'warm' } } }] },
      ],
      config: { tools: [{ functionDeclarations: [weather] }] },
    });
    expect(second.text).toContain('warm');
    const sent = oai.requests.at(-1)!.body as { messages: { role: string; content?: unknown }[] };
    expect(sent.messages.at(-1)).toMatchObject({ role: 'tool' });
  });

  it('estimates countTokens for an OpenAI target, and says so', async () => {
    const res = await fetch(`${gw.url}/v1beta/models/gpt:countTokens`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'y'.repeat(700) }] }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-estimated')).toBe('true');
    expect(((await res.json()) as { totalTokens: number }).totalTokens).toBeGreaterThanOrEqual(200);
  });
});

describe('Gemini API errors and keys', () => {
  it('answers an unknown model in Google error shape, and takes the key as ?key= too', async () => {
    const err = await rejection(genai().models.generateContent({ model: 'gemni-2.5-flash', contents: 'x' }));
    expect((err as { status?: number }).status).toBe(404);
    const res = await fetch(`${gw.url}/v1beta/models/nope:generateContent?key=${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND', message: expect.stringMatching(/"nope"/) } });
  });

  it('refuses a stream request without alt=sse, naming the fix', async () => {
    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT', message: expect.stringMatching(/alt=sse/) } });
  });
});
