import { describe, expect, it } from 'vitest';
import { configSchema, type GatehouseConfig } from '../config/schema.js';
import { BoundedValues, createMetrics, statusClass, upstreamErrorKind, type BudgetReading, type LlmCallRecord } from './metrics.js';

const config: GatehouseConfig = configSchema.parse({
  version: 1,
  providers: [
    { id: 'oai', type: 'openai', apiKey: 'env:K' },
    { id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' },
  ],
  models: [{ name: 'fast', targets: [{ provider: 'local', model: 'llama-3' }] }],
  mcpServers: [{ id: 'fs', command: 'node' }],
});

function call(over: Partial<LlmCallRecord> = {}): LlmCallRecord {
  return {
    requestId: 'req_1',
    keyId: 'key_1',
    api: 'openai-chat',
    route: 'fast',
    provider: 'local',
    model: 'llama-3',
    requestedModel: 'fast',
    stream: true,
    status: 200,
    outcome: 'ok',
    usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 50, cacheWriteTokens: 0 },
    costUsd: 0.002,
    latencyMs: 1500,
    ttftMs: 300,
    attempts: [],
    ...over,
  };
}

function setup(budgets: BudgetReading[] = [], pending = 0) {
  let asked = -1;
  const metrics = createMetrics({
    version: '9.9.9',
    config: () => config,
    pendingApprovals: () => pending,
    budgets: (limit) => {
      asked = limit;
      return budgets.slice(0, limit);
    },
    processMetrics: false,
  });
  return { metrics, text: async () => (await metrics.scrape()).body, asked: () => asked };
}

