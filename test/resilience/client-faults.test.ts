// Client faults end to end: a client that hangs up mid-stream or before the first byte, one that
// reads slowly (backpressure: the gateway's memory stays bounded while a large stream waits), and
// bodies that are too large, not JSON, or not UTF-8. Each answer is checked in the client's own wire
// shape, against the ledger, and for reservations left behind.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultUpstream, type FaultUpstream } from '../fixtures/fault-upstream.js';
import { runCli, serve } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { memoryOf, MiB, ledgerRows, openReservations, requestRecord } from './harness.js';

let up: FaultUpstream;
let gw: TestGateway;
let secret: string;

/** With a global budget every call holds a reservation; without one a stream may run past 32k tokens (no allowance to cut it at). */
const config = (url: string, budgeted = true): string => `version: 1
server: { port: 0 }
providers:
  - { id: up, type: openai-compatible, baseUrl: ${url}, apiKey: env:MOCK_UPSTREAM_KEY }
routing: { retries: 0 }
${budgeted ? 'budgets: ["1000/total"]' : ''}
models:
  - name: solo
    targets: [{ provider: up, model: m1, pricing: { inputPerMTok: 1, outputPerMTok: 1000 } }]
`;

beforeAll(async () => {
  up = await startFaultUpstream('openai');
  gw = await startTestGateway(config(up.url));
  secret = (await gw.newKey({ name: 'clients' })).secret;
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
});
beforeEach(() => up.reset());
afterEach(async () => {
  await expect.poll(() => openReservations(gw.dataDir), { timeout: 3_000 }).toBe(0);
});

/** A streamed chat call over a raw socket; `onEvent` sees each SSE data line and may hang up. */
function rawStream(url: string, key: string, onData: (text: string, req: ReturnType<typeof request>, res: IncomingMessage) => void): Promise<{ requestId: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'solo', stream: true, messages: [{ role: 'user', content: 'go' }] });
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-gatehouse-session': randomUUID() } }, (res) => {
      resolve({ requestId: String(res.headers['x-request-id']) });
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString('utf8');
        onData(text, req, res);
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET') reject(e);
    });
    req.end(body);
  });
}

describe('a client that goes away', () => {
  it('mid-stream: the upstream request is aborted, and what was generated is billed', async () => {
    // 200 pieces 20 ms apart: four seconds of stream, of which the client takes three pieces.
    up.fallback = { kind: 'ok', deltas: 200, delayMs: 20 };
    const { requestId } = await rawStream(gw.url, secret, (text, req) => {
      if ((text.match(/"content":"tok\d+ "/g) ?? []).length >= 3) req.destroy();
    });
    await expect.poll(() => up.seen[0]?.closedByPeer, { timeout: 2_000 }).toBe(true);
    expect(up.seen[0]!.finished).toBe(false);
    const record = await expect.poll(() => requestRecord(gw.dataDir, requestId), { timeout: 2_000 }).toBeDefined().then(() => requestRecord(gw.dataDir, requestId)!);
    expect(record).toMatchObject({ outcome: 'client_aborted', usageEstimated: true });
    const output = (record['usage'] as { outputTokens: number }).outputTokens;
    expect(output).toBeGreaterThanOrEqual(3);
    expect(output).toBeLessThan(200);
    expect(record['costUsd'] as number).toBeGreaterThanOrEqual(3 * 0.001);
  });

  it('before the first byte: the upstream request is aborted too, and nothing is billed', async () => {
    up.fallback = { kind: 'hang' };
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'solo', stream: true, messages: [{ role: 'user', content: 'go' }] }),
    }).catch((e: unknown) => e);
    await expect.poll(() => up.seen.length, { timeout: 2_000 }).toBe(1);
    expect(openReservations(gw.dataDir)).toBe(1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await expect.poll(() => up.seen[0]!.closedByPeer, { timeout: 2_000 }).toBe(true);
    await expect.poll(() => ledgerRows(gw.dataDir, 'llm.request').at(-1)?.body['outcome'], { timeout: 2_000 }).toBe('client_aborted');
    expect(ledgerRows(gw.dataDir, 'llm.request').at(-1)!.body['costUsd']).toBeNull();
  });
});

