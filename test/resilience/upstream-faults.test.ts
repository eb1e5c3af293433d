// Upstream faults end to end: the official SDKs (or raw fetch) -> gateway -> a provider that fails,
// stalls, trickles, cuts, garbles, bloats or gzips its reply. Each case checks what the client sees
// (the fallback's answer, or an error in its own wire shape), the ledger record, and that no budget
// reservation is left behind.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultUpstream, type FaultUpstream } from '../fixtures/fault-upstream.js';
import { closedPort } from '../helpers/upstream-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { MiB, openReservations, requestRecord, sseEvents } from './harness.js';

let flaky: FaultUpstream;
let steady: FaultUpstream;
let claude: FaultUpstream;
let gw: TestGateway;
let oai: OpenAI;
let ant: Anthropic;
let secret: string;

// One output token is $0.001: a record's cost shows how many tokens were billed.
const PRICE = '{ inputPerMTok: 1, outputPerMTok: 1000 }';

beforeAll(async () => {
  [flaky, steady, claude] = await Promise.all([startFaultUpstream('openai'), startFaultUpstream('openai'), startFaultUpstream('anthropic')]);
  const dead = await closedPort();
  gw = await startTestGateway(`version: 1
server: { port: 0 }
providers:
  - { id: flaky, type: openai-compatible, baseUrl: ${flaky.url}, apiKey: env:MOCK_UPSTREAM_KEY, timeoutMs: 1500 }
  - { id: steady, type: openai-compatible, baseUrl: ${steady.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: dead, type: openai-compatible, baseUrl: http://127.0.0.1:${dead}/v1, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: claude, type: anthropic, baseUrl: ${claude.url}, apiKey: env:MOCK_UPSTREAM_KEY, timeoutMs: 1500 }
routing: { retries: 1, backoffMs: 20, maxBackoffMs: 2000, attemptTimeoutMs: 800, breakerFailures: 100 }
budgets: ["1000/total"]
models:
  - name: duo
    targets: [{ provider: flaky, model: m1, pricing: ${PRICE} }, { provider: steady, model: m2, pricing: ${PRICE} }]
  - name: solo
    retries: 0
    targets: [{ provider: flaky, model: m1, pricing: ${PRICE} }]
  - name: solo-retry
    targets: [{ provider: flaky, model: m1, pricing: ${PRICE} }]
  - name: dead-first
    targets: [{ provider: dead, model: m0, pricing: ${PRICE} }, { provider: steady, model: m2, pricing: ${PRICE} }]
  - name: dead-only
    retries: 0
    targets: [{ provider: dead, model: m0, pricing: ${PRICE} }]
  - name: claude
    retries: 0
    targets: [{ provider: claude, model: claude-x, pricing: ${PRICE} }]
`);
  secret = (await gw.newKey({ name: 'faults' })).secret;
  // Each request is a session of its own: otherwise affinity keeps a key on the target that last answered it.
  const fetchWithSession = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    headers.set('x-gatehouse-session', randomUUID());
    return fetch(input, { ...init, headers });
  };
  oai = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 20_000, fetch: fetchWithSession });
  ant = new Anthropic({ apiKey: secret, baseURL: gw.url, maxRetries: 0, timeout: 20_000, fetch: fetchWithSession });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([flaky?.close(), steady?.close(), claude?.close()]);
});
beforeEach(() => {
  for (const u of [flaky, steady, claude]) u.reset();
});
afterEach(async () => {
  // Whatever happened, every reservation is released once the request is recorded.
  await expect.poll(() => openReservations(gw.dataDir), { timeout: 3_000 }).toBe(0);
});

const ask = (model: string, content = 'hello'): OpenAI.ChatCompletionCreateParamsNonStreaming => ({ model, messages: [{ role: 'user', content }] });

/** An SDK error's status, x-request-id and parsed body. */
function apiError(err: unknown): { status: number; requestId: string; body: Record<string, unknown> } {
  expect(err).toBeInstanceOf(Error);
  const e = err as { status: number; headers: Headers; error: Record<string, unknown> };
  return { status: e.status, requestId: e.headers.get('x-request-id') ?? '', body: e.error };
}

/** Streams with the OpenAI SDK; keeps the text received before an error. */
async function openaiStream(model: string): Promise<{ text: string; error?: unknown; requestId: string }> {
  let text = '';
  const { data, response } = await oai.chat.completions.create({ ...ask(model), stream: true }).withResponse();
  try {
    for await (const c of data) text += c.choices[0]?.delta?.content ?? '';
    return { text, requestId: response.headers.get('x-request-id')! };
  } catch (error) {
    return { text, error, requestId: response.headers.get('x-request-id')! };
  }
}

