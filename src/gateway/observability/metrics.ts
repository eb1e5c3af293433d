// Prometheus metrics on the gateway's own prom-client registry, fed by the events the gateway records.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatehouseConfig } from '../config/schema.js';
import { PRICE_CATALOG, catalogVendor } from '../llm/pricing.js';

/** A model call as recorded (`llm.request`): the fields the metrics and traces read, never content. */
export interface LlmCallRecord {
  requestId: string;
  keyId: string;
  api: string;
  route: string;
  provider: string;
  model: string;
  requestedModel: string;
  stream: boolean;
  status: number;
  outcome: string;
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; reasoningTokens?: number };
  costUsd: number | null;
  latencyMs: number;
  ttftMs: number | null;
  /** The attempts that failed before the answer (or all of them, when none answered). */
  attempts: { provider: string; model: string; status: number; error?: string }[];
}

/** An MCP tool call as recorded (`mcp.call`). */
export interface ToolCallRecord {
  requestId: string;
  keyId: string;
  server: string;
  tool: string;
  decision: string;
  outcome: string;
  costUsd: number | null;
  durationMs: number;
  findings?: { type: string; rule: string; action: string; location: string }[];
}

/** Guardrail findings as recorded (`guardrail.findings`): kind, rule, action and where, never the text. */
export interface FindingsRecord {
  location: string;
  findings: { type: string; rule: string; action: string; location?: string }[];
}

/** One budget of one subject (`global`, `team:ID`, `user:ID`, `key:ID`) in its current period. */
export interface BudgetReading {
  subject: string;
  window: string;
  spentUsd: number;
  limitUsd: number;
}

/**
 * The hooks the gateway calls. Contract: each `*Completed` / `findings` / `refused` call is made
 * once per recorded event, synchronously and cheaply (counters only); the gauges are read at scrape time.
 */
export interface GatewayMetrics {
  llmCompleted(event: LlmCallRecord): void;
  mcpCompleted(event: ToolCallRecord): void;
  findings(event: FindingsRecord): void;
  /** A request refused or failed before it was served (`http.refused` / `http.failed`), by error code. */
  refused(code: string): void;
  /** Every metric in the Prometheus text format. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  version: string;
  /** The running config: label values are kept only when it names them. */
  config(): GatehouseConfig;
  pendingApprovals(): number;
  /** Current budget use, at most `limit` subjects. */
  budgets(limit: number): BudgetReading[];
  /** Process and Node.js metrics (prom-client's defaults); default true. */
  processMetrics?: boolean;
}

export const OTHER = 'other';
const MAX_LABEL_LENGTH = 128;

/**
 * Label values seen, at most `max` distinct ones; later newcomers become "other". For values that
 * do not come from clients but are not fixed either (tool names a server lists, custom rule ids).
 */
export class BoundedValues {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  of(value: string): string {
    const v = value.slice(0, MAX_LABEL_LENGTH);
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(v);
    return v;
  }
}

/** What a config names: the only route, provider and model label values a model call can produce. */
interface KnownLabels {
  routes: Set<string>;
  providers: Set<string>;
  /** `provider\nmodel` for route targets and, per provider, the exact ids of its catalog vendor. */
  models: Set<string>;
  mcpServers: Set<string>;
}

function knownLabels(config: GatehouseConfig): KnownLabels {
  const models = new Set<string>();
  for (const r of config.models) for (const t of r.targets) models.add(`${t.provider}\n${t.model}`);
  for (const p of config.providers) {
    const vendor = catalogVendor(p);
    if (vendor) for (const e of PRICE_CATALOG[vendor].entries) for (const id of e.ids) models.add(`${p.id}\n${id}`);
  }
  return {
    routes: new Set(config.models.map((r) => r.name)),
    providers: new Set(config.providers.map((p) => p.id)),
    models,
    mcpServers: new Set(config.mcpServers.map((s) => s.id)),
  };
}

/** `2xx`, `4xx`, ...; `none` when no HTTP status came (the client left, no upstream answered). */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'none';
}

