// The OpenAI Responses dialect (/v1/responses): one object the HTTP layer (inbound) and Responses providers (outbound) share.
import type { Dialect } from '../../canonical.js';
// Responses errors use Chat Completions' envelope ({"error": {message, type, param, code}}), so the code is shared.
import { errorBody, parseError } from '../openai-chat/errors.js';
import { createStreamDecoder } from './decoder.js';
import { createStreamEncoder } from './encoder.js';
import { requestFromCanonical, requestToCanonical } from './request.js';
import { responseFromCanonical, responseToCanonical } from './response.js';

export const openaiResponses: Dialect = {
  family: 'openai',
  requestToCanonical,
  requestFromCanonical,
  responseToCanonical,
  responseFromCanonical,
  streamDecoder: createStreamDecoder,
  streamEncoder: createStreamEncoder,
  errorBody,
  parseError,
};