/** The value of one series in the Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('counts model calls: requests, latency and TTFT histograms, tokens by kind, cost', async () => {
    const { metrics, text } = setup();
    metrics.llmCompleted(call());
    metrics.llmCompleted(call({ stream: false, ttftMs: null, latencyMs: 200, costUsd: 0.001 }));
    const t = await text();
    const labels = 'route="fast",provider="local",model="llama-3"';
    expect(sample(t, `gatehouse_llm_requests_total{${labels},outcome="ok",status_class="2xx"}`)).toBe(2);
    expect(sample(t, `gatehouse_llm_request_duration_seconds_count{${labels}}`)).toBe(2);
    expect(sample(t, `gatehouse_llm_request_duration_seconds_sum{${labels}}`)).toBeCloseTo(1.7);
    expect(sample(t, `gatehouse_llm_request_duration_seconds_bucket{le="0.25",${labels}}`)).toBe(1);
    expect(sample(t, `gatehouse_llm_time_to_first_token_seconds_count{${labels}}`)).toBe(1);
    expect(sample(t, `gatehouse_llm_time_to_first_token_seconds_sum{${labels}}`)).toBeCloseTo(0.3);
    expect(sample(t, `gatehouse_llm_tokens_total{${labels},kind="input"}`)).toBe(200);
    expect(sample(t, `gatehouse_llm_tokens_total{${labels},kind="output"}`)).toBe(40);
    expect(sample(t, `gatehouse_llm_tokens_total{${labels},kind="cache_read"}`)).toBe(100);
    expect(sample(t, `gatehouse_llm_tokens_total{${labels},kind="cache_write"}`)).toBeUndefined();
    expect(sample(t, `gatehouse_llm_cost_usd_total{${labels}}`)).toBeCloseTo(0.003);
    expect(t).toContain('gatehouse_build_info{version="9.9.9"} 1');
    expect(t).toContain('# TYPE gatehouse_llm_request_duration_seconds histogram');
  });

  it('counts failed upstream attempts by provider and kind', async () => {
    const { metrics, text } = setup();
    metrics.llmCompleted(
      call({
        outcome: 'upstream_error',
        status: 502,
        attempts: [
          { provider: 'local', model: 'llama-3', status: 429 },
          { provider: 'local', model: 'llama-3', status: 0, error: 'connect ECONNREFUSED' },
          { provider: 'oai', model: 'gpt-4o', status: 503 },
        ],
      }),
    );
    const t = await text();
    expect(sample(t, 'gatehouse_llm_upstream_errors_total{provider="local",kind="rate_limited"}')).toBe(1);
    expect(sample(t, 'gatehouse_llm_upstream_errors_total{provider="local",kind="no_response"}')).toBe(1);
    expect(sample(t, 'gatehouse_llm_upstream_errors_total{provider="oai",kind="server_error"}')).toBe(1);
    expect(sample(t, 'gatehouse_llm_requests_total{route="fast",provider="local",model="llama-3",outcome="upstream_error",status_class="5xx"}')).toBe(1);
  });

  it('keeps client-chosen names out of labels: unknown models, routes and providers become "other"', async () => {
    const { metrics, text } = setup();
    for (let i = 0; i < 50; i++) metrics.llmCompleted(call({ route: `oai/random-${i}`, provider: 'oai', model: `random-${i}` }));
    metrics.llmCompleted(call({ route: 'oai/gpt-4o', provider: 'oai', model: 'gpt-4o' }));
    metrics.llmCompleted(call({ route: 'nope', provider: 'ghost', model: 'llama-3' }));
    const t = await text();
    expect(t).not.toContain('random-');
    expect(sample(t, 'gatehouse_llm_requests_total{route="oai/*",provider="oai",model="other",outcome="ok",status_class="2xx"}')).toBe(50);
    // A model the provider's catalog names exactly is bounded, so it is kept.
    expect(sample(t, 'gatehouse_llm_requests_total{route="oai/*",provider="oai",model="gpt-4o",outcome="ok",status_class="2xx"}')).toBe(1);
    expect(sample(t, 'gatehouse_llm_requests_total{route="other",provider="other",model="other",outcome="ok",status_class="2xx"}')).toBe(1);
    const series = t.split('\n').filter((l) => l.startsWith('gatehouse_llm_requests_total{'));
    expect(series).toHaveLength(3);
  });

  it('bounds values it cannot check against the config', () => {
    const b = new BoundedValues(2);
    expect([b.of('a'), b.of('b'), b.of('c'), b.of('a')]).toEqual(['a', 'b', 'other', 'a']);
    expect(new BoundedValues(5).of('x'.repeat(500))).toHaveLength(128);
  });

  it('counts MCP tool calls, their duration, and findings (from tool calls and guardrail events)', async () => {
    const { metrics, text } = setup();
    metrics.mcpCompleted({ requestId: 'r', keyId: 'k', server: 'fs', tool: 'read_file', decision: 'allow', outcome: 'ok', costUsd: null, durationMs: 40, findings: [{ type: 'secrets', rule: 'aws-access-key-id', action: 'mask', location: 'tool.result', }] });
    metrics.mcpCompleted({ requestId: 'r', keyId: 'k', server: 'unknown', tool: 'x', decision: 'deny', outcome: 'refused', costUsd: null, durationMs: 0 });
    metrics.findings({ location: 'llm.input', findings: [{ type: 'pii', rule: 'email', action: 'warn' }, { type: 'pii', rule: 'email', action: 'warn' }] });
    metrics.refused('AUTH_INVALID');
    const t = await text();
    expect(sample(t, 'gatehouse_mcp_tool_calls_total{server="fs",tool="read_file",outcome="ok",decision="allow"}')).toBe(1);
    expect(sample(t, 'gatehouse_mcp_tool_calls_total{server="other",tool="other",outcome="refused",decision="deny"}')).toBe(1);
    expect(sample(t, 'gatehouse_mcp_tool_call_duration_seconds_count{server="fs"}')).toBe(1);
    expect(sample(t, 'gatehouse_guardrail_findings_total{type="secrets",rule="aws-access-key-id",action="mask",location="tool.result"}')).toBe(1);
    expect(sample(t, 'gatehouse_guardrail_findings_total{type="pii",rule="email",action="warn",location="llm.input"}')).toBe(2);
    expect(sample(t, 'gatehouse_http_refused_total{reason="AUTH_INVALID"}')).toBe(1);
  });

  it('reads pending approvals and budgets at scrape time, capped by maxBudgetSubjects', async () => {
    const readings = Array.from({ length: 150 }, (_, i) => ({ subject: `key:k${i}`, window: 'day', spentUsd: i, limitUsd: 10 }));
    const { text, asked } = setup([{ subject: 'global', window: 'month', spentUsd: 12.5, limitUsd: 100 }, ...readings], 3);
    const t = await text();
    expect(asked()).toBe(100);
    expect(sample(t, 'gatehouse_approvals_pending')).toBe(3);
    expect(sample(t, 'gatehouse_budget_spent_usd{subject="global",window="month"}')).toBe(12.5);
    expect(sample(t, 'gatehouse_budget_limit_usd{subject="global",window="month"}')).toBe(100);
    expect(t.split('\n').filter((l) => l.startsWith('gatehouse_budget_spent_usd{'))).toHaveLength(100);
  });

  it('classifies statuses and upstream failures', () => {
    expect([statusClass(200), statusClass(429), statusClass(0)]).toEqual(['2xx', '4xx', 'none']);
    expect([upstreamErrorKind(0), upstreamErrorKind(401), upstreamErrorKind(504), upstreamErrorKind(500), upstreamErrorKind(400)]).toEqual(['no_response', 'auth', 'timeout', 'server_error', 'client_error']);
  });

  it('exports process metrics on its own registry when asked', async () => {
    const metrics = createMetrics({ version: '1', config: () => config, pendingApprovals: () => 0, budgets: () => [] });
    const { body, contentType } = await metrics.scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});
