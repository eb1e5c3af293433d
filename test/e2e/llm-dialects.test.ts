// The official OpenAI and Anthropic SDKs, plain and streaming, against mock providers of their own
// family (passed through) and of the other families (translated), through fallback routes and by provider/model.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
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

function config(): string {
  return `version: 1
server: { port: 0 }
providers:
  - { id: oai, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: anth, type: anthropic, baseUrl: ${anth.url}, apiKey: env:ANTH_KEY }
  - { id: gem, type: gemini, baseUrl: ${gem.url}, apiKey: env:GEM_KEY }
routing: { backoffMs: 10, maxBackoffMs: 50 }
models:
  - name: gpt
    targets: [{ provider: oai, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 } }]
  - name: claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
  - name: gemini
    targets: [{ provider: gem, model: gemini-2.5-flash }]
  - name: failover
    crossFamilyFallback: true
    targets:
      - { provider: anth, model: mock-error }
      - { provider: oai, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }
  - name: claude-then-gpt
    crossFamilyFallback: true
    retries: 1
    targets:
      - { provider: anth, model: claude-sonnet-4-5 }
      - { provider: oai, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }
  - name: slow-then-gpt
    crossFamilyFallback: true
    attemptTimeoutMs: 300
    targets:
      - { provider: anth, model: claude-sonnet-4-5 }
      - { provider: oai, model: gpt-4o-mini }
  - name: pair
    strategy: weighted
    targets:
      - { provider: anth, model: claude-sonnet-4-5 }
      - { provider: anth, model: claude-haiku-4-5 }
  - name: mixed
    retries: 1
    targets:
      - { provider: oai, model: gpt-4o-mini }
      - { provider: anth, model: claude-sonnet-4-5 }
aliases:
  "claude-*-haiku-*": claude
`;
}

beforeAll(async () => {
  [oai, anth, gem] = await Promise.all([startMockOpenAI(), startMockAnthropic(), startMockGemini()]);
  gw = await startTestGateway(config(), { env: { ANTH_KEY: MOCK_ANTHROPIC_KEY, GEM_KEY: MOCK_GEMINI_KEY } });
  key = (await gw.newKey({ name: 'dialects' })).secret;
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([oai?.close(), anth?.close(), gem?.close()]);
});

/** A gateway of its own with one Anthropic provider behind the route `claude`. */
function anthropicOnlyGateway(baseUrl: string, providerKey: string): Promise<TestGateway> {
  const text = `version: 1
server: { port: 0 }
providers:
  - { id: anth, type: anthropic, baseUrl: ${baseUrl}, apiKey: env:ANTH_KEY }
models:
  - name: claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
`;
  return startTestGateway(text, { env: { ANTH_KEY: providerKey } });
}

const openai = (): OpenAI => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const anthropic = (): Anthropic => new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
const lastRequest = (): Record<string, unknown> => gw.events('llm.request').at(-1)!;

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};

