// Tests for secret references: parsing, priming from env and an in-memory store, interpolation,
// invalidation and redaction.
import { describe, expect, it } from 'vitest';
import { createSecretResolver, parseSecretRef } from './resolver.js';
import { SecretError, type SecretStore } from './store.js';
import { thrown } from '../../../test/helpers/thrown.js';

/** An in-memory SecretStore that counts reads and can be told to fail. */
function memoryStore(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  const reads: string[] = [];
  const failures = new Map<string, unknown>();
  const store: SecretStore = {
    backend: 'keychain',
    async get(name) {
      reads.push(name);
      const failure = failures.get(name);
      if (failure !== undefined) throw failure;
      return data.get(name) ?? null;
    },
    async set(name, value) {
      data.set(name, value);
    },
    async delete(name) {
      return data.delete(name);
    },
    async list() {
      return [...data.keys()].sort();
    },
  };
  return { store, data, reads, failures };
}


describe('parseSecretRef', () => {
  it('parses keychain and env references', () => {
    expect(parseSecretRef('keychain:openai')).toEqual({ kind: 'keychain', name: 'openai' });
    expect(parseSecretRef('env:ANTHROPIC_API_KEY')).toEqual({ kind: 'env', name: 'ANTHROPIC_API_KEY' });
    expect(parseSecretRef(`env:${'a'.repeat(128)}`).name).toHaveLength(128);
  });

  it('rejects anything else with SECRET_REF_INVALID, without echoing it', () => {
    const pasted = 'sk-proj-abcdefghijklmnop';
    for (const bad of [pasted, 'vault:x', 'env:', 'keychain:has space', `keychain:${'a'.repeat(129)}`, 'KEYCHAIN:x']) {
      const error = thrown(SecretError, () => parseSecretRef(bad));
      expect(error.code).toBe('SECRET_REF_INVALID');
      expect(error.message).not.toContain(pasted);
    }
    expect(thrown(SecretError, () => parseSecretRef(`env:${pasted}!`)).message).not.toContain(pasted);
  });
});

