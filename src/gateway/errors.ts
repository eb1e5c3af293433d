// Gateway errors with stable codes, and their conversion to each API family's wire shape in one place.
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
  | 'PROVIDER_UNAVAILABLE'
  | 'UPSTREAM_AUTH'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_ERROR'
  | 'LEDGER_UNAVAILABLE'
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
  PROVIDER_UNAVAILABLE: 503,
  UPSTREAM_AUTH: 502,
  UPSTREAM_UNREACHABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_ERROR: 502,
  LEDGER_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** OpenAI's `error.type` vocabulary, so SDKs raise the exception class a user expects. */
const OPENAI_TYPE: Record<GatewayErrorCode, string> = {
  HOST_FORBIDDEN: 'permission_error',
  ORIGIN_FORBIDDEN: 'permission_error',
  AUTH_MISSING: 'authentication_error',
  AUTH_INVALID: 'authentication_error',
  AUTH_THROTTLED: 'rate_limit_error',
  ADMIN_AUTH_REQUIRED: 'authentication_error',
  BAD_REQUEST: 'invalid_request_error',
  BODY_TOO_LARGE: 'invalid_request_error',
  NOT_FOUND: 'invalid_request_error',
  METHOD_NOT_ALLOWED: 'invalid_request_error',
  MODEL_NOT_FOUND: 'invalid_request_error',
  MODEL_NOT_GRANTED: 'permission_error',
  PROVIDER_UNAVAILABLE: 'api_error',
  UPSTREAM_AUTH: 'api_error',
  UPSTREAM_UNREACHABLE: 'api_error',
  UPSTREAM_TIMEOUT: 'api_error',
  UPSTREAM_ERROR: 'api_error',
  LEDGER_UNAVAILABLE: 'api_error',
  INTERNAL: 'api_error',
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
  return new GatewayError('INTERNAL', 'the gateway hit an internal error; the details are in its log', { cause: err });
}

export type WireFamily = 'openai' | 'plain';

/** The error body for an API family. `plain` is for routes outside the LLM families. */
export function wireError(err: GatewayError, family: WireFamily): unknown {
  if (family === 'openai') {
    return { error: { message: err.message, type: OPENAI_TYPE[err.code], param: err.param ?? null, code: err.code.toLowerCase() } };
  }
  return { error: { code: err.code.toLowerCase(), message: err.message } };
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
