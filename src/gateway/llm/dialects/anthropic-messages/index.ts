// The Anthropic Messages dialect: Anthropic's wire format in both directions, as one `Dialect`.
import type { Dialect } from '../../canonical.js';
import { anthropicErrorBody, parseAnthropicError } from './errors.js';
import { anthropicRequestFromCanonical, anthropicRequestToCanonical } from './request.js';
import { anthropicResponseFromCanonical, anthropicResponseToCanonical } from './response.js';
import { anthropicStreamDecoder, anthropicStreamEncoder } from './stream.js';

export { DEFAULT_MAX_TOKENS, EFFORT_BUDGET, MIN_THINKING_BUDGET } from './request.js';
export { ANTHROPIC_ERROR_TYPES, errorTypeFor, type AnthropicErrorType } from './errors.js';

export const anthropicMessages: Dialect = {
  family: 'anthropic',
  requestToCanonical: anthropicRequestToCanonical,
  requestFromCanonical: anthropicRequestFromCanonical,
  responseToCanonical: anthropicResponseToCanonical,
  responseFromCanonical: anthropicResponseFromCanonical,
  streamDecoder: anthropicStreamDecoder,
  streamEncoder: anthropicStreamEncoder,
  errorBody: anthropicErrorBody,
  parseError: parseAnthropicError,
};
