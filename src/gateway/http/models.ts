// Model listing (OpenAI's shape, or Anthropic's when the request carries anthropic-version) and token counting.
import { listModelNames } from '../llm/routing.js';
import { anthropicMessages } from '../llm/dialects/anthropic-messages/index.js';
import { geminiGenerate } from '../llm/dialects/gemini/index.js';
import { fitRequest } from '../llm/translate.js';
import type { CanonicalRequest } from '../llm/canonical.js';
import { GatewayError } from '../errors.js';
import { modelGranted } from '../policy/keys.js';
import { readText } from '../llm/providers/transport.js';
import { isObject, readJson, sendJson } from './io.js';
import { anthropicMessagesApi } from './apis.js';
import { MAX_REQUEST_BYTES, planFor, sessionFromHeaders, type CallContext, type LlmContext } from './llm.js';

const listedSince = new Date();

export async function listModels(ctx: LlmContext, call: CallContext): Promise<void> {
  const names = new Set(listModelNames(ctx.config()));
  for (const id of await ctx.upstreamModels()) names.add(id);
  const ids = [...names].filter((n) => modelGranted(call.key, [n]));
  await ctx.ledger.append({ type: 'llm.models', requestId: call.requestId, keyId: call.key.id, count: ids.length });
  const owner = (id: string): string => (id.includes('/') ? id.slice(0, id.indexOf('/')) : 'gatehouse');
  if (typeof call.req.headers['anthropic-version'] === 'string') {
    // https://docs.anthropic.com/en/api/models-list
    const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: listedSince.toISOString() }));
    sendJson(call.res, 200, { data, has_more: false, first_id: ids[0] ?? null, last_id: ids.at(-1) ?? null }, { 'x-request-id': call.requestId });
    return;
  }
  const created = Math.floor(listedSince.getTime() / 1000);
  sendJson(call.res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created, owned_by: owner(id) })) }, { 'x-request-id': call.requestId });
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

/**
 * POST /v1/messages/count_tokens. An Anthropic target counts itself (the body passed through);
 * a Gemini target is asked through its countTokens; others get the local estimate, marked with
 * `x-gatehouse-estimated: true`.
 */
export async function countTokens(ctx: LlmContext, call: CallContext): Promise<void> {
  const { json, bytes } = await readJson(call.req, MAX_REQUEST_BYTES);
  if (!isObject(json)) throw new GatewayError('BAD_REQUEST', 'the request body must be a JSON object');
  const facts = anthropicMessagesApi.describe(json, call.req);
  const plan = planFor(ctx, call.key, facts.model, facts.session ?? sessionFromHeaders(call.req));
  const canonical = (): CanonicalRequest => anthropicMessages.requestToCanonical({ max_tokens: 1, ...json });
  const target = plan.targets.find((t) => {
    const p = ctx.provider(t.provider);
    return p !== undefined && !p.unavailable;
  });
  if (!target) throw new GatewayError('PROVIDER_UNAVAILABLE', `no provider of route "${plan.route}" is available`);
  const provider = ctx.provider(target.provider)!;
  const signal = AbortSignal.timeout(plan.attemptTimeoutMs);
  let inputTokens: number;
  let estimated = false;
  let passthrough: { status: number; text: string } | undefined;
  if (provider.countsTokens && provider.family === 'anthropic') {
    const forward: Record<string, string> = {};
    for (const h of anthropicMessagesApi.forwardHeaders ?? []) {
      const v = call.req.headers[h];
      if (typeof v === 'string') forward[h] = v;
    }
    const up = await provider.send({ operation: 'count_tokens', body: { ...json, model: target.model }, model: target.model, signal, requestId: call.requestId, forwardHeaders: forward });
    const text = ctx.scrub(await readText(up.body));
    passthrough = { status: up.status, text };
    const parsed = safeJson(text);
    inputTokens = isObject(parsed) && typeof parsed.input_tokens === 'number' ? parsed.input_tokens : 0;
  } else if (provider.countsTokens && provider.family === 'gemini') {
    const body = geminiGenerate.requestFromCanonical(fitRequest(canonical(), 'gemini').request, target.model);
    const up = await provider.send({ operation: 'count_tokens', body, model: target.model, signal, requestId: call.requestId });
    const text = ctx.scrub(await readText(up.body));
    const parsed = safeJson(text);
    if (up.status !== 200 || !isObject(parsed) || typeof parsed.totalTokens !== 'number') {
      throw new GatewayError('UPSTREAM_ERROR', `provider "${provider.id}" could not count tokens (HTTP ${up.status}): ${text.slice(0, 300)}`);
    }
    inputTokens = parsed.totalTokens;
  } else {
    inputTokens = estimateInputTokens(canonical());
    estimated = true;
  }
  await ctx.ledger.append({
    type: 'llm.count_tokens',
    requestId: call.requestId,
    keyId: call.key.id,
    route: plan.route,
    provider: provider.id,
    model: target.model,
    inputTokens,
    estimated,
    request: { bytes },
  });
  const headers = { 'x-request-id': call.requestId, 'x-gatehouse-provider': provider.id, ...(estimated ? { 'x-gatehouse-estimated': 'true' } : {}) };
  if (passthrough) {
    call.res.writeHead(passthrough.status, { 'content-type': 'application/json', ...headers });
    call.res.end(passthrough.text);
    return;
  }
  sendJson(call.res, 200, { input_tokens: inputTokens }, headers);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
