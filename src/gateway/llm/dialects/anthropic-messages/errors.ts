// Anthropic's error envelope `{type: "error", error: {type, message}}`, both directions, and its type <-> kind table.
//
// Types and statuses from https://docs.anthropic.com/en/api/errors (also used inside streams as `event: error`).
import type { ErrorKind, ParsedUpstreamError, WireErrorInput } from '../../canonical.js';
import { isRecord } from './blocks.js';

/** Each documented error type, its HTTP status and the canonical kind. */
export const ANTHROPIC_ERROR_TYPES = {
  invalid_request_error: { status: 400, kind: 'invalid_request' },
  authentication_error: { status: 401, kind: 'authentication' },
  billing_error: { status: 402, kind: 'budget' },
  permission_error: { status: 403, kind: 'permission' },
  not_found_error: { status: 404, kind: 'not_found' },
  request_too_large: { status: 413, kind: 'request_too_large' },
  rate_limit_error: { status: 429, kind: 'rate_limit' },
  api_error: { status: 500, kind: 'upstream' },
  timeout_error: { status: 504, kind: 'timeout' },
  overloaded_error: { status: 529, kind: 'overloaded' },
} as const satisfies Record<string, { status: number; kind: ErrorKind }>;

export type AnthropicErrorType = keyof typeof ANTHROPIC_ERROR_TYPES;

/** The Anthropic type that says what a canonical kind means. */
export function errorTypeFor(kind: ErrorKind): AnthropicErrorType {
  switch (kind) {
    // Anthropic has no content-filter error (refusals are a stop reason): the request was not accepted.
    case 'invalid_request':
    case 'content_filter':
      return 'invalid_request_error';
    case 'authentication':
      return 'authentication_error';
    case 'budget':
      return 'billing_error';
    case 'permission':
      return 'permission_error';
    case 'not_found':
      return 'not_found_error';
    case 'request_too_large':
      return 'request_too_large';
    case 'rate_limit':
      return 'rate_limit_error';
    case 'timeout':
      return 'timeout_error';
    case 'overloaded':
      return 'overloaded_error';
    case 'upstream':
    case 'internal':
      return 'api_error';
  }
}

function isKnownType(type: unknown): type is AnthropicErrorType {
  return typeof type === 'string' && Object.hasOwn(ANTHROPIC_ERROR_TYPES, type);
}

/** The kind for a status when the type is missing or new ("we may also use this error type for other 4XX status codes"). */
export function kindForStatus(status: number): ErrorKind {
  for (const { status: s, kind } of Object.values(ANTHROPIC_ERROR_TYPES)) if (s === status) return kind;
  return status >= 500 ? 'upstream' : 'invalid_request';
}

/** Kind and status of an Anthropic error type, falling back to the HTTP status for types not (yet) known. */
export function classifyError(type: unknown, status: number): { kind: ErrorKind; status: number } {
  if (isKnownType(type)) return { kind: ANTHROPIC_ERROR_TYPES[type].kind, status: ANTHROPIC_ERROR_TYPES[type].status };
  return { kind: kindForStatus(status), status };
}

export function anthropicErrorBody(err: WireErrorInput): Record<string, unknown> {
  return { type: 'error', error: { type: errorTypeFor(err.kind), message: err.message } };
}

/** Reads Anthropic's envelope (object or JSON text); null when the body is not one. */
export function parseAnthropicError(status: number, body: unknown): ParsedUpstreamError | null {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return null;
    }
  }
  if (!isRecord(value) || !isRecord(value['error'])) return null;
  const error = value['error'];
  const type = error['type'];
  const message = error['message'];
  if (typeof type !== 'string' && typeof message !== 'string') return null;
  const out: ParsedUpstreamError = {
    kind: classifyError(type, status).kind,
    message: typeof message === 'string' ? message : `Anthropic error ${String(type)}`,
  };
  if (typeof type === 'string') out.type = type;
  return out;
}
