// The LLM data path: one request in any inbound dialect, routed over its targets with retries and
// fallback, passed through to a provider that speaks its wire format or translated through the canonical model.
import type { IncomingMessage } from 'node:http';
import type { CanonicalRequest, Dialect, Family, ParsedUpstreamError, SseEvent, StreamDecoder, WireErrorInput } from '../llm/canonical.js';
import type { GatehouseConfig, Pricing } from '../config/schema.js';
import { GatewayError, errorKind, markRecorded } from '../errors.js';
import type { Logger } from '../log.js';
import { closeMatches, listModelNames, type ResolvedTarget } from '../llm/routing.js';
import type { RoutePlan, Router } from '../llm/router.js';
import { costUsd } from '../llm/pricing.js';
import type { Operation, ProviderRuntime, UpstreamResponse } from '../llm/providers/types.js';
import { readText } from '../llm/providers/transport.js';
import { fitRequest, type Restorer } from '../llm/translate.js';
import { jsonSource, type JsonSource } from '../llm/json-source.js';
import { ZERO_USAGE, type Usage } from '../llm/usage.js';
import { modelGranted, type PresentedKey } from '../policy/keys.js';
import type { KeyRow } from '../store/keys.js';
import type { Ledger, LedgerEventInput } from '../store/ledger.js';
import { isObject, readJson } from './io.js';
import { billedOutputEstimate, relayNonStream, relayStream, openStream, ReplyDigest, type RelayState } from './relay.js';
import type { Reply } from './reply.js';
import type { Budgets } from '../policy/budgets.js';
import { checkOwners, type Owners } from '../policy/owners.js';
import { admitLimits, budgetSubjects, missingGrant, reserveBudget } from './admission.js';
import { askedTexts, guardLlmInput, outputGuard, placeholderRestorer, recordOutputFindings, type OutputGuardReport } from './guarded.js';
import type { Guardrails } from '../policy/guardrails/pipeline.js';
import type { GuardedBody } from '../policy/guardrails/mask.js';
import type { Approvals } from '../mcp/approvals.js';
import type { Vault } from '../policy/guardrails/vault.js';
import type { RateLimiter } from '../policy/limits.js';

export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

export interface LlmContext {
  config(): GatehouseConfig;
  provider(id: string): ProviderRuntime | undefined;
  router: Router;
  ledger: Ledger;
  log: Logger;
  /** Removes known secret values from text that came from upstream. */
  scrub(text: string): string;
  /** The budgets every key's calls draw on. */
  budgets: Budgets;
  /** Requests and tokens per minute and requests in flight, per key, user and team. */
  limits: RateLimiter;
  /** The key's user and team (read at each call, so a change applies at once). */
  owners(key: KeyRow): Owners;
  /** The configured guardrails, run on every request body. */
  guardrails: Guardrails;
  /** Approvals by a person, for prompts with an `ask` guardrail finding (none: such prompts are refused). */
  approvals?: Pick<Approvals, 'request' | 'remembered'>;
  approvalTimeoutMs?(): number;
  /** Each session's placeholders for masked values. */
  vaults: { get(session: string): Vault };
  /** Upstream model ids per provider as provider/model, for GET /v1/models (cached by the caller). */
  upstreamModels(): Promise<string[]>;
  onCompleted(event: LlmRequestEvent): void;
}

/**
 * `budget_cut`: the provider went on past the output allowance the budget reserved (it ignored the
 * limit written into the request), so the gateway ended the stream there. `guardrail_blocked`: an
 * enforced output guardrail found a `block` rule in the answer, which was ended before it.
 */
export type Outcome = 'ok' | 'upstream_error' | 'upstream_cut' | 'client_aborted' | 'budget_cut' | 'guardrail_blocked';

export interface AttemptRecord {
  provider: string;
  model: string;
  /** HTTP status from the upstream, or 0 when none came. */
  status: number;
  error?: string;
}

