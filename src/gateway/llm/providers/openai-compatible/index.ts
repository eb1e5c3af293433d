// The OpenAI-compatible provider: Chat Completions and model listing at a preset's or a configured base URL.
import type { ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { chatProviderCore, OPENAI_QUIRKS, OPENAI_ROUTES, openaiChat, prepareChatBody } from '../../dialects/openai-chat/index.js';
import { createTransport, type Transport } from '../transport.js';
import type { ProviderRuntime } from '../types.js';
import { OPENAI_COMPATIBLE_PRESETS, presetNamed, type Preset } from './presets.js';

/** The preset the config names, a plain OpenAI-rules server at its baseUrl, or what is wrong. */
function presetOf(cfg: ProviderConfig): Preset | string {
  const name = cfg.preset ?? (cfg.type === 'openai' ? 'openai' : undefined);
  if (name === undefined) {
    return cfg.baseUrl ? { baseUrl: cfg.baseUrl, quirks: OPENAI_QUIRKS, listsModels: true } : 'set "baseUrl" (the server\'s API root, e.g. http://127.0.0.1:8000/v1) or a "preset"';
  }
  return presetNamed(name) ?? `unknown preset "${name}"; known presets: ${Object.keys(OPENAI_COMPATIBLE_PRESETS).join(', ')}; or leave preset out and set baseUrl`;
}

export function createOpenAICompatibleProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  const preset = presetOf(cfg);
  const quirks = typeof preset === 'string' ? OPENAI_QUIRKS : preset.quirks;
  const transport: Transport | null =
    typeof preset === 'string' ? null : createTransport(cfg.id, new URL(cfg.baseUrl ?? preset.baseUrl), cfg.timeoutMs, cfg.maxConnections);
  const core = chatProviderCore(cfg, secrets, {
    misconfigured: typeof preset === 'string' ? `provider "${cfg.id}": ${preset}` : null,
    transport,
    keyHeader: 'authorization',
    noTokenCounting: `provider "${cfg.id}" (OpenAI-compatible) has no token-counting endpoint; the gateway estimates instead`,
    // Some compatible servers have a /responses too, but what each keeps of it (stored state,
    // encrypted reasoning) differs; Chat Completions is the part they share, so Responses is translated.
    servesResponses: false,
    routes: OPENAI_ROUTES,
  });

  return {
    ...core,
    dialect: openaiChat,
    prepare: (body, model, stream) => prepareChatBody(body, model, stream, quirks),
    async listModels(signal) {
      if (typeof preset !== 'string' && !preset.listsModels) {
        throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (preset ${cfg.preset}) has no model listing; name its models in routes`);
      }
      return core.listModels(signal);
    },
    async close() {
      await transport?.close();
    },
  };
}
