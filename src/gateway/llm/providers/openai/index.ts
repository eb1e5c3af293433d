// The OpenAI provider: Chat Completions, the Responses API (passed through) and model listing at
// api.openai.com (or a configured baseUrl).
import type { ProviderConfig } from '../../../config/schema.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { chatProviderCore, OPENAI_QUIRKS, OPENAI_ROUTES, openaiChat, prepareChatBody } from '../../dialects/openai-chat/index.js';
import { createTransport } from '../transport.js';
import type { ProviderRuntime } from '../types.js';

// https://platform.openai.com/docs/api-reference/introduction
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function createOpenAIProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  const transport = createTransport(cfg.id, new URL(cfg.baseUrl ?? OPENAI_BASE_URL), cfg.timeoutMs, cfg.maxConnections);
  return {
    ...chatProviderCore(cfg, secrets, {
      misconfigured:
        cfg.preset !== undefined && cfg.preset !== 'openai'
          ? `provider "${cfg.id}": presets are for type openai-compatible; use that type for preset "${cfg.preset}", or drop the preset`
          : null,
      transport,
      keyHeader: 'authorization',
      noTokenCounting: `provider "${cfg.id}" (OpenAI) has no token-counting endpoint for Chat Completions; the gateway estimates instead`,
      // Only OpenAI's own /responses keeps what Codex relies on (store: false with
      // include: ["reasoning.encrypted_content"], reasoning items sent back), so it gets them as sent.
      servesResponses: true,
      routes: OPENAI_ROUTES,
    }),
    dialect: openaiChat,
    prepare: (body, model, stream) => prepareChatBody(body, model, stream, OPENAI_QUIRKS),
    close: () => transport.close(),
  };
}