export interface LlmRequestEvent extends LedgerEventInput {
  type: 'llm.request';
  requestId: string;
  keyId: string;
  /** The inbound API: openai-chat, anthropic-messages, ... */
  api: string;
  session: string | null;
  /** The calling program as it names itself (its user-agent), e.g. `claude-cli/2.0.1 (external, cli)`. */
  client: string | null;
  /** How the call arrived: an HTTP request, or a turn on the Responses API's WebSocket mode. */
  transport: 'http' | 'websocket';
  route: string;
  provider: string;
  model: string;
  requestedModel: string;
  /** True when the request crossed API families (translated through the canonical model). */
  translated: boolean;
  /**
   * Whose provider credential paid: `gateway` (the configured key) or `caller` (a subscription
   * user's own sign-in, passed through with the virtual key in x-gatehouse-key). `costUsd` is the
   * list-price equivalent either way.
   */
  credential: 'gateway' | 'caller';
  stream: boolean;
  status: number;
  outcome: Outcome;
  usage: Usage;
  /** True when the provider reported no usage and the counts are the gateway's estimate. */
  usageEstimated: boolean;
  /** USD; null when the target has no known price. */
  costUsd: number | null;
  pricing: 'config' | 'catalog' | null;
  latencyMs: number;
  ttftMs: number | null;
  /** Every upstream attempt before the one that answered (retries and fallbacks). */
  attempts: AttemptRecord[];
  /** Sizes, and SHA-256 of the bytes unless the config says `ledger.bodies: none`. */
  request: { bytes: number; sha256?: string };
  response: { bytes: number; sha256?: string };
}

export interface CallContext {
  /** The HTTP request (for a WebSocket turn, the upgrade request): headers, address. */
  req: IncomingMessage;
  reply: Reply;
  /** The body when it did not come in `req` (a WebSocket message). */
  body?: { json: unknown; bytes: number; sha256: string };
  /** Default `http`. */
  transport?: 'http' | 'websocket';
  key: KeyRow;
  presented: PresentedKey;
  requestId: string;
  startedAt: number;
}

/** What the data path needs to know about an inbound API beyond its wire codec. */
export interface InboundApi {
  name: string;
  dialect: Dialect;
  /** Reads the routing facts from a parsed body; throws GatewayError('BAD_REQUEST') when they are missing. */
  describe(body: Record<string, unknown>, req: IncomingMessage): { model: string; stream: boolean; includeUsage: boolean; session: string | undefined };
  /** Client headers forwarded to a provider of the same family. */
  forwardHeaders?: readonly string[];
  /** Re-frames one upstream event of a same-family stream (e.g. drops usage the client did not ask for). */
  passFrame?(ev: SseEvent, includeUsage: boolean): string;
  /**
   * Set for calls that are only ever passed through to providers of the API's own family (OpenAI
   * embeddings and legacy completions): the upstream operation, how the body is addressed, how
   * usage is read from a reply, and how a stream is read.
   */
  passthroughOnly?: {
    operation: Operation;
    what: string;
    address(body: Record<string, unknown>, model: string, stream: boolean): Record<string, unknown>;
    usage(body: Record<string, unknown>): Usage | null;
    streamDecoder?(): StreamDecoder;
  };
  /**
   * Set for an API some providers take as it is besides their own dialect (OpenAI's Responses API
   * on OpenAI itself): the upstream operation, and whether a provider serves it. A request is then
   * passed through to those providers, and translated for the others.
   */
  /**
   * Where the request sets its output limit (max_tokens and its kin). A budget reads it to reserve
   * the worst case, and writes it when it clamps the answer to what the budget has left. Absent for
   * calls with no output to limit (embeddings).
   */
  outputLimit?: {
    read(body: Record<string, unknown>): number | undefined;
    write(body: Record<string, unknown>, tokens: number): void;
  };
  servedUpstream?: {
    operation: Operation;
    by(provider: ProviderRuntime): boolean;
  };
}

/** Statuses worth another attempt: rate limits, timeouts and server-side failures. */
const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);

function ms(since: number): number {
  return Math.round((performance.now() - since) * 1000) / 1000;
}

/** `retry-after` in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(headers: UpstreamResponse['headers'], now = Date.now()): number | undefined {
  const raw = headers['retry-after-ms'] ?? headers['retry-after'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  if (headers['retry-after-ms'] !== undefined) return Number.isFinite(Number(v)) ? Number(v) : undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Agent session ids clients send on their own, most specific first. */
const SESSION_HEADERS = ['x-gatehouse-session', 'x-claude-code-session-id', 'session-id', 'session_id', 'x-session-id'] as const;

/** The user-agent, bounded: it is recorded with every request and grouped by in reports. */
export function clientOf(req: IncomingMessage): string | null {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && ua.trim() !== '' ? ua.trim().slice(0, 200) : null;
}

export function sessionFromHeaders(req: IncomingMessage): string | undefined {
  for (const h of SESSION_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string' && v.length > 0 && v.length <= 256) return v;
  }
  return undefined;
}

