// Budgets under concurrency, end to end: the official SDKs -> gateway -> a slow mock provider that
// honours max tokens, checked against the ledger: never overspent, refusals are 402s naming the
// budget, clamped requests carry the clamp upstream, nothing stays reserved, and a crash mid-request
// is charged in full at the next start.
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let oai: MockOpenAI;
let gw: TestGateway;

// $100 per million input tokens, $17,000 per million output tokens: one output token is $0.017.
const PRICING = { inputPerMTok: 100, outputPerMTok: 17_000 };
const OUT = PRICING.outputPerMTok / 1e6;

function config(url: string): string {
  return `version: 1
server: { port: 0 }
providers:
  - { id: mock, type: openai-compatible, baseUrl: ${url}, apiKey: env:MOCK_UPSTREAM_KEY }
routing: { retries: 0 }
models:
  - name: pricey
    targets: [{ provider: mock, model: gpt-4o-mini, pricing: { inputPerMTok: ${PRICING.inputPerMTok}, outputPerMTok: ${PRICING.outputPerMTok} } }]
  - name: bounded
    targets: [{ provider: mock, model: gpt-4o-mini, maxOutputTokens: 100, pricing: { inputPerMTok: ${PRICING.inputPerMTok}, outputPerMTok: ${PRICING.outputPerMTok} } }]
`;
}

beforeAll(async () => {
  // Four one-token deltas 25 ms apart: each call is slow enough for a hundred to overlap.
  oai = await startMockOpenAI({ chunks: 4, chunkDelayMs: 25 });
  gw = await startTestGateway(config(oai.url));
});
afterAll(async () => {
  await gw?.stop();
  await oai?.close();
});

async function budgetKey(amountUsd: number, name: string): Promise<{ id: string; secret: string }> {
  const made = await gw.gateway.call('keys:create', { name, budgets: [{ amountUsd, window: 'total' }] }, 'cli');
  return { id: made.key.id, secret: made.secret };
}

function spentBy(keyId: string): number {
  return gw.events('llm.request').filter((e) => e.keyId === keyId).reduce((sum, e) => sum + ((e.costUsd as number | null) ?? 0), 0);
}

