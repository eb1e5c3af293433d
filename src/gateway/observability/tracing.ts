// OpenTelemetry traces (opt-in, OTLP/HTTP): one span per recorded model call and MCP tool call, GenAI conventions.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_GENERATE_CONTENT,
  GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  GEN_AI_PROVIDER_NAME_VALUE_AZURE_AI_OPENAI,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from '@opentelemetry/semantic-conventions/incubating';
import type { LlmCallRecord, ToolCallRecord } from './metrics.js';

/**
 * Spans are made after the fact from what was recorded (start = end - duration), off the request
 * path, and carry counts, names and ids only: never prompt or completion text, tool arguments or
 * results, secrets or virtual keys. Contract: `shutdown` exports what is queued, then stops.
 */
export interface GatewayTracing {
  llmCompleted(event: LlmCallRecord, endedAt?: number): void;
  mcpCompleted(event: ToolCallRecord, endedAt?: number): void;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  version: string;
  /** The collector's OTLP/HTTP traces URL (JSON over HTTP). */
  endpoint: string;
  /** Sent with each export, secrets already resolved. */
  headers?: Record<string, string>;
  /** 0..1; default 1. */
  sampleRatio?: number;
  /** A configured provider's `type` (and `preset`), for `gen_ai.provider.name`. */
  providerInfo(id: string): { type: string; preset?: string } | undefined;
  /** Export failures (a collector that is down): reported here, at most once a minute. */
  onExportError?(message: string): void;
  /** Tests: an exporter in place of OTLP/HTTP, with spans passed on at once. */
  exporter?: SpanExporter;
}

/** The GenAI operation of each inbound API. */
const OPERATION: Record<string, string> = {
  'openai-chat': GEN_AI_OPERATION_NAME_VALUE_CHAT,
  'anthropic-messages': GEN_AI_OPERATION_NAME_VALUE_CHAT,
  'openai-responses': GEN_AI_OPERATION_NAME_VALUE_CHAT,
  'openai-embeddings': GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
  'openai-completions': GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
  'gemini-generate': GEN_AI_OPERATION_NAME_VALUE_GENERATE_CONTENT,
};

/** `gen_ai.provider.name`: the convention's well-known values by provider type; else the preset, else the type. */
export function genAiProviderName(info: { type: string; preset?: string } | undefined, id: string): string {
  if (!info) return id;
  switch (info.type) {
    case 'openai':
      return GEN_AI_PROVIDER_NAME_VALUE_OPENAI;
    case 'anthropic':
      return GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC;
    case 'gemini':
      return GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI;
    case 'azure-openai':
      return GEN_AI_PROVIDER_NAME_VALUE_AZURE_AI_OPENAI;
    default:
      return info.preset ?? info.type;
  }
}

export function createTracing(opts: TracingOptions): GatewayTracing {
  let lastReported = 0;
  const otlp = opts.exporter ?? new OTLPTraceExporter({ url: opts.endpoint, headers: opts.headers ?? {}, timeoutMillis: 10_000 });
  const reporting: SpanExporter = {
    export(spans, done) {
      otlp.export(spans, (result) => {
        if (result.error && opts.onExportError && Date.now() - lastReported > 60_000) {
          lastReported = Date.now();
          opts.onExportError(`could not export ${spans.length} span(s) to ${opts.endpoint}: ${result.error.message}`);
        }
        done(result);
      });
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush?.() ?? Promise.resolve(),
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'gatehouse', [ATTR_SERVICE_VERSION]: opts.version }),
    sampler: new TraceIdRatioBasedSampler(opts.sampleRatio ?? 1),
    spanProcessors: [opts.exporter ? new SimpleSpanProcessor(reporting) : new BatchSpanProcessor(reporting, { scheduledDelayMillis: 2000 })],
  });
  // Not registered globally: the gateway's spans go to its own provider, whatever else runs in the process.
  const tracer = provider.getTracer('gatehouse', opts.version);

  function emit(name: string, kind: SpanKind, endedAt: number, durationMs: number, attributes: Attributes, failed: string | undefined): void {
    // Dates, not numbers: a number could be read as a time since the process started.
    const span = tracer.startSpan(name, { kind, startTime: new Date(endedAt - Math.max(0, durationMs)), attributes }, ROOT_CONTEXT);
    if (failed) {
      span.setAttribute(ATTR_ERROR_TYPE, failed);
      span.setStatus({ code: SpanStatusCode.ERROR, message: failed });
    }
    span.end(new Date(endedAt));
  }

  return {
    llmCompleted(e, endedAt = Date.now()) {
      const operation = OPERATION[e.api] ?? GEN_AI_OPERATION_NAME_VALUE_CHAT;
      const u = e.usage;
      const attributes: Attributes = {
        [ATTR_GEN_AI_OPERATION_NAME]: operation,
        [ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(opts.providerInfo(e.provider), e.provider),
        [ATTR_GEN_AI_REQUEST_MODEL]: e.requestedModel,
        [ATTR_GEN_AI_RESPONSE_MODEL]: e.model,
        [ATTR_GEN_AI_REQUEST_STREAM]: e.stream,
        // Input counts every prompt token, cached ones included (the convention's definition).
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens,
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: u.outputTokens,
        [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cacheReadTokens,
        [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: u.cacheWriteTokens,
        ...(u.reasoningTokens ? { [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: u.reasoningTokens } : {}),
        ...(e.ttftMs !== null ? { [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: e.ttftMs / 1000 } : {}),
        'gatehouse.request_id': e.requestId,
        'gatehouse.key_id': e.keyId,
        'gatehouse.api': e.api,
        'gatehouse.route': e.route,
        'gatehouse.provider': e.provider,
        'gatehouse.outcome': e.outcome,
        'gatehouse.status': e.status,
        'gatehouse.failed_attempts': e.attempts.length,
        ...(e.costUsd !== null ? { 'gatehouse.cost_usd': e.costUsd } : {}),
      };
      const failed = e.outcome !== 'ok' ? e.outcome : e.status >= 400 ? String(e.status) : undefined;
      emit(`${operation} ${e.model}`, SpanKind.CLIENT, endedAt, e.latencyMs, attributes, failed);
    },
    mcpCompleted(e, endedAt = Date.now()) {
      const attributes: Attributes = {
        [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
        [ATTR_GEN_AI_TOOL_NAME]: e.tool,
        'gatehouse.request_id': e.requestId,
        'gatehouse.key_id': e.keyId,
        'gatehouse.mcp.server': e.server,
        'gatehouse.decision': e.decision,
        'gatehouse.outcome': e.outcome,
        ...(e.costUsd !== null ? { 'gatehouse.cost_usd': e.costUsd } : {}),
        ...(e.findings?.length ? { 'gatehouse.guardrail_findings': e.findings.length } : {}),
      };
      emit(`${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${e.tool}`, SpanKind.INTERNAL, endedAt, e.durationMs, attributes, e.outcome !== 'ok' ? e.outcome : undefined);
    },
    shutdown: () => provider.shutdown(),
  };
}
