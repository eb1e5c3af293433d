// Turns `keychain:NAME` / `env:NAME` references into values: read once up front, then served from memory.
import { SECRET_NAME_PATTERN, SecretError, type SecretStore } from './store.js';

export interface SecretRef {
  kind: 'keychain' | 'env';
  name: string;
}

/**
 * Reads secrets off the hot path. Contract: `prime` is the only method that touches the keychain;
 * `get`, `interpolate` and `redact` are synchronous and answer from what `prime` cached, so a
 * locked or frozen keychain can slow start-up or a reload, never a request.
 */
export interface SecretResolver {
  /**
   * Reads each reference once and caches its value or its failure; never throws. References
   * already holding a value are not read again; recorded failures are retried.
   */
  prime(refs: Iterable<string>): Promise<void>;
  /** The cached value, or throws the recorded SecretError (SECRET_NOT_FOUND if never primed). */
  get(ref: string): string;
  /** Replaces every `${keychain:NAME}` and `${env:NAME}` in a header value; throws like `get`. */
  interpolate(template: string): string;
  /** The references a template uses, each once, in order of appearance: what to `prime`. */
  refsIn(template: string): string[];
  /** Drops every cached entry, or only `keychain:NAME`: call after a set or delete. */
  invalidate(name?: string): void;
  /** Replaces every cached secret value of 8+ characters in `text` with `[redacted]`. */
  redact(text: string): string;
}

const REF_SHAPE = /^(keychain|env):/;
const TEMPLATE_REF = /\$\{(keychain|env):([^}]*)\}/g;
/** Shorter values are too likely to be ordinary words: redacting them would mangle logs. */
const MIN_REDACT_LENGTH = 8;
const REDACTED = '[redacted]';

export function parseSecretRef(ref: string): SecretRef {
  const shape = REF_SHAPE.exec(ref);
  // The reference itself is not echoed: a malformed one is often the secret pasted in its place.
  if (!shape) {
    throw new SecretError('SECRET_REF_INVALID', 'invalid secret reference: expected "keychain:NAME" or "env:NAME"');
  }
  const kind = shape[1] as SecretRef['kind'];
  const name = ref.slice(kind.length + 1);
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new SecretError(
      'SECRET_REF_INVALID',
      `invalid secret reference "${kind}:…": the name must be 1-128 characters from A-Z a-z 0-9 _ . -`,
    );
  }
  return { kind, name };
}

type Entry = { ok: true; value: string } | { ok: false; error: SecretError };

export function createSecretResolver(keychain: SecretStore, env: Record<string, string | undefined>): SecretResolver {
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<void>>();
  /**
   * Values dropped by `invalidate` stay redacted: requests already in flight may still echo the
   * old key in an upstream error, and a rotated key can still be live elsewhere.
   */
  const retired = new Set<string>();
  let redactor: RegExp | null | undefined; // undefined: rebuild; null: nothing to redact

  async function read(ref: SecretRef): Promise<Entry> {
    if (ref.kind === 'env') {
      const value = env[ref.name];
      if (value === undefined || value === '') {
        const state = value === undefined ? 'is not set' : 'is empty';
        return fail('SECRET_ENV_MISSING', `environment variable ${ref.name} ${state} (referenced as env:${ref.name})`);
      }
      return { ok: true, value };
    }
    try {
      const value = await keychain.get(ref.name);
      if (value === null) {
        return fail(
          'SECRET_NOT_FOUND',
          `no secret named "${ref.name}" in the OS keychain (referenced as keychain:${ref.name}); store it, or use env:NAME instead`,
        );
      }
      return { ok: true, value };
    } catch (err) {
      if (err instanceof SecretError) return { ok: false, error: err };
      return fail('SECRET_KEYCHAIN_FAILED', `reading keychain:${ref.name} failed: ${String(err)}`, err);
    }
  }

  function store(key: string, entry: Entry): void {
    cache.set(key, entry);
    if (entry.ok) redactor = undefined;
  }

  function retire(key: string): void {
    const entry = cache.get(key);
    if (entry?.ok) retired.add(entry.value);
    cache.delete(key);
    inflight.delete(key);
  }

  function get(ref: string): string {
    const parsed = parseSecretRef(ref);
    const key = `${parsed.kind}:${parsed.name}`;
    const entry = cache.get(key);
    if (!entry) {
      throw new SecretError('SECRET_NOT_FOUND', `secret ${key} was not loaded: prime the resolver with it before use`);
    }
    if (!entry.ok) throw entry.error;
    return entry.value;
  }

  function buildRedactor(): RegExp | null {
    const needles = new Set<string>();
    const values = [...retired];
    for (const entry of cache.values()) if (entry.ok) values.push(entry.value);
    for (const value of values) {
      // Also the forms a value takes inside a JSON string or a URL, where upstream errors echo it.
      for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
        if (form.length >= MIN_REDACT_LENGTH) needles.add(form);
      }
    }
    if (needles.size === 0) return null;
    // Longest first, so a value that contains another is replaced whole.
    const alternatives = [...needles].sort((a, b) => b.length - a.length).map(escapeRegExp);
    return new RegExp(alternatives.join('|'), 'g');
  }

  return {
    async prime(refs) {
      const waits: Promise<void>[] = [];
      for (const ref of refs) {
        let parsed: SecretRef;
        try {
          parsed = parseSecretRef(ref);
        } catch {
          continue; // Nothing to read: `get` reports SECRET_REF_INVALID for it on its own.
        }
        const key = `${parsed.kind}:${parsed.name}`;
        if (cache.get(key)?.ok) continue;
        let pending = inflight.get(key);
        if (!pending) {
          const started: Promise<void> = read(parsed).then((entry) => {
            // An invalidate while this read was in flight makes its result stale: drop it.
            if (inflight.get(key) !== started) return;
            inflight.delete(key);
            store(key, entry);
          });
          inflight.set(key, started);
          pending = started;
        }
        waits.push(pending);
      }
      await Promise.all(waits);
    },

    get,

    interpolate(template) {
      return template.replace(TEMPLATE_REF, (_match, kind: string, name: string) => get(`${kind}:${name}`));
    },

    refsIn(template) {
      const refs = new Set<string>();
      for (const match of template.matchAll(TEMPLATE_REF)) refs.add(`${match[1]}:${match[2]}`);
      return [...refs];
    },

    invalidate(name) {
      if (name === undefined) {
        for (const key of [...cache.keys()]) retire(key);
        inflight.clear();
      } else {
        retire(`keychain:${name}`);
      }
      redactor = undefined;
    },

    redact(text) {
      if (redactor === undefined) redactor = buildRedactor();
      return redactor === null ? text : text.replace(redactor, REDACTED);
    },
  };
}

function fail(code: SecretError['code'], message: string, cause?: unknown): Entry {
  return { ok: false, error: new SecretError(code, message, cause === undefined ? undefined : { cause }) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
