// Tests for the keychain store: queue and timeout rules on an injected backend, absent-keychain
// errors (injected and with the real keytar), and a round trip through the real OS keychain.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeychainStore, type KeytarLike } from './keychain.js';
import { createSecretResolver } from './resolver.js';
import { SecretError } from './store.js';

const TIMEOUT_MS = 100;

/** An in-memory keytar whose calls can be held open, to play a frozen keychain. */
function fakeKeytar(latencyMs = 0) {
  const data = new Map<string, string>();
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let nextGate: Promise<void> | undefined;

  async function run<T>(label: string, body: () => T): Promise<T> {
    calls.push(label);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const gate = nextGate;
    nextGate = undefined;
    try {
      if (gate) await gate;
      if (latencyMs > 0) await sleep(latencyMs);
      return body();
    } finally {
      inFlight -= 1;
    }
  }

  const backend: KeytarLike = {
    getPassword: (service, account) => run(`get ${account}`, () => data.get(`${service}/${account}`) ?? null),
    setPassword: (service, account, password) =>
      run(`set ${account}`, () => {
        data.set(`${service}/${account}`, password);
      }),
    deletePassword: (service, account) => run(`delete ${account}`, () => data.delete(`${service}/${account}`)),
    findCredentials: (service) =>
      run('list', () =>
        [...data.entries()]
          .filter(([key]) => key.startsWith(`${service}/`))
          .map(([key, password]) => ({ account: key.slice(service.length + 1), password })),
      ),
  };

  return {
    backend,
    calls,
    maxInFlight: () => maxInFlight,
    /** The next backend call waits until `release` or `fail` is called. */
    holdNext(): { release: () => void; fail: (err: Error) => void } {
      let release!: () => void;
      let fail!: (err: Error) => void;
      nextGate = new Promise<void>((resolve, reject) => {
        release = resolve;
        fail = reject;
      });
      return { release, fail };
    },
    /** The next backend call answers only after `ms`. */
    delayNext(ms: number): void {
      nextGate = sleep(ms);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Attaches handlers at once (no unhandled rejections) and measures how long `p` took to settle. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: SecretError }> {
  const start = performance.now();
  try {
    const value = await p;
    return { ms: performance.now() - start, value };
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    return { ms: performance.now() - start, error };
  }
}

function storeOn(fake: ReturnType<typeof fakeKeytar>, service = 'gatehouse') {
  return createKeychainStore({ service, timeoutMs: TIMEOUT_MS, loadBackend: async () => fake.backend });
}

describe('keychain store on an injected backend', () => {
  it('stores, reads, lists and deletes under its service', async () => {
    const fake = fakeKeytar();
    const store = storeOn(fake);
    const other = storeOn(fake, 'someone-else');
    await other.set('shared-name', 'not-ours');

    expect(store.backend).toBe('keychain');
    expect(await store.get('openai')).toBeNull();
    await store.set('openai', 'sk-one');
    await store.set('anthropic', 'sk-two');
    await store.set('openai', 'sk-three');
    expect(await store.get('openai')).toBe('sk-three');
    expect(await store.list()).toEqual(['anthropic', 'openai']);
    expect(await store.delete('openai')).toBe(true);
    expect(await store.delete('openai')).toBe(false);
    expect(await store.list()).toEqual(['anthropic']);
    expect(await other.get('shared-name')).toBe('not-ours');
  });

  it('runs calls one at a time, in call order', async () => {
    const fake = fakeKeytar(10);
    const store = storeOn(fake);
    await Promise.all([store.set('a', 'v-a'), store.get('a'), store.set('b', 'v-b'), store.list(), store.delete('a')]);
    expect(fake.maxInFlight()).toBe(1);
    expect(fake.calls).toEqual(['set a', 'get a', 'set b', 'list', 'delete a']);
  });

  it('rejects invalid names before touching the backend, without echoing them', async () => {
    const fake = fakeKeytar();
    const store = storeOn(fake);
    const pasted = 'sk live key with spaces';
    for (const call of [() => store.get(pasted), () => store.set(pasted, 'x'), () => store.delete('')] as Array<
      () => Promise<unknown>
    >) {
      const { error } = await timed(call());
      expect(error?.code).toBe('SECRET_NAME_INVALID');
      expect(error?.message).not.toContain(pasted);
    }
    await expect(store.get('a'.repeat(129))).rejects.toMatchObject({ code: 'SECRET_NAME_INVALID' });
    expect(await store.get('ok_name-1.2')).toBeNull();
    expect(fake.calls).toEqual(['get ok_name-1.2']);
  });

  it('refuses an empty value with its own error', async () => {
    const fake = fakeKeytar();
    const { error } = await timed(storeOn(fake).set('empty', ''));
    expect(error?.code).toBe('SECRET_KEYCHAIN_FAILED');
    expect(fake.calls).toEqual([]);
  });

  it('answers a call that is slow but within the timeout', async () => {
    const fake = fakeKeytar();
    const store = storeOn(fake);
    await store.set('slow', 'value-1');
    fake.delayNext(TIMEOUT_MS / 2);
    const { value, error } = await timed(store.get('slow'));
    expect(error).toBeUndefined();
    expect(value).toBe('value-1');
  });

  it('times out a hung call, fails others fast while it hangs, and recovers when it settles', async () => {
    const fake = fakeKeytar();
    const store = storeOn(fake);
    await store.set('k', 'value-1');

    const hold = fake.holdNext();
    const hung = await timed(store.get('k'));
    expect(hung.error?.code).toBe('SECRET_KEYCHAIN_TIMEOUT');
    expect(hung.error?.message).toContain('get "k"');
    expect(hung.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(hung.ms).toBeLessThan(TIMEOUT_MS * 5);

    // While the backend still holds that call, nothing new reaches it and nothing waits.
    const callsBefore = fake.calls.length;
    const during = await Promise.all([
      timed(store.get('k')),
      timed(store.set('k', 'value-2')),
      timed(store.list()),
      timed(store.delete('k')),
    ]);
    for (const result of during) {
      expect(result.error?.code).toBe('SECRET_KEYCHAIN_UNRESPONSIVE');
      expect(result.error?.message).toContain('get "k"');
      expect(result.ms).toBeLessThan(TIMEOUT_MS / 2);
    }
    expect(fake.calls.length).toBe(callsBefore);

    hold.release();
    await sleep(0);
    expect(await store.get('k')).toBe('value-1');
    await store.set('k', 'value-3');
    expect(await store.get('k')).toBe('value-3');
  });

  it('fails calls queued behind a call that then hangs, as soon as it times out', async () => {
    const fake = fakeKeytar();
    const store = storeOn(fake);
    const hold = fake.holdNext();
    const first = timed(store.get('first'));
    const queuedStart = performance.now();
    const queued = [timed(store.get('second')), timed(store.set('third', 'secret-value'))];

    expect((await first).error?.code).toBe('SECRET_KEYCHAIN_TIMEOUT');
    for (const result of await Promise.all(queued)) {
      expect(result.error?.code).toBe('SECRET_KEYCHAIN_UNRESPONSIVE');
      expect(result.error?.message).not.toContain('secret-value');
    }
    // They waited for the first call's timeout, not for a timeout of their own each.
    expect(performance.now() - queuedStart).toBeLessThan(TIMEOUT_MS * 1.8);
    expect(fake.calls).toEqual(['get first']);

    hold.release();
    await sleep(0);
    expect(await store.get('second')).toBeNull();
  });

  it('recovers when the hung call finally fails instead of answering', async () => {
    const fake = fakeKeytar();
    const store = storeOn(fake);
    const hold = fake.holdNext();
    expect((await timed(store.list())).error?.code).toBe('SECRET_KEYCHAIN_TIMEOUT');
    expect((await timed(store.get('x'))).error?.code).toBe('SECRET_KEYCHAIN_UNRESPONSIVE');
    hold.fail(new Error('org.freedesktop.DBus.Error.NoReply: did not receive a reply'));
    await sleep(0);
    expect(await store.get('x')).toBeNull();
  });

  it('reports a missing keytar module as ABSENT with what to install and the env: fallback', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'keytar' imported from /app/keychain.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    let loads = 0;
    const store = createKeychainStore({
      timeoutMs: TIMEOUT_MS,
      loadBackend: async () => {
        loads += 1;
        throw notFound;
      },
    });
    const { error, ms } = await timed(store.get('openai'));
    expect(error?.code).toBe('SECRET_KEYCHAIN_ABSENT');
    expect(error?.cause).toBe(notFound);
    expect(error?.message).toContain('keytar');
    expectInstallHint(error);
    expect(ms).toBeLessThan(TIMEOUT_MS / 2);
    // A failed load is retried, so installing the keychain later needs no restart of the store.
    await timed(store.list());
    expect(loads).toBe(2);
  });

  it('reports a Secret Service missing from D-Bus as ABSENT with the install hint', async () => {
    const dbusError = new Error(
      'org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files',
    );
    const fake = fakeKeytar();
    const store = createKeychainStore({
      timeoutMs: TIMEOUT_MS,
      loadBackend: async () => ({ ...fake.backend, getPassword: () => Promise.reject(dbusError) }),
    });
    const { error } = await timed(store.get('openai'));
    expect(error?.code).toBe('SECRET_KEYCHAIN_ABSENT');
    expect(error?.cause).toBe(dbusError);
    expect(error?.message).toContain('org.freedesktop.secrets');
    expectInstallHint(error);
  });

  it('reports other keychain errors as FAILED, keeping the cause and never the value', async () => {
    const value = 'sk-proj-very-secret-0123456789';
    const locked = new Error('Cannot create an item in a locked collection');
    const echoing = new Error(`refused to store ${value}`);
    const fake = fakeKeytar();
    let failure: Error = locked;
    const store = createKeychainStore({
      timeoutMs: TIMEOUT_MS,
      loadBackend: async () => ({ ...fake.backend, setPassword: () => Promise.reject(failure) }),
    });

    const first = await timed(store.set('openai', value));
    expect(first.error?.code).toBe('SECRET_KEYCHAIN_FAILED');
    expect(first.error?.cause).toBe(locked);
    expect(first.error?.message).toContain('locked collection');

    failure = echoing;
    const second = await timed(store.set('openai', value));
    expect(second.error?.code).toBe('SECRET_KEYCHAIN_FAILED');
    expect(second.error?.message).not.toContain(value);
    expect((second.error?.cause as Error).message).not.toContain(value);
  });

  it('turns a backend that throws synchronously into a rejection', async () => {
    const fake = fakeKeytar();
    const store = createKeychainStore({
      timeoutMs: TIMEOUT_MS,
      loadBackend: async () => ({
        ...fake.backend,
        getPassword: () => {
          throw new Error('Service is required.');
        },
      }),
    });
    expect((await timed(store.get('x'))).error?.code).toBe('SECRET_KEYCHAIN_FAILED');
    expect(await store.list()).toEqual([]);
  });
});

function expectInstallHint(error: SecretError | undefined): void {
  expect(error?.message).toContain('env:NAME');
  if (process.platform === 'linux') {
    expect(error?.message).toContain('gnome-keyring');
    expect(error?.message).toContain('KeePassXC');
    expect(error?.message).toContain('libsecret-1');
  }
}

describe.runIf(process.platform === 'linux')('keychain store with the real keytar and no D-Bus session', () => {
  it('fails within a few seconds with a clear ABSENT error', async () => {
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('./keychain.ts', import.meta.url))).href;
    const script = `
      const { createKeychainStore } = await import(${JSON.stringify(moduleUrl)});
      const start = performance.now();
      try {
        await createKeychainStore().get('probe');
        console.log(JSON.stringify({ ok: true }));
      } catch (e) {
        console.log(JSON.stringify({ code: e.code, message: e.message, ms: performance.now() - start }));
      }`;
    const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
    delete env.DISPLAY; // without a display libdbus may try to autolaunch a bus instead of failing
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), env, timeout: 20_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { code?: string; message?: string; ms?: number };
    expect(result.code).toBe('SECRET_KEYCHAIN_ABSENT');
    expect(result.message).toContain('gnome-keyring');
    expect(result.message).toContain('env:NAME');
    expect(result.ms).toBeLessThan(3000);
  }, 30_000);
});

