// Pieces the Gemini request, response and stream codecs share: part conversion, generated ids, finish reasons.
import { createHash, randomBytes } from 'node:crypto';
import type { ReasoningPart, StopReason, TextPart, ToolCallPart } from '../../canonical.js';
import { argumentsFromObject, argumentsToObject } from '../../tool-args.js';

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Older Gemini models send function calls without an `id`; the canonical model needs one to pair a
 * call with its result. Ids the gateway makes up start with this prefix, so the encoders can leave
 * them out again: Gemini is only ever shown ids it (or the client) produced.
 */
export const GENERATED_ID_PREFIX = 'gemgen_';

export function isGeneratedId(id: string): boolean {
  return id.startsWith(GENERATED_ID_PREFIX);
}

/** An id for a call without one in a request: its position, unique within the request. */
export function requestCallId(contentIndex: number, partIndex: number): string {
  return `${GENERATED_ID_PREFIX}${contentIndex}_${partIndex}`;
}

/**
 * An id for the n-th call of a response: derived from the response id, so it is stable for one
 * response and (unlike a bare counter) differs between the turns of a conversation, which clients
 * of other families require.
 */
export function responseCallId(responseId: string, n: number): string {
  const digest = createHash('sha256').update(`${responseId}\u0000${n}`).digest('base64url').replace(/[^a-zA-Z0-9]/g, '');
  return `${GENERATED_ID_PREFIX}${digest.slice(0, 16)}`;
}

/** A response id for a response that came without `responseId`. */
export function newResponseId(): string {
  return `gemresp_${randomBytes(12).toString('hex')}`;
}

/** The wire `functionCall` part of a canonical call; `id` only when it is not one the gateway made up. */
export function functionCallPart(call: ToolCallPart): Json {
  const fc: Json = { name: call.name, args: argumentsToObject(call.arguments) };
  if (call.id && !isGeneratedId(call.id)) fc.id = call.id;
  return { functionCall: fc };
}

/** A part with `signature` attached as `thoughtSignature` (a new object; none when undefined). */
export function withSignature(part: Json, signature: string | undefined): Json {
  return signature === undefined ? part : { ...part, thoughtSignature: signature };
}

/**
 * Model-output parts (a candidate, or a `model` content) to canonical: `thought` parts become
 * reasoning (the signature of a thought stays with it); a signature on any other part becomes a
 * signature-only reasoning part just before it; empty text is dropped once its signature is kept;
 * function calls without an id get `idFor(n)` for the n-th such call. Other parts (inline images,
 * code execution) have no canonical form in a response and are skipped.
 */
export function modelPartsToCanonical(parts: unknown[], idFor: (n: number) => string): (TextPart | ToolCallPart | ReasoningPart)[] {
  const out: (TextPart | ToolCallPart | ReasoningPart)[] = [];
  let generated = 0;
  for (const part of parts) {
    if (!isRecord(part)) continue;
    const signature = typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '' ? part.thoughtSignature : undefined;
    if (part.thought === true) {
      const r: ReasoningPart = { type: 'reasoning', family: 'gemini' };
      if (typeof part.text === 'string') r.text = part.text;
      if (signature) r.signature = signature;
      out.push(r);
      continue;
    }
    if (signature) out.push({ type: 'reasoning', family: 'gemini', signature });
    if (typeof part.text === 'string') {
      if (part.text !== '') out.push({ type: 'text', text: part.text });
    } else if (isRecord(part.functionCall)) {
      const fc = part.functionCall;
      const id = typeof fc.id === 'string' && fc.id !== '' ? fc.id : idFor(generated++);
      out.push({ type: 'tool_call', id, name: typeof fc.name === 'string' ? fc.name : '', arguments: argumentsFromObject(fc.args) });
    }
  }
  return out;
}

/** Canonical output parts to wire parts, for a response (thoughts shown) or a request (thoughts withheld). */
export function canonicalToModelParts(content: readonly (TextPart | ToolCallPart | ReasoningPart)[], showThoughts: boolean): Json[] {
  const out: Json[] = [];
  let pending: string | undefined;
  const push = (part: Json): void => {
    out.push(withSignature(part, pending));
    pending = undefined;
  };
  for (const p of content) {
    if (p.type === 'reasoning') {
      const signature = p.family === 'gemini' ? p.signature : undefined;
      if (showThoughts && typeof p.text === 'string') {
        // A signature waiting for a part is not put on a thought: it would read back as that thought's own.
        if (pending !== undefined) push({ text: '' });
        out.push(signature !== undefined ? { text: p.text, thought: true, thoughtSignature: signature } : { text: p.text, thought: true });
      } else if (signature !== undefined) {
        if (pending !== undefined) push({ text: '' });
        pending = signature;
      }
    } else if (p.type === 'text') {
      push({ text: p.text });
    } else {
      push(functionCallPart(p));
    }
  }
  if (pending !== undefined) push({ text: '' });
  return out;
}

/**
 * Gemini finish reasons (https://ai.google.dev/api/generate-content#FinishReason). STOP with a
 * function call in the candidate means the model wants tool results; blocked output is a content filter.
 */
export function stopReasonOf(finishReason: unknown, hasToolCall: boolean): StopReason {
  switch (finishReason) {
    case 'MAX_TOKENS':
      return 'max_tokens';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
      return 'content_filter';
    default:
      return hasToolCall ? 'tool_calls' : 'end';
  }
}

export function finishReasonOf(stop: StopReason): string {
  switch (stop) {
    case 'max_tokens':
      return 'MAX_TOKENS';
    case 'content_filter':
    case 'refusal':
      return 'SAFETY';
    case 'error':
      return 'OTHER';
    default:
      return 'STOP';
  }
}