describe('OpenAI SDK to an Anthropic provider (translated)', () => {
  it('answers a plain request, records the Anthropic usage and prices it from the catalog', async () => {
    const res = await openai().chat.completions.create({ model: 'claude', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }] });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message.content).toBe(`Echo: hello there${MOCK_REPLY_SUFFIX}`);
    expect(res.choices[0]!.finish_reason).toBe('stop');
    const seen = anth.requests.at(-1)!;
    expect(seen.path).toBe('/v1/messages');
    expect(seen.body).toMatchObject({ model: 'claude-sonnet-4-5', system: 'be brief', messages: [{ role: 'user' }] });
    expect((seen.body as { max_tokens: number }).max_tokens).toBeGreaterThan(0);
    const ev = lastRequest();
    expect(ev).toMatchObject({ api: 'openai-chat', provider: 'anth', translated: true, credential: 'gateway', outcome: 'ok', pricing: 'catalog', usageEstimated: false });
    // The calling program is recorded by its user-agent.
    expect(ev.client).toMatch(/^OpenAI\/JS /);
    const usage = ev.usage as { inputTokens: number; outputTokens: number };
    expect(res.usage).toMatchObject({ prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens });
    // claude-sonnet-4-5: $3 in, $15 out per million tokens.
    expect(ev.costUsd).toBeCloseTo((usage.inputTokens * 3 + usage.outputTokens * 15) / 1e6, 12);
  });

  it('streams in OpenAI chunks, with the usage chunk only when asked for', async () => {
    const stream = await openai().chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'stream me' }], stream: true });
    let text = '';
    let usageChunks = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usageChunks++;
    }
    expect(text).toBe(`Echo: stream me${MOCK_REPLY_SUFFIX}`);
    expect(finish).toBe('stop');
    expect(usageChunks).toBe(0);

    const withUsage = await openai().chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of withUsage) usage = chunk.usage ?? usage;
    const recorded = lastRequest().usage as { inputTokens: number; outputTokens: number };
    expect(usage).toMatchObject({ prompt_tokens: recorded.inputTokens, completion_tokens: recorded.outputTokens });
    expect(recorded.outputTokens).toBeGreaterThan(0);
  });

  it('makes a tool call and carries the tool result back, streamed and plain', async () => {
    const client = openai();
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'use the tool for Paris' }];
    const stream = await client.chat.completions.create({ model: 'claude', messages, tools: [weatherTool], stream: true });
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        const cur = calls.get(tc.index) ?? { id: '', name: '', args: '' };
        calls.set(tc.index, { id: tc.id ?? cur.id, name: tc.function?.name ?? cur.name, args: cur.args + (tc.function?.arguments ?? '') });
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    const call = calls.get(0)!;
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.args)).toEqual({ city: 'use the tool for Paris' });
    expect(anth.requests.at(-1)!.body).toMatchObject({ tools: [{ name: 'get_weather', input_schema: { type: 'object' } }] });

    const followUp = await client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [
        ...messages,
        { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.args } }] },
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21C' },
      ],
    });
    expect(followUp.choices[0]!.message.content).toContain('Tool said: "sunny, 21C"');
    const sent = anth.requests.at(-1)!.body as { messages: { role: string; content: { type: string; tool_use_id?: string }[] }[] };
    expect(sent.messages.at(-1)).toMatchObject({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id }] });
  });
});

describe('structured output across families', () => {
  it('gives an OpenAI client its response_format JSON from an Anthropic provider, plain and streamed', async () => {
    const response_format = {
      type: 'json_schema' as const,
      json_schema: { name: 'lookup', schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } },
    };
    const plain = await openai().chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'json please' }], response_format });
    expect(JSON.parse(plain.choices[0]!.message.content!)).toEqual({ query: 'json please' });
    expect(plain.choices[0]!.finish_reason).toBe('stop');
    expect(plain.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(anth.requests.at(-1)!.body).toMatchObject({ tool_choice: { type: 'tool', name: 'json_reply' }, tools: [{ name: 'json_reply' }] });

    const stream = await openai().chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'json stream' }], response_format, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(JSON.parse(text)).toEqual({ query: 'json stream' });
  });
});

describe('Anthropic SDK to an OpenAI provider (translated)', () => {
  it('answers a plain request in Anthropic shape', async () => {
    const msg = await anthropic().messages.create({ model: 'gpt', max_tokens: 100, system: 'be brief', messages: [{ role: 'user', content: 'hi from claude sdk' }] });
    expect(msg.type).toBe('message');
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'echo: hi from claude sdk' });
    expect(msg.stop_reason).toBe('end_turn');
    const seen = oai.requests.at(-1)!.body as { model: string; messages: { role: string }[]; max_completion_tokens?: number };
    expect(seen.model).toBe('gpt-4o-mini');
    expect(seen.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(lastRequest()).toMatchObject({ api: 'anthropic-messages', provider: 'oai', translated: true, pricing: 'config' });
    expect(lastRequest().client).toMatch(/^Anthropic\/JS /);
    expect(msg.usage.output_tokens).toBe((lastRequest().usage as { outputTokens: number }).outputTokens);
  });

  it('streams the exact Anthropic event sequence', async () => {
    const events: string[] = [];
    const stream = anthropic().messages.stream({ model: 'gpt', max_tokens: 100, messages: [{ role: 'user', content: 'stream to claude' }] });
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('echo: stream to claude');
    expect(events[0]).toBe('message_start');
    expect(events.at(-2)).toBe('message_delta');
    expect(events.at(-1)).toBe('message_stop');
    expect(events.filter((e) => e === 'content_block_start').length).toBe(events.filter((e) => e === 'content_block_stop').length);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('makes a tool call with tool_use blocks, and takes the tool_result back', async () => {
    const client = anthropic();
    const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
    const first = await client.messages
      .stream({ model: 'gpt', max_tokens: 100, tools, messages: [{ role: 'user', content: 'use the tool please' }] })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    if (use?.type !== 'tool_use') throw new Error('no tool_use block');
    const second = await client.messages.create({
      model: 'gpt',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'use the tool please' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'rainy' }, { type: 'text', text: 'and now?' }] },
      ],
    });
    const sent = oai.requests.at(-1)!.body as { messages: { role: string; tool_call_id?: string; content?: unknown }[] };
    // The tool result comes first, as an OpenAI tool message, then the user's text.
    expect(sent.messages.slice(-2)).toMatchObject([{ role: 'tool', tool_call_id: use.id, content: 'rainy' }, { role: 'user' }]);
    expect(second.content[0]).toMatchObject({ type: 'text' });
  });
});

