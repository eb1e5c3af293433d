// Anthropic Messages streams <-> canonical stream events: a decoder for provider streams, an encoder for clients.
//
// Event flow (https://docs.anthropic.com/en/docs/build-with-claude/streaming): `message_start`, then per
// content block `content_block_start`, `content_block_delta`s and `content_block_stop`, then
// `message_delta` (stop reason; usage counts are cumulative) and `message_stop`; `ping` and `error`
// events may appear anywhere. Every event carries its name both as the SSE `event:` and as `type`.
import type { SseEvent, StopReason, StreamDecoder, StreamEncoder, StreamEvent, WireErrorInput } from '../../canonical.js';
import { sseFrame } from '../../sse.js';
import { argumentsToObject } from '../../tool-args.js';
import { mergeUsage, usageFromAnthropic, usageToAnthropic, ZERO_USAGE, type Usage } from '../../usage.js';
import { isRecord, type Json } from './blocks.js';
import { classifyError, errorTypeFor } from './errors.js';
import { stopReasonFromAnthropic, stopReasonToAnthropic } from './response.js';

// ---- decoder: provider SSE -> canonical ----

type DecodedBlock = { index: number } | 'skipped';

class AnthropicStreamDecoder implements StreamDecoder {
  done = false;
  /** Wire index -> canonical index. Blocks the gateway does not model are skipped, so canonical indices stay dense. */
  private readonly blocks = new Map<number, DecodedBlock>();
  private nextIndex = 0;

  decode(ev: SseEvent): StreamEvent[] {
    let data: unknown;
    try {
      data = JSON.parse(ev.data) as unknown;
    } catch {
      return [upstreamError(`the provider's stream sent an event that is not JSON (${ev.event ?? 'unnamed'} event)`)];
    }
    if (!isRecord(data)) return [upstreamError(`the provider's stream sent a ${ev.event ?? 'unnamed'} event that is not a JSON object`)];
    const type = typeof data['type'] === 'string' ? data['type'] : ev.event;
    switch (type) {
      case 'message_start':
        return this.messageStart(data);
      case 'content_block_start':
        return this.blockStart(data);
      case 'content_block_delta':
        return this.blockDelta(data);
      case 'content_block_stop': {
        const block = this.blocks.get(Number(data['index']));
        return block === undefined || block === 'skipped' ? [] : [{ type: 'block_end', index: block.index }];
      }
      case 'message_delta':
        return this.messageDelta(data);
      case 'message_stop':
        this.done = true;
        return [];
      case 'error':
        return [streamError(data)];
      default:
        // `ping`, and event types added later ("handle unknown event types gracefully").
        return [];
    }
  }

  private messageStart(data: Json): StreamEvent[] {
    const message = isRecord(data['message']) ? data['message'] : {};
    const out: StreamEvent[] = [
      { type: 'start', id: typeof message['id'] === 'string' ? message['id'] : '', model: typeof message['model'] === 'string' ? message['model'] : '' },
    ];
    const usage = usageFromAnthropic(message['usage']);
    if (usage && Object.keys(usage).length > 0) out.push({ type: 'usage', usage });
    return out;
  }

  private blockStart(data: Json): StreamEvent[] {
    const wireIndex = Number(data['index']);
    const block = isRecord(data['content_block']) ? data['content_block'] : {};
    const str = (k: string): string => (typeof block[k] === 'string' ? (block[k] as string) : '');
    const index = this.nextIndex;
    const out: StreamEvent[] = [];
    switch (block['type']) {
      case 'text':
        out.push({ type: 'block_start', index, block: 'text' });
        if (str('text') !== '') out.push({ type: 'text_delta', index, text: str('text') });
        break;
      case 'thinking':
        out.push({ type: 'block_start', index, block: 'reasoning', family: 'anthropic' });
        if (str('thinking') !== '') out.push({ type: 'reasoning_delta', index, text: str('thinking') });
        if (str('signature') !== '') out.push({ type: 'reasoning_delta', index, signature: str('signature') });
        break;
      case 'redacted_thinking':
        // The whole opaque payload arrives in the start event; there are no deltas for it.
        out.push({ type: 'block_start', index, block: 'reasoning', family: 'anthropic' }, { type: 'reasoning_delta', index, opaque: str('data') });
        break;
      case 'tool_use': {
        out.push({ type: 'block_start', index, block: 'tool_call', id: str('id'), name: str('name') });
        const input = block['input'];
        if (isRecord(input) && Object.keys(input).length > 0) out.push({ type: 'tool_args_delta', index, json: JSON.stringify(input) });
        break;
      }
      default:
        this.blocks.set(wireIndex, 'skipped');
        return [];
    }
    this.blocks.set(wireIndex, { index });
    this.nextIndex += 1;
    return out;
  }

