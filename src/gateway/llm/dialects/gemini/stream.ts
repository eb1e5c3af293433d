// Gemini streamGenerateContent?alt=sse <-> canonical stream events.
//
// Each SSE `data:` is a whole GenerateContentResponse; there is no terminal sentinel: the chunk with
// a finishReason is the last (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
import type { Family, SseEvent, StopReason, StreamDecoder, StreamEncoder, StreamEvent, WireErrorInput } from '../../canonical.js';
import { sseFrame } from '../../sse.js';
import { argumentsFromObject } from '../../tool-args.js';
import { mergeUsage, usageFromGemini, usageToGemini, ZERO_USAGE, type Usage } from '../../usage.js';
import { geminiErrorBody, parseGeminiError, streamErrorStatus } from './errors.js';
import { firstCandidate } from './response.js';
import { finishReasonOf, functionCallPart, isRecord, newResponseId, responseCallId, stopReasonOf, withSignature, type Json } from './parts.js';

class GeminiStreamDecoder implements StreamDecoder {
  done = false;
  private started = false;
  private id = '';
  private next = 0;
  private open: { index: number; kind: 'text' | 'reasoning' } | null = null;
  private calls = 0;

  decode(ev: SseEvent): StreamEvent[] {
    const data = ev.data.trim();
    if (data === '' || this.done) return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return [{ type: 'error', status: 502, kind: 'upstream', message: `Gemini sent a stream event that is not JSON: ${data.slice(0, 200)}` }];
    }
    // Without alt=sse Gemini streams a JSON array; a frame holding such an array is read element by element.
    const chunks = Array.isArray(chunk) ? chunk : [chunk];
    const out: StreamEvent[] = [];
    for (const c of chunks) {
      if (this.done) break;
      out.push(...this.chunk(c));
    }
    return out;
  }

  private closeOpen(out: StreamEvent[]): void {
    if (this.open) out.push({ type: 'block_end', index: this.open.index });
    this.open = null;
  }

  private ensureOpen(kind: 'text' | 'reasoning', out: StreamEvent[]): number {
    if (this.open?.kind === kind) return this.open.index;
    this.closeOpen(out);
    const index = this.next++;
    out.push(kind === 'text' ? { type: 'block_start', index, block: 'text' } : { type: 'block_start', index, block: 'reasoning', family: 'gemini' });
    this.open = { index, kind };
    return index;
  }

  private chunk(c: unknown): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (!isRecord(c)) return [{ type: 'error', status: 502, kind: 'upstream', message: 'Gemini sent a stream event that is not a JSON object' }];
    if (isRecord(c.error)) {
      this.done = true;
      const status = streamErrorStatus(c);
      const parsed = parseGeminiError(status, c);
      return [{ type: 'error', status, kind: parsed?.kind ?? 'upstream', message: parsed?.message ?? 'Gemini reported an error in the stream' }];
    }
    if (!this.started) {
      this.started = true;
      this.id = typeof c.responseId === 'string' && c.responseId !== '' ? c.responseId : newResponseId();
      out.push({ type: 'start', id: this.id, model: typeof c.modelVersion === 'string' ? c.modelVersion : '' });
    }
    const candidate = firstCandidate(c.candidates);
    const parts = candidate && isRecord(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
    for (const part of parts) {
      if (!isRecord(part)) continue;
      const signature = typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '' ? part.thoughtSignature : undefined;
      if (part.thought === true) {
        const index = this.ensureOpen('reasoning', out);
        const text = typeof part.text === 'string' && part.text !== '' ? part.text : undefined;
        if (text !== undefined || signature) out.push({ type: 'reasoning_delta', index, ...(text !== undefined ? { text } : {}), ...(signature ? { signature } : {}) });
        continue;
      }
      if (signature) {
        // The signature belongs to this part: it gets its own reasoning block just before it.
        this.closeOpen(out);
        const index = this.next++;
        out.push({ type: 'block_start', index, block: 'reasoning', family: 'gemini' }, { type: 'reasoning_delta', index, signature }, { type: 'block_end', index });
      }
      if (typeof part.text === 'string') {
        if (part.text === '') continue;
        const index = this.ensureOpen('text', out);
        out.push({ type: 'text_delta', index, text: part.text });
      } else if (isRecord(part.functionCall)) {
        // Gemini sends each function call whole, in one chunk.
        this.closeOpen(out);
        const fc = part.functionCall;
        const index = this.next++;
        const id = typeof fc.id === 'string' && fc.id !== '' ? fc.id : responseCallId(this.id, this.calls);
        this.calls += 1;
        out.push(
          { type: 'block_start', index, block: 'tool_call', id, name: typeof fc.name === 'string' ? fc.name : '' },
          { type: 'tool_args_delta', index, json: argumentsFromObject(fc.args) },
          { type: 'block_end', index },
        );
      }
    }
    // usageMetadata is cumulative and may ride on every chunk.
    const usage = usageFromGemini(c.usageMetadata);
    if (usage) out.push({ type: 'usage', usage });
    const blocked = !candidate && isRecord(c.promptFeedback) && typeof c.promptFeedback.blockReason === 'string';
    if (blocked || (candidate && typeof candidate.finishReason === 'string' && candidate.finishReason !== 'FINISH_REASON_UNSPECIFIED')) {
      this.closeOpen(out);
      out.push({ type: 'finish', stopReason: blocked ? 'content_filter' : stopReasonOf(candidate?.finishReason, this.calls > 0) });
      this.done = true;
    }
    return out;
  }
}

