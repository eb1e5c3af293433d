// The OpenAI-compatible provider: Chat Completions and model listing at a preset's or a configured base URL.
import { randomUUID } from 'node:crypto';
import type { ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { callHeaders, modelIdsFromList, OPENAI_QUIRKS, openaiChat, prepareChatBody } from '../../dialects/openai-chat/index.js';
import { createTransport, readText, type Transport } from '../transport.js';
import type { ProviderRuntime, UpstreamRequest, UpstreamResponse } from '../types.js';
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
  let unavailable: string | null = typeof preset === 'string' ? `provider "${cfg.id}": ${preset}` : null;
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
  const quirks = typeof preset === 'string' ? OPENAI_QUIRKS : preset.quirks;
  const transport: Transport | null =
    typeof preset === 'string' ? null : createTransport(cfg.id, new URL(cfg.baseUrl ?? preset.baseUrl), cfg.timeoutMs);

  async function send(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (!transport || unavailable) throw new GatewayError('PROVIDER_UNAVAILABLE', unavailable ?? `provider "${cfg.id}" is not configured`);
    if (req.operation === 'count_tokens') {
      throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (OpenAI-compatible) has no token-counting endpoint; the gateway estimates instead`);
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
    prepare: (body, model, stream) => prepareChatBody(body, model, stream, quirks),
    send,
    async listModels(signal) {
      if (typeof preset !== 'string' && !preset.listsModels) {
        throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (preset ${cfg.preset}) has no model listing; name its models in routes`);
      }
      const res = await send({ operation: 'models', signal, requestId: randomUUID() });
      return modelIdsFromList(cfg.id, res.status, secrets.redact(await readText(res.body)));
    },
    async close() {
      await transport?.close();
    },
  };
}