describe('Anthropic SDK to an Anthropic provider (passed through)', () => {
  it('forwards the body untouched (unknown fields too), anthropic-beta, and records cache tokens and their cost', async () => {
    const client = anthropic();
    const body = {
      model: 'claude',
      max_tokens: 50,
      system: [{ type: 'text' as const, text: 'a long and stable system prompt', cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'first turn' }],
      some_future_field: { kept: true },
    };
    await client.messages.create(body as Anthropic.MessageCreateParamsNonStreaming, { headers: { 'anthropic-beta': 'prompt-caching-2099' } });
    const seen = anth.requests.at(-1)!;
    expect(seen.body).toMatchObject({ model: 'claude-sonnet-4-5', some_future_field: { kept: true }, system: [{ cache_control: { type: 'ephemeral' } }] });
    expect(seen.headers['anthropic-beta']).toBe('prompt-caching-2099');
    const first = lastRequest();
    expect(first).toMatchObject({ translated: false, provider: 'anth' });
    const u1 = first.usage as { cacheWriteTokens: number; cacheReadTokens: number; inputTokens: number; outputTokens: number };
    expect(u1.cacheWriteTokens).toBeGreaterThan(0);

    await client.messages.create(body as Anthropic.MessageCreateParamsNonStreaming);
    const u2 = lastRequest().usage as typeof u1;
    expect(u2.cacheReadTokens).toBe(u1.cacheWriteTokens);
    // Sonnet 4.5: $3 input, $15 output, $3.75 cache write, $0.30 cache read per million tokens.
    expect(first.costUsd).toBeCloseTo((u1.inputTokens * 3 + u1.outputTokens * 15 + u1.cacheWriteTokens * 3.75) / 1e6, 12);
    expect(lastRequest().costUsd).toBeCloseTo((u2.inputTokens * 3 + u2.outputTokens * 15 + u2.cacheReadTokens * 0.3) / 1e6, 12);
  });

  it('sends the subscription user\'s own credential upstream when the virtual key comes in x-gatehouse-key', async () => {
    const g = await anthropicOnlyGateway(anth.url, 'sk-ant-the-gateway-key-is-wrong');
    try {
      const created = await g.newKey();
      const k = created.secret;
      await g.gateway.call('keys:update', { id: created.id, budgets: [{ window: 'day', amountUsd: 5 }] }, 'local');
      // The SDK sends its own key as the caller's credential; the virtual key travels apart.
      const client = new Anthropic({ apiKey: MOCK_ANTHROPIC_KEY, baseURL: g.url, maxRetries: 0, defaultHeaders: { 'x-gatehouse-key': k } });
      const msg = await client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'mine' }] });
      expect(msg.content[0]).toMatchObject({ type: 'text' });
      const seen = anth.requests.at(-1)!;
      expect(JSON.stringify(seen.headers)).not.toContain('the-gateway-key-is-wrong');
      // Recorded as paid by the caller's own sign-in, still with tokens and the list-price cost.
      const row = g.events('llm.request').at(-1)!;
      expect(row).toMatchObject({ credential: 'caller', outcome: 'ok', pricing: 'catalog' });
      expect(JSON.stringify(seen.headers)).not.toContain(k);
      // The report counts it as subscription usage, not as money the gateway's keys spent.
      const report = await g.gateway.call('report:usage', { groupBy: 'key' }, 'cli');
      expect(report.totals).toMatchObject({ requests: 1, costUsd: 0, subscriptionCostUsd: row.costUsd });
      expect(row.costUsd).toBeGreaterThan(0);
      // Nor is it charged to the key's budget, in the running count as in the ledger a restart reads.
      const meters = await g.gateway.call('budgets:list', {}, 'local');
      expect(meters.find((m) => m.subject === `key:${created.id}`)).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
    } finally {
      await g.stop();
    }
  });

  it('streams the provider events through, and reaches a model by provider/model and by alias', async () => {
    const final = await anthropic().messages.stream({ model: 'anth/claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'direct' }] }).finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: `Echo: direct${MOCK_REPLY_SUFFIX}` });
    expect(lastRequest()).toMatchObject({ route: 'anth/claude-haiku-4-5', model: 'claude-haiku-4-5', stream: true, outcome: 'ok', pricing: 'catalog' });
    await anthropic().messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens: 50, messages: [{ role: 'user', content: 'alias' }] });
    expect(lastRequest()).toMatchObject({ requestedModel: 'claude-3-5-haiku-20241022', route: 'claude', model: 'claude-sonnet-4-5' });
  });

  it('counts tokens through the provider, and estimates them for a provider without a counter', async () => {
    const counted = await anthropic().messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'count these words' }] });
    expect(anth.requests.at(-1)!.path).toBe('/v1/messages/count_tokens');
    expect(counted.input_tokens).toBeGreaterThan(0);
    const res = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'x'.repeat(350) }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-estimated')).toBe('true');
    expect(((await res.json()) as { input_tokens: number }).input_tokens).toBeGreaterThanOrEqual(100);
  });

  it('lists models in Anthropic shape when the request carries anthropic-version', async () => {
    const page = await anthropic().models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude', 'gpt', 'anth/claude-sonnet-4-5']));
    expect(page.data[0]).toMatchObject({ type: 'model', display_name: expect.any(String) });
  });

  it('answers errors in Anthropic shape: unknown model with close matches, malformed JSON', async () => {
    const err = await rejection(anthropic().messages.create({ model: 'claudee', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }));
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect((err as Error).message).toMatch(/claudee.*Did you mean: claude/);

    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: '{"model": "claude", ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/not valid JSON/) } });
  });
});