export function createStreamDecoder(): StreamDecoder {
  return new GeminiStreamDecoder();
}

type Block = { kind: 'text' } | { kind: 'reasoning'; family: Family } | { kind: 'tool'; id: string; name: string; args: string };

/**
 * Writes canonical events as Gemini chunks: one chunk per text delta, thought delta and complete
 * function call (argument deltas are buffered until the call's block ends); a Gemini thought
 * signature goes on the next part written. The last chunk carries finishReason and usageMetadata;
 * because an OpenAI source reports usage after its finish, the finish chunk is held until usage
 * arrives or the stream ends. Gemini always reports usage, so `includeUsage` is not consulted.
 */
class GeminiStreamEncoder implements StreamEncoder {
  private readonly blocks = new Map<number, Block>();
  private pending: string | undefined;
  private usage: Usage | undefined;
  private finish: { stopReason: StopReason } | undefined;
  private finished = false;
  private calls = 0;

  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  private frame(parts: Json[], last?: { finishReason: string; usage: Usage }): string {
    const candidate: Json = { content: { parts, role: 'model' } };
    if (last) candidate.finishReason = last.finishReason;
    candidate.index = 0;
    const chunk: Json = { candidates: [candidate] };
    if (last) chunk.usageMetadata = usageToGemini(last.usage);
    chunk.modelVersion = this.model;
    chunk.responseId = this.id;
    return sseFrame(JSON.stringify(chunk));
  }

  /** The part with the waiting signature attached (which is then used up). */
  private take(part: Json): Json {
    const out = withSignature(part, this.pending);
    this.pending = undefined;
    return out;
  }

  private toolPart(block: Extract<Block, { kind: 'tool' }>): Json {
    this.calls += 1;
    return this.take(functionCallPart({ type: 'tool_call', id: block.id, name: block.name, arguments: block.args }));
  }

  private finishChunk(): string {
    this.finished = true;
    const parts: Json[] = [];
    // A call whose block never ended still reaches the client, whole.
    for (const [index, block] of this.blocks) {
      if (block.kind === 'tool') parts.push(this.toolPart(block));
      this.blocks.delete(index);
    }
    if (this.pending !== undefined || parts.length === 0) parts.push(this.take({ text: '' }));
    const stop = this.finish?.stopReason ?? (this.calls > 0 ? 'tool_calls' : 'end');
    return this.frame(parts, { finishReason: finishReasonOf(stop), usage: this.usage ?? ZERO_USAGE });
  }

  encode(ev: StreamEvent): string {
    if (this.finished && ev.type !== 'error') return '';
    switch (ev.type) {
      case 'start':
        if (ev.usage) this.usage = mergeUsage(this.usage ?? ZERO_USAGE, ev.usage);
        return '';
      case 'block_start':
        if (ev.block === 'text') this.blocks.set(ev.index, { kind: 'text' });
        else if (ev.block === 'reasoning') this.blocks.set(ev.index, { kind: 'reasoning', family: ev.family });
        else this.blocks.set(ev.index, { kind: 'tool', id: ev.id, name: ev.name, args: '' });
        return '';
      case 'text_delta':
        return ev.text === '' ? '' : this.frame([this.take({ text: ev.text })]);
      case 'reasoning_delta': {
        const block = this.blocks.get(ev.index);
        const signature = block?.kind === 'reasoning' && block.family === 'gemini' ? ev.signature : undefined;
        if (ev.text !== undefined && ev.text !== '') {
          // A waiting signature is written on its own part first: on a thought it would read back as
          // that thought's own. A thought carries its own signature when the delta brings one.
          const flush = this.pending !== undefined ? this.frame([this.take({ text: '' })]) : '';
          return flush + this.frame([signature !== undefined ? { text: ev.text, thought: true, thoughtSignature: signature } : { text: ev.text, thought: true }]);
        }
        if (signature === undefined) return '';
        const flush = this.pending !== undefined ? this.frame([this.take({ text: '' })]) : '';
        this.pending = signature;
        return flush;
      }
      case 'tool_args_delta': {
        const block = this.blocks.get(ev.index);
        if (block?.kind === 'tool') block.args += ev.json;
        return '';
      }
      case 'block_end': {
        const block = this.blocks.get(ev.index);
        this.blocks.delete(ev.index);
        return block?.kind === 'tool' ? this.frame([this.toolPart(block)]) : '';
      }
      case 'usage':
        this.usage = mergeUsage(this.usage ?? ZERO_USAGE, ev.usage);
        return this.finish ? this.finishChunk() : '';
      case 'finish':
        this.finish = { stopReason: ev.stopReason };
        return '';
      case 'error':
        return this.error({ status: ev.status, kind: ev.kind, message: ev.message });
    }
  }

  end(): string {
    return this.finished ? '' : this.finishChunk();
  }

  error(err: WireErrorInput): string {
    this.finished = true;
    return sseFrame(JSON.stringify(geminiErrorBody(err)));
  }
}

export function createStreamEncoder(options: { id: string; model: string; includeUsage: boolean }): StreamEncoder {
  return new GeminiStreamEncoder(options.id, options.model);
}

