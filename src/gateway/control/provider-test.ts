// providers:test — a provider's model listing called with its configured key, bounded in time, and a failure told as what to do next.
import { PROVIDER_TEST_MAX_MODELS, PROVIDER_TEST_TIMEOUT_MS, type ProviderTestErrorCode, type ProviderTestResult } from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import type { ProviderConfig } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import type { ProviderRuntime } from '../llm/providers/types.js';

export interface ProviderProbe {
  /** The running config's provider of that id; undefined when it has none. */
  config(id: string): Pick<ProviderConfig, 'id' | 'baseUrl' | 'apiKey'> | undefined;
  /** The runtime the gateway serves it with; undefined while the gateway does not serve. */
  runtime(id: string): Pick<ProviderRuntime, 'listModels'> | undefined;
  /** The names in the OS keychain, to tell a key that is not there from other failures; throws when the keychain cannot be read. */
  secretNames(): Promise<string[]>;
}

type Failure = NonNullable<ProviderTestResult['error']>;

/** The listing errors of every provider name the upstream's status as `(HTTP 401)`; GatewayError's own status is the gateway's. */
function upstreamStatus(message: string): number | undefined {
  const m = /\(HTTP (\d{3})\)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** How to store the key the config names, for the messages. */
function storeKeyHint(apiKey: string | undefined): string {
  if (apiKey?.startsWith('keychain:')) {
    const name = apiKey.slice('keychain:'.length);
    return `store it again with \`gatehouse secrets set ${name}\` (or remove the provider and add it again here with its key)`;
  }
  if (apiKey?.startsWith('env:')) return `set the environment variable ${apiKey.slice('env:'.length)} where the gateway starts, then restart it`;
  return 'give the provider a key: apiKey: keychain:NAME in the config, with the key stored by `gatehouse secrets set NAME`';
}

async function describeFailure(err: unknown, cfg: Pick<ProviderConfig, 'id' | 'baseUrl' | 'apiKey'>, timedOut: boolean, probe: ProviderProbe, timeoutMs: number): Promise<Failure> {
  const fail = (code: ProviderTestErrorCode, message: string, status?: number): Failure => ({ code, message, ...(status === undefined ? {} : { status }) });
  const where = cfg.baseUrl ?? 'its default URL';
  if (timedOut || (err instanceof GatewayError && err.code === 'UPSTREAM_TIMEOUT')) {
    return fail('timeout', `no answer from ${where} within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}: check that the provider is up and that the URL is right`);
  }
  if (!(err instanceof GatewayError)) return fail('upstream_error', `the model listing failed: ${(err as Error).message}`);
  const status = upstreamStatus(err.message);
  switch (err.code) {
    case 'PROVIDER_UNAVAILABLE': {
      // A provider whose key could not be read is unavailable: say which key, and how to put it back.
      const ref = cfg.apiKey;
      if (ref?.startsWith('keychain:')) {
        let names: string[];
        try {
          names = await probe.secretNames();
        } catch (keychainErr) {
          return fail('keychain', `the OS keychain could not be read, so the key ${ref} is out of reach: ${(keychainErr as Error).message}`);
        }
        if (!names.includes(ref.slice('keychain:'.length))) return fail('key_missing', `the key ${ref} is not in the OS keychain: ${storeKeyHint(ref)}`);
      }
      if (ref?.startsWith('env:') && err.message.includes(`(referenced as ${ref})`)) return fail('key_missing', `the key comes from ${ref}, which the gateway does not have: ${storeKeyHint(ref)}`);
      return fail('misconfigured', err.message);
    }
    case 'UPSTREAM_AUTH':
      return fail('key_refused', `the key was refused${status ? ` (HTTP ${status})` : ''}: ${storeKeyHint(cfg.apiKey)}. ${err.message}`, status);
    case 'UPSTREAM_UNREACHABLE':
      return fail('unreachable', err.message);
    case 'NOT_FOUND':
      return fail('no_listing', err.message);
    default:
      return fail('upstream_error', err.message, status);
  }
}

/**
 * Lists the provider's models as the running gateway would call it (its runtime, its cached key),
 * giving up after `timeoutMs`. An unknown provider is a not_found error; every upstream failure is
 * a result with `ok: false`, so the console can show it next to the provider.
 */
export async function testProvider(id: string, probe: ProviderProbe, now: () => Date, timeoutMs = PROVIDER_TEST_TIMEOUT_MS): Promise<ProviderTestResult> {
  const cfg = probe.config(id);
  if (!cfg) throw new ControlError('not_found', `the running config has no provider "${id}"; if it was just added, check the config was applied (gatehouse config validate)`);
  const runtime = probe.runtime(id);
  if (!runtime) throw new ControlError('unavailable', 'providers are tested by the running gateway: start it with `gatehouse serve`, then test again');
  const testedAt = now().toISOString();
  const signal = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const ids = await runtime.listModels(signal);
    return { provider: id, ok: true, latencyMs: elapsed(), models: ids.slice(0, PROVIDER_TEST_MAX_MODELS), modelCount: ids.length, testedAt };
  } catch (err) {
    const latencyMs = elapsed();
    const error = await describeFailure(err, cfg, signal.aborted, probe, timeoutMs);
    return { provider: id, ok: false, latencyMs, models: [], modelCount: 0, testedAt, error };
  }
}
