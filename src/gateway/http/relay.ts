// Writing an upstream reply to the client: held back until real content arrives (so a failed
// attempt can still fall back), then relayed frame by frame, with the ledger committed before the last byte.
import { createHash, hash, type Hash } from 'node:crypto';
import type { CanonicalResponse, Dialect, ErrorKind, SseEvent, StreamDecoder, StreamEvent } from '../llm/canonical.js';
import { GatewayError } from '../errors.js';
import type { ProviderRuntime, UpstreamResponse } from '../llm/providers/types.js';
import { readSse, sseFrame } from '../llm/sse.js';
import { headerSafe } from './io.js';
import type { Guardrails } from '../policy/guardrails/pipeline.js';
import type { OutputGuardReport } from './guarded.js';
import type { Restorer } from '../llm/translate.js';
import type { Reservation } from '../policy/budgets.js';
import type { Admission } from '../policy/limits.js';
import { mergeUsage } from '../llm/usage.js';
import type { CallContext, InboundApi, LlmContext, LlmRequestEvent } from './llm.js';

/**
 * SHA-256 of every byte the client received: a whole reply is hashed in one call, a stream as it
 * goes (a Hash object costs more than the hashing of a small reply).
 */
export class ReplyDigest {
  private first: string | Buffer | undefined;
  private running: Hash | undefined;

  update(data: string | Buffer): void {
    if (this.running) this.running.update(data);
    else if (this.first === undefined) this.first = data;
    else {
      this.running = createHash('sha256').update(this.first).update(data);
      this.first = undefined;
    }
  }

  /** The hex digest; call once. */
  digest(): string {
    return this.running ? this.running.digest('hex') : hash('sha256', this.first ?? '', 'hex');
  }
}

export interface RelayState {
  event: LlmRequestEvent;
  /** SHA-256 of every byte the client received. */
  hash: ReplyDigest;
  /** Characters of generated content seen, for an estimate when no usage is reported. */
  outputChars: number;
  /** Content deltas seen: each carries at least one token, so a floor on the output so far. */
  outputDeltas: number;
  /** The answer's text and tool arguments as the client received them (up to OUTPUT_SCAN_MAX), for the output guardrails. */
  outputText?: string;
  startedAt: number;
  /** Set once the request is recorded. */
  settled: boolean;
  /** The budget reservation the request holds, when its key has budgets. */
  budget?: Reservation;
  /** Its place under the key's rate limits, when the key has any. */
  limit?: Admission;
  /** The call's guardrails (its route's and key's profiles applied). */
  guard?: Guardrails;
  /** With `output: enforce`: what the output guardrails found and did while the answer went out. */
  outputGuard?: OutputGuardReport;
}

export interface Relay {
  ctx: LlmContext;
  call: CallContext;
  api: InboundApi;
  provider: ProviderRuntime;
  /**
   * The dialect the upstream answers in (the provider's own, or the client's when the provider
   * also serves that API as it is): the reply is decoded with it, and passed through when it is the client's.
   */
  upstream: Dialect;
  state: RelayState;
  includeUsage: boolean;
  /** Undoes in the reply what translation changed in the request (tool names, a structured-reply tool) and puts masked values back. */
  restore: Restorer;
  /** Decode and encode the reply even in the client's own dialect (masked values are put back). */
  reencode?: boolean;
  /** Aborted when the client goes away; the upstream call is cancelled with it. */
  signal: AbortSignal;
  /** Cancels the upstream call (the budget's allowance is used up). */
  stopUpstream(): void;
}

/**
 * Output tokens to bill when the provider's own count is missing or stopped short (a cut stream, a
 * client that left before the final usage): an upper-bound guess of a token per three characters,
 * never below the deltas seen, and never above the allowance the provider was told under a budget
 * (a stream that tried to go past it is ended there).
 */
export function billedOutputEstimate(state: RelayState): number {
  const guess = Math.max(Math.ceil(state.outputChars / 3), state.outputDeltas, state.event.usage.outputTokens);
  return Math.min(guess, state.budget?.outputTokens ?? Infinity);
}

