// Observability end to end: /metrics moves with real calls and admits only the admin or metrics token;
// traces reach an OTLP/HTTP collector with the GenAI attributes and without the prompt.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from '../../src/gateway/instance.js';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const COLLECTOR_TOKEN = 'collector-token-abcdef';
const PROMPT = 'observability-marker: the secret plan is in the blue folder';
// A fake AWS key id (assembled at run time): the default guardrails mask it and record a finding.
const AWS = ['AKIA', 'Q7WERTY2UIOP4ASD'].join('');

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  name: string;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}
interface Export {
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  raw: string;
  spans: OtlpSpan[];
}

/** A minimal OTLP/HTTP collector: POST /v1/traces, JSON encoding. */
function startCollector(): Promise<{ url: string; exports: Export[]; close(): Promise<void> }> {
  const exports: Export[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const contentType = req.headers['content-type'] ?? '';
      const body = contentType.startsWith('application/json') ? (JSON.parse(raw) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] }) : {};
      const spans = (body.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []));
      exports.push({ headers: req.headers, contentType, raw, spans });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, exports, close: () => new Promise<void>((r) => server.close(() => r())) });
    }),
  );
}

const attrs = (span: OtlpSpan): Record<string, unknown> =>
  Object.fromEntries(span.attributes.map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue))]));

/** The value of one series in the Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let mock: MockOpenAI;
let collector: Awaited<ReturnType<typeof startCollector>>;
let gw: TestGateway;
let key: string;

beforeAll(async () => {
  [mock, collector] = await Promise.all([startMockOpenAI({ chunks: 4, chunkDelayMs: 5 }), startCollector()]);
  gw = await startTestGateway(
    configFor(
      mock.url,
      `observability:
  metrics:
    token: env:METRICS_TOKEN
  traces:
    endpoint: ${collector.url}/v1/traces
    headers:
      x-collector-auth: "Token \${env:COLLECTOR_TOKEN}"
`,
    ),
    { env: { METRICS_TOKEN, COLLECTOR_TOKEN } },
  );
  key = (await gw.newKey({ name: 'observed' })).secret;
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([mock?.close(), collector?.close()]);
});

const scrape = (authorization?: string): Promise<Response> => fetch(`${gw.url}/metrics`, { headers: authorization ? { authorization } : {} });

describe('GET /metrics', () => {
  it('moves counters and histograms with model calls', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: PROMPT }] });
    const stream = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: `${PROMPT} with ${AWS}` }], stream: true });
    for await (const _ of stream);
    // A model name the client makes up is not a label value.
    await client.chat.completions.create({ model: 'mock/made-up-model-7f3a', messages: [{ role: 'user', content: 'hi' }] });

    const res = await scrape(`Bearer ${adminToken(gw.dataDir)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const labels = 'route="fast",provider="mock",model="gpt-4o-mini"';
    expect(sample(text, `gatehouse_llm_requests_total{${labels},outcome="ok",status_class="2xx"}`)).toBe(2);
    expect(sample(text, `gatehouse_llm_request_duration_seconds_count{${labels}}`)).toBe(2);
    expect(sample(text, `gatehouse_llm_request_duration_seconds_sum{${labels}}`)).toBeGreaterThan(0);
    expect(sample(text, `gatehouse_llm_time_to_first_token_seconds_count{${labels}}`)).toBe(1);
    expect(sample(text, `gatehouse_llm_tokens_total{${labels},kind="input"}`)).toBeGreaterThan(0);
    expect(sample(text, `gatehouse_llm_tokens_total{${labels},kind="output"}`)).toBeGreaterThan(0);
    expect(sample(text, `gatehouse_llm_cost_usd_total{${labels}}`)).toBeGreaterThan(0);
    expect(sample(text, 'gatehouse_llm_requests_total{route="mock/*",provider="mock",model="other",outcome="ok",status_class="2xx"}')).toBe(1);
    expect(text).not.toContain('made-up-model');
    expect(text).toMatch(/^gatehouse_guardrail_findings_total\{type="secret",rule="aws-access-key-id",action="mask-and-restore",location="llm.input"\} 1$/m);
    expect(sample(text, 'gatehouse_approvals_pending')).toBe(0);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    for (const never of [PROMPT, AWS, key, METRICS_TOKEN]) expect(text).not.toContain(never);
  });

  it('takes the metrics token too', async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE gatehouse_llm_requests_total counter');
  });

  it('refuses no token, a virtual key, a wrong token and a console session with 401', async () => {
    for (const authorization of [undefined, `Bearer ${key}`, 'Bearer not-the-token', `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`]) {
      const res = await scrape(authorization);
      expect(res.status, authorization ?? 'none').toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/admin token or the metrics token/);
    }
    // A console session (what the login URL trades for) opens the admin API, not /metrics.
    const login = await fetch(gw.consoleUrl, { redirect: 'manual' });
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${gw.url}/admin/api/status/get`, { method: 'POST', headers: { cookie: session }, body: '{}' })).status).toBe(200);
    expect((await fetch(`${gw.url}/metrics`, { headers: { cookie: session } })).status).toBe(401);
    // The refusals are counted (and recorded).
    const text = await (await scrape(`Bearer ${METRICS_TOKEN}`)).text();
    expect(sample(text, 'gatehouse_http_refused_total{reason="ADMIN_AUTH_REQUIRED"}')).toBeGreaterThanOrEqual(5);
  });
});

describe('OTLP traces', () => {
  it('exports one GenAI span per model call, with the collector headers and without content', async () => {
    await expect.poll(() => collector.exports.flatMap((e) => e.spans).length, { timeout: 15_000, interval: 200 }).toBeGreaterThanOrEqual(3);
    const first = collector.exports[0]!;
    expect(first.contentType).toMatch(/^application\/json/);
    expect(first.headers['x-collector-auth']).toBe(`Token ${COLLECTOR_TOKEN}`);
    const spans = collector.exports.flatMap((e) => e.spans);
    const chat = spans.filter((s) => s.name === 'chat gpt-4o-mini');
    expect(chat).toHaveLength(2);
    const a = attrs(chat[0]!);
    expect(a).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai-compatible',
      'gen_ai.request.model': 'fast',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gatehouse.route': 'fast',
      'gatehouse.outcome': 'ok',
    });
    expect(a['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(a['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(a['gatehouse.cost_usd']).toBeGreaterThan(0);
    expect(String(a['gatehouse.key_id'])).toMatch(/^key_/);
    const everything = collector.exports.map((e) => e.raw).join('\n');
    for (const never of [PROMPT, 'observability-marker', AWS, key, 'sk-mock-upstream', METRICS_TOKEN]) expect(everything).not.toContain(never);
  });
});