/** Why an upstream attempt failed, from its status alone (messages are free text). */
export function upstreamErrorKind(status: number): string {
  if (status === 0) return 'no_response';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'stream_error';
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60];
const TOOL_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createMetrics(opts: MetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  let labelsOf: { config: GatehouseConfig; known: KnownLabels } | undefined;
  /** Recomputed when the config object changes (a reload), not per call. */
  const known = (): KnownLabels => {
    const config = opts.config();
    if (labelsOf?.config !== config) labelsOf = { config, known: knownLabels(config) };
    return labelsOf.known;
  };
  const tools = new BoundedValues(500);
  const rules = new BoundedValues(200);
  /** Outcomes, decisions, finding kinds, actions, locations, error codes: fixed sets in the code; bounded all the same. */
  const small = new BoundedValues(200);

  /** Route, provider and model as labels: a client can name any model, so only configured values pass. */
  function callLabels(e: Pick<LlmCallRecord, 'route' | 'provider' | 'model'>): { route: string; provider: string; model: string } {
    const k = known();
    const provider = k.providers.has(e.provider) ? e.provider : OTHER;
    const slash = e.route.indexOf('/');
    const route = k.routes.has(e.route) ? e.route : slash > 0 && k.providers.has(e.route.slice(0, slash)) ? `${e.route.slice(0, slash)}/*` : OTHER;
    const model = provider !== OTHER && k.models.has(`${provider}\n${e.model}`) ? e.model : OTHER;
    return { route, provider, model };
  }

  const gh = (name: string): string => `gatehouse_${name}`;

  new Gauge({ name: gh('build_info'), help: 'The running Gatehouse version (always 1).', labelNames: ['version'], registers }).set({ version: opts.version }, 1);
  const requests = new Counter({
    name: gh('llm_requests_total'),
    help: 'Model calls recorded, by route, provider, model, outcome and HTTP status class.',
    labelNames: ['route', 'provider', 'model', 'outcome', 'status_class'],
    registers,
  });
  const duration = new Histogram({
    name: gh('llm_request_duration_seconds'),
    help: 'Model call duration, from the request to the last byte of the answer.',
    labelNames: ['route', 'provider', 'model'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const ttft = new Histogram({
    name: gh('llm_time_to_first_token_seconds'),
    help: 'Streamed model calls: time from the request to the first content sent to the client.',
    labelNames: ['route', 'provider', 'model'],
    buckets: TTFT_BUCKETS,
    registers,
  });
  const tokens = new Counter({
    name: gh('llm_tokens_total'),
    help: 'Tokens of model calls, by kind: input (full price), output (reasoning included), cache_read, cache_write.',
    labelNames: ['route', 'provider', 'model', 'kind'],
    registers,
  });
  const cost = new Counter({
    name: gh('llm_cost_usd_total'),
    help: 'List-price cost of model calls in US dollars (calls without a known price add nothing).',
    labelNames: ['route', 'provider', 'model'],
    registers,
  });
  const upstreamErrors = new Counter({
    name: gh('llm_upstream_errors_total'),
    help: 'Upstream attempts that failed (retried, fallen back from, or the last), by provider and kind.',
    labelNames: ['provider', 'kind'],
    registers,
  });
  const toolCalls = new Counter({
    name: gh('mcp_tool_calls_total'),
    help: 'MCP tool calls recorded, by server, tool, outcome and policy decision.',
    labelNames: ['server', 'tool', 'outcome', 'decision'],
    registers,
  });
  const toolDuration = new Histogram({
    name: gh('mcp_tool_call_duration_seconds'),
    help: 'MCP tool call duration (approval waits included), by server.',
    labelNames: ['server'],
    buckets: TOOL_BUCKETS,
    registers,
  });
  const findings = new Counter({
    name: gh('guardrail_findings_total'),
    help: 'Guardrail findings, by kind, rule, configured action and where they were found.',
    labelNames: ['type', 'rule', 'action', 'location'],
    registers,
  });
  const refusals = new Counter({
    name: gh('http_refused_total'),
    help: 'Requests refused or failed before being served, by error code (auth, host/origin, limits, budgets, ...).',
    labelNames: ['reason'],
    registers,
  });
  new Gauge({
    name: gh('approvals_pending'),
    help: 'MCP tool calls and prompts waiting for a person to approve them.',
    registers,
    collect() {
      this.set(opts.pendingApprovals());
    },
  });
  /** Budget use is read once per scrape (it queries the store), then both gauges are filled from it. */
  let budgetReading: BudgetReading[] = [];
  const budgetGauge = (name: string, help: string, value: (b: BudgetReading) => number): void => {
    new Gauge({
      name: gh(name),
      help,
      labelNames: ['subject', 'window'],
      registers,
      collect() {
        // Subjects no longer budgeted (or past the cap) disappear.
        this.reset();
        for (const b of budgetReading) this.set({ subject: b.subject, window: b.window }, value(b));
      },
    });
  };
  budgetGauge('budget_limit_usd', 'Budget amount in US dollars, per subject (global, team:ID, user:ID, key:ID; at most observability.metrics.maxBudgetSubjects) and window.', (b) => b.limitUsd);
  budgetGauge('budget_spent_usd', 'Spend in the current period of each budget, in US dollars (same subjects as gatehouse_budget_limit_usd).', (b) => b.spentUsd);

  function countFindings(e: FindingsRecord): void {
    for (const f of e.findings) findings.inc({ type: small.of(f.type), rule: rules.of(f.rule), action: small.of(f.action), location: small.of(f.location ?? e.location) });
  }

  return {
    llmCompleted(e) {
      const labels = callLabels(e);
      requests.inc({ ...labels, outcome: small.of(e.outcome), status_class: statusClass(e.status) });
      duration.observe(labels, e.latencyMs / 1000);
      if (e.stream && e.ttftMs !== null) ttft.observe(labels, e.ttftMs / 1000);
      const u = e.usage;
      for (const [kind, n] of [['input', u.inputTokens], ['output', u.outputTokens], ['cache_read', u.cacheReadTokens], ['cache_write', u.cacheWriteTokens]] as const) {
        if (n > 0) tokens.inc({ ...labels, kind }, n);
      }
      if (e.costUsd !== null && e.costUsd > 0) cost.inc(labels, e.costUsd);
      const providers = known().providers;
      for (const a of e.attempts) upstreamErrors.inc({ provider: providers.has(a.provider) ? a.provider : OTHER, kind: upstreamErrorKind(a.status) });
    },
    mcpCompleted(e) {
      const server = known().mcpServers.has(e.server) ? e.server : OTHER;
      toolCalls.inc({ server, tool: server === OTHER ? OTHER : tools.of(e.tool), outcome: small.of(e.outcome), decision: small.of(e.decision) });
      toolDuration.observe({ server }, e.durationMs / 1000);
      if (e.findings?.length) countFindings({ location: 'tool', findings: e.findings });
    },
    findings: countFindings,
    refused(code) {
      refusals.inc({ reason: small.of(code) });
    },
    async scrape() {
      budgetReading = opts.budgets(opts.config().observability.metrics.maxBudgetSubjects);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