describe('secret resolver', () => {
  it('serves env references from the environment it was given', async () => {
    const resolver = createSecretResolver(memoryStore().store, { OPENAI_API_KEY: 'sk-env-value', EMPTY: '' });
    await resolver.prime(['env:OPENAI_API_KEY', 'env:NOT_SET', 'env:EMPTY']);
    expect(resolver.get('env:OPENAI_API_KEY')).toBe('sk-env-value');

    const missing = thrown(SecretError, () => resolver.get('env:NOT_SET'));
    expect(missing.code).toBe('SECRET_ENV_MISSING');
    expect(missing.message).toContain('NOT_SET');
    expect(thrown(SecretError, () => resolver.get('env:EMPTY')).code).toBe('SECRET_ENV_MISSING');
  });

  it('reads each keychain reference once and then answers synchronously', async () => {
    const { store, reads } = memoryStore({ openai: 'sk-keychain-1', anthropic: 'sk-keychain-2' });
    const resolver = createSecretResolver(store, {});
    await Promise.all([
      resolver.prime(['keychain:openai', 'keychain:anthropic', 'keychain:openai']),
      resolver.prime(['keychain:openai']),
    ]);
    await resolver.prime(['keychain:openai']);
    expect(reads.sort()).toEqual(['anthropic', 'openai']);
    expect(resolver.get('keychain:openai')).toBe('sk-keychain-1');
    expect(resolver.get('keychain:anthropic')).toBe('sk-keychain-2');
  });

  it('says a reference that was never primed was not loaded', () => {
    const resolver = createSecretResolver(memoryStore({ openai: 'sk-1234567890' }).store, { X: 'y' });
    for (const ref of ['keychain:openai', 'env:X']) {
      const error = thrown(SecretError, () => resolver.get(ref));
      expect(error.code).toBe('SECRET_NOT_FOUND');
      expect(error.message).toContain('not loaded');
    }
    expect(thrown(SecretError, () => resolver.get('nonsense')).code).toBe('SECRET_REF_INVALID');
  });

  it('records failures without throwing from prime, and retries them on the next prime', async () => {
    const { store, failures, data } = memoryStore();
    const timeout = new SecretError('SECRET_KEYCHAIN_TIMEOUT', 'OS keychain did not answer');
    const odd = new TypeError('unexpected');
    failures.set('slow', timeout);
    failures.set('odd', odd);
    const resolver = createSecretResolver(store, {});

    await expect(resolver.prime(['keychain:slow', 'keychain:absent', 'keychain:odd', 'bad ref'])).resolves.toBeUndefined();
    expect(thrown(SecretError, () => resolver.get('keychain:slow'))).toBe(timeout);
    const notFound = thrown(SecretError, () => resolver.get('keychain:absent'));
    expect(notFound.code).toBe('SECRET_NOT_FOUND');
    expect(notFound.message).toContain('"absent"');
    const failed = thrown(SecretError, () => resolver.get('keychain:odd'));
    expect(failed.code).toBe('SECRET_KEYCHAIN_FAILED');
    expect(failed.cause).toBe(odd);

    failures.delete('slow');
    data.set('slow', 'sk-finally-there');
    await resolver.prime(['keychain:slow']);
    expect(resolver.get('keychain:slow')).toBe('sk-finally-there');
  });

  it('interpolates header templates and lists the references they use', async () => {
    const { store } = memoryStore({ tok: 'sk-keychain-token' });
    const resolver = createSecretResolver(store, { ORG: 'org-123' });
    const template = 'Bearer ${keychain:tok}; org=${env:ORG}; again=${keychain:tok}; ${other:x} $HOME';
    expect(resolver.refsIn(template)).toEqual(['keychain:tok', 'env:ORG']);
    expect(resolver.refsIn('plain value')).toEqual([]);

    expect(thrown(SecretError, () => resolver.interpolate(template)).code).toBe('SECRET_NOT_FOUND');
    await resolver.prime(resolver.refsIn(template));
    expect(resolver.interpolate(template)).toBe(
      'Bearer sk-keychain-token; org=org-123; again=sk-keychain-token; ${other:x} $HOME',
    );
    expect(resolver.interpolate('no references')).toBe('no references');
    expect(thrown(SecretError, () => resolver.interpolate('x ${keychain:bad name}')).code).toBe('SECRET_REF_INVALID');
    expect(thrown(SecretError, () => resolver.interpolate('${env:UNSET}')).code).toBe('SECRET_NOT_FOUND');
  });

  it('drops one keychain entry or everything on invalidate, and re-reads on the next prime', async () => {
    const { store, data, reads } = memoryStore({ a: 'sk-value-a-1', b: 'sk-value-b-1' });
    const resolver = createSecretResolver(store, { E: 'env-value-1' });
    await resolver.prime(['keychain:a', 'keychain:b', 'env:E']);

    data.set('a', 'sk-value-a-2');
    resolver.invalidate('a');
    expect(thrown(SecretError, () => resolver.get('keychain:a')).message).toContain('not loaded');
    expect(resolver.get('keychain:b')).toBe('sk-value-b-1');
    await resolver.prime(['keychain:a', 'keychain:b']);
    expect(resolver.get('keychain:a')).toBe('sk-value-a-2');
    expect(reads).toEqual(['a', 'b', 'a']);

    resolver.invalidate();
    for (const ref of ['keychain:a', 'keychain:b', 'env:E']) {
      expect(thrown(SecretError, () => resolver.get(ref)).code).toBe('SECRET_NOT_FOUND');
    }
  });

  it('discards a read that was in flight when its entry was invalidated', async () => {
    let answer!: (value: string) => void;
    const store: SecretStore = {
      ...memoryStore().store,
      get: () => new Promise<string>((resolve) => (answer = resolve)),
    };
    const resolver = createSecretResolver(store, {});
    const priming = resolver.prime(['keychain:rotating']);
    resolver.invalidate('rotating');
    answer('sk-stale-value-0000');
    await priming;
    expect(thrown(SecretError, () => resolver.get('keychain:rotating')).code).toBe('SECRET_NOT_FOUND');
  });

  it('redacts every cached value of 8+ characters, in any of the forms upstreams echo', async () => {
    const values = {
      plain: 'sk-live-0123456789abcdef',
      longer: 'sk-live-0123456789abcdefXYZ',
      regexy: 'a.b*c(d)e[f]+g?h$i^j|k\\l',
      quoted: 'pa"ss/word+x=y',
      short: 'abc123',
    };
    const { store } = memoryStore(values);
    const resolver = createSecretResolver(store, { E: 'env-secret-value' });
    expect(resolver.redact(`nothing cached: ${values.plain}`)).toBe(`nothing cached: ${values.plain}`);
    await resolver.prime([...Object.keys(values).map((name) => `keychain:${name}`), 'env:E', 'keychain:missing']);

    const body = JSON.stringify({
      error: `invalid key ${values.plain}, also ${values.longer} and ${values.regexy}`,
      echo: values.quoted,
      url: `https://x.test/?key=${encodeURIComponent(values.quoted)}`,
      env: 'env-secret-value',
      short: values.short,
    });
    const redacted = resolver.redact(body);
    for (const value of [values.plain, values.longer, values.regexy, values.quoted, 'env-secret-value']) {
      expect(redacted).not.toContain(value);
      expect(redacted).not.toContain(JSON.stringify(value).slice(1, -1));
      expect(redacted).not.toContain(encodeURIComponent(value));
    }
    expect(redacted).not.toContain('XYZ'); // the longer value went whole, not as plain + leftover
    expect(redacted).toContain(values.short); // too short to redact without mangling ordinary text
    expect(resolver.redact('invalid key sk-live-0123456789abcdef!')).toBe('invalid key [redacted]!');
    expect(resolver.redact('a sk-live-0123456789abcdef b sk-live-0123456789abcdef')).toBe('a [redacted] b [redacted]');
  });

  it('keeps redacting a value after it was invalidated', async () => {
    const { store, data } = memoryStore({ key: 'sk-old-value-123' });
    const resolver = createSecretResolver(store, {});
    await resolver.prime(['keychain:key']);
    data.set('key', 'sk-new-value-456');
    resolver.invalidate('key');
    await resolver.prime(['keychain:key']);
    expect(resolver.redact('old sk-old-value-123 new sk-new-value-456')).toBe('old [redacted] new [redacted]');
  });
});
