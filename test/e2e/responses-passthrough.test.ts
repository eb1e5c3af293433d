// The Responses API passed through to a provider of type openai: the official SDK -> gateway -> mock
// OpenAI's /v1/responses, with the body and the reply untouched, usage in the ledger, and fallback
// to a target that is translated.
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/gateway/store/db.js';
import { MOCK_ANTHROPIC_KEY, MOCK_REPLY_SUFFIX, startMockAnthropic, type MockAnthropic } from '../fixtures/mock-anthropic.js';
import { MOCK_REASONING_TOKENS, mockEncryptedReasoning, mockResponseFor, startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { rejection } from '../helpers/thrown.js';

let oai: MockOpenAI;
let anth: MockAnthropic;
let gw: TestGateway;
let key: string;

const PRICING = { inputPerMTok: 1.25, outputPerMTok: 10, cacheReadPerMTok: 0.125 };

function config(): string {
  return `version: 1
server: { port: 0 }
providers:
  - { id: openai, type: openai, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: compat, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: anth, type: anthropic, baseUrl: ${anth.url}, apiKey: env:ANTH_KEY }
routing: { backoffMs: 10, maxBackoffMs: 50 }
models:
  - name: gpt
    targets: [{ provider: openai, model: gpt-5-codex, pricing: { inputPerMTok: ${PRICING.inputPerMTok}, outputPerMTok: ${PRICING.outputPerMTok}, cacheReadPerMTok: ${PRICING.cacheReadPerMTok} } }]
  - name: compat
    targets: [{ provider: compat, model: gpt-4o-mini }]
  - name: gpt-then-claude
    # The key's session is pinned to OpenAI by the tests before; this lets it cross to Anthropic.
    crossFamilyFallback: true
    retries: 1
    targets:
      - { provider: openai, model: mock-error }
      - { provider: anth, model: claude-sonnet-4-5 }
`;
}

beforeAll(async () => {
  [oai, anth] = await Promise.all([startMockOpenAI({ gzip: true, chunks: 4 }), startMockAnthropic()]);
  gw = await startTestGateway(config(), { env: { ANTH_KEY: MOCK_ANTHROPIC_KEY } });
  key = (await gw.newKey({ name: 'responses' })).secret;
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([oai?.close(), anth?.close()]);
});

const openai = (): OpenAI => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const lastRequest = (): Record<string, unknown> => gw.events('llm.request').at(-1)!;

/** A row of the ledger's `llm_usage` view. */
function usageRow(requestId: unknown): Record<string, unknown> {
  const db = openDatabase(join(gw.dataDir, 'gatehouse.sqlite'));
  try {
    return db.prepare('SELECT api, provider, model, translated, stream, outcome, input_tokens, cache_read_tokens, output_tokens, reasoning_tokens, usage_estimated, cost_usd FROM llm_usage WHERE request_id = ?').get(requestId) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

/** A POST to the gateway with the key, its reply read as text. */
async function post(path: string, body: unknown): Promise<{ status: number; contentType: string; text: string }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** What Codex sends: stateless, asking for encrypted reasoning, with the reasoning of an earlier turn sent back. */
function codexTurn(earlier: { id: string; encrypted: string }): Record<string, unknown> {
  return {
    model: 'gpt',
    instructions: 'You are Codex.',
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first question' }] },
      { type: 'reasoning', id: earlier.id, summary: [], encrypted_content: earlier.encrypted },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'first answer' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello passthrough' }] },
    ],
    store: false,
    include: ['reasoning.encrypted_content'],
    reasoning: { effort: 'medium', summary: 'auto' },
    prompt_cache_key: 'codex-session-1',
    // A field the gateway does not know, which must still reach OpenAI.
    gatehouse_unknown_field: { kept: [1, 2, 3] },
  };
}

describe('OpenAI Responses API to an openai provider (passed through)', () => {
  it('forwards the body untouched but for the model, returns the reply byte for byte, and records usage and cost', async () => {
    const sent = codexTurn({ id: 'rs_earlier', encrypted: mockEncryptedReasoning('resp_earlier') });
    const res = await post('/v1/responses', sent);
    expect(res.status).toBe(200);

    const seen = oai.requests.at(-1)!;
    expect(seen.path).toBe('/v1/responses');
    expect(JSON.parse(seen.rawBody)).toEqual({ ...sent, model: 'gpt-5-codex' });
    expect(res.text).toBe(seen.reply);

    const reply = JSON.parse(res.text) as OpenAI.Responses.Response;
    expect(reply.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: mockEncryptedReasoning(reply.id) });
    expect(reply.output[1]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'echo: hello passthrough' }] });

    const expected = mockResponseFor(sent, 4).usage;
    const cached = expected.input_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThan(0);
    expect(expected.output_tokens_details.reasoning_tokens).toBe(MOCK_REASONING_TOKENS);
    const event = lastRequest();
    expect(event).toMatchObject({ api: 'openai-responses', provider: 'openai', model: 'gpt-5-codex', translated: false, stream: false, outcome: 'ok', usageEstimated: false });
    const cost = ((expected.input_tokens - cached) * PRICING.inputPerMTok + cached * PRICING.cacheReadPerMTok + expected.output_tokens * PRICING.outputPerMTok) / 1e6;
    expect(usageRow(event.requestId)).toEqual({
      api: 'openai-responses',
      provider: 'openai',
      model: 'gpt-5-codex',
      translated: 0,
      stream: 0,
      outcome: 'ok',
      input_tokens: expected.input_tokens - cached,
      cache_read_tokens: cached,
      output_tokens: expected.output_tokens,
      reasoning_tokens: MOCK_REASONING_TOKENS,
      usage_estimated: 0,
      cost_usd: expect.closeTo(cost, 9) as unknown,
    });
  });

  it('streams every event through as sent, holding response.completed until the ledger has the usage', async () => {
    const sent: Record<string, unknown> = { ...codexTurn({ id: 'rs_earlier', encrypted: mockEncryptedReasoning('resp_earlier') }), stream: true };
    const res = await post('/v1/responses', sent);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/event-stream/);
    const seen = oai.requests.at(-1)!;
    expect(JSON.parse(seen.rawBody)).toEqual({ ...sent, model: 'gpt-5-codex' });
    expect(res.text).toBe(seen.reply);
    expect(res.text).toMatch(/^event: response\.created\ndata: /);
    expect(res.text).toMatch(/event: response\.completed\ndata: [^\n]*\n\n$/);

    const expected = mockResponseFor(sent, 4).usage;
    const event = lastRequest();
    // outcome ok (not upstream_cut) means the decoder saw response.completed as the stream's end.
    expect(event).toMatchObject({ api: 'openai-responses', provider: 'openai', translated: false, stream: true, outcome: 'ok', usageEstimated: false });
    expect(event.usage).toMatchObject({ outputTokens: expected.output_tokens, cacheReadTokens: expected.input_tokens_details.cached_tokens, reasoningTokens: MOCK_REASONING_TOKENS });
    expect(event.ttftMs).toEqual(expect.any(Number));
    expect(event.response).toMatchObject({ bytes: Buffer.byteLength(res.text) });
  });

  it('serves the official SDK, plain and streamed, with a function call and its output carried back', async () => {
    const tools: OpenAI.Responses.FunctionTool[] = [
      { type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false },
    ];
    const first = await openai().responses.create({ model: 'gpt', input: 'use the tool for Nice', tools, store: false, include: ['reasoning.encrypted_content'] });
    expect(first.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    const [reasoning, call] = first.output;
    if (reasoning?.type !== 'reasoning' || call?.type !== 'function_call') throw new Error('expected reasoning, then a function call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: JSON.stringify({ city: 'use the tool for Nice' }) });

    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const stream = await openai().responses.create({
      model: 'gpt',
      tools,
      store: false,
      include: ['reasoning.encrypted_content'],
      stream: true,
      input: [
        { role: 'user', content: 'use the tool for Nice' },
        reasoning,
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'breezy' },
      ],
    });
    for await (const ev of stream) events.push(ev);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0]?.type).toBe('response.created');
    expect(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('')).toBe('tool result: breezy');
    const done = events.at(-1);
    if (done?.type !== 'response.completed') throw new Error('expected the stream to end with response.completed');
    expect(done.response.usage?.output_tokens).toBe((lastRequest().usage as { outputTokens: number }).outputTokens);
    // The reasoning item went back to OpenAI exactly as OpenAI had sent it.
    expect((oai.requests.at(-1)!.body as { input: unknown[] }).input[1]).toEqual(reasoning);
  });

  it('sends previous_response_id on to OpenAI, and still refuses it on a translated target', async () => {
    const stored = await openai().responses.create({ model: 'gpt', input: 'remember this' });
    const next = await openai().responses.create({ model: 'gpt', input: 'and this', previous_response_id: stored.id });
    expect(next.previous_response_id).toBe(stored.id);
    expect(oai.requests.at(-1)!.body).toMatchObject({ previous_response_id: stored.id, model: 'gpt-5-codex' });
    expect(lastRequest()).toMatchObject({ translated: false, outcome: 'ok' });

    const before = oai.requests.length;
    const err = await rejection(openai().responses.create({ model: 'compat', input: 'x', previous_response_id: stored.id }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/keeps no responses/);
    expect(oai.requests).toHaveLength(before);
  });

  it("passes OpenAI's own error body through, status and all", async () => {
    oai.setNext({ status: 400, error: { message: "Invalid value: 'bogus'. Supported values are: 'auto'.", param: 'truncation', code: 'invalid_value' } });
    const res = await post('/v1/responses', { model: 'gpt', input: 'x', truncation: 'bogus' });
    expect(res.status).toBe(400);
    expect(res.text).toBe(oai.requests.at(-1)!.reply);
    const err = await rejection(openai().responses.create({ model: 'gpt', input: 'x', previous_response_id: 'resp_unknown' }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'previous_response_id', code: 'previous_response_not_found' });
    expect(lastRequest()).toMatchObject({ api: 'openai-responses', provider: 'openai', status: 400, outcome: 'upstream_error' });
  });

  it('keeps Chat Completions on the same provider going to /chat/completions as before', async () => {
    const res = await openai().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'chat still' }] });
    expect(res.choices[0]?.message.content).toBe('echo: chat still');
    expect(oai.requests.at(-1)!.path).toBe('/v1/chat/completions');
    expect(lastRequest()).toMatchObject({ api: 'openai-chat', provider: 'openai', translated: false });
  });

  it('sends Responses to an openai-compatible provider translated to Chat Completions', async () => {
    const res = await openai().responses.create({ model: 'compat', input: 'via chat' });
    expect(res.output_text).toBe('echo: via chat');
    expect(oai.requests.at(-1)!.path).toBe('/v1/chat/completions');
    expect(lastRequest()).toMatchObject({ provider: 'compat', translated: true });
  });
});

