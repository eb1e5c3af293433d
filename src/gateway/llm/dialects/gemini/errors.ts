// Gemini's error envelope {error:{code,message,status,details}}: writing the gateway's errors and reading Google's.
//
// Shape and status vocabulary: https://ai.google.dev/gemini-api/docs/troubleshooting (error codes table)
// and https://cloud.google.com/apis/design/errors (google.rpc.Status, ErrorInfo, BadRequest details).
import type { ErrorKind, ParsedUpstreamError, WireErrorInput } from '../../canonical.js';
import { isRecord } from './parts.js';

export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

/**
 * - budget -> RESOURCE_EXHAUSTED: Gemini itself answers RESOURCE_EXHAUSTED ("You exceeded your current
 *   quota, please check your plan and billing details") when a spending quota runs out, which is what
 *   a gateway budget is; FAILED_PRECONDITION would suggest a setup problem instead.
 * - upstream (a provider failed or answered nonsense) -> UNAVAILABLE, gRPC's status for a bad gateway.
 * - request_too_large and content_filter -> INVALID_ARGUMENT, as Gemini reports an over-long prompt.
 */
const STATUS_OF_KIND: Record<ErrorKind, GoogleStatus> = {
  invalid_request: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  request_too_large: 'INVALID_ARGUMENT',
  rate_limit: 'RESOURCE_EXHAUSTED',
  overloaded: 'UNAVAILABLE',
  timeout: 'DEADLINE_EXCEEDED',
  upstream: 'UNAVAILABLE',
  budget: 'RESOURCE_EXHAUSTED',
  content_filter: 'INVALID_ARGUMENT',
  internal: 'INTERNAL',
};

const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';
/** The ErrorInfo domain of codes the gateway itself decided on. */
const GATEWAY_DOMAIN = 'gatehouse';

/**
 * `{error:{code, message, status}}` with `code` the HTTP status the gateway chose. A stable machine
 * code travels as an ErrorInfo `reason` and a parameter as a BadRequest field violation, the places
 * Google puts them, so `parseGeminiError` reads both back.
 */
export function geminiErrorBody(err: WireErrorInput): Record<string, unknown> {
  const error: Record<string, unknown> = { code: err.status, message: err.message, status: STATUS_OF_KIND[err.kind] };
  const details: Record<string, unknown>[] = [];
  if (err.code) details.push({ '@type': ERROR_INFO, reason: err.code, domain: GATEWAY_DOMAIN });
  if (err.param) details.push({ '@type': BAD_REQUEST, fieldViolations: [{ field: err.param, description: err.message }] });
  if (details.length > 0) error.details = details;
  return { error };
}

function kindOf(status: string | undefined, httpStatus: number, reason: string | undefined, message: string): ErrorKind {
  // An unknown API key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID on Gemini
  // (e.g. https://github.com/continuedev/continue/issues/8516): it is an authentication failure.
  if (reason === 'API_KEY_INVALID' || reason === 'API_KEY_EXPIRED') return 'authentication';
  switch (status) {
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
    case 'OUT_OF_RANGE':
      return /exceeds the maximum number of tokens/i.test(message) ? 'request_too_large' : 'invalid_request';
    case 'UNAUTHENTICATED':
      return 'authentication';
    case 'PERMISSION_DENIED':
      return 'permission';
    case 'NOT_FOUND':
      return 'not_found';
    case 'RESOURCE_EXHAUSTED':
      return 'rate_limit';
    case 'UNAVAILABLE':
      return 'overloaded';
    case 'DEADLINE_EXCEEDED':
      return 'timeout';
    case 'INTERNAL':
    case 'UNKNOWN':
    case 'CANCELLED':
    case 'ABORTED':
    case 'DATA_LOSS':
      return 'upstream';
    default:
      break;
  }
  if (httpStatus === 400) return 'invalid_request';
  if (httpStatus === 401) return 'authentication';
  if (httpStatus === 403) return 'permission';
  if (httpStatus === 404) return 'not_found';
  if (httpStatus === 413) return 'request_too_large';
  if (httpStatus === 429) return 'rate_limit';
  if (httpStatus === 503) return 'overloaded';
  if (httpStatus === 504) return 'timeout';
  return 'upstream';
}

/**
 * Reads Google's envelope (also the one-element array that `streamGenerateContent` without
 * `alt=sse` wraps it in); null when the body is not one.
 */
export function parseGeminiError(httpStatus: number, body: unknown): ParsedUpstreamError | null {
  const envelope = Array.isArray(body) && body.length === 1 ? body[0] : body;
  if (!isRecord(envelope) || !isRecord(envelope.error)) return null;
  const e = envelope.error;
  if (typeof e.message !== 'string') return null;
  const status = typeof e.status === 'string' ? e.status : undefined;
  let reason: string | undefined;
  let param: string | undefined;
  if (Array.isArray(e.details)) {
    for (const d of e.details) {
      if (!isRecord(d)) continue;
      if (reason === undefined && typeof d.reason === 'string') reason = d.reason;
      if (param === undefined && Array.isArray(d.fieldViolations)) {
        const fv = d.fieldViolations.find((v): v is Record<string, unknown> => isRecord(v) && typeof v.field === 'string');
        if (fv) param = fv.field as string;
      }
    }
  }
  const code = typeof e.code === 'number' ? e.code : httpStatus;
  const out: ParsedUpstreamError = { kind: kindOf(status, code, reason, e.message), message: e.message };
  if (status) out.type = status;
  if (reason) out.code = reason;
  if (param) out.param = param;
  return out;
}

/** The HTTP status an in-stream error chunk carries (its `code`), else the one its status implies. */
export function streamErrorStatus(body: Record<string, unknown>): number {
  const e = isRecord(body.error) ? body.error : {};
  if (typeof e.code === 'number' && e.code >= 400 && e.code <= 599) return e.code;
  switch (e.status) {
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'PERMISSION_DENIED':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'RESOURCE_EXHAUSTED':
      return 429;
    case 'UNAVAILABLE':
      return 503;
    case 'DEADLINE_EXCEEDED':
      return 504;
    default:
      return 500;
  }
}
