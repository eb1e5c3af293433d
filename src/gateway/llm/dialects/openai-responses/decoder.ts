// Responses streams -> canonical stream events: the typed events (`response.*`, `error`) as OpenAI sends them.
// Wire format: https://platform.openai.com/docs/api-reference/responses-streaming, event shapes as in
// the openai SDK's ResponseStreamEvent type (resources/responses/responses.d.ts).
import type { ErrorKind, SseEvent, StreamDecoder, StreamEvent } from '../../canonical.js';
import { usageFromOpenAIResponses } from '../../usage.js';
import { parseError, statusOfKind } from '../openai-chat/errors.js';
import { isObject, str, type Json } from '../openai-chat/json.js';
import { namespacedName, reasoningPart, stopReasonOf } from './output.js';

function upstreamError(message: string): StreamEvent {
  return { type: 'error', status: 502, kind: 'upstream', message };
}

/** The kinds of ResponseError codes (a failed response's `error.code`). */
function kindOfCode(code: string | undefined): ErrorKind {
  if (code === undefined) return 'upstream';
  if (code === 'rate_limit_exceeded') return 'rate_limit';
  if (code === 'vector_store_timeout') return 'timeout';
  if (code === 'bio_policy' || code.includes('policy_violation')) return 'content_filter';
  if (code === 'invalid_prompt' || code.includes('image')) return 'invalid_request';
  return 'upstream';
}

function errorEvent(kind: ErrorKind, message: string): StreamEvent {
  return { type: 'error', status: statusOfKind(kind), kind, message };
}

/**
 * The `error` event: `code`, `message` and `param` at the top level (the SDK's ResponseErrorEvent);
 * an `{"error": {...}}` envelope, which some servers send instead, is read as well.
 */
function streamError(o: Json): StreamEvent {
  if (isObject(o.error)) {
    const parsed = parseError(0, o);
    if (parsed) return errorEvent(parsed.kind, parsed.message);
  }
  const code = str(o.code);
  const kind = code === 'insufficient_quota' ? 'budget' : code === 'content_filter' ? 'content_filter' : kindOfCode(code);
  return errorEvent(kind, str(o.message) ?? 'the provider reported an error in the stream');
}

type Block = { index: number; kind: 'text' | 'tool_call' | 'reasoning'; streamed: boolean; summary: number; open: boolean };

/**
 * Decodes one stream. Output items run one after another in OpenAI's streams; each content part of
 * a message is a text block, each function_call item a tool_call block, each reasoning item a
 * reasoning block whose id comes first (as `signature`) and whose encrypted content comes with
 * `output_item.done` (as `opaque`). Usage and the stop reason come from the final response object.
 */
