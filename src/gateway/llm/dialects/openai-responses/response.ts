// Responses `response` objects <-> the canonical response.
// Wire format: https://platform.openai.com/docs/api-reference/responses/object
import { GatewayError } from '../../../errors.js';
import type { CanonicalResponse } from '../../canonical.js';
import { usageFromOpenAIResponses, ZERO_USAGE } from '../../usage.js';
import { isObject, str } from '../openai-chat/json.js';
import { newId } from './ids.js';
import { endingOf, outputFromParts, partsFromOutput, responseObject, stopReasonOf } from './output.js';

export function responseToCanonical(body: Record<string, unknown>): CanonicalResponse {
  if (!Array.isArray(body.output) || (body.object !== undefined && body.object !== 'response')) {
    throw new GatewayError('UPSTREAM_ERROR', 'the provider answered with something that is not a Responses response object (no output array)');
  }
  const content = partsFromOutput(body.output);
  const usage = usageFromOpenAIResponses(body.usage);
  return {
    id: str(body.id) ?? '',
    model: str(body.model) ?? '',
    content,
    stopReason: stopReasonOf(body.status, body.incomplete_details, body.output.some((i) => isObject(i) && i.type === 'function_call')),
    usage: usage ?? { ...ZERO_USAGE },
    // No usage: zeros here, and the caller estimates.
    ...(usage ? {} : { usageEstimated: true }),
  };
}

/** Item ids are generated (msg_, fc_, and rs_ for reasoning without a signature); the response id is the canonical one, or resp_ when empty. */
export function responseFromCanonical(res: CanonicalResponse): Record<string, unknown> {
  return responseObject({
    id: res.id || newId('resp'),
    model: res.model,
    createdAt: Math.floor(Date.now() / 1000),
    ending: endingOf(res.stopReason),
    output: outputFromParts(res.content),
    usage: res.usage,
  });
}
