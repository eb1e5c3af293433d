// OpenAI's error envelope both ways: the body the gateway writes, and reading a provider's error.
// Shape: https://platform.openai.com/docs/guides/error-codes (`{"error": {message, type, param, code}}`).
import { errorKind } from '../../../errors.js';
import type { ErrorKind, ParsedUpstreamError, WireErrorInput } from '../../canonical.js';
import { isObject, str, type Json } from './json.js';

/** OpenAI's `error.type` vocabulary, so SDKs raise the exception class a user expects. */
const TYPE: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  not_found: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  content_filter: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  rate_limit: 'rate_limit_error',
  budget: 'insufficient_quota',
  overloaded: 'api_error',
  timeout: 'api_error',
  upstream: 'api_error',
  internal: 'api_error',
};

/** The kind an OpenAI-style `type` names, for errors that arrive without an HTTP status (mid-stream). */
const KIND_OF_TYPE: Record<string, ErrorKind> = {
  invalid_request_error: 'invalid_request',
  authentication_error: 'authentication',
  permission_error: 'permission',
  not_found_error: 'not_found',
  rate_limit_error: 'rate_limit',
  insufficient_quota: 'budget',
  overloaded_error: 'overloaded',
  server_error: 'upstream',
  api_error: 'upstream',
  timeout_error: 'timeout',
};

/** An HTTP status for a kind, for error events that carry none (a stream already answered 200). */
const STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  request_too_large: 413,
  content_filter: 400,
  rate_limit: 429,
  // OpenAI answers an exhausted quota with 429 insufficient_quota.
  budget: 429,
  overloaded: 503,
  timeout: 504,
  upstream: 502,
  internal: 500,
};

export function statusOfKind(kind: ErrorKind): number {
  return STATUS[kind];
}

export function errorBody(err: WireErrorInput): Record<string, unknown> {
  // Azure and OpenAI both report filtered content as code "content_filter"; clients test for it.
  const code = err.kind === 'content_filter' ? 'content_filter' : (err.code ?? null);
  return { error: { message: err.message, type: TYPE[err.kind], param: err.param ?? null, code } };
}

function kindOf(status: number, type: string | undefined, code: string | undefined): ErrorKind {
  if (type === 'insufficient_quota' || code === 'insufficient_quota') return 'budget';
  if (code === 'content_filter' || code === 'content_policy_violation') return 'content_filter';
  if (status >= 400) return errorKind(status);
  return (type !== undefined ? KIND_OF_TYPE[type] : undefined) ?? 'upstream';
}

/**
 * Reads OpenAI's `{"error": {...}}`; also the two shapes compatible servers use instead:
 * `{"error": "text"}` (Ollama) and a top-level `{"object": "error", "message": ...}` (vLLM, Mistral,
 * whose `message` may be an object of validation details). Null for anything else.
 */
export function parseError(status: number, body: unknown): ParsedUpstreamError | null {
  let o: unknown = body;
  if (typeof o === 'string') {
    try {
      o = JSON.parse(o);
    } catch {
      return null;
    }
  }
  if (!isObject(o)) return null;
  let e: Json;
  if (isObject(o.error)) e = o.error;
  else if (typeof o.error === 'string') e = { message: o.error };
  else if (o.object === 'error' && o.message !== undefined) e = o;
  else return null;
  if (e.message === undefined || e.message === null) return null;
  const message = typeof e.message === 'string' ? e.message : JSON.stringify(e.message);
  const type = str(e.type);
  const code = typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : undefined;
  const param = str(e.param);
  return {
    kind: kindOf(status, type, code),
    message,
    ...(type !== undefined ? { type } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(param !== undefined ? { param } : {}),
  };
}
