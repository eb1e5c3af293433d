// Chat Completions `chat.completion` objects <-> the canonical response, and finish_reason <-> StopReason.
// Wire format: https://platform.openai.com/docs/api-reference/chat/object
import { GatewayError } from '../../../errors.js';
import type { CanonicalResponse, ReasoningPart, StopReason, TextPart, ToolCallPart } from '../../canonical.js';
import { usageFromOpenAI, usageToOpenAI, ZERO_USAGE } from '../../usage.js';
import { isObject, str, type Json } from './json.js';

/**
 * OpenAI does not say whether `stop` was the model ending or a stop sequence, so it reads as `end`.
 * Values some compatible servers invent (`eos`, `abort`...) also read as `end`: the text is still
 * the answer, and the ledger keeps the call.
 */
export function stopReasonFromOpenAI(reason: unknown): StopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'end';
  }
}

/** Chat Completions has four finish reasons; the others fold into the nearest one. */
export function finishReasonToOpenAI(reason: StopReason): string {
  switch (reason) {
    case 'max_tokens':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'content_filter':
    case 'refusal':
      return 'content_filter';
    default:
      // end, stop_sequence, pause (a turn the provider paused is over for this reply), error.
      return 'stop';
  }
}

/** Non-standard hidden-reasoning text: `reasoning_content` (DeepSeek, vLLM) or `reasoning` (OpenRouter, Ollama). */
export function reasoningText(o: Json): string | undefined {
  return str(o.reasoning_content) || str(o.reasoning) || undefined;
}

/** A tool call's arguments as text, verbatim; a server that sends an object (not OpenAI's shape) gets it serialised. */
export function argumentsText(v: unknown): string {
  if (typeof v === 'string') return v;
  return v === undefined || v === null ? '' : JSON.stringify(v);
}

export function responseToCanonical(body: Record<string, unknown>): CanonicalResponse {
  const choices = body.choices;
  const choice: unknown = Array.isArray(choices) ? choices[0] : undefined;
  if (!isObject(choice) || !isObject(choice.message)) {
    throw new GatewayError('UPSTREAM_ERROR', 'the provider answered with something that is not a chat.completion (no choices[0].message)');
  }
  const message = choice.message;
  const content: (TextPart | ToolCallPart | ReasoningPart)[] = [];
  const reasoning = reasoningText(message);
  if (reasoning) content.push({ type: 'reasoning', family: 'openai', text: reasoning });
  if (typeof message.content === 'string') {
    if (message.content !== '') content.push({ type: 'text', text: message.content });
  } else if (Array.isArray(message.content)) {
    // Not OpenAI's reply shape, but some compatible servers answer with text parts.
    for (const p of message.content) if (isObject(p) && typeof p.text === 'string' && p.text !== '') content.push({ type: 'text', text: p.text });
  }
  const refusal = str(message.refusal);
  if (refusal) content.push({ type: 'text', text: refusal });
  if (Array.isArray(message.tool_calls)) {
    message.tool_calls.forEach((raw, i) => {
      if (!isObject(raw)) return;
      const fn = isObject(raw.function) ? raw.function : {};
      content.push({ type: 'tool_call', id: str(raw.id) || `call_${i}`, name: str(fn.name) ?? '', arguments: argumentsText(fn.arguments) });
    });
  } else if (isObject(message.function_call)) {
    // The legacy single function call, still sent by some older servers.
    content.push({ type: 'tool_call', id: 'call_0', name: str(message.function_call.name) ?? '', arguments: argumentsText(message.function_call.arguments) });
  }
  const usage = usageFromOpenAI(body.usage);
  return {
    id: str(body.id) ?? '',
    model: str(body.model) ?? '',
    content,
    stopReason: stopReasonFromOpenAI(choice.finish_reason),
    usage: usage ?? { ...ZERO_USAGE },
    // No usage: zeros here, and the caller estimates.
    ...(usage ? {} : { usageEstimated: true }),
  };
}

export function responseFromCanonical(res: CanonicalResponse): Record<string, unknown> {
  const text = res.content
    .filter((p): p is TextPart => p.type === 'text')
    .map((p) => p.text)
    .join('');
  const calls = res.content.filter((p): p is ToolCallPart => p.type === 'tool_call');
  // Readable reasoning of any family is shown as `reasoning_content` (what DeepSeek-style clients
  // read); signatures and opaque data cannot travel in this format and are dropped.
  const reasoning = res.content
    .filter((p): p is ReasoningPart => p.type === 'reasoning')
    .map((p) => p.text ?? '')
    .join('');
  const message: Json = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, refusal: null };
  if (calls.length > 0) message.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  if (reasoning !== '') message.reasoning_content = reasoning;
  return {
    id: res.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: res.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonToOpenAI(res.stopReason) }],
    usage: usageToOpenAI(res.usage),
  };
}
