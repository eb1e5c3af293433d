// The secret-store contract and the one error type of the secrets domain, with stable codes.

/**
 * Where named secrets live. Every call may be slow (an OS keychain can sit behind a prompt or
 * freeze), so nothing on the request hot path calls a store: the resolver reads through it once
 * and serves requests from memory.
 */
export interface SecretStore {
  readonly backend: 'keychain';
  /** The value, or null when no secret has that name. */
  get(name: string): Promise<string | null>;
  /** Creates or replaces. */
  set(name: string, value: string): Promise<void>;
  /** True when a secret was removed, false when there was none. */
  delete(name: string): Promise<boolean>;
  /** The names stored, sorted; never the values. */
  list(): Promise<string[]>;
}

export type SecretErrorCode =
  | 'SECRET_KEYCHAIN_ABSENT'
  | 'SECRET_KEYCHAIN_TIMEOUT'
  | 'SECRET_KEYCHAIN_UNRESPONSIVE'
  | 'SECRET_KEYCHAIN_FAILED'
  | 'SECRET_NOT_FOUND'
  | 'SECRET_ENV_MISSING'
  | 'SECRET_REF_INVALID'
  | 'SECRET_NAME_INVALID';

/** Messages name secrets, never their values: they end up in logs and in API error bodies. */
export class SecretError extends Error {
  override readonly name = 'SecretError';
  readonly code: SecretErrorCode;

  constructor(code: SecretErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Throws SECRET_NAME_INVALID unless `name` is a valid secret name. The message does not echo the
 * name: a malformed "name" is often a value pasted into the wrong place.
 */
export function assertSecretName(name: string): void {
  if (SECRET_NAME_PATTERN.test(name)) return;
  const detail =
    name.length === 0
      ? 'it is empty'
      : name.length > 128
        ? `it is ${name.length} characters long`
        : `character ${name.search(/[^A-Za-z0-9_.-]/) + 1} is not allowed`;
  throw new SecretError(
    'SECRET_NAME_INVALID',
    `invalid secret name (${detail}): use 1-128 characters from A-Z a-z 0-9 _ . -`,
  );
}
