// OpenAI-family routes: POST /v1/chat/completions (plain and streaming) and GET /v1/models.
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { once } from 'node:events';
import { createParser } from 'eventsource-parser';
import type { GatehouseConfig } from '../config/schema.js';
import { GatewayError, markRecorded } from '../errors.js';
import type { Logger } from '../log.js';
import { listModelNames, resolveModel } from '../llm/routing.js';
import type { ProviderRuntime, UpstreamResponse } from '../llm/providers/types.js';
import { usageFromOpenAI, ZERO_USAGE, type Usage } from '../llm/usage.js';
import { modelGranted, type PresentedKey } from '../policy/keys.js';
import type { KeyRow } from '../store/keys.js';
import type { Ledger, LedgerEventInput } from '../store/ledger.js';
import { isObject, readJson, sendJson } from './io.js';
import { sseFrame, startSse } from './sse.js';

export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;

export interface LlmContext {
  config(): GatehouseConfig;
  provider(id: string): ProviderRuntime | undefined;
  ledger: Ledger;
  log: Logger;
  /** Removes known secret values from text that came from upstream. */
  scrub(text: string): string;
  /** Upstream model ids per provider, for GET /v1/models (cached by the caller). */
  upstreamModels(): Promise<string[]>;
  onCompleted(event: LlmRequestEvent): void;
}

export type Outcome = 'ok' | 'upstream_error' | 'upstream_cut' | 'client_aborted';

export interface LlmRequestEvent extends LedgerEventInput {
  type: 'llm.request';
  requestId: string;
  keyId: string;
  route: string;
  provider: string;
  model: string;
  requestedModel: string;
  stream: boolean;
  status: number;
  outcome: Outcome;
  usage: Usage;
  latencyMs: number;
  ttftMs: number | null;
  request: { bytes: number; sha256: string };
  response: { bytes: number; sha256: string };
}

export interface CallContext {
  req: IncomingMessage;
  res: ServerResponse;
  key: KeyRow;
  presented: PresentedKey;
  requestId: string;
  startedAt: number;
}

function ms(since: number): number {
  return Math.round((performance.now() - since) * 1000) / 1000;
}

/** Upstream error bodies are passed on when they are OpenAI-shaped; secrets are scrubbed first. */
async function upstreamError(ctx: LlmContext, providerId: string, up: UpstreamResponse): Promise<{ status: number; body: unknown }> {
  let text = '';
  for await (const chunk of up.body as AsyncIterable<Buffer>) {
    if (text.length < MAX_ERROR_BODY) text += chunk.toString('utf8');
  }
  text = ctx.scrub(text.slice(0, MAX_ERROR_BODY));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const upstreamMessage = isObject(parsed) && isObject(parsed.error) && typeof parsed.error.message === 'string' ? parsed.error.message : text.slice(0, 500);
  if (up.status === 401 || up.status === 403) {
    // The client's virtual key was fine; it is the gateway's provider credential that failed.
    const err = new GatewayError(
      'UPSTREAM_AUTH',
      `provider "${providerId}" refused the gateway's credentials (HTTP ${up.status}): ${upstreamMessage}. Check the provider's apiKey secret.`,
    );
    return { status: err.status, body: { error: { message: err.message, type: 'api_error', param: null, code: 'upstream_auth' } } };
  }
  if (isObject(parsed) && isObject(parsed.error)) return { status: up.status, body: parsed };
  return {
    status: up.status >= 500 ? 502 : up.status,
    body: { error: { message: `provider "${providerId}" answered HTTP ${up.status}: ${upstreamMessage}`, type: 'api_error', param: null, code: 'upstream_error' } },
  };
}