describe('OpenAI SDK to a Gemini provider (translated)', () => {
  it('answers plain and streamed requests, and calls a tool whose schema had to be cleaned', async () => {
    const client = openai();
    const plain = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'hello gemini' }] });
    expect(plain.choices[0]!.message.content).toContain('hello gemini');
    expect(gem.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(lastRequest()).toMatchObject({ provider: 'gem', translated: true, pricing: 'catalog' });

    const stream = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'stream gemini' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('stream gemini');
    expect(gem.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');

    // additionalProperties is outside Gemini's schema subset: the mock refuses it like Gemini does.
    const tool = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'use the tool for Rome' }], tools: [weatherTool] });
    const call = tool.choices[0]!.message.tool_calls?.[0];
    expect(tool.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(call?.id).toEqual(expect.any(String));
  });
});

describe('fallback and retries', () => {
  it('falls back to the next target when the first answers 500, and records the failed attempt', async () => {
    const res = await openai().chat.completions.create({ model: 'failover', messages: [{ role: 'user', content: 'fall back' }] });
    expect(res.choices[0]!.message.content).toBe('echo: fall back');
    expect(lastRequest()).toMatchObject({ provider: 'oai', outcome: 'ok', translated: false, attempts: [{ provider: 'anth', model: 'mock-error', status: 500 }] });
    // The status shows each target's health: the failing one counts its failures.
    const status = await gw.gateway.call('status:get', {}, 'local');
    expect(status.targets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ targetId: 'failover#0', consecutiveFailures: 1, state: 'closed' }),
        expect.objectContaining({ targetId: 'failover#1', consecutiveFailures: 0, ewmaTtfbMs: expect.any(Number) }),
      ]),
    );
  });

  it('opens the circuit of a target after consecutive failures and tries the healthy one first', async () => {
    // New sessions each time: a session already pinned to the healthy target would not try the broken one.
    const fresh = (n: string) => ({ headers: { 'x-gatehouse-session': `breaker-${n}` } });
    for (let i = 0; i < 2; i++) await openai().chat.completions.create({ model: 'failover', messages: [{ role: 'user', content: `again ${i}` }] }, fresh(String(i)));
    const status = await gw.gateway.call('status:get', {}, 'local');
    expect(status.targets.find((t) => t.targetId === 'failover#0')).toMatchObject({ state: 'open', consecutiveFailures: 3, openUntil: expect.any(String) });
    await openai().chat.completions.create({ model: 'failover', messages: [{ role: 'user', content: 'skip the broken one' }] }, fresh('last'));
    expect(lastRequest()).toMatchObject({ provider: 'oai', attempts: [] });
  });

  it('falls back before the first byte when a stream fails before any content', async () => {
    anth.setNext({ streamErrorAfterEvents: 1, errorType: 'overloaded_error' });
    const events: string[] = [];
    const stream = anthropic().messages.stream({ model: 'claude-then-gpt', max_tokens: 50, messages: [{ role: 'user', content: 'survive' }] });
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'echo: survive' });
    expect(events.filter((e) => e === 'message_start')).toHaveLength(1);
    expect(lastRequest()).toMatchObject({ provider: 'oai', attempts: [{ provider: 'anth', status: 529 }] });
  });

  it('ends a stream that fails after content with an error event in the client dialect', async () => {
    anth.setNext({ dropAfterEvents: 5 });
    const err = await rejection(anthropic().messages.stream({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'cut me off' }] }).finalMessage());
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/ended the stream before it finished/);
    expect(lastRequest()).toMatchObject({ outcome: 'upstream_cut', provider: 'anth' });
  });

  it('retries the same target after a 429 and succeeds', async () => {
    anth.setNext({ status: 429, headers: { 'retry-after': '0' } });
    const msg = await anthropic().messages.create({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'again' }] });
    expect(msg.content[0]).toMatchObject({ type: 'text' });
    expect(lastRequest()).toMatchObject({ outcome: 'ok', attempts: [{ provider: 'anth', status: 429 }] });
  });
});

