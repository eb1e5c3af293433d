// Model listings (OpenAI's, Anthropic's and Gemini's shapes) and token counting on a route's target.
import { listModelNames } from '../llm/routing.js';
import { anthropicMessages } from '../llm/dialects/anthropic-messages/index.js';
import { geminiGenerate } from '../llm/dialects/gemini/index.js';
import { fitRequest } from '../llm/translate.js';
import type { CanonicalRequest, Family } from '../llm/canonical.js';
import { GatewayError } from '../errors.js';
import { missingGrant } from './admission.js';
import { guardBody } from '../policy/guardrails/mask.js';
import { readText } from '../llm/providers/transport.js';
import { isObject, readJson } from './io.js';
import { anthropicMessagesApi } from './apis.js';
import { callGuard, MAX_REQUEST_BYTES, planFor, sessionFromHeaders, type CallContext, type LlmContext } from './llm.js';

const listedSince = new Date();

/** The model names a key may ask for: routes, provider/model of their targets, and what providers list. */
async function grantedModelIds(ctx: LlmContext, call: CallContext): Promise<string[]> {
  const names = new Set(listModelNames(ctx.config()));
  for (const id of await ctx.upstreamModels()) names.add(id);
  const owners = ctx.owners(call.key);
  const ids = [...names].filter((n) => missingGrant(call.key, owners, [n]) === undefined);
  await ctx.ledger.append({ type: 'llm.models', requestId: call.requestId, keyId: call.key.id, count: ids.length });
  return ids;
}

export async function listModels(ctx: LlmContext, call: CallContext): Promise<void> {
  const ids = await grantedModelIds(ctx, call);
  const owner = (id: string): string => (id.includes('/') ? id.slice(0, id.indexOf('/')) : 'gatehouse');
  if (typeof call.req.headers['anthropic-version'] === 'string') {
    // https://docs.anthropic.com/en/api/models-list
    const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: listedSince.toISOString() }));
    call.reply.send(200, { 'x-request-id': call.requestId }, JSON.stringify({ data, has_more: false, first_id: ids[0] ?? null, last_id: ids.at(-1) ?? null }));
    return;
  }
  const created = Math.floor(listedSince.getTime() / 1000);
  call.reply.send(200, { 'x-request-id': call.requestId }, JSON.stringify({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created, owned_by: owner(id) })) }));
}