export async function chatCompletions(ctx: LlmContext, call: CallContext): Promise<void> {
  const { req, res, key, requestId } = call;
  const { raw, json } = await readJson(req, MAX_REQUEST_BYTES);
  if (!isObject(json)) throw new GatewayError('BAD_REQUEST', 'the request body must be a JSON object');
  const requested = json.model;
  if (typeof requested !== 'string' || requested === '') throw new GatewayError('BAD_REQUEST', 'the request needs a "model" string', { param: 'model' });
  if (!Array.isArray(json.messages)) throw new GatewayError('BAD_REQUEST', 'the request needs a "messages" array', { param: 'messages' });

  const config = ctx.config();
  const targets = resolveModel(config, requested);
  const target = targets[0];
  if (!target) {
    const names = listModelNames(config).filter((n) => modelGranted(key, [n]));
    throw new GatewayError(
      'MODEL_NOT_FOUND',
      `the model "${requested}" is not a route in the config or a configured provider/model. ` +
        (names.length ? `Available: ${names.slice(0, 20).join(', ')}.` : 'No routes are configured: add a provider and a route under models in the config.'),
      { param: 'model' },
    );
  }
  if (!modelGranted(key, [requested, target.route, `${target.provider}/${target.model}`])) {
    throw new GatewayError('MODEL_NOT_GRANTED', `key "${key.name}" is not granted the model "${requested}" (its grants: ${key.models.join(', ')})`, {
      param: 'model',
    });
  }
  const provider = ctx.provider(target.provider);
  if (!provider) throw new GatewayError('PROVIDER_UNAVAILABLE', `provider "${target.provider}" is not configured`);

  const stream = json.stream === true;
  const streamOptions = isObject(json.stream_options) ? json.stream_options : {};
  const clientWantsUsage = streamOptions.include_usage === true;
  // Usage is always requested upstream so the ledger is exact; the usage-only chunk is
  // removed again for a client that did not ask for it.
  const upstreamBody: Record<string, unknown> = { ...json, model: target.model };
  if (stream) upstreamBody.stream_options = { ...streamOptions, include_usage: true };

  const callerCredentials = call.presented.callerCredentialsPassThrough && typeof req.headers.authorization === 'string'
    ? { authorization: req.headers.authorization }
    : undefined;

  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });

  const responseHash = createHash('sha256');
  let responseBytes = 0;
  const event: LlmRequestEvent = {
    type: 'llm.request',
    requestId,
    keyId: key.id,
    route: target.route,
    provider: target.provider,
    model: target.model,
    requestedModel: requested,
    stream,
    status: 0,
    outcome: 'ok',
    usage: { ...ZERO_USAGE },
    latencyMs: 0,
    ttftMs: null,
    request: { bytes: raw.length, sha256: createHash('sha256').update(raw).digest('hex') },
    response: { bytes: 0, sha256: '' },
  };
  const finish = async (): Promise<void> => {
    event.latencyMs = ms(call.startedAt);
    event.response = { bytes: responseBytes, sha256: responseHash.digest('hex') };
    try {
      await ctx.ledger.append(event);
    } catch (err) {
      throw new GatewayError(
        'LEDGER_UNAVAILABLE',
        'the gateway could not record this request in its ledger, so the reply was withheld; check the free space and permissions of the data directory',
        { cause: err },
      );
    }
    ctx.onCompleted(event);
  };

  // A call that fails before a reply is still a request the ledger must show, with its outcome.
  const failed = async (err: unknown, outcome: Outcome): Promise<void> => {
    event.outcome = abort.signal.aborted ? 'client_aborted' : outcome;
    event.status = err instanceof GatewayError ? err.status : 502;
    await finish().catch((e: Error) => ctx.log.error({ requestId, err: e.message }, 'could not record a failed request'));
    if (abort.signal.aborted) return;
    throw markRecorded(
      err instanceof GatewayError ? err : new GatewayError('UPSTREAM_ERROR', `provider "${provider.id}" failed mid-reply: ${ctx.scrub((err as Error).message)}`, { cause: err }),
    );
  };

  let up: UpstreamResponse;
  try {
    up = await provider.send({ operation: 'chat.completions', body: upstreamBody, signal: abort.signal, requestId, callerCredentials });
  } catch (err) {
    return failed(err, 'upstream_error');
  }
  event.status = up.status;

  if (up.status >= 400) {
    const { status, body } = await upstreamError(ctx, provider.id, up);
    const text = JSON.stringify(body);
    event.status = status;
    event.outcome = 'upstream_error';
    responseHash.update(text);
    responseBytes = Buffer.byteLength(text);
    await finish();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
    // An upstream rate limit says when to come back; the client's SDK honours it.
    const retryAfter = up.headers['retry-after'];
    if (typeof retryAfter === 'string') headers['retry-after'] = retryAfter;
    res.writeHead(status, headers);
    res.end(text);
    return;
  }

  const contentType = String(up.headers['content-type'] ?? '');
  if (stream && contentType.includes('text/event-stream')) {
    await relayStream(ctx, call, up, event, responseHash, clientWantsUsage, abort.signal, (n) => (responseBytes += n), finish);
    return;
  }

  const chunks: Buffer[] = [];
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (err) {
    return failed(err, 'upstream_cut');
  }
  const body = Buffer.concat(chunks);
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    event.usage = usageFromOpenAI(parsed.usage) ?? event.usage;
  } catch {
    ctx.log.warn({ requestId, provider: provider.id }, 'upstream reply was not JSON; passed through without usage');
  }
  responseHash.update(body);
  responseBytes = body.length;
  // The record is committed before the client receives the reply: a reply the client saw
  // is never missing from the ledger, even if the gateway is killed the next instant.
  await finish();
  res.writeHead(up.status, { 'content-type': contentType || 'application/json', 'content-length': body.length, 'x-request-id': requestId });
  res.end(body);
}

