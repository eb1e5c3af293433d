// The OpenAI provider: Chat Completions and model listing at api.openai.com (or a configured baseUrl).
import { randomUUID } from 'node:crypto';
import type { ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { callHeaders, modelIdsFromList, OPENAI_QUIRKS, openaiChat, prepareChatBody } from '../../dialects/openai-chat/index.js';
import { createTransport, readText } from '../transport.js';
import type { ProviderRuntime, UpstreamRequest, UpstreamResponse } from '../types.js';

// https://platform.openai.com/docs/api-reference/introduction
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function createOpenAIProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  let unavailable: string | null =
    cfg.preset !== undefined && cfg.preset !== 'openai'
      ? `provider "${cfg.id}": presets are for type openai-compatible; use that type for preset "${cfg.preset}", or drop the preset`
      : null;
  // Secrets were read into the resolver's cache before this runs; one that could not be read
  // makes the provider unavailable (with the reason) instead of failing every request differently.
  const configured: Record<string, string> = {};
  if (!unavailable) {
    try {
      if (cfg.apiKey) configured.authorization = `Bearer ${secrets.get(cfg.apiKey)}`;
      for (const [name, template] of Object.entries(cfg.headers)) configured[name.toLowerCase()] = secrets.interpolate(template);
    } catch (err) {
      unavailable = `provider "${cfg.id}": ${(err as Error).message}`;
    }
  }
  const transport = createTransport(cfg.id, new URL(cfg.baseUrl ?? OPENAI_BASE_URL), cfg.timeoutMs);

  async function send(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (unavailable) throw new GatewayError('PROVIDER_UNAVAILABLE', unavailable);
    if (req.operation === 'count_tokens') {
      throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (OpenAI) has no token-counting endpoint for Chat Completions; the gateway estimates instead`);
    }
    const headers = callHeaders(configured, 'authorization', { ...req, stream: req.stream ?? req.body?.stream === true });
    if (req.operation === 'models') return transport.request({ path: '/models', method: 'GET', headers, signal: req.signal });
    if (!req.body) throw new GatewayError('INTERNAL', `a generate call to provider "${cfg.id}" had no body`);
    return transport.request({ path: '/chat/completions', method: 'POST', headers, body: req.body, signal: req.signal });
  }

  return {
    id: cfg.id,
    type: cfg.type,
    family: 'openai',
    dialect: openaiChat,
    unavailable,
    countsTokens: false,
    prepare: (body, model, stream) => prepareChatBody(body, model, stream, OPENAI_QUIRKS),
    send,
    async listModels(signal) {
      const res = await send({ operation: 'models', signal, requestId: randomUUID() });
      return modelIdsFromList(cfg.id, res.status, secrets.redact(await readText(res.body)));
    },
    close: () => transport.close(),
  };
}
