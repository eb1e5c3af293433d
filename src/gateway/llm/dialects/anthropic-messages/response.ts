// Anthropic Messages responses (the `message` object) <-> canonical, and the stop-reason vocabulary.
//
// Reference: https://docs.anthropic.com/en/api/messages (response), stop reasons from
// https://docs.anthropic.com/en/api/handling-stop-reasons.
import { GatewayError } from '../../../errors.js';
import type { CanonicalResponse, StopReason } from '../../canonical.js';
import { mergeUsage, usageFromAnthropic, usageToAnthropic, ZERO_USAGE } from '../../usage.js';
import { argumentsToObject } from '../../tool-args.js';
import { readResponseBlock, writeReasoning, type Json } from './blocks.js';

/** Anthropic `stop_reason` -> canonical. */
export function stopReasonFromAnthropic(reason: unknown): StopReason {
  switch (reason) {
    // model_context_window_exceeded: the context window filled up; for the caller, output was cut short.
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'tool_use':
      return 'tool_calls';
    case 'pause_turn':
      return 'pause';
    case 'refusal':
      return 'refusal';
    default:
      return 'end';
  }
}

/** Canonical -> Anthropic `stop_reason`. Anthropic has no content-filter or error reason. */
export function stopReasonToAnthropic(reason: StopReason): string {
  switch (reason) {
    case 'max_tokens':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'tool_calls':
      return 'tool_use';
    case 'pause':
      return 'pause_turn';
    case 'refusal':
    case 'content_filter':
      return 'refusal';
    case 'end':
    case 'error':
      return 'end_turn';
  }
}

export function anthropicResponseToCanonical(body: Record<string, unknown>): CanonicalResponse {
  if (body['type'] !== 'message' || !Array.isArray(body['content'])) {
    throw new GatewayError('UPSTREAM_ERROR', 'the provider answered with something that is not an Anthropic message (expected type "message" with a content array)');
  }
  let content: CanonicalResponse['content'];
  try {
    content = body['content'].map((b, i) => readResponseBlock(b, `content[${i}]`)).filter((p) => p !== null);
  } catch (err) {
    throw new GatewayError('UPSTREAM_ERROR', `the provider's message is malformed: ${(err as Error).message}`, { cause: err });
  }
  const res: CanonicalResponse = {
    id: typeof body['id'] === 'string' ? body['id'] : '',
    model: typeof body['model'] === 'string' ? body['model'] : '',
    content,
    stopReason: stopReasonFromAnthropic(body['stop_reason']),
    usage: mergeUsage(ZERO_USAGE, usageFromAnthropic(body['usage']) ?? {}),
  };
  if (typeof body['stop_sequence'] === 'string') res.stopSequence = body['stop_sequence'];
  return res;
}

export function anthropicResponseFromCanonical(res: CanonicalResponse): Record<string, unknown> {
  const content: Json[] = [];
  for (const part of res.content) {
    if (part.type === 'text') content.push({ type: 'text', text: part.text });
    else if (part.type === 'tool_call') content.push({ type: 'tool_use', id: part.id, name: part.name, input: argumentsToObject(part.arguments) });
    else {
      const block = writeReasoning(part);
      if (block) content.push(block);
    }
  }
  return {
    id: res.id,
    type: 'message',
    role: 'assistant',
    content,
    model: res.model,
    stop_reason: stopReasonToAnthropic(res.stopReason),
    stop_sequence: res.stopSequence ?? null,
    usage: usageToAnthropic(res.usage),
  };
}