/**
 * Whether a stream under a budget has gone past its output allowance: the provider's running count
 * where it reports one, else a floor from what was seen (a delta is at least a token; English runs
 * about four characters a token). A provider that keeps to the limit written into its request never
 * trips this; one that ignores it is stopped within a few tokens of the allowance.
 */
function pastAllowance(state: RelayState): boolean {
  if (!state.budget || state.budget.outputTokens <= 0) return false;
  const floor = Math.max(state.event.usage.outputTokens, state.outputDeltas, Math.floor(state.outputChars / 4));
  return floor > state.budget.outputTokens;
}

interface Held {
  ev: SseEvent;
  events: StreamEvent[];
  /** Whether the stream's terminal event had been seen once this event was decoded. */
  done: boolean;
}

export type Opened =
  | { kind: 'content'; held: Held[]; rest: AsyncIterator<SseEvent[]>; decoder: StreamDecoder }
  | { kind: 'failed'; status: number; errorKind: ErrorKind; message: string };

/** Content is what makes an attempt final: before it, a failure may still fall back to another target. */
function isContent(e: StreamEvent): boolean {
  switch (e.type) {
    case 'text_delta':
      return e.text.length > 0;
    case 'tool_args_delta':
    case 'reasoning_delta':
    case 'finish':
      return true;
    case 'block_start':
      return e.block !== 'text';
    default:
      return false;
  }
}

function replyHeaders(r: Relay): Record<string, string> {
  return { 'x-request-id': r.call.requestId, 'x-gatehouse-provider': r.provider.id, 'x-gatehouse-model': headerSafe(r.state.event.model) };
}

/**
 * Reads an upstream stream until its first content, holding back everything before it
 * (`message_start`, pings, role chunks). Resolves `failed` when an error event or the end of the
 * stream comes first; rejects when the upstream connection fails.
 */
