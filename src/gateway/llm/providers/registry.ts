// The explicit provider registry: a config `type` maps to the adapter that speaks to it.
import type { ProviderConfig } from '../../config/schema.js';
import { PROVIDER_TYPES } from '../../config/schema.js';
import type { SecretResolver } from '../../secrets/resolver.js';
import { createOpenAICompatibleProvider } from './openai-compatible/index.js';
import type { ProviderRuntime } from './types.js';
import { GatewayError } from '../../errors.js';

type ProviderType = (typeof PROVIDER_TYPES)[number];
type Factory = (cfg: ProviderConfig, secrets: SecretResolver) => ProviderRuntime;

/** A type whose adapter has not been written yet is still accepted in config, and says so. */
function notYetSupported(cfg: ProviderConfig): ProviderRuntime {
  const reason = `provider "${cfg.id}": type "${cfg.type}" is not supported by this version of Gatehouse yet; use openai-compatible where the vendor offers it`;
  return {
    id: cfg.id,
    type: cfg.type,
    unavailable: reason,
    send: () => Promise.reject(new GatewayError('PROVIDER_UNAVAILABLE', reason)),
    close: () => Promise.resolve(),
  };
}

export const PROVIDERS = {
  'openai-compatible': createOpenAICompatibleProvider,
  openai: createOpenAICompatibleProvider,
  anthropic: notYetSupported,
  gemini: notYetSupported,
  'azure-openai': notYetSupported,
} satisfies Record<ProviderType, Factory>;

export function createProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  return PROVIDERS[cfg.type](cfg, secrets);
}