function unknownModel(config: GatehouseConfig, key: KeyRow, requested: string): GatewayError {
  const close = closeMatches(config, requested).filter((n) => modelGranted(key, [n]));
  const names = listModelNames(config).filter((n) => modelGranted(key, [n]));
  const hint = close.length
    ? `Did you mean: ${close.join(', ')}?`
    : names.length
      ? `Available: ${names.slice(0, 20).join(', ')}.`
      : 'No routes are configured: add a provider and a route under models in the config.';
  return new GatewayError('MODEL_NOT_FOUND', `the model "${requested}" is not a route, alias or provider/model in the config. ${hint}`, { param: 'model' });
}

/** Resolves, checks the grant, and returns the plan for this request. */
/**
 * A prompt with an `ask` finding waits for a person (the same approvals as MCP tool calls, server
 * `llm`, tool the route): refused when denied, unanswered or when no one can be asked.
 */
async function askPerson(ctx: LlmContext, call: CallContext, route: string, model: string, body: Record<string, unknown>, g: GuardedBody, session: string): Promise<void> {
  const asking = g.findings.filter((f) => f.action === 'ask');
  const rules = [...new Set(asking.map((f) => f.rule))].join(', ');
  const refuse = (why: string): GatewayError => new GatewayError('GUARDRAIL_BLOCKED', `the request matched the guardrail rule ${rules}, which asks a person first, and ${why}; nothing was sent`);
  if (!ctx.approvals) throw refuse('this gateway has no one to ask');
  const remembered = ctx.approvals.remembered('llm', route, call.key.id, session, undefined);
  if (remembered) return;
  const owners = ctx.owners(call.key);
  const answer = await ctx.approvals.request(
    {
      server: 'llm',
      tool: route,
      name: model,
      arguments: askedTexts(body, g),
      reason: `guardrails: ${rules} in the prompt`,
      keyId: call.key.id,
      keyName: call.key.name,
      findings: asking.map((f) => ({ type: f.type, rule: f.rule, action: f.action })),
      user: owners.user?.name ?? null,
      team: owners.team?.name ?? null,
      session,
    },
    { signal: call.reply.gone, timeoutMs: ctx.approvalTimeoutMs?.() },
  );
  if (!answer.approved) throw refuse(answer.outcome === 'timeout' ? 'no one answered in time' : answer.outcome === 'withdrawn' ? 'the client left' : `${answer.by} denied it`);
}

/** The guardrails of one call: the global settings as its route's and its key's profiles change them. */
export function callGuard(ctx: LlmContext, key: KeyRow, route: string): Guardrails {
  const scope = ctx.config().models.find((r) => r.name === route)?.guardrails;
  return ctx.guardrails.for({ scope, profile: key.guardrails });
}

export function planFor(ctx: LlmContext, key: KeyRow, requested: string, session: string | undefined, owners: Owners = ctx.owners(key)): RoutePlan {
  checkOwners(key, owners);
  const config = ctx.config();
  const familyOf = (id: string): Family | undefined => ctx.provider(id)?.family;
  let plan = ctx.router.plan(config, requested, session ?? `key:${key.id}`, familyOf);
  // A name the config does not know (a dated id, an agent's side-task model) goes to the key's
  // default route when it has one; the ledger keeps the name that was asked for.
  if (!plan && key.defaultRoute) plan = ctx.router.plan(config, key.defaultRoute, session ?? `key:${key.id}`, familyOf);
  if (!plan) throw unknownModel(config, key, requested);
  const namesOf = (t: ResolvedTarget): string[] => [requested, t.route, `${t.provider}/${t.model}`];
  let targets = plan.targets.filter((t) => missingGrant(key, owners, namesOf(t)) === undefined);
  if (targets.length === 0) {
    const missing = missingGrant(key, owners, namesOf(plan.targets[0]!))!;
    throw new GatewayError('MODEL_NOT_GRANTED', `${missing.label} is not granted the model "${requested}" (its grants: ${missing.grants.join(', ')})`, { param: 'model' });
  }
  const subjects = budgetSubjects(key, owners, config.budgets);
  if (subjects.length > 0) {
    // A budget cannot be kept on a call whose price is unknown.
    const priced = targets.filter((t) => t.pricing !== undefined);
    if (priced.length === 0) {
      const names = targets.map((t) => `${t.provider}/${t.model}`).join(', ');
      throw new GatewayError(
        'MODEL_UNPRICED',
        `${subjects[0]!.label} has a budget, and no price is known for ${names}: add pricing (inputPerMTok, outputPerMTok) to the route's target in the config`,
        { param: 'model' },
      );
    }
    targets = priced;
  }
  return { ...plan, targets };
}