export async function openStream(r: Relay, up: UpstreamResponse): Promise<Opened> {
  const contentType = String(up.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    up.body.destroy();
    return { kind: 'failed', status: 502, errorKind: 'upstream', message: `answered a streaming request with ${contentType || 'no content type'} instead of an event stream` };
  }
  const decoder = r.api.passthroughOnly?.streamDecoder?.() ?? r.upstream.streamDecoder();
  const rest = readSse(up.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const held: Held[] = [];
  for (;;) {
    const next = await rest.next();
    if (next.done) return { kind: 'failed', status: 502, errorKind: 'upstream', message: 'the stream ended before any content' };
    let content = false;
    for (const ev of next.value) {
      const events = decoder.decode(ev);
      held.push({ ev, events, done: decoder.done });
      for (const e of events) {
        if (e.type === 'error') {
          up.body.destroy();
          return { kind: 'failed', status: e.status, errorKind: e.kind, message: r.ctx.scrub(e.message) };
        }
        if (isContent(e)) content = true;
      }
    }
    if (content) return { kind: 'content', held, rest, decoder };
  }
}

/** How much of an answer the output guardrails look at (they record; they do not hold the stream back). */
export const OUTPUT_SCAN_MAX = 64 * 1024;

function keep(state: RelayState, text: string): void {
  const have = state.outputText ?? '';
  if (have.length < OUTPUT_SCAN_MAX) state.outputText = have + text.slice(0, OUTPUT_SCAN_MAX - have.length);
}

function observe(state: RelayState, e: StreamEvent): void {
  switch (e.type) {
    case 'start':
      if (e.usage) state.event.usage = mergeUsage(state.event.usage, e.usage);
      break;
    case 'usage':
      state.event.usage = mergeUsage(state.event.usage, e.usage);
      break;
    case 'text_delta':
      state.outputChars += e.text.length;
      if (e.text.length > 0) state.outputDeltas++;
      break;
    case 'tool_args_delta':
      state.outputChars += e.json.length;
      if (e.json.length > 0) state.outputDeltas++;
      break;
    case 'reasoning_delta':
      state.outputChars += e.text?.length ?? 0;
      if (e.text) state.outputDeltas++;
      break;
    default:
      break;
  }
}

/** Relays an opened stream; `settle` records the request and must succeed before the final frame is written. */
export async function relayStream(r: Relay, opened: Extract<Opened, { kind: 'content' }>, settle: () => Promise<void>): Promise<void> {
  const { reply } = r.call;
  const { state, api } = r;
  const passthrough = r.upstream === api.dialect && !r.reencode;
  const encoder = api.dialect.streamEncoder({ id: state.event.requestId, model: state.event.model, includeUsage: r.includeUsage });
  reply.startStream(replyHeaders(r));

  // A passthrough stream under a budget is followed by an encoder of its own dialect, so that if the
  // provider runs past the allowance the stream can be closed the way the provider would have closed it.
  const shadow = passthrough && state.budget ? api.dialect.streamEncoder({ id: state.event.requestId, model: state.event.model, includeUsage: r.includeUsage }) : undefined;
  let finalFrame = '';
  let upstreamError = false;
  let budgetCut = false;
  let guardCut = false;
  const handle = (item: Held): string => {
    if (budgetCut || guardCut) return '';
    let out = '';
    for (const e of item.events) {
      observe(state, e);
      if (e.type !== 'error' && !upstreamError && pastAllowance(state)) {
        // What went past the allowance is not sent; the rest of the batch is dropped with it.
        budgetCut = true;
        return passthrough ? '' : out;
      }
      if (e.type === 'error') {
        upstreamError = true;
        state.event.outcome = 'upstream_error';
        if (!passthrough) out += encoder.error({ status: e.status, kind: e.kind, message: `provider "${r.provider.id}": ${r.ctx.scrub(e.message)}` });
      } else if (!passthrough && !upstreamError) {
        for (const restored of r.restore.event(e)) {
          if (restored.type === 'text_delta') keep(state, restored.text);
          else if (restored.type === 'tool_args_delta') keep(state, restored.json);
          out += encoder.encode(restored);
        }
        if (r.restore.halted?.()) {
          // An output guardrail blocked the answer: what came before the finding was sent, and nothing more is.
          guardCut = true;
          return out;
        }
      } else if (!upstreamError) {
        if (e.type === 'text_delta') keep(state, e.text);
        else if (e.type === 'tool_args_delta') keep(state, e.json);
        shadow?.encode(e);
      }
    }
    if (passthrough) {
      const frame = api.passFrame ? api.passFrame(item.ev, r.includeUsage) : sseFrame(item.ev.data, item.ev.event);
      // The terminal frame ([DONE], message_stop, Gemini's chunk with a finishReason, Responses'
      // response.completed/.incomplete/.failed) and anything after it are held until the ledger has the request.
      if (item.done) {
        finalFrame += frame;
        return '';
      }
      return frame;
    }
    return out;
  };
  const write = async (text: string): Promise<void> => {
    if (!text) return;
    if (state.event.ttftMs === null) state.event.ttftMs = Math.round((performance.now() - state.startedAt) * 1000) / 1000;
    state.hash.update(text);
    state.event.response.bytes += Buffer.byteLength(text);
    await reply.write(text, r.signal);
  };

  try {
    for (const item of opened.held) await write(handle(item));
    for (;;) {
      if (budgetCut || guardCut) break;
      const next = await opened.rest.next();
      if (next.done) break;
      let out = '';
      for (const ev of next.value) {
        const events = opened.decoder.decode(ev);
        out += handle({ ev, events, done: opened.decoder.done });
      }
      await write(out);
      if (budgetCut || guardCut) break;
    }
    if (budgetCut || guardCut) {
      state.event.outcome = budgetCut ? 'budget_cut' : 'guardrail_blocked';
      r.stopUpstream();
      await opened.rest.return?.();
    } else if (!opened.decoder.done && !upstreamError) state.event.outcome = 'upstream_cut';
  } catch (err) {
    state.event.outcome = r.signal.aborted && !(r.signal.reason instanceof GatewayError && r.signal.reason.code === 'UPSTREAM_TIMEOUT') ? 'client_aborted' : 'upstream_cut';
    if (state.event.outcome !== 'client_aborted') r.ctx.log.warn({ requestId: state.event.requestId, err: r.ctx.scrub((err as Error).message) }, 'upstream stream failed');
  }

  if (state.event.outcome === 'client_aborted') {
    await settle().catch((err: Error) => r.ctx.log.error({ requestId: state.event.requestId, err: err.message }, 'ledger write failed for an aborted stream'));
    return;
  }
  // The last frames are counted in the record before it is written, and sent only after.
  let tail: string;
  if (state.event.outcome === 'ok') tail = passthrough ? finalFrame : encoder.end();
  else if (state.event.outcome === 'budget_cut') {
    // Ended as the provider ends an answer that reached its output limit, with the usage that will be billed.
    const closer = shadow ?? encoder;
    const usage = { ...state.event.usage, outputTokens: billedOutputEstimate(state) };
    tail = closer.encode({ type: 'finish', stopReason: 'max_tokens' }) + closer.encode({ type: 'usage', usage }) + closer.end();
  } else if (state.event.outcome === 'guardrail_blocked') {
    // Ended as a provider ends an answer its content filter stopped, with the usage billed so far.
    const usage = { ...state.event.usage, outputTokens: billedOutputEstimate(state) };
    tail = encoder.encode({ type: 'finish', stopReason: 'content_filter' }) + encoder.encode({ type: 'usage', usage }) + encoder.end();
  }
  else if (upstreamError) tail = finalFrame;
  else tail = encoder.error({ status: 502, kind: 'upstream', code: 'upstream_cut', message: `provider "${r.provider.id}" ended the stream before it finished; the reply is incomplete` });
  state.hash.update(tail);
  state.event.response.bytes += Buffer.byteLength(tail);
  try {
    await settle();
  } catch (err) {
    // Not recorded means not acknowledged: the client never sees the end of this stream.
    r.ctx.log.error({ requestId: state.event.requestId, err: (err as Error).message }, 'ledger write failed; the stream is cut so the reply is not acknowledged');
    reply.cut();
    return;
  }
  reply.end(tail);
}

/** Relays a whole (non-stream) reply: passed through as bytes, or translated. */
export async function relayNonStream(r: Relay, up: UpstreamResponse, settle: () => Promise<void>): Promise<void> {
  const { state, api } = r;
  const chunks: Buffer[] = [];
  for await (const chunk of up.body as AsyncIterable<Buffer>) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const passthrough = r.upstream === api.dialect && !r.reencode;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  let out: Buffer | string = body;
  let canonical: CanonicalResponse | undefined;
  const only = api.passthroughOnly;
  if (only && parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    // Embeddings and legacy completions: only their usage is read.
    const usage = only.usage(parsed as Record<string, unknown>);
    if (usage) state.event.usage = usage;
  } else if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    try {
      canonical = r.upstream.responseToCanonical(parsed as Record<string, unknown>);
    } catch (err) {
      // A same-family reply the codec does not understand still goes to the client as sent.
      if (!passthrough) throw err;
      r.ctx.log.warn({ requestId: state.event.requestId, provider: r.provider.id, err: (err as Error).message }, 'upstream reply not understood; passed through without usage');
    }
  }
  if (canonical) {
    if (!canonical.usageEstimated) state.event.usage = canonical.usage;
    for (const p of canonical.content) state.outputChars += p.type === 'text' ? p.text.length : p.type === 'tool_call' ? p.arguments.length : (p.text?.length ?? 0);
    const answer = passthrough ? canonical : r.restore.response(canonical);
    if (r.restore.halted?.()) state.event.outcome = 'guardrail_blocked';
    for (const p of answer.content) keep(state, p.type === 'text' ? p.text : p.type === 'tool_call' ? p.arguments : '');
    if (!passthrough) out = JSON.stringify(api.dialect.responseFromCanonical(answer));
  } else if (!passthrough && !only) {
    throw new GatewayError('UPSTREAM_ERROR', `provider "${r.provider.id}" answered with a body that is not JSON`);
  } else if (parsed === undefined) {
    r.ctx.log.warn({ requestId: state.event.requestId, provider: r.provider.id }, 'upstream reply was not JSON; passed through without usage');
  }
  state.hash.update(out);
  state.event.response.bytes = Buffer.byteLength(out);
  // The record is committed before the client receives the reply: a reply the client saw is
  // never missing from the ledger, even if the gateway is killed the next instant.
  await settle();
  r.call.reply.send(200, replyHeaders(r), out);
}
