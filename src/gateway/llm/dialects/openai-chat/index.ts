// The OpenAI Chat Completions dialect: one object the HTTP layer (inbound) and OpenAI-family providers (outbound) share.
import type { Dialect } from '../../canonical.js';
import { errorBody, parseError } from './errors.js';
import { requestFromCanonical, requestToCanonical } from './request.js';
import { responseFromCanonical, responseToCanonical } from './response.js';
import { createStreamDecoder, createStreamEncoder } from './stream.js';

export const openaiChat: Dialect = {
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

export { callHeaders, chatProviderCore, modelIdsFromList, OPENAI_QUIRKS, OPENAI_ROUTES, POST_PATHS, prepareChatBody, type ChatQuirks, type ChatRoutes, type ChatServer } from './upstream.js';