/** A raw streamed Messages call: the SSE events exactly as the client received them. */
async function anthropicRaw(model: string): Promise<{ status: number; events: { event?: string; data: string }[]; requestId: string }> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': secret, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-gatehouse-session': randomUUID() },
    body: JSON.stringify({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  return { status: res.status, events: sseEvents(await res.text()), requestId: res.headers.get('x-request-id') ?? '' };
}

const anthropicText = (events: { event?: string; data: string }[]): string =>
  events
    .filter((e) => e.event === 'content_block_delta')
    .map((e) => (JSON.parse(e.data) as { delta: { text?: string } }).delta.text ?? '')
    .join('');

describe('an upstream that fails before answering', () => {
  it('a 500 from the first target falls back to the second; the failed attempt is in the record', async () => {
    flaky.queue.push({ kind: 'status', status: 500 });
    const { data, response } = await oai.chat.completions.create(ask('duo')).withResponse();
    expect(data.choices[0]!.message.content).toBe('tok0 tok1 tok2 ');
    expect(response.headers.get('x-gatehouse-provider')).toBe('steady');
    expect([flaky.seen.length, steady.seen.length]).toEqual([1, 1]);
    const record = requestRecord(gw.dataDir, response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ provider: 'steady', outcome: 'ok', status: 200, attempts: [{ provider: 'flaky', status: 500, error: expect.stringContaining('fault injected') }] });
    expect(record!['costUsd']).toBeCloseTo(11 / 1e6 + 3 * 0.001, 9);
  });

  it('a 500 on a one-target route is a 502 in the OpenAI and in the Anthropic shape, recorded at no cost', async () => {
    flaky.queue.push({ kind: 'status', status: 500, message: 'boom in openai' });
    const o = apiError(await oai.chat.completions.create(ask('solo')).catch((e: unknown) => e));
    expect(o.status).toBe(502);
    expect(o.body).toMatchObject({ message: expect.stringContaining('boom in openai'), type: expect.any(String) });
    expect(requestRecord(gw.dataDir, o.requestId)).toMatchObject({ outcome: 'upstream_error', status: 502, costUsd: null });

    // An Anthropic client on an OpenAI-format target: the error is translated into its own envelope.
    flaky.queue.push({ kind: 'status', status: 500, message: 'boom for claude code' });
    const a = apiError(await ant.messages.create({ model: 'solo', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e));
    expect(a.status).toBe(502);
    expect(a.body).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('boom for claude code') } });

    // And the Anthropic provider's own 529 reaches an Anthropic client as it was sent, status kept.
    claude.queue.push({ kind: 'status', status: 529, message: 'overloaded right now' });
    const c = apiError(await ant.messages.create({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e));
    expect(c.status).toBe(529);
    expect(c.body).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'overloaded right now' } });
  });

  it('a 429 with retry-after: 1 is retried on the same target no sooner than a second later', async () => {
    flaky.queue.push({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const { data, response } = await oai.chat.completions.create(ask('solo-retry')).withResponse();
    expect(data.choices[0]!.message.content).toBe('tok0 tok1 tok2 ');
    expect(flaky.seen).toHaveLength(2);
    expect(flaky.seen[1]!.at - flaky.seen[0]!.at).toBeGreaterThanOrEqual(990);
    expect(requestRecord(gw.dataDir, response.headers.get('x-request-id')!)).toMatchObject({ outcome: 'ok', attempts: [{ provider: 'flaky', status: 429 }] });
  });

  it('a 429 asking for longer than maxBackoffMs is not waited for: the client gets the 429 and its retry-after at once', async () => {
    flaky.queue.push({ kind: 'status', status: 429, headers: { 'retry-after': '60' } });
    const started = performance.now();
    const err = await oai.chat.completions.create(ask('solo-retry')).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('60');
    expect(flaky.seen).toHaveLength(1);
    expect(requestRecord(gw.dataDir, apiError(err).requestId)).toMatchObject({ outcome: 'upstream_error', status: 429 });
  });

  it('a refused connection falls back; with no other target it is a 502 naming the provider', async () => {
    const { data, response } = await oai.chat.completions.create(ask('dead-first')).withResponse();
    expect(data.choices[0]!.message.content).toBe('tok0 tok1 tok2 ');
    expect(requestRecord(gw.dataDir, response.headers.get('x-request-id')!)).toMatchObject({
      provider: 'steady',
      attempts: [{ provider: 'dead', status: 0, error: expect.stringMatching(/could not be reached/) }],
    });
    const e = apiError(await oai.chat.completions.create(ask('dead-only')).catch((x: unknown) => x));
    expect(e.status).toBe(502);
    expect(e.body).toMatchObject({ message: expect.stringMatching(/provider "dead" could not be reached/) });
  });

  it('an upstream that never answers is a 504 after attemptTimeoutMs, and its connection is closed', async () => {
    flaky.queue.push({ kind: 'hang' });
    const started = performance.now();
    const e = apiError(await oai.chat.completions.create({ ...ask('solo'), stream: true }).catch((x: unknown) => x));
    const took = performance.now() - started;
    expect(e.status).toBe(504);
    expect(took).toBeGreaterThanOrEqual(750);
    expect(took).toBeLessThan(3_000);
    expect(e.body).toMatchObject({ message: expect.stringMatching(/no first byte within 800 ms/) });
    await expect.poll(() => flaky.seen[0]?.closedByPeer, { timeout: 2_000 }).toBe(true);
    expect(requestRecord(gw.dataDir, e.requestId)).toMatchObject({ outcome: 'upstream_error', status: 504 });
  });

  it('an upstream that never answers on a two-target route falls back within the attempt timeout', async () => {
    flaky.queue.push({ kind: 'hang' });
    const started = performance.now();
    const r = await openaiStream('duo');
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('tok0 tok1 tok2 ');
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(requestRecord(gw.dataDir, r.requestId)).toMatchObject({ provider: 'steady', outcome: 'ok' });
  });
});