/** The error an upstream gave, read from its body in the shape of the dialect it answers in; secrets scrubbed. */
async function readUpstreamError(ctx: LlmContext, dialect: Dialect, up: UpstreamResponse): Promise<{ raw: string; json: boolean; parsed: ParsedUpstreamError }> {
  const raw = ctx.scrub(await readText(up.body, 1 << 20));
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = dialect.parseError(up.status, json) ?? { kind: errorKind(up.status), message: raw.slice(0, 500) || `HTTP ${up.status}` };
  return { raw, json: json !== undefined, parsed };
}

/**
 * The status a client sees for an upstream error: the provider's own for client errors, rate
 * limits and overload (503, 504, 529 say "come back later"), 502 for the other server failures.
 */
function gatewayStatus(status: number): number {
  return status >= 500 && status !== 503 && status !== 504 && status !== 529 ? 502 : status;
}

/** The error a client of `dialect` receives for an upstream failure, with the provider named. */
/**
 * The provider refused the gateway's own credential. Classified by the parsed error, not only the
 * status: Gemini answers a bad key with 400 INVALID_ARGUMENT / API_KEY_INVALID.
 */
function isAuthFailure(status: number, parsed: ParsedUpstreamError): boolean {
  return status === 401 || status === 403 || parsed.kind === 'authentication';
}

function clientError(provider: ProviderRuntime, status: number, parsed: ParsedUpstreamError): WireErrorInput {
  if (isAuthFailure(status, parsed)) {
    // The client's virtual key was fine; it is the gateway's credential for the provider that failed.
    return {
      status: 502,
      kind: 'upstream',
      code: 'upstream_auth',
      message: `provider "${provider.id}" refused the gateway's credentials (HTTP ${status}): ${parsed.message}. Check the provider's apiKey secret.`,
    };
  }
  return { status: gatewayStatus(status), kind: parsed.kind, code: parsed.code ?? 'upstream_error', param: parsed.param, message: `provider "${provider.id}": ${parsed.message}` };
}

/** Passed-through replies are not translated, so there is nothing to restore. */
const PASS_THROUGH: Restorer = { response: (r) => r, event: (e) => [e] };

interface Prepared {
  body: Record<string, unknown>;
  /** The client's bytes, when `body` is the client's own request (passed through): sent by editing them. */
  source?: JsonSource;
  /** The upstream call that takes the body. */
  operation: Operation;
  /**
   * The dialect the upstream answers in: the client's own when the request is passed through,
   * else the provider's. The reply is passed through exactly when it is the client's.
   */
  upstream: Dialect;
  translated: boolean;
  restore: Restorer;
  /** The reply is decoded and encoded again (even in the client's own dialect) so masked values can be put back. */
  reencode: boolean;
}

/**
 * The upstream call: the client's own JSON when the provider speaks the client's wire format
 * (unknown fields survive), else a translation. Same family is not enough: a Responses API
 * client is passed through only to a provider that serves the Responses API (OpenAI), and
 * translated to Chat Completions for the other OpenAI-format providers.
 */
function prepareBody(
  api: InboundApi,
  json: Record<string, unknown>,
  source: JsonSource | undefined,
  canonical: () => CanonicalRequest,
  provider: ProviderRuntime,
  model: string,
  stream: boolean,
  vault: Vault,
  output?: { guard: Guardrails; report: OutputGuardReport },
): Prepared {
  // Masked values the session may see again are put back in the reply, and enforced output
  // guardrails act on it: either needs the reply decoded.
  const reencode = (vault.restorable || output !== undefined) && !api.passthroughOnly;
  const restoring = (inner: Restorer): Restorer => {
    const restored = vault.restorable ? placeholderRestorer(vault, inner) : inner;
    return output ? outputGuard(output.guard, vault, restored, output.report) : restored;
  };
  const passed = { translated: false, restore: restoring(PASS_THROUGH), upstream: api.dialect, reencode, source };
  if (api.passthroughOnly) return { ...passed, body: api.passthroughOnly.address(json, model, stream), operation: api.passthroughOnly.operation };
  if (provider.dialect === api.dialect) return { ...passed, body: provider.prepare(json, model, stream), operation: 'generate' };
  if (api.servedUpstream?.by(provider)) {
    // Only the model changes: store, include, previous_response_id and reasoning items go as sent.
    return { ...passed, body: { ...json, model, ...(stream ? { stream: true } : {}) }, operation: api.servedUpstream.operation };
  }
  const fitted = fitRequest(canonical(), provider.family);
  const body = provider.dialect.requestFromCanonical({ ...fitted.request, stream }, model);
  return { body: provider.prepare(body, model, stream), operation: 'generate', upstream: provider.dialect, translated: true, restore: restoring(fitted.restore()), reencode };
}

