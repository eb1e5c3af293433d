// Gateway errors with stable codes and their family-neutral kind; dialects write the wire shape.
import type { ErrorKind, WireErrorInput } from './llm/canonical.js';

export type GatewayErrorCode =
  | 'HOST_FORBIDDEN'
  | 'ORIGIN_FORBIDDEN'
  | 'AUTH_MISSING'
  | 'AUTH_INVALID'
  | 'AUTH_THROTTLED'
  | 'ADMIN_AUTH_REQUIRED'
  | 'BAD_REQUEST'
  | 'BODY_TOO_LARGE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_NOT_GRANTED'
  | 'MODEL_UNPRICED'
  | 'RATE_LIMITED'
  | 'BUDGET_EXCEEDED'
  | 'PROVIDER_UNAVAILABLE'
  | 'UPSTREAM_AUTH'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_ERROR'
  | 'LEDGER_UNAVAILABLE'
  | 'MCP_UPSTREAM'
  | 'GUARDRAIL_BLOCKED'
  | 'INTERNAL';

const STATUS: Record<GatewayErrorCode, number> = {
  HOST_FORBIDDEN: 403,
  ORIGIN_FORBIDDEN: 403,
  AUTH_MISSING: 401,
  AUTH_INVALID: 401,
  AUTH_THROTTLED: 429,
  ADMIN_AUTH_REQUIRED: 401,
  BAD_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  MODEL_NOT_FOUND: 404,
  MODEL_NOT_GRANTED: 403,
  MODEL_UNPRICED: 403,
  RATE_LIMITED: 429,
  // 402, not 429: SDKs retry a 429 on their own, and a spent budget does not come back in seconds.
  BUDGET_EXCEEDED: 402,
  PROVIDER_UNAVAILABLE: 503,
  UPSTREAM_AUTH: 502,
  UPSTREAM_UNREACHABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_ERROR: 502,
  LEDGER_UNAVAILABLE: 503,
  MCP_UPSTREAM: 502,
  GUARDRAIL_BLOCKED: 400,
  INTERNAL: 500,
};

/** The family-neutral category of each code; each dialect turns it into its own error type. */
const KIND: Record<GatewayErrorCode, ErrorKind> = {
  HOST_FORBIDDEN: 'permission',
  ORIGIN_FORBIDDEN: 'permission',
  AUTH_MISSING: 'authentication',
  AUTH_INVALID: 'authentication',
  AUTH_THROTTLED: 'rate_limit',
  ADMIN_AUTH_REQUIRED: 'authentication',
  BAD_REQUEST: 'invalid_request',
  BODY_TOO_LARGE: 'request_too_large',
  NOT_FOUND: 'not_found',
  METHOD_NOT_ALLOWED: 'invalid_request',
  MODEL_NOT_FOUND: 'not_found',
  MODEL_NOT_GRANTED: 'permission',
  MODEL_UNPRICED: 'permission',
  RATE_LIMITED: 'rate_limit',
  BUDGET_EXCEEDED: 'budget',
  PROVIDER_UNAVAILABLE: 'upstream',
  UPSTREAM_AUTH: 'upstream',
  UPSTREAM_UNREACHABLE: 'upstream',
  UPSTREAM_TIMEOUT: 'timeout',
  UPSTREAM_ERROR: 'upstream',
  LEDGER_UNAVAILABLE: 'internal',
  MCP_UPSTREAM: 'upstream',
  GUARDRAIL_BLOCKED: 'content_filter',
  INTERNAL: 'internal',
};

export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; retryAfterSeconds?: number; param?: string },
  ) {
    super(message, options);
    this.name = 'GatewayError';
    this.status = options?.status ?? STATUS[code];
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.param = options?.param;
  }
  readonly retryAfterSeconds: number | undefined;
  readonly param: string | undefined;
}

export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isStorageFailure(err)) {
    return new GatewayError('LEDGER_UNAVAILABLE', 'the gateway could not write to its data directory, so nothing was sent; check the free space and permissions of the data directory', { cause: err });
  }
  return new GatewayError('INTERNAL', 'the gateway hit an internal error; the details are in its log', { cause: err });
}

/**
 * SQLite failing to write (a full disk, a file that may not grow, a read-only or vanished file,
 * a lock held too long), wherever on the request path it surfaces: the request is refused as one
 * the ledger cannot take, not as a bug.
 */
function isStorageFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^SQLITE_(IOERR|FULL|READONLY|CANTOPEN|BUSY|LOCKED)/.test(code)) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err && isStorageFailure(cause);
}

/** What a dialect needs to write this error in its family's shape. */
export function wireInput(err: GatewayError): WireErrorInput {
  return { status: err.status, kind: KIND[err.code], message: err.message, code: err.code.toLowerCase(), ...(err.param ? { param: err.param } : {}) };
}

/** The error body of routes outside the LLM families (admin API, console, health). */
export function plainError(err: GatewayError): unknown {
  return { error: { code: err.code.toLowerCase(), message: err.message } };
}

/** The category of an upstream HTTP status whose body could not be read. */
export function errorKind(status: number): ErrorKind {
  if (status === 400 || status === 422) return 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 402) return 'budget';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 503 || status === 529) return 'overloaded';
  return 'upstream';
}

/** Errors whose request the ledger already shows (as an llm.request), so they are not recorded twice. */
const recorded = new WeakSet<GatewayError>();

export function markRecorded(err: GatewayError): GatewayError {
  recorded.add(err);
  return err;
}

export function isRecorded(err: GatewayError): boolean {
  return recorded.has(err);
}