async function relayStream(
  ctx: LlmContext,
  call: CallContext,
  up: UpstreamResponse,
  event: LlmRequestEvent,
  responseHash: Hash,
  clientWantsUsage: boolean,
  signal: AbortSignal,
  countBytes: (n: number) => void,
  finish: () => Promise<void>,
): Promise<void> {
  const { res, requestId } = call;
  startSse(res, { 'x-request-id': requestId });
  let sawDone = false;
  let pending = '';
  const parser = createParser({
    onEvent(ev) {
      if (ev.data === '[DONE]') {
        sawDone = true;
        return;
      }
      let chunk: Record<string, unknown> | undefined;
      try {
        chunk = JSON.parse(ev.data) as Record<string, unknown>;
      } catch {
        chunk = undefined;
      }
      if (chunk?.usage) event.usage = usageFromOpenAI(chunk.usage) ?? event.usage;
      const usageOnly = chunk !== undefined && Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage !== undefined;
      if (usageOnly && !clientWantsUsage) return;
      if (!clientWantsUsage && chunk && chunk.usage !== undefined && chunk.usage !== null && !usageOnly) {
        // Some compatible servers put usage on the last content chunk; the client did not ask for it.
        const { usage: _u, ...rest } = chunk;
        pending += sseFrame(JSON.stringify(rest), ev.event);
        return;
      }
      pending += sseFrame(ev.data, ev.event);
    },
  });
  const write = async (text: string): Promise<void> => {
    if (!text) return;
    if (event.ttftMs === null) event.ttftMs = Math.round((performance.now() - call.startedAt) * 1000) / 1000;
    responseHash.update(text);
    countBytes(Buffer.byteLength(text));
    if (!res.write(text)) await once(res, 'drain', { signal });
  };

  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      parser.feed(decoder.write(chunk));
      const out = pending;
      pending = '';
      await write(out);
    }
    parser.feed(decoder.end());
    await write(pending);
    pending = '';
    if (!sawDone) event.outcome = 'upstream_cut';
  } catch (err) {
    event.outcome = signal.aborted ? 'client_aborted' : 'upstream_cut';
    if (!signal.aborted) ctx.log.warn({ requestId, err: ctx.scrub((err as Error).message) }, 'upstream stream failed');
  }

  if (event.outcome === 'client_aborted') {
    await finish().catch((err: Error) => ctx.log.error({ requestId, err: err.message }, 'ledger write failed for an aborted stream'));
    return;
  }
  try {
    await finish();
  } catch (err) {
    // Not recorded means not acknowledged: the client never sees the end of this stream.
    ctx.log.error({ requestId, err: (err as Error).message }, 'ledger write failed; the stream is cut so the reply is not acknowledged');
    res.destroy();
    return;
  }
  if (sawDone) {
    res.end(sseFrame('[DONE]'));
  } else {
    const message = 'the upstream provider ended the stream before it finished; the reply is incomplete';
    res.end(sseFrame(JSON.stringify({ error: { message, type: 'api_error', param: null, code: 'upstream_cut' } })));
  }
}

const upstreamModelCreated = Math.floor(Date.now() / 1000);

export async function listModels(ctx: LlmContext, call: CallContext): Promise<void> {
  const config = ctx.config();
  const names = new Set(listModelNames(config));
  for (const id of await ctx.upstreamModels()) names.add(id);
  const data = [...names]
    .filter((n) => modelGranted(call.key, [n]))
    .map((id) => ({ id, object: 'model', created: upstreamModelCreated, owned_by: id.includes('/') ? id.slice(0, id.indexOf('/')) : 'gatehouse' }));
  await ctx.ledger.append({ type: 'llm.models', requestId: call.requestId, keyId: call.key.id, count: data.length });
  sendJson(call.res, 200, { object: 'list', data }, { 'x-request-id': call.requestId });
}
