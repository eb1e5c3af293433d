// Chat Completions streams: `chat.completion.chunk` events <-> canonical stream events.
// Wire format: https://platform.openai.com/docs/api-reference/chat-streaming
import type { SseEvent, StreamDecoder, StreamEncoder, StreamEvent, WireErrorInput } from '../../canonical.js';
import { sseFrame } from '../../sse.js';
import { mergeUsage, usageFromOpenAI, usageToOpenAI, ZERO_USAGE, type Usage } from '../../usage.js';
import { errorBody, parseError, statusOfKind } from './errors.js';
import { isObject, str, type Json } from './json.js';
import { argumentsText, finishReasonToOpenAI, reasoningText, stopReasonFromOpenAI } from './response.js';

function upstreamError(message: string): StreamEvent {
  return { type: 'error', status: 502, kind: 'upstream', message };
}

/** An `{"error": {...}}` frame, which some servers send mid-stream instead of failing the request. */
function errorEvent(o: Json): StreamEvent {
  const code = isObject(o.error) ? o.error.code : undefined;
  // A numeric code that is an HTTP status is the best status there is; otherwise the kind's.
  const httpStatus = typeof code === 'number' && code >= 400 && code <= 599 ? code : 0;
  const parsed = parseError(httpStatus, o);
  const kind = parsed?.kind ?? 'upstream';
  return { type: 'error', status: httpStatus || statusOfKind(kind), kind, message: parsed?.message ?? 'the provider reported an error in the stream' };
}

/**
 * Decodes one stream. Text and reasoning deltas go to one open block at a time (a change of kind
 * ends the block and starts the next, as canonical blocks run in sequence). Tool calls are keyed by
 * their OpenAI `index` (or id, for servers that omit it) and stay open until the finish, because
 * parallel calls may interleave: their deltas may then follow a later block's start.
 */
export function createStreamDecoder(): StreamDecoder {
  let done = false;
  let started = false;
  let finished = false;
  let nextIndex = 0;
  let current: { kind: 'text' | 'reasoning'; index: number } | null = null;
  const toolBlocks = new Map<string, number>();
  const openTools: number[] = [];
  let lastToolKey: string | undefined;

  function endCurrent(out: StreamEvent[]): void {
    if (current) out.push({ type: 'block_end', index: current.index });
    current = null;
  }

  function textual(kind: 'text' | 'reasoning', text: string, out: StreamEvent[]): void {
    if (current?.kind !== kind) {
      endCurrent(out);
      const index = nextIndex++;
      current = { kind, index };
      out.push(kind === 'text' ? { type: 'block_start', index, block: 'text' } : { type: 'block_start', index, block: 'reasoning', family: 'openai' });
    }
    out.push(kind === 'text' ? { type: 'text_delta', index: current.index, text } : { type: 'reasoning_delta', index: current.index, text });
  }

  function toolDeltas(calls: unknown[], out: StreamEvent[]): void {
    calls.forEach((raw, position) => {
      if (!isObject(raw)) return;
      const fn = isObject(raw.function) ? raw.function : {};
      const id = str(raw.id);
      const key = typeof raw.index === 'number' ? `index:${raw.index}` : id ? `id:${id}` : (lastToolKey ?? `position:${position}`);
      let block = toolBlocks.get(key);
      if (block === undefined) {
        endCurrent(out);
        block = nextIndex++;
        toolBlocks.set(key, block);
        openTools.push(block);
        out.push({ type: 'block_start', index: block, block: 'tool_call', id: id || `call_${block}`, name: str(fn.name) ?? '' });
      }
      lastToolKey = key;
      const json = argumentsText(fn.arguments);
      if (json !== '') out.push({ type: 'tool_args_delta', index: block, json });
    });
  }

  function finish(reason: unknown, out: StreamEvent[]): void {
    const open = [...(current ? [current.index] : []), ...openTools].sort((a, b) => a - b);
    for (const index of open) out.push({ type: 'block_end', index });
    current = null;
    openTools.length = 0;
    finished = true;
    out.push({ type: 'finish', stopReason: stopReasonFromOpenAI(reason) });
  }

  return {
    get done() {
      return done;
    },
    decode(ev: SseEvent): StreamEvent[] {
      const data = ev.data.trim();
      const out: StreamEvent[] = [];
      if (data === '[DONE]') {
        done = true;
        // A server that ends without a finish_reason still ended normally.
        if (started && !finished) finish(null, out);
        return out;
      }
      if (data === '') return out;
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        return [upstreamError(`the provider sent a stream event that is not JSON: ${data.slice(0, 200)}`)];
      }
      if (!isObject(chunk)) return [upstreamError(`the provider sent a stream event that is not an object: ${data.slice(0, 200)}`)];
      if (chunk.error !== undefined && chunk.error !== null) return [errorEvent(chunk)];
      if (!started) {
        started = true;
        out.push({ type: 'start', id: str(chunk.id) ?? '', model: str(chunk.model) ?? '' });
      }
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      const choice: unknown = choices.find((c) => isObject(c) && (c.index === 0 || c.index === undefined));
      if (isObject(choice)) {
        const delta = isObject(choice.delta) ? choice.delta : {};
        const reasoning = reasoningText(delta);
        if (reasoning) textual('reasoning', reasoning, out);
        const content = str(delta.content);
        if (content) textual('text', content, out);
        // A refusal is shown as text, as in a whole reply.
        const refusal = str(delta.refusal);
        if (refusal) textual('text', refusal, out);
        if (Array.isArray(delta.tool_calls)) toolDeltas(delta.tool_calls, out);
        if (choice.finish_reason !== undefined && choice.finish_reason !== null) finish(choice.finish_reason, out);
      }
      // The usage chunk (choices: []) with include_usage; some servers put usage on a content chunk.
      const usage = isObject(chunk.usage) ? usageFromOpenAI(chunk.usage) : null;
      if (usage) out.push({ type: 'usage', usage });
      return out;
    },
  };
}