  private blockDelta(data: Json): StreamEvent[] {
    const block = this.blocks.get(Number(data['index']));
    if (block === undefined || block === 'skipped' || !isRecord(data['delta'])) return [];
    const { index } = block;
    const delta = data['delta'];
    const str = (k: string): string => (typeof delta[k] === 'string' ? (delta[k] as string) : '');
    switch (delta['type']) {
      case 'text_delta':
        return [{ type: 'text_delta', index, text: str('text') }];
      case 'input_json_delta':
        return [{ type: 'tool_args_delta', index, json: str('partial_json') }];
      case 'thinking_delta':
        return [{ type: 'reasoning_delta', index, text: str('thinking') }];
      case 'signature_delta':
        return [{ type: 'reasoning_delta', index, signature: str('signature') }];
      default:
        // citations_delta and later delta types: not modelled.
        return [];
    }
  }

  private messageDelta(data: Json): StreamEvent[] {
    const out: StreamEvent[] = [];
    const usage = usageFromAnthropic(data['usage']);
    if (usage && Object.keys(usage).length > 0) out.push({ type: 'usage', usage });
    const delta = isRecord(data['delta']) ? data['delta'] : {};
    if (typeof delta['stop_reason'] === 'string') {
      const finish: StreamEvent = { type: 'finish', stopReason: stopReasonFromAnthropic(delta['stop_reason']) };
      if (typeof delta['stop_sequence'] === 'string') finish.stopSequence = delta['stop_sequence'];
      out.push(finish);
    }
    return out;
  }
}

function upstreamError(message: string): StreamEvent {
  return { type: 'error', status: 502, kind: 'upstream', message };
}

/** An `event: error` (e.g. overloaded_error, which "would normally correspond to an HTTP 529"). */
function streamError(data: Json): StreamEvent {
  const error = isRecord(data['error']) ? data['error'] : {};
  const { kind, status } = classifyError(error['type'], 500);
  const message = typeof error['message'] === 'string' ? error['message'] : `the provider's stream failed (${String(error['type'] ?? 'unknown error')})`;
  return { type: 'error', status, kind, message };
}

export function anthropicStreamDecoder(): StreamDecoder {
  return new AnthropicStreamDecoder();
}

// ---- encoder: canonical -> client SSE ----

type ReasoningDelta = Extract<StreamEvent, { type: 'reasoning_delta' }>;
type BlockDelta = Extract<StreamEvent, { type: 'text_delta' | 'reasoning_delta' | 'tool_args_delta' }>;

interface Block {
  kind: 'text' | 'reasoning' | 'tool_call';
  id: string;
  name: string;
  /** Canonical block_end seen. */
  ended: boolean;
  /** Deltas that arrived while another block was being written. */
  buffered: BlockDelta[];
  state: 'waiting' | 'open' | 'closed';
  /** Index on the wire, given when the block's content_block_start is written. */
  wireIndex?: number;
  /** Tool arguments, written whole at the block's end (see `closeBlock`). */
  args: string;
  /** Reasoning: whether the thinking block was started, and redacted data collected so far. */
  thinking: boolean;
  opaque: string;
}