/** A model in the Gemini API's shape (https://ai.google.dev/api/models#Model). */
function geminiModel(id: string): Record<string, unknown> {
  return { name: `models/${id}`, baseModelId: id, version: '1', displayName: id, description: `Gatehouse route ${id}`, supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'] };
}

/** GET /v1beta/models, and GET /v1beta/models/{model} for one. */
export async function listGeminiModels(ctx: LlmContext, call: CallContext, one?: string): Promise<void> {
  const ids = await grantedModelIds(ctx, call);
  if (one !== undefined) {
    if (!ids.includes(one)) throw new GatewayError('MODEL_NOT_FOUND', `the model "${one}" is not a route, alias or provider/model this key may use`, { param: 'model' });
    call.reply.send(200, { 'x-request-id': call.requestId }, JSON.stringify(geminiModel(one)));
    return;
  }
  call.reply.send(200, { 'x-request-id': call.requestId }, JSON.stringify({ models: ids.map(geminiModel) }));
}

/** Characters per token for the local estimate: deliberately low, so the estimate errs high. */
const CHARS_PER_TOKEN = 3.5;

/** A local upper-bound estimate for providers without a counting endpoint. */
export function estimateInputTokens(req: CanonicalRequest): number {
  let chars = 0;
  for (const p of req.system) chars += p.text.length;
  for (const m of req.messages) {
    for (const p of m.content) {
      if (p.type === 'text') chars += p.text.length;
      else if (p.type === 'tool_call') chars += p.name.length + p.arguments.length;
      else if (p.type === 'tool_result') for (const c of p.content) chars += c.type === 'text' ? c.text.length : 1000;
      else if (p.type === 'image' || p.type === 'document') chars += 1000 * CHARS_PER_TOKEN;
      else if (p.type === 'reasoning') chars += p.text?.length ?? 0;
    }
  }
  for (const t of req.tools ?? []) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

interface Counted {
  inputTokens: number;
  estimated: boolean;
  provider: string;
  model: string;
  route: string;
  /** A same-family provider's own answer, sent to the client as it is. */
  passthrough?: { status: number; text: string };
}

/**
 * Counts a request's input tokens on the first available target of its route: an Anthropic
 * target with its count_tokens, a Gemini target with its countTokens (the body passed through
 * when the client speaks that family, else translated), others by the local estimate.
 */
async function countOnRoute(
  ctx: LlmContext,
  call: CallContext,
  inbound: { family: Family; body: Record<string, unknown>; canonical: () => CanonicalRequest; model: string; forwardHeaders?: Record<string, string>; localOnly?: boolean },
): Promise<Counted> {
  const plan = planFor(ctx, call.key, inbound.model, sessionFromHeaders(call.req));
  const target = plan.targets.find((t) => {
    const p = ctx.provider(t.provider);
    return p !== undefined && !p.unavailable;
  });
  if (!target) throw new GatewayError('PROVIDER_UNAVAILABLE', `no provider of route "${plan.route}" is available`);
  const provider = ctx.provider(target.provider)!;
  const base = { provider: provider.id, model: target.model, route: plan.route };
  const signal = AbortSignal.timeout(plan.attemptTimeoutMs);
  const sameFamily = provider.family === inbound.family;
  // A prompt a person has yet to approve (an `ask` finding) is not sent anywhere to be counted.
  if (inbound.localOnly || !provider.countsTokens || (provider.family !== 'anthropic' && provider.family !== 'gemini')) {
    return { ...base, inputTokens: estimateInputTokens(inbound.canonical()), estimated: true };
  }
  let body: Record<string, unknown>;
  if (sameFamily) body = provider.family === 'anthropic' ? { ...inbound.body, model: target.model } : inbound.body;
  else body = provider.dialect.requestFromCanonical(fitRequest(inbound.canonical(), provider.family).request, target.model);
  const up = await provider.send({
    operation: 'count_tokens',
    body,
    model: target.model,
    signal,
    requestId: call.requestId,
    ...(sameFamily && inbound.forwardHeaders ? { forwardHeaders: inbound.forwardHeaders } : {}),
  });
  const text = ctx.scrub(await readText(up.body));
  const parsed = safeJson(text);
  // The provider refusing the gateway's own credential is not the client's error: its key was fine.
  const refusal = up.status >= 400 ? provider.dialect.parseError(up.status, parsed) : null;
  if (up.status === 401 || up.status === 403 || refusal?.kind === 'authentication') {
    throw new GatewayError('UPSTREAM_AUTH', `provider "${provider.id}" refused the gateway's credentials (HTTP ${up.status}): ${refusal?.message ?? text.slice(0, 200)}. Check the provider's apiKey secret.`);
  }
  const field = provider.family === 'anthropic' ? 'input_tokens' : 'totalTokens';
  const tokens = isObject(parsed) ? parsed[field] : undefined;
  if (sameFamily) return { ...base, inputTokens: typeof tokens === 'number' ? tokens : 0, estimated: false, passthrough: { status: up.status, text } };
  // Across families the provider's error is told in the client's shape: a request it finds malformed is the client's 400.
  if (up.status >= 400 && up.status < 500 && up.status !== 429) {
    throw new GatewayError('BAD_REQUEST', `provider "${provider.id}" refused to count the tokens of this request (HTTP ${up.status}): ${(refusal?.message ?? 'no reason given').slice(0, 300)}`);
  }
  if (up.status === 429) throw new GatewayError('RATE_LIMITED', `provider "${provider.id}" is rate limiting token counts; try again shortly`);
  if (up.status !== 200 || typeof tokens !== 'number') {
    throw new GatewayError('UPSTREAM_ERROR', `provider "${provider.id}" could not count tokens (HTTP ${up.status})${refusal ? `: ${refusal.message.slice(0, 300)}` : ''}`);
  }
  return { ...base, inputTokens: tokens, estimated: false };
}

async function recordCount(ctx: LlmContext, call: CallContext, counted: Counted, bytes: number): Promise<Record<string, string>> {
  await ctx.ledger.append({
    type: 'llm.count_tokens',
    requestId: call.requestId,
    keyId: call.key.id,
    route: counted.route,
    provider: counted.provider,
    model: counted.model,
    inputTokens: counted.inputTokens,
    estimated: counted.estimated,
    request: { bytes },
  });
  return { 'x-request-id': call.requestId, 'x-gatehouse-provider': counted.provider, ...(counted.estimated ? { 'x-gatehouse-estimated': 'true' } : {}) };
}

function sendCounted(call: CallContext, counted: Counted, headers: Record<string, string>, body: Record<string, unknown>): void {
  if (counted.passthrough) {
    call.reply.send(counted.passthrough.status, headers, counted.passthrough.text);
    return;
  }
  call.reply.send(200, headers, JSON.stringify(body));
}

/** POST /v1/messages/count_tokens. An estimate is marked with `x-gatehouse-estimated: true`. */
export async function countTokens(ctx: LlmContext, call: CallContext): Promise<void> {
  const { json, bytes } = await readJson(call.req, MAX_REQUEST_BYTES);
  if (!isObject(json)) throw new GatewayError('BAD_REQUEST', 'the request body must be a JSON object');
  const facts = anthropicMessagesApi.describe(json, call.req);
  // Counting sends the prompt upstream too: it goes masked, with the session's placeholders.
  const localOnly = maskForCounting(ctx, call, json, facts.model, sessionFromHeaders(call.req) ?? facts.session);
  const forward: Record<string, string> = {};
  for (const h of anthropicMessagesApi.forwardHeaders ?? []) {
    const v = call.req.headers[h];
    if (typeof v === 'string') forward[h] = v;
  }
  const counted = await countOnRoute(ctx, call, {
    family: 'anthropic',
    body: json,
    model: facts.model,
    canonical: () => anthropicMessages.requestToCanonical({ max_tokens: 1, ...json }),
    forwardHeaders: forward,
    localOnly,
  });
  sendCounted(call, counted, await recordCount(ctx, call, counted, bytes), { input_tokens: counted.inputTokens });
}

/** POST /v1beta/models/{model}:countTokens: `{contents}` or `{generateContentRequest}` (https://ai.google.dev/api/tokens). */
export async function countGeminiTokens(ctx: LlmContext, call: CallContext, model: string): Promise<void> {
  const { json, bytes } = await readJson(call.req, MAX_REQUEST_BYTES);
  if (!isObject(json)) throw new GatewayError('BAD_REQUEST', 'the request body must be a JSON object');
  const request = isObject(json.generateContentRequest) ? json.generateContentRequest : json;
  const localOnly = maskForCounting(ctx, call, request, model, sessionFromHeaders(call.req));
  if (!Array.isArray(request.contents)) throw new GatewayError('BAD_REQUEST', 'the request needs "contents" (or "generateContentRequest.contents")', { param: 'contents' });
  // The provider addresses the upstream model itself (and wraps a full request as Gemini wants).
  const { model: _clientModel, ...unwrapped } = request;
  const counted = await countOnRoute(ctx, call, { family: 'gemini', body: unwrapped, model, canonical: () => geminiGenerate.requestToCanonical(unwrapped), localOnly });
  sendCounted(call, counted, await recordCount(ctx, call, counted, bytes), { totalTokens: counted.inputTokens });
}

/** Masks the body as a model call would; true when it holds an `ask` finding (then it is only counted locally). */
function maskForCounting(ctx: LlmContext, call: CallContext, body: Record<string, unknown>, model: string, session: string | undefined): boolean {
  const guard = callGuard(ctx, call.key, planFor(ctx, call.key, model, session).route);
  const g = guardBody(body, guard, ctx.vaults.get(session ?? `key:${call.key.id}`), 'llm.input');
  if (g.blocked) throw new GatewayError('GUARDRAIL_BLOCKED', `the request was blocked by the guardrail rule "${g.blocked.rule}" (found in ${g.blocked.path || 'the body'})`);
  return g.findings.some((f) => f.action === 'ask');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