describe('timeouts and session affinity', () => {
  it('gives up on a target that sends no first byte within the attempt timeout, and falls back', async () => {
    anth.setNext({ delayMs: 3000 });
    const started = performance.now();
    const res = await openai().chat.completions.create({ model: 'slow-then-gpt', messages: [{ role: 'user', content: 'hurry' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hurry');
    expect(performance.now() - started).toBeLessThan(2500);
    const ev = lastRequest();
    expect(ev).toMatchObject({ provider: 'oai', attempts: [{ provider: 'anth', status: 0 }] });
    expect((ev.attempts as { error: string }[])[0]!.error).toMatch(/no first byte within 300 ms/);
  });

  it('keeps each session on one target of a weighted route, while sessions spread over both', async () => {
    const client = anthropic();
    const ask = async (session: string): Promise<string> => {
      await client.messages.create({ model: 'pair', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-gatehouse-session': session } });
      return String(lastRequest().model);
    };
    const first = await ask('sess-sticky');
    for (let i = 0; i < 6; i++) expect(await ask('sess-sticky')).toBe(first);
    expect(lastRequest().session).toBe('sess-sticky');
    const models = new Set<string>();
    for (let i = 0; i < 20; i++) models.add(await ask(`sess-spread-${i}`));
    expect(models).toEqual(new Set(['claude-sonnet-4-5', 'claude-haiku-4-5']));
  });

  it('reads Claude Code\'s session: the x-claude-code-session-id header first, else metadata.user_id\'s session_id', async () => {
    const userId = JSON.stringify({ device_id: 'dev1', account_uuid: '', session_id: 'sess-in-body' });
    const ask = (headers: Record<string, string>) =>
      anthropic().messages.create({ model: 'claude', max_tokens: 10, metadata: { user_id: userId }, messages: [{ role: 'user', content: 'hi' }] }, { headers });
    await ask({ 'x-claude-code-session-id': 'sess-from-header' });
    expect(lastRequest().session).toBe('sess-from-header');
    await ask({});
    expect(lastRequest().session).toBe('sess-in-body');
  });

  it('does not fall back to another provider family in the middle of a session', async () => {
    const client = openai();
    const opts = (session: string) => ({ headers: { 'x-gatehouse-session': session } });
    await client.chat.completions.create({ model: 'mixed', messages: [{ role: 'user', content: 'one' }] }, opts('sess-family'));
    expect(lastRequest()).toMatchObject({ provider: 'oai' });
    // Mid-session the OpenAI target fails once: the retry stays on it rather than moving to Anthropic.
    oai.setNext({ status: 503 });
    await client.chat.completions.create({ model: 'mixed', messages: [{ role: 'user', content: 'two' }] }, opts('sess-family'));
    expect(lastRequest()).toMatchObject({ provider: 'oai', attempts: [{ provider: 'oai', status: 503 }] });
    // A new session has no pin, so the same failure falls back across families.
    oai.setNext({ status: 503 });
    await client.chat.completions.create({ model: 'mixed', messages: [{ role: 'user', content: 'three' }] }, opts('sess-new'));
    expect(lastRequest()).toMatchObject({ provider: 'anth', translated: true, attempts: [{ provider: 'oai', status: 503 }] });
  });
});

describe('embeddings and legacy completions (OpenAI-format providers only)', () => {
  it('passes embeddings through and records their prompt tokens and cost', async () => {
    const res = await openai().embeddings.create({ model: 'gpt', input: ['first text', 'second'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]!.embedding).toHaveLength(8);
    expect(oai.requests.at(-1)!).toMatchObject({ path: '/v1/embeddings', body: { model: 'gpt-4o-mini', input: ['first text', 'second'] } });
    const ev = lastRequest();
    expect(ev).toMatchObject({ api: 'openai-embeddings', provider: 'oai', usage: { inputTokens: res.usage.prompt_tokens, outputTokens: 0 }, usageEstimated: false });
    expect(ev.costUsd).toBeCloseTo((res.usage.prompt_tokens * 0.15) / 1e6, 12);
  });

  it('passes legacy completions through, plain and streamed, with usage recorded', async () => {
    const plain = await openai().completions.create({ model: 'gpt', prompt: 'def add(a, b):' });
    expect(plain.choices[0]!.text).toBe('completion of: def add(a, b):');
    expect(lastRequest()).toMatchObject({ api: 'openai-completions', usage: { outputTokens: plain.usage!.completion_tokens } });

    const stream = await openai().completions.create({ model: 'gpt', prompt: 'for i in', stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe('completion of: for i in');
    // Usage was requested upstream for the ledger, and not shown to a client that did not ask.
    expect(sawUsage).toBe(false);
    expect((oai.requests.at(-1)!.body as { stream_options: unknown }).stream_options).toEqual({ include_usage: true });
    expect(lastRequest()).toMatchObject({ stream: true, outcome: 'ok', usageEstimated: false });
    expect((lastRequest().usage as { outputTokens: number }).outputTokens).toBeGreaterThan(0);
  });

  it('refuses embeddings on a route with no OpenAI-format target, saying why', async () => {
    const err = await rejection(openai().embeddings.create({ model: 'claude', input: 'x' }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/embeddings go to OpenAI-format providers only, and route "claude" has none/);
  });
});

describe('OpenAI Responses API (translated to any provider)', () => {
  it('answers plain and streamed responses from an Anthropic provider, with the typed event stream', async () => {
    const plain = await openai().responses.create({ model: 'claude', instructions: 'be brief', input: 'hello responses' });
    expect(plain.output_text).toBe(`Echo: hello responses${MOCK_REPLY_SUFFIX}`);
    expect(plain.status).toBe('completed');
    expect(anth.requests.at(-1)!.body).toMatchObject({ model: 'claude-sonnet-4-5', system: 'be brief' });
    expect(lastRequest()).toMatchObject({ api: 'openai-responses', provider: 'anth', translated: true, outcome: 'ok' });
    expect(plain.usage?.output_tokens).toBe((lastRequest().usage as { outputTokens: number }).outputTokens);

    const types: string[] = [];
    const stream = openai().responses.stream({ model: 'claude', input: 'stream responses' });
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(`Echo: stream responses${MOCK_REPLY_SUFFIX}`);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_text.delta');
  });

  it('makes a function call on an OpenAI Chat provider and takes the function output back', async () => {
    const tools = [{ type: 'function' as const, name: 'get_weather', description: 'Weather', parameters: weatherTool.function.parameters, strict: false }];
    const first = await openai().responses.create({ model: 'gpt', input: 'use the tool for Nice', tools });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    if (call?.type !== 'function_call') throw new Error('no function call');
    const second = await openai().responses.create({
      model: 'gpt',
      tools,
      input: [
        { role: 'user', content: 'use the tool for Nice' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'breezy' },
      ],
    });
    expect(second.output_text).toContain('breezy');
    expect(oai.requests.at(-1)!.path).toBe('/v1/chat/completions');
    expect((oai.requests.at(-1)!.body as { messages: { role: string }[] }).messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call.call_id });
  });

  it('refuses previous_response_id clearly: the gateway keeps no responses', async () => {
    const err = await rejection(openai().responses.create({ model: 'gpt', input: 'x', previous_response_id: 'resp_123' }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/keeps no responses/);
  });
});

describe('names agents send on their own', () => {
  it('routes a name the config does not know to the key\'s default route, recording the name asked for', async () => {
    const r = await gw.gateway.call('keys:create', { name: 'agent', defaultRoute: 'gpt' }, 'local');
    expect(r.key.defaultRoute).toBe('gpt');
    const agent = new OpenAI({ apiKey: r.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const res = await agent.chat.completions.create({ model: 'agent-side-task-model-2026', messages: [{ role: 'user', content: 'side task' }] });
    expect(res.choices[0]!.message.content).toBe('echo: side task');
    expect(lastRequest()).toMatchObject({ requestedModel: 'agent-side-task-model-2026', route: 'gpt', provider: 'oai', keyId: r.key.id });
    // Other keys still get the unknown-model error.
    const err = await rejection(openai().chat.completions.create({ model: 'agent-side-task-model-2026', messages: [{ role: 'user', content: 'x' }] }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('limits', () => {
  it('refuses a body over 32 MiB with 413 in the client dialect', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }] }),
    }).catch((e: Error) => e);
    // The gateway answers as soon as content-length says too much; the client may still be sending.
    if (res instanceof Error) throw res;
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
  });

  it('refuses a model with no known price to a key under a budget, and uses a priced one', async () => {
    const r = await gw.gateway.call('keys:create', { name: 'budgeted', budgets: [{ amountUsd: 5, window: 'day' }] }, 'local');
    const client = new OpenAI({ apiKey: r.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const err = await rejection(client.chat.completions.create({ model: 'oai/some-unpriced-model', messages: [{ role: 'user', content: 'x' }] }));
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as Error).message).toMatch(/has a budget, and no price is known for oai\/some-unpriced-model/);
    await expect(client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'x' }] })).resolves.toBeTruthy();
    // Without a budget the same model is fine: it is recorded with no cost.
    await openai().chat.completions.create({ model: 'oai/some-unpriced-model', messages: [{ role: 'user', content: 'x' }] });
    expect(lastRequest()).toMatchObject({ costUsd: null, pricing: null });
  });
});

describe('a client that goes away', () => {
  it('cancels a translated stream upstream and settles usage for what was generated', async () => {
    const slow = await startMockAnthropic({ chunks: 40, chunkDelayMs: 30 });
    const g = await anthropicOnlyGateway(slow.url, MOCK_ANTHROPIC_KEY);
    try {
      const k = (await g.newKey()).secret;
      const controller = new AbortController();
      const client = new OpenAI({ apiKey: k, baseURL: `${g.url}/v1`, maxRetries: 0 });
      const stream = await client.chat.completions.create(
        { model: 'claude', messages: [{ role: 'user', content: 'a long answer please '.repeat(4) }], stream: true },
        { signal: controller.signal },
      );
      let deltas = 0;
      // The SDK ends the iteration (or throws, depending on timing) once its signal aborts.
      await (async () => {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content) deltas++;
          if (deltas === 5) controller.abort();
        }
      })().catch(() => undefined);
      expect(deltas).toBe(5);
      await expect.poll(() => slow.closedEarly, { timeout: 5000 }).toBe(1);
      await expect.poll(() => g.events('llm.request').at(-1)?.outcome, { timeout: 5000 }).toBe('client_aborted');
      const ev = g.events('llm.request').at(-1)!;
      const usage = ev.usage as { inputTokens: number; outputTokens: number };
      // Input came from message_start; output is estimated from the text that was generated.
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThan(1);
      expect(ev.usageEstimated).toBe(true);
      expect(ev.costUsd).toBeGreaterThan(0);
      // Stopping twice is harmless (the finally below stops it again).
      await g.gateway.stop();
    } finally {
      await g.stop();
      await slow.close();
    }
  });
});
