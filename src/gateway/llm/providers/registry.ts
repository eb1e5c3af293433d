// The explicit provider registry: a config `type` maps to the adapter that speaks to it.
import type { ProviderConfig } from '../../config/schema.js';
import { PROVIDER_TYPES } from '../../config/schema.js';
import type { SecretResolver } from '../../secrets/resolver.js';
import { createAnthropicProvider } from './anthropic/index.js';
import { createAzureOpenAIProvider } from './azure-openai/index.js';
import { createGeminiProvider } from './gemini/index.js';
import { createOpenAIProvider } from './openai/index.js';
import { createOpenAICompatibleProvider } from './openai-compatible/index.js';
import type { ProviderRuntime } from './types.js';

type ProviderType = (typeof PROVIDER_TYPES)[number];
type Factory = (cfg: ProviderConfig, secrets: SecretResolver) => ProviderRuntime;

export const PROVIDERS = {
  openai: createOpenAIProvider,
  'openai-compatible': createOpenAICompatibleProvider,
  'azure-openai': createAzureOpenAIProvider,
  anthropic: createAnthropicProvider,
  gemini: createGeminiProvider,
} satisfies Record<ProviderType, Factory>;

export function createProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  return PROVIDERS[cfg.type](cfg, secrets);
}