describe('fallback from an OpenAI target to an Anthropic one', () => {
  it('passes the first attempt through and translates the second, plain and streamed', async () => {
    const before = oai.requests.length;
    const plain = await openai().responses.create({ model: 'gpt-then-claude', input: 'hello fallback', store: false });
    expect(plain.output_text).toBe(`Echo: hello fallback${MOCK_REPLY_SUFFIX}`);
    expect(oai.requests.slice(before).map((r) => r.path)).toEqual(['/v1/responses']);
    expect(lastRequest()).toMatchObject({ provider: 'anth', translated: true, outcome: 'ok', attempts: [{ provider: 'openai', model: 'mock-error', status: 500 }] });

    const stream = openai().responses.stream({ model: 'gpt-then-claude', input: 'stream fallback' });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(`Echo: stream fallback${MOCK_REPLY_SUFFIX}`);
    expect(lastRequest()).toMatchObject({ provider: 'anth', translated: true, stream: true, outcome: 'ok' });
  });

  it("passes a subscription sign-in (Codex with ChatGPT) through: the caller's token and account id go upstream, the virtual key does not", async () => {
    const client = new OpenAI({
      apiKey: 'sk-mock-upstream',
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-gatehouse-key': key, 'chatgpt-account-id': 'acct-123' },
    });
    const before = oai.requests.length;
    const r = await client.responses.create({ model: 'gpt', input: 'on my subscription', store: false });
    expect(r.output_text).toBe(mockResponseFor({ input: 'on my subscription' }).text);
    const seen = oai.requests[before]!;
    expect(seen.headers['authorization']).toBe('Bearer sk-mock-upstream');
    expect(seen.headers['chatgpt-account-id']).toBe('acct-123');
    expect(JSON.stringify(seen.headers)).not.toContain(key);
    expect(lastRequest()).toMatchObject({ credential: 'caller', translated: false, outcome: 'ok' });
  });
});