describe('request bodies the gateway refuses', () => {
  const big = Buffer.alloc(33 * MiB, 'a');

  it('over 32 MiB: 413 in the OpenAI and the Anthropic shape, recorded as refused', async () => {
    const oai = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const e = (await oai.chat.completions.create({ model: 'solo', messages: [{ role: 'user', content: big.toString() }] }).catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect(e.status).toBe(413);
    expect(e.error).toMatchObject({ message: expect.stringMatching(/larger than the gateway's limit of 32 MiB/), type: expect.any(String) });

    const ant = new Anthropic({ apiKey: secret, baseURL: gw.url, maxRetries: 0 });
    const a = (await ant.messages.create({ model: 'solo', max_tokens: 10, messages: [{ role: 'user', content: big.toString() }] }).catch((x: unknown) => x)) as InstanceType<typeof Anthropic.APIError>;
    expect(a.status).toBe(413);
    expect(a.error).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });

    const refused = ledgerRows(gw.dataDir, 'http.refused').filter((r) => r.body['code'] === 'BODY_TOO_LARGE');
    expect(refused).toHaveLength(2);
    expect(up.seen).toHaveLength(0);
  }, 30_000);

  // A bug this found (fixed): a body over 32 MiB sent without content-length (chunked) killed `gatehouse serve`.
  // Reproduction: start `gatehouse serve`, POST /v1/messages (or any LLM route) with a valid key and a
  // chunked body of 33 MiB (fetch with a ReadableStream body and duplex: 'half'). The client gets
  // ECONNRESET instead of a 413, and the process exits with
  //   TypeError: Cannot read properties of null (reading 'remoteAddress')
  //     at clientAddress (src/gateway/http/server.ts, `req.socket.remoteAddress`)
  //     at recordRefusal -> fail (src/gateway/http/server.ts, createHttpServer's `fail`)
  // readBody (src/gateway/http/io.ts) throws BODY_TOO_LARGE from inside `for await (const chunk of req)`;
  // leaving the loop destroys the request, so `req.socket` is null by the time the refusal is recorded,
  // and the TypeError escapes the `.catch(fail)` as an unhandled rejection. Any local client can stop the gateway.
  it('a chunked body over 32 MiB is a 413 in the caller\'s shape, and the gateway keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-chunked-413-'));
    writeFileSync(join(dir, 'gatehouse.yaml'), config(up.url));
    const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      const { key } = JSON.parse((await runCli(['keys', 'create', '--name', 'chunked', '--json', '--data-dir', dir], { env })).stdout) as { key: string };
      const res = await fetch(`${served.url}/v1/messages`, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 33; i++) c.enqueue(big.subarray(i * MiB, (i + 1) * MiB));
            c.close();
          },
        }),
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
    } finally {
      await served.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('malformed JSON: 400 in the caller\'s shape, nothing sent upstream', async () => {
    const post = (path: string, headers: Record<string, string>): Promise<Response> =>
      fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model": "solo", "messages": [' });
    const o = await post('/v1/chat/completions', { authorization: `Bearer ${secret}` });
    expect(o.status).toBe(400);
    expect(await o.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringMatching(/not valid JSON/) } });
    const a = await post('/v1/messages', { 'x-api-key': secret, 'anthropic-version': '2023-06-01' });
    expect(a.status).toBe(400);
    expect(await a.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/not valid JSON/) } });
    const g = await post('/v1beta/models/solo:generateContent', { 'x-goog-api-key': secret });
    expect(g.status).toBe(400);
    expect(await g.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    expect(up.seen).toHaveLength(0);
  });

  it('invalid UTF-8 bytes in a body: upstream gets valid UTF-8, the ledger hashes the bytes as sent', async () => {
    // A stray continuation byte, an 0xFF, and an encoded lone surrogate (ED A0 80), inside a JSON string.
    const raw = Buffer.concat([Buffer.from('{"model":"solo","messages":[{"role":"user","content":"a'), Buffer.from([0x80, 0xff, 0xed, 0xa0, 0x80]), Buffer.from('b"}]}')]);
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: raw });
    expect([200, 400]).toContain(res.status);
    if (res.status === 200) {
      expect(up.seen).toHaveLength(1);
      const sent = new TextDecoder('utf-8', { fatal: true }).decode(up.seen[0]!.rawBody);
      expect(sent).toContain('a\ufffd');
      expect(requestRecord(gw.dataDir, res.headers.get('x-request-id')!)).toMatchObject({
        outcome: 'ok',
        request: { bytes: raw.length, sha256: createHash('sha256').update(raw).digest('hex') },
      });
    } else {
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
      expect(up.seen).toHaveLength(0);
    }
  });
});

describe('a client that reads slowly', () => {
  it('a 96 MB stream to a paused reader stops the upstream instead of filling the gateway\'s memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-slow-reader-'));
    const big = await startFaultUpstream('openai');
    writeFileSync(join(dir, 'gatehouse.yaml'), config(big.url, false));
    const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      const { key } = JSON.parse((await runCli(['keys', 'create', '--name', 'slow', '--json', '--data-dir', dir], { env })).stdout) as { key: string };
      const pid = served.child.pid!;
      // Warm up (JIT, pools), then take the baseline.
      await new OpenAI({ apiKey: key, baseURL: `${served.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'solo', messages: [{ role: 'user', content: 'hi' }] });
      const baseline = memoryOf(pid).rss;
      const total = 96 * MiB;
      big.reset();
      big.fallback = { kind: 'huge', bytes: total };

      let received = 0;
      let tail = '';
      let paused: IncomingMessage | undefined;
      let ended!: () => void;
      const done = new Promise<void>((r) => (ended = r));
      // Reads 1 MiB, then stops reading.
      const req = request(`${served.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } }, (res) => {
        res.on('data', (d: Buffer) => {
          received += d.length;
          tail = (tail + d.toString('latin1')).slice(-200);
          if (received > MiB && !paused) {
            paused = res;
            res.pause();
          }
        });
        res.on('end', ended);
      });
      req.end(JSON.stringify({ model: 'solo', stream: true, messages: [{ role: 'user', content: 'a lot' }] }));

      // The upstream ends up waiting for the socket to drain, and stays there, far from the end.
      await expect.poll(() => paused !== undefined && big.seen[0]?.blocked === true, { timeout: 10_000 }).toBe(true);
      let last = -1;
      await expect
        .poll(
          () => {
            const now = big.seen[0]!.written;
            const steady = now === last && big.seen[0]!.blocked;
            last = now;
            return steady;
          },
          { timeout: 10_000, interval: 300 },
        )
        .toBe(true);
      expect(big.seen[0]!.written).toBeLessThan(total / 2);
      const held = memoryOf(pid).rss - baseline;
      // Measured here: 1-33 MiB above the baseline (GC timing), about 10 MiB written upstream (socket buffers).
      expect(held).toBeLessThan(64 * MiB);

      // Reading again drains it all, in order, to the end.
      paused!.resume();
      await done;
      expect(received).toBeGreaterThan(total);
      expect(tail).toMatch(/data: \[DONE\]\n\n$/);
      // Measured here: a peak about 37 MiB above the baseline for the whole 96 MiB stream.
      expect(memoryOf(pid).peak - baseline).toBeLessThan(96 * MiB);
    } finally {
      await served.kill();
      await big.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