/**
 * Writes Anthropic's event sequence from canonical events. Anthropic clients require each block to
 * start, receive its deltas and stop before the next starts; canonical sources that interleave
 * (OpenAI's parallel tool calls) have their later blocks buffered until the earlier one ends. The
 * `message_delta` is held back until `end()` because OpenAI-style sources report usage after the
 * finish reason.
 */
class AnthropicStreamEncoder implements StreamEncoder {
  private started = false;
  private finished = false;
  private usage: Usage = { ...ZERO_USAGE };
  private stopReason: StopReason = 'end';
  private stopSequence: string | undefined;
  private readonly blocks = new Map<number, Block | 'dropped'>();
  /** Blocks started upstream but not yet written, in start order. */
  private readonly queue: Block[] = [];
  private current: Block | null = null;
  private nextWireIndex = 0;

  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  encode(ev: StreamEvent): string {
    if (this.finished) return '';
    if (ev.type === 'error') return this.error(ev);
    let out = this.ensureStarted(ev.type === 'start' ? ev.usage : undefined);
    switch (ev.type) {
      case 'start':
        break;
      case 'block_start':
        out += this.blockStart(ev);
        break;
      case 'text_delta':
      case 'reasoning_delta':
      case 'tool_args_delta':
        out += this.delta(ev);
        break;
      case 'block_end': {
        const block = this.blocks.get(ev.index);
        if (block === undefined || block === 'dropped' || block.ended) break;
        block.ended = true;
        if (block === this.current) out += this.closeBlock(block) + this.advance();
        break;
      }
      case 'usage':
        this.usage = mergeUsage(this.usage, ev.usage);
        break;
      case 'finish':
        this.stopReason = ev.stopReason;
        this.stopSequence = ev.stopSequence;
        break;
    }
    return out;
  }

  end(): string {
    if (this.finished) return '';
    let out = this.ensureStarted(undefined);
    // Blocks still open (a source that never ended them) are closed in order.
    for (const block of this.queue) block.ended = true;
    if (this.current) {
      this.current.ended = true;
      out += this.closeBlock(this.current);
    }
    out += this.advance();
    this.finished = true;
    const stopSequence = this.stopReason === 'stop_sequence' ? (this.stopSequence ?? null) : null;
    out += frame({ type: 'message_delta', delta: { stop_reason: stopReasonToAnthropic(this.stopReason), stop_sequence: stopSequence }, usage: usageToAnthropic(this.usage) });
    out += frame({ type: 'message_stop' });
    return out;
  }

  error(err: WireErrorInput): string {
    if (this.finished) return '';
    this.finished = true;
    return frame({ type: 'error', error: { type: errorTypeFor(err.kind), message: err.message } });
  }

