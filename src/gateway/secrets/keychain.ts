// The OS-keychain SecretStore (keytar), behind one serial queue that a frozen keychain cannot clog.
import { createRequire } from 'node:module';
import { SecretError, assertSecretName, type SecretStore } from './store.js';

/** The part of keytar this store uses; tests inject their own. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export interface KeychainStoreOptions {
  /** The keychain "service" every secret is filed under. */
  service?: string;
  /** How long one keychain call may take before it is declared hung. */
  timeoutMs?: number;
  /** Loads the backend; defaults to importing keytar, an optional dependency. */
  loadBackend?: () => Promise<KeytarLike>;
  /** A keytar package directory to load instead of node_modules' (the desktop app's Electron build). */
  keytarDir?: string;
}

const DEFAULT_SERVICE = 'gatehouse';
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Every call runs through one serial queue with a per-call timeout.
 *
 * Ordering rule: calls run one at a time, in the order they were made. A frozen keychain hangs a
 * call for about 50 s and the native call cannot be cancelled, so when a call times out it is
 * rejected with SECRET_KEYCHAIN_TIMEOUT and, until that call finally settles, every queued or new
 * call is rejected at once with SECRET_KEYCHAIN_UNRESPONSIVE instead of waiting behind it. Once
 * the hung call settles (its late result is discarded) the store works again.
 */
export function createKeychainStore(opts: KeychainStoreOptions = {}): SecretStore {
  const service = opts.service ?? DEFAULT_SERVICE;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const loadBackend = opts.loadBackend ?? (() => importKeytar(opts.keytarDir));

  let backend: KeytarLike | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  /** The call that timed out and has not settled yet, described for error messages. */
  let hung: { what: string } | undefined;

  async function backendOrAbsent(): Promise<KeytarLike> {
    if (backend) return backend;
    try {
      backend = await loadBackend();
    } catch (err) {
      // Only success is remembered: a failed load is cheap to retry and may be fixed meanwhile.
      throw new SecretError(
        'SECRET_KEYCHAIN_ABSENT',
        `OS keychain unavailable: the keytar module could not be loaded (${messageOf(err)}). ${absentHint()}`,
        { cause: err },
      );
    }
    return backend;
  }

  function unresponsive(what: string): SecretError {
    return new SecretError(
      'SECRET_KEYCHAIN_UNRESPONSIVE',
      `OS keychain is unresponsive: an earlier call (${hung?.what ?? 'unknown'}) timed out and has not returned yet, ` +
        `so ${what} was not queued behind it; try again once the keychain answers (unlock it if it is waiting for a prompt)`,
    );
  }

  function enqueue<T>(what: string, call: (k: KeytarLike) => Promise<T>, secretValue?: string): Promise<T> {
    if (hung) return Promise.reject(unresponsive(what));
    const result = tail.then(() => {
      // Re-checked here: a call queued before its predecessor hung must not start behind it.
      if (hung) throw unresponsive(what);
      return attempt(what, call, secretValue);
    });
    tail = result.catch(() => undefined);
    return result;
  }

  function attempt<T>(what: string, call: (k: KeytarLike) => Promise<T>, secretValue?: string): Promise<T> {
    // `call` may throw synchronously (keytar validates its arguments that way): async keeps it a rejection.
    const pending = backendOrAbsent().then(async (k) => call(k));
    return new Promise<T>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        const marker = { what };
        hung = marker;
        // The native call keeps running; the store unblocks only when it really returns.
        const release = (): void => {
          if (hung === marker) hung = undefined;
        };
        pending.then(release, release);
        reject(
          new SecretError(
            'SECRET_KEYCHAIN_TIMEOUT',
            `OS keychain did not answer within ${timeoutMs} ms (${what}); it may be locked behind a prompt or frozen. ` +
              `Keychain calls fail at once until it answers` +
              (secretValue === undefined ? '' : '; the write may still complete'),
          ),
        );
      }, timeoutMs);
      pending.then(
        (value) => {
          if (timedOut) return;
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          if (timedOut) return;
          clearTimeout(timer);
          reject(toSecretError(err, what, secretValue));
        },
      );
    });
  }

  return {
    backend: 'keychain',
    // async so that an invalid name is a rejection like every other failure, not a synchronous throw.
    async get(name) {
      assertSecretName(name);
      return enqueue(`get "${name}"`, (k) => k.getPassword(service, name));
    },
    async set(name, value) {
      assertSecretName(name);
      if (value.length === 0) {
        // keytar refuses empty passwords; say so plainly rather than pass its message through.
        throw new SecretError('SECRET_KEYCHAIN_FAILED', `cannot store an empty value as "${name}"`);
      }
      return enqueue(`set "${name}"`, (k) => k.setPassword(service, name, value), value);
    },
    async delete(name) {
      assertSecretName(name);
      return enqueue(`delete "${name}"`, (k) => k.deletePassword(service, name));
    },
    async list() {
      return enqueue('list', async (k) => {
        const credentials = await k.findCredentials(service);
        return credentials.map((c) => c.account).sort();
      });
    },
  };
}

