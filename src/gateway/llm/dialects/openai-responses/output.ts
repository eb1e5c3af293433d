// The `response` object's parts shared by whole replies and streams: output items, status <-> StopReason, the envelope.
// Wire format: https://platform.openai.com/docs/api-reference/responses/object, checked against the
// openai SDK's Response and ResponseOutputItem types (resources/responses/responses.d.ts).
import type { ReasoningPart, StopReason, TextPart, ToolCallPart } from '../../canonical.js';
import { usageToOpenAIResponses, type Usage } from '../../usage.js';
import { isObject, str, type Json } from '../openai-chat/json.js';
import { newId } from './ids.js';

export type OutputPart = TextPart | ToolCallPart | ReasoningPart;

// ---------------------------------------------------------------- status <-> StopReason

export type Ending = { status: 'completed' } | { status: 'incomplete'; reason: 'max_output_tokens' | 'content_filter' } | { status: 'failed' };

/** How a canonical stop reason ends a response. A refusal by the provider's filter reads as content_filter, as in the Chat dialect. */
export function endingOf(reason: StopReason): Ending {
  switch (reason) {
    case 'max_tokens':
      return { status: 'incomplete', reason: 'max_output_tokens' };
    case 'content_filter':
    case 'refusal':
      return { status: 'incomplete', reason: 'content_filter' };
    case 'error':
      return { status: 'failed' };
    default:
      // end, stop_sequence, tool_calls, pause (a paused turn is over for this reply).
      return { status: 'completed' };
  }
}

/**
 * A response's status as a stop reason. Responses has no finish reason: a completed response that
 * called functions stopped to have them run. An incomplete response without a known reason reads
 * as max_tokens, its usual cause; statuses some servers invent read as `end`.
 */
export function stopReasonOf(status: unknown, incomplete: unknown, calledFunctions: boolean): StopReason {
  switch (status) {
    case 'incomplete': {
      const reason = isObject(incomplete) ? incomplete.reason : undefined;
      if (reason === 'content_filter') return 'content_filter';
      return 'max_tokens';
    }
    case 'failed':
    case 'cancelled':
      return 'error';
    default:
      return calledFunctions ? 'tool_calls' : 'end';
  }
}

// ---------------------------------------------------------------- output items -> canonical

function texts(v: unknown, type: string): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter((p): p is Json => isObject(p) && p.type === type && typeof p.text === 'string').map((p) => p.text as string);
}

/** A reasoning item as a canonical part: summary (or raw reasoning text) readable, encrypted content opaque, id as signature. */
export function reasoningPart(item: Json): ReasoningPart {
  const summary = texts(item.summary, 'summary_text');
  const raw = summary.length > 0 ? summary : texts(item.content, 'reasoning_text');
  const id = str(item.id);
  const opaque = str(item.encrypted_content);
  return {
    type: 'reasoning',
    family: 'openai',
    ...(raw.length > 0 ? { text: raw.join('\n\n') } : {}),
    ...(id !== undefined ? { signature: id } : {}),
    ...(opaque !== undefined ? { opaque } : {}),
  };
}

/**
 * Output items in order. Items of OpenAI's built-in tools (web_search_call...) are skipped: the
 * gateway never asks for those tools, and they carry nothing another family could show.
 */
export function partsFromOutput(output: unknown[]): OutputPart[] {
  const parts: OutputPart[] = [];
  for (const item of output) {
    if (!isObject(item)) continue;
    if (item.type === 'message') {
      for (const c of Array.isArray(item.content) ? item.content : []) {
        if (!isObject(c)) continue;
        // A refusal is kept as text, as in the Chat dialect: it is what the model said.
        if (c.type === 'output_text' && typeof c.text === 'string') parts.push({ type: 'text', text: c.text });
        else if (c.type === 'refusal' && typeof c.refusal === 'string') parts.push({ type: 'text', text: c.refusal });
      }
    } else if (item.type === 'function_call') {
      parts.push({ type: 'tool_call', id: str(item.call_id) ?? str(item.id) ?? '', name: namespacedName(str(item.namespace), str(item.name) ?? ''), arguments: str(item.arguments) ?? '' });
    } else if (item.type === 'reasoning') {
      parts.push(reasoningPart(item));
    }
  }
  return parts;
}

// ---------------------------------------------------------------- canonical -> output items

export function outputText(text: string): Json {
  return { type: 'output_text', text, annotations: [] };
}

export function messageItem(id: string, status: 'in_progress' | 'completed', content: Json[]): Json {
  return { id, type: 'message', status, role: 'assistant', content };
}

/**
 * Tools grouped under a `namespace` tool (Codex's sub-agent tools) are called with a `namespace` and
 * a `name`. Canonically they are one name, `namespace.name`: function names cannot contain ".", so
 * the dot only ever marks a namespace, and other families' name fitting restores it in replies.
 */
export function namespacedName(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}.${name}` : name;
}

export function splitNamespaced(name: string): { name: string; namespace?: string } {
  const dot = name.indexOf('.');
  return dot > 0 ? { namespace: name.slice(0, dot), name: name.slice(dot + 1) } : { name };
}

export function functionCallItem(id: string, status: 'in_progress' | 'completed', call: { id: string; name: string; arguments: string }): Json {
  return { id, type: 'function_call', status, call_id: call.id, ...splitNamespaced(call.name), arguments: call.arguments };
}

export function reasoningItem(id: string, text: string, opaque: string | undefined): Json {
  return { id, type: 'reasoning', summary: text === '' ? [] : [{ type: 'summary_text', text }], ...(opaque !== undefined ? { encrypted_content: opaque } : {}) };
}

/**
 * Canonical content as output items: consecutive text parts share one message, each tool call is a
 * function_call item, and OpenAI reasoning a reasoning item (its signature is its id). Another
 * family's reasoning is dropped: this format has no place for its signatures, and its text is not
 * an OpenAI summary.
 */
export function outputFromParts(parts: OutputPart[]): Json[] {
  const output: Json[] = [];
  let message: Json[] | null = null;
  for (const p of parts) {
    if (p.type === 'text') {
      if (!message) {
        message = [];
        output.push(messageItem(newId('msg'), 'completed', message));
      }
      message.push(outputText(p.text));
      continue;
    }
    message = null;
    if (p.type === 'tool_call') output.push(functionCallItem(newId('fc'), 'completed', p));
    else if (p.family === 'openai') output.push(reasoningItem(p.signature ?? newId('rs'), p.text ?? '', p.opaque));
  }
  return output;
}

// ---------------------------------------------------------------- the envelope

/**
 * A `response` object. The request's settings (instructions, tools, temperature...) are echoed by
 * OpenAI; the gateway writes their neutral values, because a reply is written without its request,
 * and clients read output, status and usage.
 */
export function responseObject(o: { id: string; model: string; createdAt: number; ending: Ending | { status: 'in_progress' }; output: Json[]; usage: Usage | null }): Json {
  const { ending } = o;
  return {
    id: o.id,
    object: 'response',
    created_at: o.createdAt,
    status: ending.status,
    ...(ending.status === 'completed' ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
    error: ending.status === 'failed' ? { code: 'server_error', message: 'the provider stopped with an error' } : null,
    incomplete_details: ending.status === 'incomplete' ? { reason: ending.reason } : null,
    instructions: null,
    max_output_tokens: null,
    metadata: {},
    model: o.model,
    output: o.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: null,
    store: false,
    temperature: null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: o.usage ? usageToOpenAIResponses(o.usage) : null,
  };
}
