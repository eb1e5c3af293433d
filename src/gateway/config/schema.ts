// The config file's schema (YAML, `version: 1`): the one source of truth for providers, routes,
// aliases, MCP servers and policies. Every object is strict, so an unknown or misspelt field is an
// error naming it rather than a setting silently ignored.
import { z } from 'zod';
import { compileCustomRules } from '../policy/guardrails/custom.js';
import { BUDGET_WINDOWS, parseBudgetSpec } from '../../shared/contract.js';

export const PROVIDER_TYPES = ['openai', 'anthropic', 'gemini', 'azure-openai', 'openai-compatible'] as const;

/** `keychain:NAME` or `env:NAME`: where a secret lives. The value itself never appears in the file. */
export const secretRef = z
  .string()
  .regex(/^(keychain|env):[A-Za-z0-9_.-]{1,128}$/, {
    error: 'expected a secret reference "keychain:NAME" or "env:NAME" (secrets are never written in the file)',
  });

const hostName = z.string().min(1).max(253);

export const serverSchema = z.strictObject({
  host: hostName.default('127.0.0.1'),
  port: z.int().min(0).max(65535).default(4141),
  /** Extra names accepted in the Host header besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts: z.array(hostName).default([]),
  /** Extra browser origins allowed to call the gateway (exact, e.g. `http://localhost:5173`). */
  allowedOrigins: z.array(z.url({ protocol: /^https?$/ })).default([]),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const providerSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected lower-case letters, digits, "-" or "_"' }),
  type: z.enum(PROVIDER_TYPES),
  /** A known vendor's defaults (base URL, quirks); `baseUrl` overrides. */
  preset: z.string().optional(),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: secretRef.optional(),
  /** Extra headers sent upstream; values may contain `${keychain:NAME}` or `${env:NAME}`. */
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.int().min(1000).max(3_600_000).default(600_000),
  /**
   * Connections open to the provider at once. A streamed answer holds one for its whole length, so
   * this bounds concurrent streams to one provider; requests beyond it wait for a free connection.
   */
  maxConnections: z.int().min(1).max(65_536).default(1024),
  /** azure-openai: the `api-version` query parameter. */
  apiVersion: z.string().min(1).optional(),
  /** azure-openai: model name -> deployment name; a model not listed is used as the deployment name. */
  deployments: z.record(z.string(), z.string().min(1)).default({}),
});

const tierPrices = {
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
  cacheReadPerMTok: z.number().min(0).optional(),
  cacheWritePerMTok: z.number().min(0).optional(),
};

/** USD per million tokens. `longContext` applies to the whole call once its prompt exceeds the threshold. */
export const pricingSchema = z.strictObject({
  ...tierPrices,
  longContext: z.strictObject({ aboveInputTokens: z.int().positive(), ...tierPrices }).optional(),
});

export const targetSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
  pricing: pricingSchema.optional(),
  /** The model's max output tokens, where the catalog does not know it: what a budget reserves for a call that names no limit. */
  maxOutputTokens: z.int().positive().max(10_000_000).optional(),
  weight: z.number().positive().optional(),
});

const guardAction = z.enum(['off', 'warn', 'block', 'mask', 'mask-and-restore', 'ask']);
const guardLocation = z.enum(['llm.input', 'llm.output', 'tool.arguments', 'tool.result', 'tool.description']);
const profileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { error: 'expected letters, digits, "-" or "_" (at most 64)' });

/** A deployment's own rule: keywords (whole words) and/or regular expressions, with its own action. */
export const customRuleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/i, { error: 'expected letters, digits, "_", "." or "-" (at most 64)' }),
  keywords: z.array(z.string().min(1).max(1000)).optional(),
  patterns: z.array(z.string().min(1).max(4000)).optional(),
  caseSensitive: z.boolean().optional(),
  action: guardAction.default('warn'),
  /** Where the rule applies (default: everywhere). */
  at: z.array(guardLocation).min(1).optional(),
});

/**
 * What a profile changes: any kind's action, whether answers are acted on, and custom rules' actions
 * by name. A route, an MCP server or a key names a profile (or, for routes and servers, gives one inline).
 */
export const guardProfileSchema = z.strictObject({
  secrets: guardAction.optional(),
  cards: guardAction.optional(),
  pii: guardAction.optional(),
  injection: guardAction.optional(),
  output: z.enum(['record', 'enforce']).optional(),
  custom: z.record(z.string(), guardAction).optional(),
});