describe('an upstream that fails in the middle of a stream', () => {
  it('a connection reset before any content still falls back: nothing had reached the client', async () => {
    // The role chunk only: held back, so the attempt can still be abandoned.
    flaky.queue.push({ kind: 'cut', afterEvents: 1 });
    const r = await openaiStream('duo');
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('tok0 tok1 tok2 ');
    expect(requestRecord(gw.dataDir, r.requestId)).toMatchObject({ provider: 'steady', outcome: 'ok', attempts: [{ provider: 'flaky' }] });
  });

  it('a reset after content ends the OpenAI stream with an error, and what was generated is billed', async () => {
    // Role chunk and two content chunks, then the socket is destroyed.
    flaky.queue.push({ kind: 'cut', afterEvents: 3 });
    const r = await openaiStream('solo');
    expect(r.text).toBe('tok0 tok1 ');
    expect(r.error).toBeInstanceOf(OpenAI.APIError);
    expect((r.error as Error).message).toMatch(/ended the stream before it finished/);
    const record = requestRecord(gw.dataDir, r.requestId)!;
    expect(record).toMatchObject({ outcome: 'upstream_cut', usageEstimated: true });
    const usage = record['usage'] as { outputTokens: number };
    expect(usage.outputTokens).toBeGreaterThanOrEqual(2);
    expect(record['costUsd'] as number).toBeGreaterThanOrEqual(2 * 0.001);
  });

  it('a reset after content ends an Anthropic stream with an `error` event in its envelope, no message_stop', async () => {
    // message_start, content_block_start, ping, two deltas; then the socket is destroyed.
    claude.queue.push({ kind: 'cut', afterEvents: 5 });
    const r = await anthropicRaw('claude');
    expect(r.status).toBe(200);
    expect(anthropicText(r.events)).toBe('tok0 tok1 ');
    const last = r.events.at(-1)!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.stringMatching(/ended the stream before it finished/) } });
    expect(r.events.some((e) => e.event === 'message_stop')).toBe(false);
    const record = requestRecord(gw.dataDir, r.requestId)!;
    expect(record).toMatchObject({ outcome: 'upstream_cut' });
    expect(record['costUsd'] as number).toBeGreaterThanOrEqual(2 * 0.001);
  });

  it('a stream that stalls after content is ended with an error within the provider timeout, not left hanging', async () => {
    flaky.queue.push({ kind: 'stall', afterEvents: 3 });
    const started = performance.now();
    const r = await openaiStream('solo');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.text).toBe('tok0 tok1 ');
    expect(r.error).toBeInstanceOf(OpenAI.APIError);
    expect(requestRecord(gw.dataDir, r.requestId)).toMatchObject({ outcome: 'upstream_cut' });
    await expect.poll(() => flaky.seen[0]?.closedByPeer, { timeout: 2_000 }).toBe(true);
  });
});