  private ensureStarted(usage: Partial<Usage> | undefined): string {
    if (usage) this.usage = mergeUsage(this.usage, usage);
    if (this.started) return '';
    this.started = true;
    return frame({
      type: 'message_start',
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        content: [],
        model: this.model,
        stop_reason: null,
        stop_sequence: null,
        usage: usageToAnthropic(this.usage),
      },
    });
  }

  private blockStart(ev: Extract<StreamEvent, { type: 'block_start' }>): string {
    if (this.blocks.has(ev.index)) return '';
    // Another family's reasoning cannot be verified by Anthropic: it is not shown to the client.
    if (ev.block === 'reasoning' && ev.family !== 'anthropic') {
      this.blocks.set(ev.index, 'dropped');
      return '';
    }
    const block: Block = {
      kind: ev.block,
      id: ev.block === 'tool_call' ? ev.id : '',
      name: ev.block === 'tool_call' ? ev.name : '',
      ended: false,
      buffered: [],
      state: 'waiting',
      args: '',
      thinking: false,
      opaque: '',
    };
    this.blocks.set(ev.index, block);
    this.queue.push(block);
    return this.advance();
  }

  private delta(ev: BlockDelta): string {
    const block = this.blocks.get(ev.index);
    if (block === undefined || block === 'dropped' || block.state === 'closed') return '';
    if (block !== this.current) {
      block.buffered.push(ev);
      return '';
    }
    return this.applyDelta(block, ev);
  }

  /** Opens waiting blocks in order while nothing is open, replaying what they buffered. */
  private advance(): string {
    let out = '';
    while (!this.current) {
      const block = this.queue.shift();
      if (!block) break;
      this.current = block;
      block.state = 'open';
      out += this.openBlock(block);
      for (const ev of block.buffered) out += this.applyDelta(block, ev);
      block.buffered = [];
      if (block.ended) out += this.closeBlock(block);
    }
    return out;
  }

  private openBlock(block: Block): string {
    // A reasoning block's start waits for its first delta: only then is it known to be a `thinking`
    // block or a `redacted_thinking` block (whose data must be in the start event).
    if (block.kind === 'text') return this.writeStart(block, { type: 'text', text: '' });
    if (block.kind === 'tool_call') return this.writeStart(block, { type: 'tool_use', id: block.id, name: block.name, input: {} });
    return '';
  }

  private writeStart(block: Block, contentBlock: Json): string {
    block.wireIndex = this.nextWireIndex++;
    return frame({ type: 'content_block_start', index: block.wireIndex, content_block: contentBlock });
  }

  private writeDelta(block: Block, delta: Json): string {
    return frame({ type: 'content_block_delta', index: block.wireIndex, delta });
  }

  private applyDelta(block: Block, ev: BlockDelta): string {
    if (ev.type === 'text_delta') return block.kind === 'text' ? this.writeDelta(block, { type: 'text_delta', text: ev.text }) : '';
    if (ev.type === 'tool_args_delta') {
      if (block.kind === 'tool_call') block.args += ev.json;
      return '';
    }
    return block.kind === 'reasoning' ? this.applyReasoning(block, ev) : '';
  }

  private applyReasoning(block: Block, ev: ReasoningDelta): string {
    let out = '';
    if (ev.opaque !== undefined && !block.thinking) block.opaque += ev.opaque;
    const hasThinking = (ev.text !== undefined && ev.text !== '') || ev.signature !== undefined;
    if (hasThinking && block.opaque === '' && !block.thinking) {
      block.thinking = true;
      out += this.writeStart(block, { type: 'thinking', thinking: '', signature: '' });
    }
    if (!block.thinking) return out;
    if (ev.text !== undefined && ev.text !== '') out += this.writeDelta(block, { type: 'thinking_delta', thinking: ev.text });
    if (ev.signature !== undefined) out += this.writeDelta(block, { type: 'signature_delta', signature: ev.signature });
    return out;
  }

  private closeBlock(block: Block): string {
    let out = '';
    block.state = 'closed';
    this.current = null;
    if (block.kind === 'tool_call') {
      // Arguments go out whole, once known: a client parses `input` from the concatenated
      // partial_json, so text that is not a JSON object (models produce that) is first wrapped the
      // way tool-args.ts carries it, instead of breaking the client's parser mid-stream.
      const json = toolInputJson(block.args);
      if (json !== '') out += this.writeDelta(block, { type: 'input_json_delta', partial_json: json });
    } else if (block.kind === 'reasoning' && !block.thinking) {
      if (block.opaque === '') return ''; // nothing Anthropic could verify: no block at all
      out += this.writeStart(block, { type: 'redacted_thinking', data: block.opaque });
    }
    return out + frame({ type: 'content_block_stop', index: block.wireIndex });
  }
}

/** Valid object JSON as written (byte for byte), anything else as tool-args.ts's object; '' for none. */
function toolInputJson(args: string): string {
  if (args.trim() === '') return '';
  try {
    const value: unknown = JSON.parse(args);
    if (isRecord(value)) return args;
  } catch {
    // not JSON: wrapped below
  }
  return JSON.stringify(argumentsToObject(args));
}

function frame(data: Json & { type: string }): string {
  return sseFrame(JSON.stringify(data), data.type);
}

/** `includeUsage` does not apply: Anthropic streams always report usage. */
export function anthropicStreamEncoder(options: { id: string; model: string; includeUsage: boolean }): StreamEncoder {
  return new AnthropicStreamEncoder(options.id, options.model);
}