export const guardrailsSchema = z.strictObject({
  secrets: guardAction.default('mask-and-restore'),
  cards: guardAction.default('mask-and-restore'),
  pii: guardAction.default('warn'),
  injection: guardAction.default('warn'),
  /**
   * `record`: answers are scanned after they were sent and findings recorded. `enforce`: the kinds'
   * actions apply to answers too (masked or ended while streaming, with bounded holding back).
   */
  output: z.enum(['record', 'enforce']).default('record'),
  custom: z.array(customRuleSchema).default([]),
  profiles: z.record(profileName, guardProfileSchema).default({}),
  /** The optional model layer for prompt injection: a route asked to classify MCP tool results the heuristics let through. */
  classifier: z
    .strictObject({
      route: z.string().min(1),
      /** Score at or above which the classifier's verdict is a finding. */
      threshold: z.number().min(0).max(1).default(0.5),
      timeoutSeconds: z.number().min(0.1).max(120).default(10),
    })
    .optional(),
});

/** A route's or MCP server's guardrails: a profile's name, or the changes inline. */
const guardSelection = z.union([profileName, guardProfileSchema]).optional();

export const routeSchema = z.strictObject({
  name: z.string().min(1).max(256),
  strategy: z.enum(['fallback', 'weighted', 'least-latency']).default('fallback'),
  targets: z.array(targetSchema).min(1),
  /** Overrides of the `routing:` defaults for this route. */
  retries: z.int().min(0).max(10).optional(),
  attemptTimeoutMs: z.int().min(100).max(3_600_000).optional(),
  totalTimeoutMs: z.int().min(100).max(3_600_000).optional(),
  /** Whether a session pinned to one provider family may fall back to another mid-session (default no: caches and reasoning data are family-bound). */
  crossFamilyFallback: z.boolean().optional(),
  /** Guardrails on this route's calls (a profile name, or changes inline) over the global ones. */
  guardrails: guardSelection,
});

/** Defaults for retries, timeouts and the circuit breaker; routes may override the first four. */
export const routingSchema = z.strictObject({
  /** Extra attempts after the first, across a route's targets (429, 5xx, connect errors, timeouts). */
  retries: z.int().min(0).max(10).default(2),
  /** First backoff; doubles per retry, with full jitter, capped by maxBackoffMs. */
  backoffMs: z.int().min(0).max(60_000).default(250),
  maxBackoffMs: z.int().min(0).max(300_000).default(8_000),
  /** Time allowed for one attempt to produce its first byte (headers, or first content of a stream). */
  attemptTimeoutMs: z.int().min(100).max(3_600_000).default(120_000),
  /** Time allowed for all attempts together before the first byte reaches the client. */
  totalTimeoutMs: z.int().min(100).max(3_600_000).default(300_000),
  crossFamilyFallback: z.boolean().default(false),
  /** Consecutive failures that open a target's circuit, and how long it then cools down. */
  breakerFailures: z.int().min(1).max(100).default(3),
  breakerCooldownMs: z.int().min(100).max(3_600_000).default(30_000),
  /** How long a session stays pinned to its target after its last request. */
  affinityTtlMs: z.int().min(1000).max(86_400_000).default(3_600_000),
});

const toolPolicy = z.enum(['allow', 'ask', 'deny']);

export const mcpServerSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, { error: 'expected letters, digits, "-" or "_" (at most 32)' }),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    url: z.url({ protocol: /^https?$/ }).optional(),
    transport: z.enum(['streamable-http', 'sse']).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    tools: z.record(z.string(), toolPolicy).default({}),
    /**
     * `shared`: one connection serves every session (one process for a stdio server). `per-session`:
     * each client session gets its own, so the server's requests to the client (sampling,
     * elicitation, roots) reach that client, and its notifications only that session.
     */
    sessions: z.enum(['shared', 'per-session']).default('shared'),
    /** Sampling requests of a per-session server answered by the gateway on this route (the session key's call), not by the client. */
    sampling: z.strictObject({ route: z.string().min(1) }).optional(),
    /**
     * Argument rules: for calls of the matching tools, each named argument (a path, or a list of
     * paths) is normalised (`~`, `..`, symlinks resolved) and, when it falls outside every directory
     * of `outside`, the call gets `action` (deny > ask > allow with the tool's own policy).
     */
    rules: z
      .array(
        z.strictObject({
          tool: z.string().min(1),
          arguments: z.array(z.string().min(1)).min(1),
          outside: z.array(z.string().min(1)).min(1),
          action: z.enum(['ask', 'deny']),
        }),
      )
      .default([]),
    /** USD per call, by tool name or glob (the highest matching price applies): drawn from the same budgets as model calls. */
    prices: z.record(z.string(), z.number().min(0).max(1000)).default({}),
    /** Guardrails on this server's calls (a profile name, or changes inline) over the global ones. */
    guardrails: guardSelection,
    /** How long a tool call may run without a progress notification before it fails (default 120 s). */
    timeoutSeconds: z.number().min(1).max(3600).optional(),
  })
  .refine((s) => (s.command === undefined) !== (s.url === undefined), {
    error: 'expected exactly one of "command" (a stdio server) or "url" (a remote server)',
  });