export function createStreamDecoder(): StreamDecoder {
  let done = false;
  let started = false;
  let nextIndex = 0;
  let calledFunctions = false;
  /** Blocks by `output_index` (function calls, reasoning) or `output_index:content_index` (message parts). */
  const blocks = new Map<string, Block>();

  function start(out: StreamEvent[], response: Json): void {
    if (started) return;
    started = true;
    out.push({ type: 'start', id: str(response.id) ?? '', model: str(response.model) ?? '' });
  }

  function open(key: string, kind: Block['kind'], out: StreamEvent[], item: Json = {}): Block {
    const existing = blocks.get(key);
    if (existing) return existing;
    const block: Block = { index: nextIndex++, kind, streamed: false, summary: 0, open: true };
    blocks.set(key, block);
    if (kind === 'text') out.push({ type: 'block_start', index: block.index, block: 'text' });
    else if (kind === 'reasoning') {
      out.push({ type: 'block_start', index: block.index, block: 'reasoning', family: 'openai' });
      const id = str(item.id);
      if (id) out.push({ type: 'reasoning_delta', index: block.index, signature: id });
    } else {
      calledFunctions = true;
      out.push({ type: 'block_start', index: block.index, block: 'tool_call', id: str(item.call_id) ?? str(item.id) ?? `call_${block.index}`, name: namespacedName(str(item.namespace), str(item.name) ?? '') });
    }
    return block;
  }

  function close(block: Block | undefined, out: StreamEvent[]): void {
    if (!block?.open) return;
    block.open = false;
    out.push({ type: 'block_end', index: block.index });
  }

  function closeAll(out: StreamEvent[]): void {
    for (const b of [...blocks.values()].sort((a, b) => a.index - b.index)) close(b, out);
  }

  function text(key: string, delta: string, out: StreamEvent[]): void {
    const block = open(key, 'text', out);
    if (!block.open || delta === '') return;
    block.streamed = true;
    out.push({ type: 'text_delta', index: block.index, text: delta });
  }

  /** The whole text of a part, from a `.done` event, when no delta carried it. */
  function fillText(key: string, whole: string | undefined, out: StreamEvent[]): void {
    const block = blocks.get(key);
    if (whole !== undefined && !block?.streamed) text(key, whole, out);
  }

  /** Summary parts are read as one text, parted by a blank line (as in a whole response). */
  function reasoning(key: string, summaryIndex: unknown, delta: string, out: StreamEvent[]): void {
    const block = open(key, 'reasoning', out);
    if (!block.open || delta === '') return;
    const n = typeof summaryIndex === 'number' ? summaryIndex : block.summary;
    const gap = block.streamed && n !== block.summary ? '\n\n' : '';
    block.summary = n;
    block.streamed = true;
    out.push({ type: 'reasoning_delta', index: block.index, text: gap + delta });
  }

  function args(key: string, delta: string, out: StreamEvent[]): void {
    const block = open(key, 'tool_call', out);
    if (!block.open || delta === '') return;
    block.streamed = true;
    out.push({ type: 'tool_args_delta', index: block.index, json: delta });
  }

  /** An item's end; what it holds that no delta carried (servers that send whole items) is sent first. */
  function itemDone(o: Json, out: StreamEvent[]): void {
    const item = isObject(o.item) ? o.item : {};
    const at = String(o.output_index);
    if (item.type === 'function_call') {
      const block = open(at, 'tool_call', out, item);
      if (!block.streamed) args(at, str(item.arguments) ?? '', out);
      close(block, out);
    } else if (item.type === 'reasoning') {
      const block = open(at, 'reasoning', out, item);
      const part = reasoningPart(item);
      if (!block.streamed && part.text) reasoning(at, 0, part.text, out);
      if (part.opaque !== undefined && block.open) out.push({ type: 'reasoning_delta', index: block.index, opaque: part.opaque });
      close(block, out);
    } else if (item.type === 'message') {
      const content = Array.isArray(item.content) ? item.content : [];
      content.forEach((c, j) => {
        const key = `${at}:${j}`;
        if (isObject(c)) fillText(key, str(c.text) ?? str(c.refusal) ?? '', out);
        close(blocks.get(key), out);
      });
    }
  }

  function finish(response: Json, out: StreamEvent[]): void {
    closeAll(out);
    const output = Array.isArray(response.output) ? response.output : [];
    const usage = usageFromOpenAIResponses(response.usage);
    if (usage) out.push({ type: 'usage', usage });
    const called = calledFunctions || output.some((i) => isObject(i) && i.type === 'function_call');
    out.push({ type: 'finish', stopReason: stopReasonOf(response.status, response.incomplete_details, called) });
  }

  return {
    get done() {
      return done;
    },
    decode(ev: SseEvent): StreamEvent[] {
      const data = ev.data.trim();
      const out: StreamEvent[] = [];
      if (data === '' || data === '[DONE]') return out;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        return [upstreamError(`the provider sent a stream event that is not JSON: ${data.slice(0, 200)}`)];
      }
      if (!isObject(parsed)) return [upstreamError(`the provider sent a stream event that is not an object: ${data.slice(0, 200)}`)];
      const o = parsed;
      // The data's `type` is the event; the SSE `event:` line repeats it and is the fallback.
      const type = str(o.type) ?? ev.event;
      if (type === 'error') return [streamError(o)];
      const response = isObject(o.response) ? o.response : {};
      const at = String(o.output_index);
      start(out, response);
      switch (type) {
        case 'response.output_item.added': {
          const item = isObject(o.item) ? o.item : {};
          if (item.type === 'function_call') {
            open(at, 'tool_call', out, item);
            // An item that arrives with its arguments (not OpenAI's way) still has them.
            args(at, str(item.arguments) ?? '', out);
          } else if (item.type === 'reasoning') open(at, 'reasoning', out, item);
          break;
        }
        case 'response.content_part.added':
          // Reasoning items may have content parts too (reasoning_text); their text goes to the reasoning block.
          if (!isObject(o.part) || o.part.type !== 'reasoning_text') open(`${at}:${String(o.content_index)}`, 'text', out);
          break;
        case 'response.output_text.delta':
        case 'response.refusal.delta':
          text(`${at}:${String(o.content_index)}`, str(o.delta) ?? '', out);
          break;
        case 'response.output_text.done':
        case 'response.refusal.done':
          fillText(`${at}:${String(o.content_index)}`, str(o.text) ?? str(o.refusal), out);
          break;
        case 'response.content_part.done': {
          const key = `${at}:${String(o.content_index)}`;
          const part = isObject(o.part) ? o.part : {};
          if (part.type === 'reasoning_text') break;
          fillText(key, str(part.text) ?? str(part.refusal), out);
          close(blocks.get(key), out);
          break;
        }
        case 'response.function_call_arguments.delta':
          args(at, str(o.delta) ?? '', out);
          break;
        case 'response.function_call_arguments.done': {
          const block = blocks.get(at);
          if (!block?.streamed) args(at, str(o.arguments) ?? '', out);
          break;
        }
        case 'response.reasoning_summary_text.delta':
          reasoning(at, o.summary_index, str(o.delta) ?? '', out);
          break;
        case 'response.reasoning_text.delta':
          // Raw reasoning text (open-weight models on compatible servers), shown as OpenAI's summaries are.
          reasoning(at, 0, str(o.delta) ?? '', out);
          break;
        case 'response.output_item.done':
          itemDone(o, out);
          break;
        case 'response.completed':
        case 'response.incomplete':
          finish(response, out);
          done = true;
          break;
        case 'response.failed': {
          done = true;
          const err = isObject(response.error) ? response.error : {};
          const code = str(err.code);
          return [...out, errorEvent(kindOfCode(code), str(err.message) ?? `the provider's response failed${code ? ` (${code})` : ''}`)];
        }
        default:
          // response.created, response.in_progress, the *.done events whose content the deltas
          // already carried, and events of OpenAI's built-in tools, which the gateway never asks for.
          break;
      }
      return out;
    },
  };
}
