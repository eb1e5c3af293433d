// Observability wired to what the gateway records: every ledger event also feeds the metrics and traces.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatehouseConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { Ledger, LedgerEventInput } from '../store/ledger.js';
import { createMetrics, type BudgetReading, type FindingsRecord, type GatewayMetrics, type LlmCallRecord, type ToolCallRecord } from './metrics.js';
import type { GatewayTracing } from './tracing.js';

/** What `GET /metrics` needs: whether it is on, who may scrape, and the text. */
export interface MetricsEndpoint {
  enabled(): boolean;
  /** True when `bearer` is the configured metrics token (compared in constant time). */
  acceptsToken(bearer: string): boolean;
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface Observability {
  metrics: MetricsEndpoint;
  /**
   * The ledger with every event it is given also counted and traced: model calls (`llm.request`),
   * tool calls (`mcp.call`), guardrail findings and refusals are all recorded there, so no request
   * path carries a hook of its own, and what is measured is exactly what was recorded.
   */
  tap(ledger: Ledger): Ledger;
  /** Exports the spans still queued, then stops tracing. */
  shutdown(): Promise<void>;
}

export interface ObservabilityDeps {
  version: string;
  config(): GatehouseConfig;
  /** Already primed with the config's `observability` references (the gateway primes every reference it uses). */
  secrets: Pick<SecretResolver, 'get' | 'interpolate'>;
  log(): Logger;
  pendingApprovals(): number;
  budgets(limit: number): BudgetReading[];
  /** Tests: no process metrics. */
  processMetrics?: boolean;
}

/**
 * OpenTelemetry's SDK and exporter (~900 module files) are loaded only once traces are configured, so
 * every start and CLI command without them is quicker. Calls made while it loads wait in a bounded queue.
 */
type TracingModule = typeof import('./tracing.js');
let tracingModule: TracingModule | undefined;
let tracingLoad: Promise<TracingModule> | undefined;
const loadTracing = (): Promise<TracingModule> => (tracingLoad ??= import('./tracing.js').then((m) => (tracingModule = m)));
const TRACING_QUEUE_MAX = 10_000;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The recorded events' shapes, checked just enough that a malformed event is skipped, not miscounted. */
const isLlmCall = (e: LedgerEventInput): e is LedgerEventInput & LlmCallRecord => typeof e.route === 'string' && typeof e.usage === 'object' && e.usage !== null && Array.isArray(e.attempts);
const isToolCall = (e: LedgerEventInput): e is LedgerEventInput & ToolCallRecord => typeof e.server === 'string' && typeof e.tool === 'string' && typeof e.durationMs === 'number';
const isFindings = (e: LedgerEventInput): e is LedgerEventInput & FindingsRecord => typeof e.location === 'string' && Array.isArray(e.findings);

export function createObservability(deps: ObservabilityDeps): Observability {
  const metrics: GatewayMetrics = createMetrics({
    version: deps.version,
    config: deps.config,
    pendingApprovals: deps.pendingApprovals,
    budgets: deps.budgets,
    processMetrics: deps.processMetrics,
  });

  /** The tracer of the running config's `observability.traces`: rebuilt when that section changes. */
  let traced: { config: GatehouseConfig; text: string; tracing: GatewayTracing | undefined } | undefined;
  const retired: Promise<void>[] = [];
  let closed = false;
  // Spans asked for before the tracing module was loaded; handed to the tracer once it is.
  const waiting: ((t: GatewayTracing) => void)[] = [];
  let loading = false;
  let tracingUnavailable = false;
  const meanwhile: GatewayTracing = {
    llmCompleted: (e, endedAt = Date.now()) => void (waiting.length < TRACING_QUEUE_MAX && waiting.push((t) => t.llmCompleted(e, endedAt))),
    mcpCompleted: (e, endedAt = Date.now()) => void (waiting.length < TRACING_QUEUE_MAX && waiting.push((t) => t.mcpCompleted(e, endedAt))),
    shutdown: async () => undefined,
  };
  function tracing(): GatewayTracing | undefined {
    if (closed) return undefined;
    const config = deps.config();
    if (traced?.config === config) return traced.tracing;
    const settings = config.observability.traces;
    const text = settings ? JSON.stringify(settings) : '';
    if (traced?.text === text) {
      traced.config = config;
      return traced.tracing;
    }
    if (settings && !tracingModule) {
      if (tracingUnavailable) return undefined;
      if (!loading) {
        loading = true;
        loadTracing().then(
          () => {
            const now = tracing();
            for (const span of waiting.splice(0)) if (now) span(now);
          },
          (err: Error) => {
            tracingUnavailable = true;
            waiting.length = 0;
            deps.log().error({ err: err.message }, 'tracing is off: the OpenTelemetry modules could not be loaded');
          },
        );
      }
      return meanwhile;
    }
    if (traced?.tracing) retired.push(traced.tracing.shutdown());
    let next: GatewayTracing | undefined;
    if (settings && tracingModule) {
      try {
        const headers = Object.fromEntries(Object.entries(settings.headers).map(([k, v]) => [k, deps.secrets.interpolate(v)]));
        next = tracingModule.createTracing({
          version: deps.version,
          endpoint: settings.endpoint,
          headers,
          sampleRatio: settings.sampleRatio,
          providerInfo: (id) => deps.config().providers.find((p) => p.id === id),
          onExportError: (message) => deps.log().warn(message),
        });
      } catch (err) {
        deps.log().error({ err: (err as Error).message }, 'tracing is off: observability.traces could not be set up');
      }
    }
    traced = { config, text, tracing: next };
    return next;
  }

  function observe(e: LedgerEventInput): void {
    switch (e.type) {
      case 'llm.request':
        if (!isLlmCall(e)) return;
        metrics.llmCompleted(e);
        tracing()?.llmCompleted(e);
        return;
      case 'mcp.call':
        if (!isToolCall(e)) return;
        metrics.mcpCompleted(e);
        tracing()?.mcpCompleted(e);
        return;
      case 'guardrail.findings':
        if (isFindings(e)) metrics.findings(e);
        return;
      case 'http.refused':
      case 'http.failed':
        if (typeof e.code === 'string') metrics.refused(e.code);
        return;
    }
  }

  /** Measuring never fails a request: an error here is logged and the event is recorded all the same. */
  function safely(e: LedgerEventInput): void {
    try {
      observe(e);
    } catch (err) {
      deps.log().error({ err: (err as Error).message, type: e.type }, 'could not measure a recorded event');
    }
  }

  let warnedRef: string | undefined;
  return {
    metrics: {
      enabled: () => deps.config().observability.metrics.enabled,
      acceptsToken(bearer) {
        const ref = deps.config().observability.metrics.token;
        if (!ref) return false;
        let token: string;
        try {
          token = deps.secrets.get(ref);
        } catch (err) {
          if (warnedRef !== ref) deps.log().warn({ err: (err as Error).message }, 'the metrics token (observability.metrics.token) is unavailable: only the admin token can scrape /metrics');
          warnedRef = ref;
          return false;
        }
        return timingSafeEqual(digest(bearer), digest(token));
      },
      scrape: () => metrics.scrape(),
    },
    tap(ledger) {
      return {
        ...ledger,
        append(event, options) {
          // Counted once committed: a record the ledger could not take was not served either.
          const appended = ledger.append(event, options);
          appended.then(() => safely(event), () => undefined);
          return appended;
        },
        appendNow(event) {
          const appended = ledger.appendNow(event);
          safely(event);
          return appended;
        },
      };
    },
    async shutdown() {
      // Spans still waiting for the module are exported with the rest.
      if (waiting.length > 0) await tracingLoad?.catch(() => undefined);
      closed = true;
      const current = traced?.tracing;
      traced = undefined;
      await Promise.all([...retired.splice(0), current?.shutdown()]);
    },
  };
}