export const ledgerSchema = z.strictObject({
  /** What the ledger keeps of request and response bodies: their SHA-256 and size by default. */
  bodies: z.enum(['none', 'hash']).default('hash'),
  /** MCP tool arguments in each call's record: `masked` (secrets and card numbers replaced, long strings cut) with their hash, or the `hash` only. */
  toolArguments: z.enum(['masked', 'hash']).default('masked'),
});

// Sections default with `prefault({})` (parse `{}` each time) rather than `default(parsed)`: zod copies
// a default only shallowly, so one parsed config's `allowedHosts` array would be shared with every
// later config that omits `server`, and a mutation of one would leak into the others.
/** Budget alerts: an event (and, optionally, a webhook call) when spend crosses each threshold. */
export const alertsSchema = z.strictObject({
  /** Percent of a budget; each fires once per budget period. */
  thresholds: z.array(z.number().gt(0).max(1000)).default([50, 80, 100]),
  /** POSTed the alert as JSON; header values may contain `${keychain:NAME}` or `${env:NAME}`. */
  webhook: z.strictObject({ url: z.url({ protocol: /^https?$/ }), headers: z.record(z.string(), z.string()).default({}) }).optional(),
});

/**
 * Observability: `GET /metrics` (Prometheus text; on by default, behind the admin token or `token`)
 * and OpenTelemetry traces over OTLP/HTTP (off unless `traces` is set). Neither ever carries prompt
 * or completion text, secrets or virtual keys.
 */
export const observabilitySchema = z.strictObject({
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** A scrape token accepted besides the admin token (`Authorization: Bearer ...`): `keychain:NAME` or `env:NAME`. */
      token: secretRef.optional(),
      /** Budget subjects exported as gauges, at most: global first, then teams, users and keys (bounds the series). */
      maxBudgetSubjects: z.int().min(0).max(1000).default(100),
    })
    .prefault({}),
  traces: z
    .strictObject({
      /** The collector's OTLP/HTTP traces URL, e.g. `http://127.0.0.1:4318/v1/traces`. */
      endpoint: z.url({ protocol: /^https?$/ }),
      /** Sent with each export; values may contain `${keychain:NAME}` or `${env:NAME}`. */
      headers: z.record(z.string(), z.string()).default({}),
      /** The share of calls traced (0..1). */
      sampleRatio: z.number().min(0).max(1).default(1),
    })
    .optional(),
});

/** `5/day`, `50/month`: a budget on all the gateway's traffic, on top of each key's, user's and team's. */
const globalBudget = z.string().transform((text, ctx) => {
  const spec = parseBudgetSpec(text);
  if (!spec) {
    ctx.addIssue({ code: 'custom', message: `expected AMOUNT/WINDOW in US dollars, e.g. 100/month (windows: ${BUDGET_WINDOWS.join(', ')})` });
    return z.NEVER;
  }
  return spec;
});