async function importKeytar(dir?: string): Promise<KeytarLike> {
  // keytar is CommonJS: under ESM its functions sit on `default`.
  const mod = (dir ? createRequire(import.meta.url)(dir) : await import('keytar')) as Partial<KeytarLike> & { default?: KeytarLike };
  const k = mod.default ?? mod;
  if (typeof k.getPassword !== 'function' || typeof k.findCredentials !== 'function') {
    throw new Error('keytar loaded but does not export the expected functions');
  }
  return k as KeytarLike;
}

/**
 * D-Bus errors that mean "no Secret Service here" (no session bus, or nothing owns
 * org.freedesktop.secrets) as opposed to a keychain that exists and refused or failed.
 */
const ABSENT_PATTERNS = [
  /org\.freedesktop\.DBus\.Error\.(ServiceUnknown|NameHasNoOwner|NoServer|FileNotFound|Spawn\.\w+)/,
  /not provided by any \.service files/i,
  /Cannot autolaunch D-Bus/i,
  /Could not connect/i,
  /DBUS_SESSION_BUS_ADDRESS/,
];

function toSecretError(err: unknown, what: string, secretValue?: string): SecretError {
  if (err instanceof SecretError) return err;
  let message = messageOf(err);
  let cause = err;
  if (secretValue !== undefined && message.includes(secretValue)) {
    // Never seen from keytar, but a message that quotes the value must not reach a log.
    message = message.split(secretValue).join('[redacted]');
    cause = new Error(message);
  }
  if (ABSENT_PATTERNS.some((p) => p.test(message))) {
    return new SecretError('SECRET_KEYCHAIN_ABSENT', `OS keychain unavailable (${what}): ${message}. ${absentHint()}`, {
      cause,
    });
  }
  return new SecretError('SECRET_KEYCHAIN_FAILED', `OS keychain ${what} failed: ${message}`, { cause });
}

function absentHint(): string {
  const fallback =
    'Or keep secrets out of the keychain: reference them as env:NAME in the config and set that environment variable.';
  switch (process.platform) {
    case 'linux':
      return (
        'Gatehouse reaches the keychain through the Secret Service API on the D-Bus session bus: install gnome-keyring ' +
        "(or enable KeePassXC's Secret Service integration), run it in a logged-in desktop session, and install the " +
        `libsecret-1 library (Debian/Ubuntu: libsecret-1-0; Fedora: libsecret). ${fallback}`
      );
    case 'darwin':
      return `The macOS Keychain is used through the optional keytar module; reinstall Gatehouse so it is built. ${fallback}`;
    case 'win32':
      return `Windows Credential Manager is used through the optional keytar module; reinstall Gatehouse so it is built. ${fallback}`;
    default:
      return fallback;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
