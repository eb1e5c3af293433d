import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { LlmCallRecord } from './metrics.js';
import { createTracing, genAiProviderName } from './tracing.js';

const PROMPT = 'please summarise the quarterly report';
const VKEY = 'gh_' + 'x'.repeat(43);

/** A recorded event as the ledger has it: with fields the spans must never copy. */
function recorded(over: Partial<LlmCallRecord> = {}): LlmCallRecord & Record<string, unknown> {
  return {
    requestId: 'req_abc',
    keyId: 'key_1',
    api: 'anthropic-messages',
    route: 'smart',
    provider: 'anth',
    model: 'claude-sonnet-4-5',
    requestedModel: 'smart',
    stream: true,
    status: 200,
    outcome: 'ok',
    usage: { inputTokens: 10, outputTokens: 7, cacheReadTokens: 90, cacheWriteTokens: 5, reasoningTokens: 3 },
    costUsd: 0.0123,
    latencyMs: 2000,
    ttftMs: 250,
    attempts: [],
    // Never exported: a session, the client, the body's hash, and anything a bug might put here.
    session: 'sess-1',
    client: 'claude-cli/2.0',
    request: { bytes: 120, sha256: 'f'.repeat(64) },
    prompt: PROMPT,
    secret: VKEY,
    ...over,
  };
}

function setup(sampleRatio = 1) {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({
    version: '9.9.9',
    endpoint: 'http://127.0.0.1:1/v1/traces',
    sampleRatio,
    providerInfo: (id) => (id === 'anth' ? { type: 'anthropic' } : id === 'local' ? { type: 'openai-compatible', preset: 'ollama' } : undefined),
    exporter,
  });
  return { exporter, tracing };
}

describe('tracing', () => {
  it('makes one GenAI client span per model call, timed from the record, with usage and gateway attributes', async () => {
    const { exporter, tracing } = setup();
    const end = Date.parse('2025-06-01T12:00:00Z');
    tracing.llmCompleted(recorded(), end);
    const [span, ...rest] = exporter.getFinishedSpans();
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat claude-sonnet-4-5');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'smart',
      'gen_ai.response.model': 'claude-sonnet-4-5',
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 105,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.usage.cache_read.input_tokens': 90,
      'gen_ai.usage.cache_creation.input_tokens': 5,
      'gen_ai.usage.reasoning.output_tokens': 3,
      'gen_ai.response.time_to_first_chunk': 0.25,
      'gatehouse.request_id': 'req_abc',
      'gatehouse.key_id': 'key_1',
      'gatehouse.api': 'anthropic-messages',
      'gatehouse.route': 'smart',
      'gatehouse.provider': 'anth',
      'gatehouse.outcome': 'ok',
      'gatehouse.status': 200,
      'gatehouse.failed_attempts': 0,
      'gatehouse.cost_usd': 0.0123,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;
    expect(ms(span!.endTime)).toBe(end);
    expect(ms(span!.startTime)).toBe(end - 2000);
    expect(span!.resource.attributes['service.name']).toBe('gatehouse');
    const all = JSON.stringify({ attributes: span!.attributes, events: span!.events, name: span!.name });
    for (const never of [PROMPT, VKEY, 'sess-1', 'claude-cli', 'f'.repeat(64)]) expect(all).not.toContain(never);
    await tracing.shutdown();
  });

  it('marks failed calls as errors, with error.type', () => {
    const { exporter, tracing } = setup();
    tracing.llmCompleted(recorded({ outcome: 'upstream_error', status: 502, costUsd: null, attempts: [{ provider: 'anth', model: 'x', status: 500 }] }));
    const span = exporter.getFinishedSpans()[0]!;
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('upstream_error');
    expect(span.attributes['gatehouse.failed_attempts']).toBe(1);
    expect(span.attributes['gatehouse.cost_usd']).toBeUndefined();
  });

  it('names the operation by inbound API', () => {
    const { exporter, tracing } = setup();
    tracing.llmCompleted(recorded({ api: 'openai-embeddings', model: 'text-embedding-3-small', ttftMs: null }));
    tracing.llmCompleted(recorded({ api: 'gemini-generate', model: 'gemini-2.5-pro' }));
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['embeddings text-embedding-3-small', 'generate_content gemini-2.5-pro']);
  });

  it('makes an execute_tool span per MCP tool call, without arguments or results', () => {
    const { exporter, tracing } = setup();
    const call = { requestId: 'req_t', keyId: 'key_2', server: 'fs', tool: 'read_file', decision: 'allow', outcome: 'ok', costUsd: null, durationMs: 12, arguments: { masked: { path: '/etc/passwd' } }, result: { bytes: 10, sha256: 'e'.repeat(64) } };
    tracing.mcpCompleted(call);
    const span = exporter.getFinishedSpans()[0]!;
    expect(span.name).toBe('execute_tool read_file');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'read_file', 'gatehouse.mcp.server': 'fs', 'gatehouse.decision': 'allow', 'gatehouse.key_id': 'key_2' });
    expect(JSON.stringify(span.attributes)).not.toContain('/etc/passwd');
  });

  it('samples by ratio', () => {
    const { exporter, tracing } = setup(0);
    tracing.llmCompleted(recorded());
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('maps provider types to the convention\'s provider names', () => {
    expect(genAiProviderName({ type: 'openai' }, 'o')).toBe('openai');
    expect(genAiProviderName({ type: 'gemini' }, 'g')).toBe('gcp.gemini');
    expect(genAiProviderName({ type: 'azure-openai' }, 'a')).toBe('azure.ai.openai');
    expect(genAiProviderName({ type: 'openai-compatible', preset: 'ollama' }, 'l')).toBe('ollama');
    expect(genAiProviderName(undefined, 'gone')).toBe('gone');
  });
});