function openReservations(dataDir: string): number {
  const db = new Database(join(dataDir, 'gatehouse.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM budget_reservations').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** One streamed call; resolves with what happened (a refusal's status, headers and message). */
async function streamed(client: OpenAI, i: number, maxTokens: number): Promise<{ ok: true; text: string } | { ok: false; status: number; headers: Headers; message: string }> {
  try {
    const stream = await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: maxTokens, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    return { ok: true, text };
  } catch (err) {
    const e = err as { status: number; headers: Headers; message: string };
    return { ok: false, status: e.status, headers: e.headers, message: e.message };
  }
}

describe('a budget under concurrency', () => {
  it('a $1 total budget under waves of 100 concurrent ~$0.10 requests spends at most $1; every refusal is a 402 naming it', async () => {
    const key = await budgetKey(1, 'one-dollar');
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    let admitted = 0;
    let refused = 0;
    for (let wave = 0; wave < 6; wave++) {
      // Worst case per request: ~150 body bytes at $0.0001 + 5 output tokens at $0.017 = ~$0.10.
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => streamed(client, i, 5)));
      for (const r of results) {
        if (r.ok) {
          admitted++;
          continue;
        }
        refused++;
        expect(r.status).toBe(402);
        expect(r.headers.get('x-should-retry')).toBe('false');
        expect(r.message).toMatch(/budget of key "one-dollar" \(\$1\.00 per all time\) cannot cover this request: spent \$[\d.]+, reserved \$[\d.]+ by requests in flight/);
      }
      await expect.poll(() => gw.events('llm.request').filter((e) => e.keyId === key.id).length).toBe(admitted);
      if (results.every((r) => !r.ok)) break;
    }
    const spent = spentBy(key.id);
    // Real usage (4 output tokens of the 5 allowed) is most of the worst case: the budget ends up nearly spent, never over.
    expect(spent).toBeLessThanOrEqual(1);
    expect(spent).toBeGreaterThan(0.8);
    expect(admitted).toBeGreaterThan(10);
    // The last wave is refused whole: the budget has less than a minimal answer left.
    expect(refused).toBeGreaterThan(100);
    expect(openReservations(gw.dataDir)).toBe(0);
    expect(gw.events('http.refused').filter((e) => e.keyId === key.id && e.code === 'BUDGET_EXCEEDED').length).toBe(refused);
  }, 60_000);

  it('clamps the output allowance to what is left, and tells the provider; refuses below a minimal answer', async () => {
    const key = await budgetKey(1.2, 'small');
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const before = oai.requests.length;
    const r = await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'a long answer please' }], max_tokens: 1000 });
    const sent = oai.requests[before]!.body as { max_tokens?: number; max_completion_tokens?: number };
    const allowance = sent.max_tokens ?? sent.max_completion_tokens!;
    // $1.20 less the input's worst case, over $0.017 a token: about 70 of the 1000 asked for, and at least a minimal 64.
    expect(allowance).toBeGreaterThanOrEqual(64);
    expect(allowance).toBeLessThan(71);
    expect(r.choices[0]!.message.content).toBe('echo: a long answer please');
    expect(openReservations(gw.dataDir)).toBe(0);
    // What is left now cannot pay for a minimal answer to a 1 KB prompt: refused, in the caller's own error shape.
    const anthropic = new Anthropic({ apiKey: key.secret, baseURL: gw.url, maxRetries: 0 });
    const err = (await anthropic.messages.create({ model: 'pricey', max_tokens: 100, messages: [{ role: 'user', content: 'more '.repeat(200) }] }).catch((e: unknown) => e)) as {
      status: number;
      error: { error: { type: string; message: string } };
    };
    expect(err.status).toBe(402);
    expect(err.error.error.type).toBe('billing_error');
    expect(err.error.error.message).toMatch(/budget of key "small" .* left; even a minimal answer needs \$1\.\d+/);
    expect(spentBy(key.id)).toBeLessThanOrEqual(1.2);
    expect(openReservations(gw.dataDir)).toBe(0);
  });

  it('writes an output limit into a request that named none, so the provider keeps to the reservation', async () => {
    const key = await budgetKey(2, 'no-limit-given');
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const before = oai.requests.length;
    await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'hi' }] });
    const sent = oai.requests[before]!.body as { max_completion_tokens?: number };
    // The default allowance (32768 tokens) clamped to what $2 pays for.
    expect(sent.max_completion_tokens).toBeGreaterThanOrEqual(64);
    expect(sent.max_completion_tokens! * OUT).toBeLessThanOrEqual(2);
  });

  it("reserves a model's known max output for a request that names no limit, and leaves the request as it was", async () => {
    const key = await budgetKey(2, 'bounded-model');
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const before = oai.requests.length;
    await client.chat.completions.create({ model: 'bounded', messages: [{ role: 'user', content: 'hi' }] });
    // 100 tokens at $0.017 fit in $2: nothing to clamp, and the model cannot write more than its maximum.
    const sent = oai.requests[before]!.body as Record<string, unknown>;
    expect(sent).not.toHaveProperty('max_tokens');
    expect(sent).not.toHaveProperty('max_completion_tokens');
    // Under $1.50 the 100 tokens ($1.70) do not fit: the allowance is clamped and written.
    const small = await budgetKey(1.5, 'bounded-small');
    const smallClient = new OpenAI({ apiKey: small.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await smallClient.chat.completions.create({ model: 'bounded', messages: [{ role: 'user', content: 'hi' }] });
    const clamped = oai.requests.at(-1)!.body as { max_completion_tokens?: number };
    expect(clamped.max_completion_tokens).toBeLessThan(100);
    expect(clamped.max_completion_tokens).toBeGreaterThanOrEqual(64);
  });

  it('releases everything when the upstream fails before answering', async () => {
    const key = await budgetKey(0.2, 'failing');
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    oai.setNext({ status: 500 });
    await expect(client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 })).rejects.toMatchObject({ status: 502 });
    expect(spentBy(key.id)).toBe(0);
    expect(openReservations(gw.dataDir)).toBe(0);
    // The whole budget is still there: a request reserving most of it goes through.
    const r = await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 });
    expect(r.choices[0]!.message.content).toBeTruthy();
  });
});

