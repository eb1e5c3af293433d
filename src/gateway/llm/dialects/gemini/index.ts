// The Gemini generateContent dialect: request, response, stream and error codecs behind one Dialect.
import type { Dialect } from '../../canonical.js';
import { geminiErrorBody, parseGeminiError } from './errors.js';
import { requestFromCanonical, requestToCanonical } from './request.js';
import { responseFromCanonical, responseToCanonical } from './response.js';
import { createStreamDecoder, createStreamEncoder } from './stream.js';

export { cleanSchemaForGemini, geminiSchemaToJsonSchema } from './schema.js';
export { GENERATED_ID_PREFIX, isGeneratedId } from './parts.js';

/**
 * Gemini's `models/{model}:generateContent` / `:streamGenerateContent?alt=sse` wire format. The
 * model is part of the URL, never the body: requestToCanonical leaves `model` '' and
 * requestFromCanonical ignores its model argument.
 */
export const geminiGenerate: Dialect = {
  family: 'gemini',
  requestToCanonical,
  requestFromCanonical,
  responseToCanonical,
  responseFromCanonical,
  streamDecoder: createStreamDecoder,
  streamEncoder: createStreamEncoder,
  errorBody: geminiErrorBody,
  parseError: parseGeminiError,
};