export const configSchema = z
  .strictObject({
    version: z.literal(1, { error: 'expected version: 1 (the only config version this Gatehouse reads)' }),
    server: serverSchema.prefault({}),
    providers: z.array(providerSchema).default([]),
    models: z.array(routeSchema).default([]),
    aliases: z.record(z.string(), z.string()).default({}),
    routing: routingSchema.prefault({}),
    /** Budgets on everything the gateway spends, whichever key spends it. */
    budgets: z.array(globalBudget).default([]),
    alerts: alertsSchema.prefault({}),
    guardrails: guardrailsSchema.prefault({}),
    mcpServers: z.array(mcpServerSchema).default([]),
    /** Named subsets of MCP tools (globs over `server__tool`) a key or a connection (`/mcp?toolset=NAME`) can be limited to. */
    toolsets: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { error: 'expected letters, digits, "-" or "_" (at most 64)' }), z.array(z.string().min(1)).min(1)).default({}),
    /** MCP tool calls that ask: how long one waits for a person before it is denied (under the MCP SDK's 60 s default request timeout). */
    approvals: z.strictObject({ timeoutSeconds: z.int().min(1).max(3600).default(50) }).prefault({}),
    ledger: ledgerSchema.prefault({}),
    observability: observabilitySchema.prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const providerIds = new Set<string>();
    cfg.providers.forEach((p, i) => {
      if (providerIds.has(p.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
      providerIds.add(p.id);
      if (p.type === 'openai-compatible' && !p.baseUrl && !p.preset)
        ctx.addIssue({ code: 'custom', path: ['providers', i, 'baseUrl'], message: 'an openai-compatible provider needs "baseUrl" or a "preset"' });
    });
    const routeNames = new Set<string>();
    cfg.models.forEach((r, i) => {
      if (routeNames.has(r.name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate route name "${r.name}"` });
      routeNames.add(r.name);
      r.targets.forEach((t, j) => {
        if (!providerIds.has(t.provider))
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'targets', j, 'provider'],
            message: `unknown provider "${t.provider}"; expected one of the ids under providers: ${[...providerIds].join(', ') || '(none defined)'}`,
          });
      });
    });
    for (const [pattern, route] of Object.entries(cfg.aliases)) {
      const slash = route.indexOf('/');
      const viaProvider = slash > 0 && providerIds.has(route.slice(0, slash));
      if (!routeNames.has(route) && !viaProvider)
        ctx.addIssue({ code: 'custom', path: ['aliases', pattern], message: `alias points to "${route}", which is neither a route under models nor provider/model` });
    }
    const mcpIds = new Set<string>();
    cfg.mcpServers.forEach((s, i) => {
      if (mcpIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['mcpServers', i, 'id'], message: `duplicate MCP server id "${s.id}"` });
      mcpIds.add(s.id);
    });
    checkGuardrails(cfg, routeNames, providerIds, ctx);
  });

/** Custom rules compile, and every profile, custom rule and classifier route named exists. */
function checkGuardrails(cfg: { guardrails: z.output<typeof guardrailsSchema>; models: { guardrails?: z.output<typeof guardSelection> }[]; mcpServers: { guardrails?: z.output<typeof guardSelection> }[] }, routes: Set<string>, providers: Set<string>, ctx: z.RefinementCtx): void {
  const g = cfg.guardrails;
  const ruleNames = new Set<string>();
  g.custom.forEach((rule, i) => {
    if (ruleNames.has(rule.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['guardrails', 'custom', i, 'name'], message: `duplicate custom rule name "${rule.name}"` });
    ruleNames.add(rule.name.toLowerCase());
    if (!rule.keywords?.length && !rule.patterns?.length) {
      ctx.addIssue({ code: 'custom', path: ['guardrails', 'custom', i], message: 'a custom rule needs "keywords" or "patterns" (or both)' });
      return;
    }
    try {
      compileCustomRules([{ ...rule, action: 'warn' }]);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['guardrails', 'custom', i], message: (err as Error).message });
    }
  });
  const profiles = Object.keys(g.profiles);
  const checkCustomNames = (changes: z.output<typeof guardProfileSchema>, path: (string | number)[]): void => {
    for (const name of Object.keys(changes.custom ?? {})) {
      if (!ruleNames.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [...path, 'custom', name], message: `no custom rule is named "${name}" (guardrails.custom)` });
    }
  };
  for (const [name, profile] of Object.entries(g.profiles)) checkCustomNames(profile, ['guardrails', 'profiles', name]);
  const checkSelection = (sel: z.output<typeof guardSelection>, path: (string | number)[]): void => {
    if (sel === undefined) return;
    if (typeof sel === 'string') {
      if (!g.profiles[sel]) ctx.addIssue({ code: 'custom', path, message: `no guardrail profile is named "${sel}"; expected one of guardrails.profiles: ${profiles.join(', ') || '(none defined)'}` });
    } else checkCustomNames(sel, path);
  };
  cfg.models.forEach((r, i) => checkSelection(r.guardrails, ['models', i, 'guardrails']));
  cfg.mcpServers.forEach((s, i) => checkSelection(s.guardrails, ['mcpServers', i, 'guardrails']));
  if (g.classifier) {
    const route = g.classifier.route;
    const slash = route.indexOf('/');
    if (!routes.has(route) && !(slash > 0 && providers.has(route.slice(0, slash))))
      ctx.addIssue({ code: 'custom', path: ['guardrails', 'classifier', 'route'], message: `"${route}" is neither a route under models nor provider/model` });
  }
}

export type GatehouseConfig = z.output<typeof configSchema>;
export type GuardrailsConfig = z.output<typeof guardrailsSchema>;
export type GuardProfile = z.output<typeof guardProfileSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type Pricing = z.output<typeof pricingSchema>;
export type RoutingConfig = z.output<typeof routingSchema>;