describe('streams under a budget', () => {
  let wild: MockOpenAI;
  let g: TestGateway;
  beforeAll(async () => {
    // A server that ignores max_tokens: every reply is 300 deltas (one token each), whatever the limit says.
    wild = await startMockOpenAI({ chunks: 300, chunkDelayMs: 2, ignoreOutputLimit: true });
    g = await startTestGateway(config(wild.url));
  });
  afterAll(async () => {
    await g?.stop();
    await wild?.close();
  });
  const long = 'tell me everything '.repeat(30);

  it('ends a stream that runs past the allowance, in the client\'s own dialect, billed no more than the budget', async () => {
    const made = await g.gateway.call('keys:create', { name: 'wild-openai', budgets: [{ amountUsd: 2, window: 'total' }] }, 'cli');
    const client = new OpenAI({ apiKey: made.secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: long }], max_tokens: 1000, stream: true });
    let deltas = 0;
    let finish: string | null | undefined;
    for await (const c of stream) {
      if (c.choices[0]?.delta?.content) deltas++;
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    const sent = wild.requests.at(-1)!.body as { max_tokens?: number; max_completion_tokens?: number };
    const allowance = sent.max_tokens ?? sent.max_completion_tokens!;
    // About $1.95 of the $2 is left for output after the input's worst case: ~114 tokens of the 1000 asked for.
    expect(allowance).toBeGreaterThan(100);
    expect(allowance).toBeLessThan(1000);
    expect(finish).toBe('length');
    expect(deltas).toBe(allowance);
    const [record] = g.events('llm.request').filter((e) => e.keyId === made.key.id);
    expect(record).toMatchObject({ outcome: 'budget_cut', usageEstimated: true, usage: expect.objectContaining({ outputTokens: allowance }) });
    expect(record!.costUsd as number).toBeLessThanOrEqual(2);
    expect(openReservations(g.dataDir)).toBe(0);
    // The upstream call was abandoned: the mock never got to write its end.
    await expect.poll(() => wild.requests.at(-1)!.reply.includes('[DONE]'), { timeout: 3_000 }).toBe(false);
  });

  it('a translated stream (Anthropic client) ends with stop_reason max_tokens and a well-formed message_stop', async () => {
    const made = await g.gateway.call('keys:create', { name: 'wild-anthropic', budgets: [{ amountUsd: 2, window: 'total' }] }, 'cli');
    const client = new Anthropic({ apiKey: made.secret, baseURL: g.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'pricey', max_tokens: 1000, messages: [{ role: 'user', content: long }] });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('max_tokens');
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text.length).toBeGreaterThan(0);
    const [record] = g.events('llm.request').filter((e) => e.keyId === made.key.id);
    expect(record).toMatchObject({ outcome: 'budget_cut', translated: true });
    expect(message.usage.output_tokens).toBe((record!.usage as { outputTokens: number }).outputTokens);
    expect(record!.costUsd as number).toBeLessThanOrEqual(2);
    expect(openReservations(g.dataDir)).toBe(0);
  });

  it('a client that disconnects mid-stream is billed for what was generated, and the rest is released', async () => {
    const made = await g.gateway.call('keys:create', { name: 'leaver', budgets: [{ amountUsd: 5, window: 'total' }] }, 'cli');
    const client = new OpenAI({ apiKey: made.secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
    const abort = new AbortController();
    const stream = await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: long }], max_tokens: 200, stream: true }, { signal: abort.signal });
    let deltas = 0;
    await (async () => {
      for await (const c of stream) {
        if (c.choices[0]?.delta?.content) deltas++;
        if (deltas === 20) abort.abort();
      }
    })().catch(() => undefined);
    await expect.poll(() => g.events('llm.request').filter((e) => e.keyId === made.key.id).length).toBe(1);
    const [record] = g.events('llm.request').filter((e) => e.keyId === made.key.id);
    const billed = (record!.usage as { outputTokens: number }).outputTokens;
    expect(record).toMatchObject({ outcome: 'client_aborted', usageEstimated: true });
    // At least what the client saw; at most the allowance.
    expect(billed).toBeGreaterThanOrEqual(20);
    expect(billed).toBeLessThanOrEqual(200);
    expect(record!.costUsd as number).toBeGreaterThanOrEqual(20 * OUT);
    expect(openReservations(g.dataDir)).toBe(0);
    // What was not spent is free again: the key's whole remaining budget can be reserved.
    const spent = record!.costUsd as number;
    const again = await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'x' }], max_tokens: 10_000 });
    expect(again.choices[0]!.finish_reason).toBe('stop');
    const second = wild.requests.at(-1)!.body as { max_tokens?: number; max_completion_tokens?: number };
    const allowance = (second.max_tokens ?? second.max_completion_tokens!) * OUT;
    // Clamped to what is left after the first request's real charge (less the small input's worst case).
    expect(allowance).toBeLessThanOrEqual(5 - spent);
    expect(allowance).toBeGreaterThan(5 - spent - 0.04);
  });
});