describe('an upstream that sends odd bytes', () => {
  it('a reply trickled a few bytes at a time, multi-byte characters split, arrives whole in both families', async () => {
    flaky.fallback = { kind: 'trickle', bytesPerWrite: 5, everyMs: 1, deltas: 4, piece: 'café 🦊 ' };
    const r = await openaiStream('solo');
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('café 🦊 '.repeat(4));
    expect(requestRecord(gw.dataDir, r.requestId)).toMatchObject({ outcome: 'ok', usageEstimated: false, usage: { outputTokens: 4 } });

    // Translated for an Anthropic client: the same text, decoded across the splits.
    const a = await anthropicRaw('solo');
    expect(anthropicText(a.events)).toBe('café 🦊 '.repeat(4));
    expect(a.events.at(-1)!.event).toBe('message_stop');
  });

  it('a stream whose first event is not JSON is abandoned for the next target', async () => {
    flaky.queue.push({ kind: 'raw', body: 'data: {"id": "chatcmpl-x", "choices": [\n\ndata: [DONE]\n\n' });
    const r = await openaiStream('duo');
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('tok0 tok1 tok2 ');
    expect(requestRecord(gw.dataDir, r.requestId)).toMatchObject({ provider: 'steady', attempts: [{ provider: 'flaky', error: expect.stringMatching(/not JSON/) }] });
  });

  it('a garbled event after content: the translated stream ends with a well-formed error, the record is not ok', async () => {
    const chunk = (content: string): string => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm1', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    // Three network reads: content (which commits the reply to this target), the garbled event, the rest.
    const body = [chunk('tok0 '), 'data: {"choices": [{"delta": {"content": "half\n\n', `${chunk('after ')}data: [DONE]\n\n`];
    flaky.queue.push({ kind: 'raw', body });
    const a = await anthropicRaw('solo');
    expect(anthropicText(a.events)).toBe('tok0 ');
    expect(a.events.at(-1)!.event).toBe('error');
    expect(JSON.parse(a.events.at(-1)!.data)).toMatchObject({ type: 'error', error: { message: expect.stringMatching(/not JSON/) } });
    expect(requestRecord(gw.dataDir, a.requestId)).toMatchObject({ outcome: 'upstream_error' });

    // Passed through to an OpenAI client as sent: its SDK refuses the garbled event, and the record says so.
    flaky.queue.push({ kind: 'raw', body });
    const o = await openaiStream('solo');
    expect(o.text).toBe('tok0 ');
    expect(o.error).toBeDefined();
    // The SDK hangs up on the garbled event, so the gateway may record either the garbling or the client leaving.
    await expect.poll(() => requestRecord(gw.dataDir, o.requestId)?.['outcome'], { timeout: 3_000 }).toMatch(/^(upstream_error|client_aborted)$/);
  });

  it('a 100 MB reply is relayed intact and recorded with its size and usage', async () => {
    flaky.queue.push({ kind: 'huge', bytes: 100 * MiB });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(ask('solo')),
    });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(flaky.seen[0]!.written);
    expect(bytes.length).toBeGreaterThan(100 * MiB);
    const reply = JSON.parse(bytes.toString('utf8')) as OpenAI.ChatCompletion;
    expect(reply.choices[0]!.message.content).toHaveLength(100 * MiB);
    expect(requestRecord(gw.dataDir, res.headers.get('x-request-id')!)).toMatchObject({ outcome: 'ok', response: { bytes: bytes.length }, usage: { outputTokens: 1 } });
  }, 60_000);

  it('gzipped replies, whole and streamed, are decoded; a corrupt gzip body falls back or is a clean 502', async () => {
    flaky.queue.push({ kind: 'gzip' });
    const { data, response } = await oai.chat.completions.create(ask('solo')).withResponse();
    expect(data.choices[0]!.message.content).toBe('tok0 tok1 tok2 tok3 tok4 ');
    expect(requestRecord(gw.dataDir, response.headers.get('x-request-id')!)).toMatchObject({ outcome: 'ok', usage: { outputTokens: 5 } });

    flaky.queue.push({ kind: 'gzip' });
    const s = await openaiStream('solo');
    expect(s.error).toBeUndefined();
    expect(s.text).toBe('tok0 tok1 tok2 tok3 tok4 ');

    flaky.queue.push({ kind: 'gzip', corrupt: true });
    const fell = await oai.chat.completions.create(ask('duo')).withResponse();
    expect(fell.response.headers.get('x-gatehouse-provider')).toBe('steady');

    flaky.queue.push({ kind: 'gzip', corrupt: true });
    const e = apiError(await oai.chat.completions.create({ ...ask('solo'), stream: true }).catch((x: unknown) => x));
    expect(e.status).toBe(502);
    expect(e.body).toMatchObject({ message: expect.stringMatching(/provider "flaky"/) });
    expect(requestRecord(gw.dataDir, e.requestId)).toMatchObject({ outcome: 'upstream_error', costUsd: null });
  });
});
