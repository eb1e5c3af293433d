// Canonical stream events -> the Responses typed event stream, in the documented order, one output item at a time.
// Wire format: https://platform.openai.com/docs/api-reference/responses-streaming, event shapes as in
// the openai SDK's ResponseStreamEvent type (resources/responses/responses.d.ts).
import type { StopReason, StreamEncoder, StreamEvent, WireErrorInput } from '../../canonical.js';
import { sseFrame } from '../../sse.js';
import { mergeUsage, ZERO_USAGE, type Usage } from '../../usage.js';
import { errorBody } from '../openai-chat/errors.js';
import type { Json } from '../openai-chat/json.js';
import { newId } from './ids.js';
import { endingOf, functionCallItem, messageItem, outputText, reasoningItem, responseObject, splitNamespaced } from './output.js';

interface Block {
  kind: 'text' | 'tool_call' | 'reasoning';
  /** The output item's id; a reasoning item takes its signature when that comes before the item is written. */
  id: string;
  callId: string;
  name: string;
  /** All text (or arguments) received, and how much of it was written as deltas. */
  text: string;
  written: number;
  opaque: string | undefined;
  ended: boolean;
  /** Its output_item.added was written, at this output_index. */
  outputIndex: number | null;
  summaryStarted: boolean;
}

/**
 * Encodes one stream. Responses streams one output item at a time (added, deltas, done), while a
 * canonical source may interleave blocks (OpenAI Chat's parallel tool calls keep every call open to
 * the end). So blocks queue in the order they started: the first is written live, the others are
 * held, and each is written whole when the ones before it are done. Finish and usage are held for
 * the final `response.completed` (or `.incomplete`, `.failed`), which carries every output item.
 * `includeUsage` changes nothing: a Responses stream always reports usage.
 */