const keyringReady = Boolean(process.env.GATEHOUSE_TEST_KEYRING);

if (!keyringReady && process.env.CI) {
  describe('real OS keychain', () => {
    it('is available in CI', () => {
      throw new Error(
        'CI is set but GATEHOUSE_TEST_KEYRING is not: run the tests through `sh scripts/with-keyring.sh` ' +
          'with dbus, gnome-keyring and libsecret installed (a CI run without the keyring is a broken CI, not a skip)',
      );
    });
  });
} else {
  const suite = keyringReady ? describe : describe.skip;
  suite('real OS keychain (skipped unless run through scripts/with-keyring.sh, which sets GATEHOUSE_TEST_KEYRING)', () => {
    // A unique service and names, so a run can never touch real secrets or a parallel run's.
    const service = `gatehouse-test-${randomUUID()}`;
    const store = createKeychainStore({ service });
    const names = [`rt-${randomUUID()}`, `rt-${randomUUID()}`];

    afterAll(async () => {
      for (const name of names) await store.delete(name);
    });

    it('round-trips set, get, list and delete', async () => {
      const [first, second] = names as [string, string];
      const value = `sk-test-${randomUUID()}-ünïcödé-✓`;
      expect(await store.get(first)).toBeNull();
      await store.set(first, value);
      await store.set(second, 'x'.repeat(4096));
      expect(await store.get(first)).toBe(value);
      expect(await store.get(second)).toBe('x'.repeat(4096));
      expect(await store.list()).toEqual([...names].sort());

      await store.set(first, 'replaced-value');
      expect(await store.get(first)).toBe('replaced-value');

      expect(await store.delete(first)).toBe(true);
      expect(await store.delete(first)).toBe(false);
      expect(await store.get(first)).toBeNull();
      expect(await store.list()).toEqual([second]);
    });

    it('loads keytar from a given package directory (the desktop app passes its Electron build)', async () => {
      const dir = dirname(createRequire(import.meta.url).resolve('keytar/package.json'));
      const fromDir = createKeychainStore({ service, keytarDir: dir });
      await fromDir.set(names[1] as string, 'from-dir');
      expect(await store.get(names[1] as string)).toBe('from-dir');
      const missing = createKeychainStore({ service, keytarDir: join(tmpdir(), `no-keytar-${randomUUID()}`) });
      await expect(missing.list()).rejects.toMatchObject({ code: 'SECRET_KEYCHAIN_ABSENT', message: expect.stringContaining('no-keytar-') });
    });

    it('feeds the resolver, which then answers without the keychain', async () => {
      const name = names[0] as string;
      const value = `sk-resolver-${randomUUID()}`;
      await store.set(name, value);
      const resolver = createSecretResolver(store, {});
      await resolver.prime([`keychain:${name}`]);
      expect(resolver.interpolate(`Bearer \${keychain:${name}}`)).toBe(`Bearer ${value}`);
      expect(resolver.redact(`upstream said: bad key ${value}`)).toBe('upstream said: bad key [redacted]');
    });
  });
}