describe('a crash with a request in flight', () => {
  it('charges the reservation in full at the next start, and keeps the budget from being overspent', async () => {
    const slow = await startMockOpenAI({ chunks: 4, chunkDelayMs: 2_000 });
    const dir = mkdtempSync(join(tmpdir(), 'gh-budget-crash-'));
    writeFileSync(join(dir, 'gatehouse.yaml'), config(slow.url));
    const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };
    try {
      let served = await serve(['--data-dir', dir, '--port', '0'], env);
      const made = await runCli(['keys', 'create', '--name', 'crashy', '--budget', '0.2/total', '--json', '--data-dir', dir], { env });
      const { id, key } = JSON.parse(made.stdout) as { id: string; key: string };
      const client = new OpenAI({ apiKey: key, baseURL: `${served.url}/v1`, maxRetries: 0 });
      const inFlight = client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'slow' }], max_tokens: 5, stream: true }).then(
        async (s) => {
          for await (const _ of s);
        },
        () => undefined,
      );
      await expect.poll(() => slow.requests.length, { timeout: 5_000 }).toBe(1);
      expect(openReservations(dir)).toBe(1);
      await served.kill('SIGKILL');
      await inFlight.catch(() => undefined);

      served = await serve(['--data-dir', dir, '--port', '0'], env);
      try {
        expect(openReservations(dir)).toBe(0);
        const db = new Database(join(dir, 'gatehouse.sqlite'), { readonly: true });
        const reconciled = (db.prepare("SELECT body FROM events WHERE type = 'budget.reconciled'").all() as { body: string }[]).map((r) => JSON.parse(r.body) as { keyId: string; costUsd: number });
        db.close();
        expect(reconciled).toHaveLength(1);
        expect(reconciled[0]!.keyId).toBe(id);
        // ~150 bytes of input at $0.0001 plus 5 tokens at $0.017.
        expect(reconciled[0]!.costUsd).toBeGreaterThan(0.085);
        // What is left ($0.2 less that) cannot pay for another 5-token answer: it is clamped, and at 5+ tokens needed, refused.
        const again = new OpenAI({ apiKey: key, baseURL: `${served.url}/v1`, maxRetries: 0 });
        const before = slow.requests.length;
        await again.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'x' }], max_tokens: 50 }).catch(() => undefined);
        const sent = slow.requests[before]?.body as { max_tokens?: number } | undefined;
        if (sent) expect((sent.max_tokens ?? 0) * OUT + reconciled[0]!.costUsd).toBeLessThanOrEqual(0.2);
      } finally {
        await served.kill();
      }
    } finally {
      await slow.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the global budget, hundreds of requests and a restart in the middle', () => {
  it('never spends more than the config\'s budget across a kill -9, and leaves no reservation behind', async () => {
    const slow = await startMockOpenAI({ chunks: 4, chunkDelayMs: 150 });
    const dir = mkdtempSync(join(tmpdir(), 'gh-budget-global-'));
    writeFileSync(join(dir, 'gatehouse.yaml'), `${config(slow.url)}budgets: ["15/total"]\n`);
    const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };
    const ledger = (): { type: string; costUsd: number | null }[] => {
      const db = new Database(join(dir, 'gatehouse.sqlite'), { readonly: true });
      try {
        return (db.prepare("SELECT type, body FROM events WHERE type IN ('llm.request', 'budget.reconciled')").all() as { type: string; body: string }[]).map((r) => ({
          type: r.type,
          costUsd: (JSON.parse(r.body) as { costUsd: number | null }).costUsd,
        }));
      } finally {
        db.close();
      }
    };
    const spent = (): number => ledger().reduce((sum, e) => sum + (e.costUsd ?? 0), 0);
    try {
      let served = await serve(['--data-dir', dir, '--port', '0'], env);
      const secrets = await Promise.all(
        ['ga', 'gb'].map(async (name) => (JSON.parse((await runCli(['keys', 'create', '--name', name, '--json', '--data-dir', dir], { env })).stdout) as { key: string }).key),
      );
      const wave = (url: string): Promise<Awaited<ReturnType<typeof streamed>>[]> =>
        Promise.all(secrets.flatMap((secret) => Array.from({ length: 100 }, (_, i) => streamed(new OpenAI({ apiKey: secret, baseURL: `${url}/v1`, maxRetries: 0 }), i, 5))));

      // 200 at once, ~$0.10 worst case each against $15: some are refused at once, the rest are in flight when the gateway is killed.
      const first = wave(served.url);
      await expect.poll(() => ledger().length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(5);
      expect(openReservations(dir)).toBeGreaterThan(0);
      await served.kill('SIGKILL');
      const firstResults = await first;
      const refusedFirst = firstResults.filter((r) => !r.ok && r.status === 402);
      expect(refusedFirst.length).toBeGreaterThan(0);
      for (const r of refusedFirst) expect(r).toMatchObject({ message: expect.stringMatching(/budget of the gateway \(budgets in the config\) \(\$15\.00 per all time\)/) });

      served = await serve(['--data-dir', dir, '--port', '0'], env);
      try {
        // The requests the crash cut short were charged in full.
        expect(ledger().filter((e) => e.type === 'budget.reconciled').length).toBeGreaterThan(0);
        expect(openReservations(dir)).toBe(0);
        const second = await wave(served.url);
        for (const r of second) if (!r.ok) expect(r).toMatchObject({ status: 402 });
        expect(second.some((r) => !r.ok)).toBe(true);
        await expect.poll(() => openReservations(dir)).toBe(0);
        expect(spent()).toBeLessThanOrEqual(15);
        expect(spent()).toBeGreaterThan(12);
        // The chain written through the crash and after it still verifies, keyed, over the running gateway.
        const verified = await runCli(['audit', 'verify', '--json', '--data-dir', dir], { env });
        expect(verified.code, verified.stderr).toBe(0);
        expect(JSON.parse(verified.stdout)).toMatchObject({ status: 'intact', segments: [expect.objectContaining({ keyed: true })] });
      } finally {
        await served.kill();
      }
    } finally {
      await slow.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('budget alerts', () => {
  it('sends an event, a ledger record and a webhook call when spend crosses each threshold', async () => {
    const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
    const hook = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    const g = await startTestGateway(
      `${config(oai.url)}alerts:
  thresholds: [50, 90]
  webhook: { url: ${hookUrl}, headers: { authorization: "Bearer \${env:HOOK_TOKEN}" } }
`,
      { env: { HOOK_TOKEN: 'hook-secret-123' } },
    );
    try {
      const events: unknown[] = [];
      const unsubscribe = g.gateway.control.subscribe((e) => {
        if (e.event === 'budget:alert') events.push(e.data);
      });
      const made = await g.gateway.call('keys:create', { name: 'alerted', budgets: [{ amountUsd: 0.2, window: 'month' }] }, 'cli');
      const client = new OpenAI({ apiKey: made.secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
      // Each call really costs ~4 output tokens at $0.017: ~$0.07; the second crosses 50%, the third 90%... if it fits.
      for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }).catch(() => undefined);
      await expect.poll(() => received.length).toBeGreaterThanOrEqual(1);
      const first = received[0]!;
      expect(first.headers.authorization).toBe('Bearer hook-secret-123');
      expect(first.body).toMatchObject({ type: 'budget.alert', subject: `key:${made.key.id}`, label: 'key "alerted"', window: 'month', amountUsd: 0.2, thresholdPercent: 50 });
      expect(first.body.spentUsd as number).toBeGreaterThanOrEqual(0.1);
      expect(events).toContainEqual(expect.objectContaining({ thresholdPercent: 50 }));
      expect(g.events('budget.alert')).toContainEqual(expect.objectContaining({ thresholdPercent: 50, subject: `key:${made.key.id}` }));
      expect(JSON.stringify(g.events())).not.toContain('hook-secret-123');
      unsubscribe();
    } finally {
      await g.stop();
      hook.close();
    }
  });
});

describe('the chain: key, user, team', () => {
  it("a team's budget is shared by its keys, a user's grants and limits apply to each of its keys, and disabling the team stops them", async () => {
    const team = await gw.gateway.call('teams:create', { name: 'squad', budgets: [{ amountUsd: 0.3, window: 'day' }] }, 'cli');
    const user = await gw.gateway.call('users:create', { name: 'bo', models: ['pricey'], rpm: 1000 }, 'cli');
    const keys = await Promise.all(['k-a', 'k-b'].map((name) => gw.gateway.call('keys:create', { name, userId: 'bo', teamId: 'squad' }, 'cli')));
    const clients = keys.map((k) => new OpenAI({ apiKey: k.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 }));
    // Two keys with no budget of their own, 40 concurrent ~$0.10 requests each: together they stay within the team's $0.30.
    const results = await Promise.all(clients.flatMap((c) => Array.from({ length: 40 }, (_, i) => streamed(c, i, 5))));
    const refused = results.filter((r) => !r.ok);
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r).toMatchObject({ status: 402, message: expect.stringMatching(/budget of team "squad" \(\$0\.30 per day, UTC\)/) });
    expect(spentBy(keys[0]!.key.id) + spentBy(keys[1]!.key.id)).toBeLessThanOrEqual(0.3);
    expect(openReservations(gw.dataDir)).toBe(0);

    // The user's grants: only "pricey"; listing and calling anything else is refused, naming the user.
    const list = await clients[0]!.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['pricey']);

    await gw.gateway.call('teams:disable', { id: team.id }, 'cli');
    const off = await streamed(clients[1]!, 0, 5);
    expect(off).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/the team of key "k-b" \(squad\) is disabled/) });
    await gw.gateway.call('teams:enable', { id: team.id }, 'cli');
    const ungranted = await clients[1]!.chat.completions.create({ model: 'mock/gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }).catch((e: unknown) => e);
    expect(ungranted).toMatchObject({ status: 403, message: expect.stringMatching(new RegExp(`user "${user.name}" is not granted the model "mock/gpt-4o" \\(its grants: pricey\\)`)) });
  }, 60_000);
});