/**
 * Encodes canonical events as Chat Completions chunks. Usage is remembered and written once, as
 * the final `{"choices": [], "usage": ...}` chunk, only when the client asked for it
 * (`stream_options.include_usage`), as OpenAI does; every chunk then carries `usage: null`.
 */
export function createStreamEncoder(options: { id: string; model: string; includeUsage: boolean }): StreamEncoder {
  const { id, model, includeUsage } = options;
  const created = Math.floor(Date.now() / 1000);
  let usage: Usage = { ...ZERO_USAGE };
  let roleSent = false;
  /** Canonical block index -> the nth tool call of this reply (OpenAI's tool_calls[].index). */
  const toolOrdinal = new Map<number, number>();

  function chunk(delta: Json, finishReason: string | null = null): string {
    const body: Json = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
    if (includeUsage) body.usage = null;
    return sseFrame(JSON.stringify(body));
  }

  /** OpenAI's first chunk carries the role; it is written before any content, whatever came first. */
  function role(): string {
    if (roleSent) return '';
    roleSent = true;
    return chunk({ role: 'assistant', content: '' });
  }

  function error(err: WireErrorInput): string {
    return sseFrame(JSON.stringify(errorBody(err)));
  }

  return {
    encode(ev: StreamEvent): string {
      switch (ev.type) {
        case 'start':
          if (ev.usage) usage = mergeUsage(usage, ev.usage);
          return role();
        case 'block_start': {
          if (ev.block !== 'tool_call') return role();
          const n = toolOrdinal.size;
          toolOrdinal.set(ev.index, n);
          return role() + chunk({ tool_calls: [{ index: n, id: ev.id, type: 'function', function: { name: ev.name, arguments: '' } }] });
        }
        case 'text_delta':
          return ev.text === '' ? '' : role() + chunk({ content: ev.text });
        case 'reasoning_delta':
          // Signatures and opaque reasoning have no place in this format; readable text does.
          return ev.text ? role() + chunk({ reasoning_content: ev.text }) : '';
        case 'tool_args_delta': {
          const n = toolOrdinal.get(ev.index);
          if (n === undefined || ev.json === '') return '';
          return role() + chunk({ tool_calls: [{ index: n, function: { arguments: ev.json } }] });
        }
        case 'block_end':
          return '';
        case 'usage':
          usage = mergeUsage(usage, ev.usage);
          return '';
        case 'finish':
          return role() + chunk({}, finishReasonToOpenAI(ev.stopReason));
        case 'error':
          return error({ status: ev.status, kind: ev.kind, message: ev.message });
      }
    },
    end(): string {
      const usageChunk = includeUsage ? sseFrame(JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageToOpenAI(usage) })) : '';
      return usageChunk + sseFrame('[DONE]');
    },
    error,
  };
}