export function createStreamEncoder(options: { id: string; model: string; includeUsage: boolean }): StreamEncoder {
  const id = options.id || newId('resp');
  const { model } = options;
  const createdAt = Math.floor(Date.now() / 1000);
  let sequence = 0;
  let headerWritten = false;
  let closed = false;
  let usage: Usage = { ...ZERO_USAGE };
  let stopReason: StopReason = 'end';
  const blocks = new Map<number, Block>();
  /** Canonical indexes whose blocks are not written (another family's reasoning). */
  const dropped = new Set<number>();
  const queue: Block[] = [];
  /** Finished output items, by output_index. */
  const output: Json[] = [];

  function event(type: string, fields: Json): string {
    return sseFrame(JSON.stringify({ type, ...fields, sequence_number: sequence++ }), type);
  }

  function header(): string {
    if (headerWritten) return '';
    headerWritten = true;
    const response = responseObject({ id, model, createdAt, ending: { status: 'in_progress' }, output: [], usage: null });
    return event('response.created', { response }) + event('response.in_progress', { response });
  }

  function where(b: Block): Json {
    return { item_id: b.id, output_index: b.outputIndex };
  }

  /** output_item.added (and a message's content part); a reasoning item waits for its first text or its end, to know its id. */
  function open(b: Block, force: boolean): string {
    if (b.outputIndex !== null) return '';
    if (b.kind === 'reasoning' && !force && b.text === '') return '';
    b.outputIndex = output.length;
    output.push({});
    switch (b.kind) {
      case 'text':
        return (
          event('response.output_item.added', { output_index: b.outputIndex, item: messageItem(b.id, 'in_progress', []) }) +
          event('response.content_part.added', { ...where(b), content_index: 0, part: outputText('') })
        );
      case 'tool_call':
        return event('response.output_item.added', { output_index: b.outputIndex, item: functionCallItem(b.id, 'in_progress', { id: b.callId, name: b.name, arguments: '' }) });
      case 'reasoning':
        return event('response.output_item.added', { output_index: b.outputIndex, item: { id: b.id, type: 'reasoning', summary: [] } });
    }
  }

  /** The deltas for what the block received and has not written yet. */
  function flush(b: Block): string {
    if (b.outputIndex === null) return '';
    const delta = b.text.slice(b.written);
    if (delta === '') return '';
    b.written = b.text.length;
    switch (b.kind) {
      case 'text':
        return event('response.output_text.delta', { ...where(b), content_index: 0, delta, logprobs: [] });
      case 'tool_call':
        return event('response.function_call_arguments.delta', { ...where(b), delta });
      case 'reasoning': {
        let out = '';
        if (!b.summaryStarted) {
          b.summaryStarted = true;
          out += event('response.reasoning_summary_part.added', { ...where(b), summary_index: 0, part: { type: 'summary_text', text: '' } });
        }
        return out + event('response.reasoning_summary_text.delta', { ...where(b), summary_index: 0, delta });
      }
    }
  }

  /** The done events, ending with output_item.done and the whole item. */
  function done(b: Block): string {
    let out = open(b, true) + flush(b);
    const at = b.outputIndex ?? 0;
    let item: Json;
    switch (b.kind) {
      case 'text':
        item = messageItem(b.id, 'completed', [outputText(b.text)]);
        out +=
          event('response.output_text.done', { ...where(b), content_index: 0, text: b.text, logprobs: [] }) +
          event('response.content_part.done', { ...where(b), content_index: 0, part: outputText(b.text) });
        break;
      case 'tool_call':
        item = functionCallItem(b.id, 'completed', { id: b.callId, name: b.name, arguments: b.text });
        out += event('response.function_call_arguments.done', { ...where(b), name: splitNamespaced(b.name).name, arguments: b.text });
        break;
      case 'reasoning':
        item = reasoningItem(b.id, b.text, b.opaque);
        if (b.summaryStarted) {
          out +=
            event('response.reasoning_summary_text.done', { ...where(b), summary_index: 0, text: b.text }) +
            event('response.reasoning_summary_part.done', { ...where(b), summary_index: 0, part: { type: 'summary_text', text: b.text } });
        }
        break;
    }
    output[at] = item;
    return out + event('response.output_item.done', { output_index: at, item });
  }

  /** Writes the blocks at the head of the queue that have ended, and opens the next one live. */
  function advance(): string {
    let out = '';
    for (let head = queue[0]; head; head = queue[0]) {
      if (!head.ended) return out + open(head, false) + flush(head);
      out += done(head);
      queue.shift();
    }
    return out;
  }

  function received(index: number, kind: Block['kind'], update: (b: Block) => void): string {
    const b = blocks.get(index);
    if (!b || b.kind !== kind || b.ended) return '';
    update(b);
    return b === queue[0] ? open(b, false) + flush(b) : '';
  }

  function error(err: WireErrorInput): string {
    if (closed) return '';
    closed = true;
    const { code, message, param } = errorBody(err).error as Json;
    return header() + event('error', { code, message, param });
  }

  return {
    encode(ev: StreamEvent): string {
      if (closed) return '';
      if (ev.type === 'error') return error({ status: ev.status, kind: ev.kind, message: ev.message });
      const out = header();
      switch (ev.type) {
        case 'start':
          if (ev.usage) usage = mergeUsage(usage, ev.usage);
          return out;
        case 'block_start': {
          if (blocks.has(ev.index) || dropped.has(ev.index)) return out;
          // Another family's reasoning: its signatures mean nothing here and its text is not an OpenAI summary.
          if (ev.block === 'reasoning' && ev.family !== 'openai') {
            dropped.add(ev.index);
            return out;
          }
          const kind = ev.block;
          const b: Block = {
            kind,
            id: newId(kind === 'text' ? 'msg' : kind === 'tool_call' ? 'fc' : 'rs'),
            callId: ev.block === 'tool_call' ? ev.id : '',
            name: ev.block === 'tool_call' ? ev.name : '',
            text: '',
            written: 0,
            opaque: undefined,
            ended: false,
            outputIndex: null,
            summaryStarted: false,
          };
          blocks.set(ev.index, b);
          queue.push(b);
          return out + advance();
        }
        case 'text_delta':
          return out + received(ev.index, 'text', (b) => (b.text += ev.text));
        case 'tool_args_delta':
          return out + received(ev.index, 'tool_call', (b) => (b.text += ev.json));
        case 'reasoning_delta':
          return (
            out +
            received(ev.index, 'reasoning', (b) => {
              if (ev.signature !== undefined && b.outputIndex === null) b.id = ev.signature;
              if (ev.opaque !== undefined) b.opaque = (b.opaque ?? '') + ev.opaque;
              if (ev.text !== undefined) b.text += ev.text;
            })
          );
        case 'block_end': {
          const b = blocks.get(ev.index);
          if (!b || b.ended) return out;
          b.ended = true;
          return out + advance();
        }
        case 'usage':
          usage = mergeUsage(usage, ev.usage);
          return out;
        case 'finish':
          stopReason = ev.stopReason;
          return out;
      }
    },
    end(): string {
      if (closed) return '';
      closed = true;
      let out = header();
      for (const b of queue) out += done(b);
      queue.length = 0;
      const ending = endingOf(stopReason);
      const type = ending.status === 'completed' ? 'response.completed' : ending.status === 'incomplete' ? 'response.incomplete' : 'response.failed';
      return out + event(type, { response: responseObject({ id, model, createdAt, ending, output, usage }) });
    },
    error,
  };
}