function callerCredentials(call: CallContext, family: Family, providerFamily: Family): Record<string, string> | undefined {
  // A subscription credential belongs to the client's own provider family; it is never sent elsewhere.
  if (!call.presented.callerCredentialsPassThrough || family !== providerFamily) return undefined;
  const out: Record<string, string> = {};
  // ChatGPT-Account-ID goes with a ChatGPT sign-in's token (Codex signed in with a subscription).
  for (const h of ['authorization', 'x-api-key', 'x-goog-api-key', 'chatgpt-account-id'] as const) {
    const v = call.req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function forwardedHeaders(api: InboundApi, req: IncomingMessage): Record<string, string> | undefined {
  if (!api.forwardHeaders) return undefined;
  const out: Record<string, string> = {};
  for (const h of api.forwardHeaders) {
    const v = req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

const sleep = (delay: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (delay <= 0 || signal.aborted) return resolve();
    const t = setTimeout(done, delay);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Bodies from this size on are sent by editing the client's bytes (measured: below it, JSON.stringify is as cheap). */
const SOURCE_MIN_BYTES = 16 * 1024;

/** The call's body: parsed, sized and hashed; a body read here keeps its bytes as the source of a passthrough. */
async function requestBody(call: CallContext): Promise<{ json: unknown; bytes: number; sha256: string; source: JsonSource | undefined }> {
  if (call.body) return { ...call.body, source: undefined };
  const { json, bytes, sha256, raw } = await readJson(call.req, MAX_REQUEST_BYTES);
  // Taken before anything (a budget's output limit, a guardrail) changes the parsed body. A small
  // body costs less to serialise again than to read through for editing.
  return { json, bytes, sha256, source: bytes >= SOURCE_MIN_BYTES ? jsonSource(raw, json) : undefined };
}

/** A model call (Chat Completions, Messages, ...): the one place retries, fallback and relaying meet. */
export async function generate(ctx: LlmContext, call: CallContext, api: InboundApi): Promise<void> {
  const { req, reply, key, requestId } = call;
  const body = await requestBody(call);
  const { json, bytes, sha256 } = body;
  // Only the source holds the request's bytes, and it is let go once an attempt is answered: a
  // 32 MiB body is not held twice for the whole life of a long stream.
  let source = body.source;
  if (!isObject(json)) throw new GatewayError('BAD_REQUEST', 'the request body must be a JSON object');
  const facts = api.describe(json, req);
  // An explicit session header wins over ids read from the body.
  const session = sessionFromHeaders(req) ?? facts.session;
  const owners = ctx.owners(key);
  let plan = planFor(ctx, key, facts.model, session, owners);
  if (api.passthroughOnly) {
    // These calls have no translation: only targets of the API's own family can take them.
    const family = api.dialect.family;
    const targets = plan.targets.filter((t) => ctx.provider(t.provider)?.family === family);
    if (targets.length === 0) {
      throw new GatewayError('BAD_REQUEST', `${api.passthroughOnly.what} go to OpenAI-format providers only, and route "${plan.route}" has none: route this model to an openai, openai-compatible or azure-openai provider`, {
        param: 'model',
      });
    }
    plan = { ...plan, targets };
  }
  const sessionKey = session ?? `key:${key.id}`;
  // Guarded before anything is taken or sent: secrets masked, findings recorded, a blocking rule refused.
  const vault = ctx.vaults.get(sessionKey);
  const guard = callGuard(ctx, key, plan.route);
  const guarded = guardLlmInput({ ...ctx, guardrails: guard }, json, vault, { requestId, keyId: key.id });
  // Masked text changed the body below its top level: the client's bytes no longer say what is sent.
  if (guarded.masked > 0) source = undefined;
  if (guarded.findings.some((f) => f.action === 'ask')) await askPerson(ctx, call, plan.route, facts.model, json, guarded, sessionKey);
  const enforceOutput = guard.settings.output === 'enforce' && !api.passthroughOnly;

  let canonical: CanonicalRequest | undefined;
  const toCanonical = (): CanonicalRequest => (canonical ??= api.dialect.requestToCanonical(json));

  const clientGone = reply.gone;

  const first = plan.targets[0]!;
  const event: LlmRequestEvent = {
    type: 'llm.request',
    requestId,
    keyId: key.id,
    api: api.name,
    session: session ?? null,
    client: clientOf(req),
    transport: call.transport ?? 'http',
    route: plan.route,
    provider: first.provider,
    model: first.model,
    requestedModel: facts.model,
    translated: false,
    credential: 'gateway',
    stream: facts.stream,
    status: 0,
    outcome: 'ok',
    usage: { ...ZERO_USAGE },
    usageEstimated: false,
    costUsd: null,
    pricing: null,
    latencyMs: 0,
    ttftMs: null,
    attempts: [],
    request: ctx.config().ledger.bodies === 'none' ? { bytes } : { bytes, sha256 },
    response: { bytes: 0 },
  };
  // Taken last, once the request is known to be well formed and routable: nothing below may leave them held.
  const limit = admitLimits(ctx.limits, key, owners, bytes);
  let budget;
  try {
    budget = reserveBudget(ctx.budgets, call, owners, api, json, bytes, plan, ctx.config().budgets);
  } catch (err) {
    limit?.release();
    throw err;
  }
  const outputReport: OutputGuardReport = { findings: [], masked: 0 };
  const state: RelayState = { event, hash: new ReplyDigest(), outputChars: 0, outputDeltas: 0, startedAt: call.startedAt, settled: false, budget, limit, guard, ...(enforceOutput ? { outputGuard: outputReport } : {}) };

  try {
    // The reservation's note is committed (with those of concurrent requests) before anything goes upstream.
    if (budget) await budget.held;
    const deadline = performance.now() + plan.totalTimeoutMs;
    const totalAttempts = 1 + plan.retries;
    let lastFailure: { error: GatewayError } | { wire: WireErrorInput; passthrough?: { status: number; raw: string }; retryAfter?: string } | undefined;

    // Attempts go round the plan's targets. A target is left out for the rest of the request when
    // its provider is unavailable, or when it asks to be left alone for longer than a backoff.
    const excluded = new Set<string>();
    let cursor = 0;
    const nextTarget = (): ResolvedTarget | undefined => {
      for (let i = 0; i < plan.targets.length; i++) {
        const t = plan.targets[(cursor + i) % plan.targets.length]!;
        if (!excluded.has(t.targetId)) {
          cursor = (cursor + i + 1) % plan.targets.length;
          return t;
        }
      }
      return undefined;
    };

    let target = nextTarget();
    for (let attempt = 0; target && attempt < totalAttempts; attempt++) {
      if (clientGone.aborted) break;
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        lastFailure = { error: new GatewayError('UPSTREAM_TIMEOUT', `no target of route "${plan.route}" answered within ${plan.totalTimeoutMs} ms`) };
        break;
      }
      const provider = ctx.provider(target.provider);
      const record: AttemptRecord = { provider: target.provider, model: target.model, status: 0 };
      if (!provider || provider.unavailable) {
        record.error = provider?.unavailable ?? `provider "${target.provider}" is not configured`;
        event.attempts.push(record);
        lastFailure = { error: new GatewayError('PROVIDER_UNAVAILABLE', record.error) };
        excluded.add(target.targetId);
        target = nextTarget();
        continue;
      }

      // One timer bounds this attempt until its first byte; once the reply is committed to the client it is cleared.
      const attemptAbort = new AbortController();
      const onClientGone = (): void => attemptAbort.abort(clientGone.reason);
      clientGone.addEventListener('abort', onClientGone, { once: true });
      const attemptMs = Math.min(plan.attemptTimeoutMs, remaining);
      const timer = setTimeout(
        () => attemptAbort.abort(new GatewayError('UPSTREAM_TIMEOUT', `provider "${provider.id}" gave no first byte within ${Math.round(attemptMs)} ms`)),
        attemptMs,
      );
      const settleAttempt = (): void => {
        clearTimeout(timer);
      };
      const attemptStarted = performance.now();
      let retryAfter: number | undefined;
      try {
        let prepared: Prepared;
        try {
          prepared = prepareBody(api, json, source, toCanonical, provider, target.model, facts.stream, vault, enforceOutput ? { guard, report: outputReport } : undefined);
        } catch (err) {
          // A request this target's family cannot express is the client's problem, not the target's.
          settleAttempt();
          throw err;
        }
        const ownCredentials = callerCredentials(call, api.dialect.family, provider.family);
        const up = await provider.send({
          operation: prepared.operation,
          body: prepared.body,
          source: prepared.source,
          model: target.model,
          stream: facts.stream,
          signal: attemptAbort.signal,
          requestId,
          callerCredentials: ownCredentials,
          forwardHeaders: provider.family === api.dialect.family ? forwardedHeaders(api, req) : undefined,
        });
        record.status = up.status;
        if (up.status >= 400) {
          const { raw: errRaw, json: errIsJson, parsed } = await readUpstreamError(ctx, prepared.upstream, up);
          record.error = parsed.message.slice(0, 300);
          event.attempts.push(record);
          retryAfter = retryAfterMs(up.headers);
          const ra = up.headers['retry-after'];
          lastFailure = {
            wire: clientError(provider, up.status, parsed),
            // Passed through as the provider wrote it only when it is whole JSON (not an HTML page, not cut at 1 MiB).
            passthrough: prepared.upstream === api.dialect && errIsJson && !isAuthFailure(up.status, parsed) ? { status: gatewayStatus(up.status), raw: errRaw } : undefined,
            retryAfter: typeof ra === 'string' ? ra : undefined,
          };
          settleAttempt();
          if (!RETRYABLE.has(up.status)) break;
          ctx.router.failed(target.targetId, retryAfter);
        } else {
          source = undefined;
          event.provider = provider.id;
          event.model = target.model;
          event.route = target.route;
          event.translated = prepared.translated;
          event.credential = ownCredentials ? 'caller' : 'gateway';
          event.status = up.status;
          const pricing = target.pricing ? { pricing: target.pricing, source: target.pricingSource ?? 'config' } : null;
          const relay = {
            ctx,
            call,
            api,
            provider,
            upstream: prepared.upstream,
            state,
            includeUsage: facts.includeUsage,
            restore: prepared.restore,
            reencode: prepared.reencode,
            signal: attemptAbort.signal,
            stopUpstream: () => attemptAbort.abort(new GatewayError('BUDGET_EXCEEDED', 'the stream reached the output allowance of its budget')),
          };
          // From the moment the record is written (state.settled) the reply belongs to this attempt: no fallback after it.
          const commit = (): Promise<void> => settle(ctx, state, pricing);
          if (!facts.stream) {
            settleAttempt();
            ctx.router.succeeded(target.targetId, ms(attemptStarted), sessionKey);
            await relayNonStream(relay, up, commit);
            return;
          }
          const opened = await openStream(relay, up);
          if (opened.kind === 'content') {
            settleAttempt();
            ctx.router.succeeded(target.targetId, ms(attemptStarted), sessionKey);
            await relayStream(relay, opened, commit);
            return;
          }
          record.status = opened.status;
          record.error = opened.message;
          event.attempts.push(record);
          lastFailure = { wire: { status: opened.status, kind: opened.errorKind, message: `provider "${provider.id}": ${opened.message}` } };
          settleAttempt();
          ctx.router.failed(target.targetId);
        }
      } catch (err) {
        settleAttempt();
        clientGone.removeEventListener('abort', onClientGone);
        if (state.settled) throw err;
        if (clientGone.aborted) break;
        const gErr = err instanceof GatewayError ? err : new GatewayError('UPSTREAM_ERROR', `provider "${provider.id}" failed: ${ctx.scrub((err as Error).message)}`, { cause: err });
        if (gErr.code === 'BAD_REQUEST') throw gErr;
        record.error = gErr.message.slice(0, 300);
        event.attempts.push(record);
        lastFailure = { error: attemptAbort.signal.aborted && attemptAbort.signal.reason instanceof GatewayError ? attemptAbort.signal.reason : gErr };
        ctx.router.failed(target.targetId);
      } finally {
        clientGone.removeEventListener('abort', onClientGone);
      }
      if (retryAfter !== undefined && retryAfter > plan.maxBackoffMs) excluded.add(target.targetId);
      const previous = target;
      target = nextTarget();
      // Another target is tried at once; the same one again only after a backoff.
      if (target && target.targetId === previous.targetId && attempt + 1 < totalAttempts) {
        const wait = Math.min(ctx.router.backoff(plan, attempt + 1, retryAfter), Math.max(0, deadline - performance.now()));
        await sleep(wait, clientGone);
      }
    }

    // Every attempt failed (or the client left): the ledger shows the request with its outcome.
    event.outcome = clientGone.aborted ? 'client_aborted' : 'upstream_error';
    const failure = lastFailure ?? { error: new GatewayError('UPSTREAM_ERROR', `no target of route "${plan.route}" could be tried`) };
    event.status = 'error' in failure ? failure.error.status : (failure.passthrough?.status ?? failure.wire.status);
    await settle(ctx, state, null).catch((e: Error) => ctx.log.error({ requestId, err: e.message }, 'could not record a failed request'));
    if (clientGone.aborted) return;
    if ('error' in failure) throw markRecorded(failure.error);
    const headers: Record<string, string> = { 'x-request-id': requestId };
    // An upstream rate limit says when to come back; the client's SDK honours it.
    if (failure.retryAfter) headers['retry-after'] = failure.retryAfter;
    const text = failure.passthrough ? failure.passthrough.raw : JSON.stringify(api.dialect.errorBody(failure.wire));
    reply.send(failure.passthrough?.status ?? failure.wire.status, headers, text);
  } finally {
    // A request that ended without a record (refused by a target's family, say) spent nothing.
    if (!state.settled) {
      state.budget?.release();
      state.budget?.recorded();
      state.limit?.release();
    }
  }
}

/** Estimates, prices and records the request; the reply's last byte waits for this. */
async function settle(ctx: LlmContext, state: RelayState, pricing: { pricing: Pricing; source: 'config' | 'catalog' } | null): Promise<void> {
  const { event } = state;
  // A request is recorded once, whichever path ends it.
  if (state.settled) return;
  state.settled = true;
  const u = event.usage;
  if (event.status < 400) {
    // Where the provider's own counts are missing or stopped short (a cut stream, a client that
    // left before the final usage, a server that reports none), an upper-bound estimate from
    // sizes stands in, marked as such, so budgets and reports never see less than was used.
    const outputEstimate = billedOutputEstimate(state);
    const finalCounts = event.outcome === 'ok' && u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens + u.outputTokens > 0;
    if (!finalCounts) {
      const next = { ...u };
      if (u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens === 0) next.inputTokens = Math.ceil(event.request.bytes / 4);
      if (outputEstimate > u.outputTokens) next.outputTokens = outputEstimate;
      if (next.inputTokens !== u.inputTokens || next.outputTokens !== u.outputTokens) {
        event.usage = next;
        event.usageEstimated = true;
      }
    }
  }
  if (pricing) {
    event.costUsd = costUsd(event.usage, pricing.pricing);
    event.pricing = pricing.source;
  }
  event.latencyMs = ms(state.startedAt);
  event.response = ctx.config().ledger.bodies === 'none' ? { bytes: event.response.bytes } : { bytes: event.response.bytes, sha256: state.hash.digest() };
  // A caller's own subscription paid: its list-price cost is recorded, but it is not the budgets' money
  // (the ledger sums a restart reads leave it out too), so the reservation is only released.
  state.budget?.settle(event.credential === 'caller' ? 0 : (event.costUsd ?? 0));
  const t = event.usage;
  state.limit?.settle(t.inputTokens + t.cacheReadTokens + t.cacheWriteTokens + t.outputTokens);
  try {
    // The reservation's note goes in the record's own transaction: a restart finds the cost or the note, never both or neither.
    const budget = state.budget;
    await ctx.ledger.append(event, budget ? { with: () => budget.recorded() } : undefined);
  } catch (err) {
    throw new GatewayError(
      'LEDGER_UNAVAILABLE',
      'the gateway could not record this request in its ledger, so the reply was withheld; check the free space and permissions of the data directory',
      { cause: err },
    );
  }
  ctx.onCompleted(event);
  const acted = state.outputGuard;
  if (acted) {
    // Enforced: the answer was acted on as it went; what was found is recorded with what was done.
    if (acted.findings.length > 0) {
      ctx.ledger
        .append({ type: 'guardrail.findings', requestId: event.requestId, keyId: event.keyId, location: 'llm.output', masked: acted.masked, ...(acted.blocked ? { blocked: acted.blocked } : {}), findings: acted.findings })
        .catch((e: Error) => ctx.log.error({ err: e.message }, 'could not record guardrail findings'));
    }
    return;
  }
  // Otherwise the answer is looked at after it was sent, off the request path: findings are recorded, not acted on.
  const answer = state.outputText;
  const guard = state.guard ?? ctx.guardrails;
  if (answer) setImmediate(() => recordOutputFindings({ ...ctx, guardrails: guard }, event, answer));
}
