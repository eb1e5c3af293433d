// The Azure OpenAI provider: Chat Completions on a resource's deployments, by api-version or the v1 API.
//
// Azure's two data-plane shapes (https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference and
// https://learn.microsoft.com/en-us/azure/ai-foundry/openai/api-version-lifecycle, read 2026-11):
// - with `apiVersion`: POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...,
//   the deployment in the URL and no model in the body; models at GET /openai/models?api-version=...
// - without: the v1 API, POST {endpoint}/openai/v1/chat/completions with the deployment as `model`;
//   models at GET /openai/v1/models.
// Both take the key in an `api-key` header.
import { randomUUID } from 'node:crypto';
import type { ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { callHeaders, modelIdsFromList, OPENAI_QUIRKS, openaiChat, prepareChatBody } from '../../dialects/openai-chat/index.js';
import { createTransport, readText, type Transport } from '../transport.js';
import type { ProviderRuntime, UpstreamRequest, UpstreamResponse } from '../types.js';

/** The resource endpoint, also when the config gives it with Azure's `/openai` or `/openai/v1` path. */
function endpointOf(baseUrl: string): URL {
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/openai(\/v1)?\/*$/, '') || '/';
  return url;
}

export function createAzureOpenAIProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  let unavailable: string | null = cfg.baseUrl
    ? null
    : `provider "${cfg.id}": azure-openai needs "baseUrl", the resource endpoint (https://RESOURCE.openai.azure.com)`;
  // Secrets were read into the resolver's cache before this runs; one that could not be read
  // makes the provider unavailable (with the reason) instead of failing every request differently.
  const configured: Record<string, string> = {};
  if (!unavailable) {
    try {
      if (cfg.apiKey) configured['api-key'] = secrets.get(cfg.apiKey);
      for (const [name, template] of Object.entries(cfg.headers)) configured[name.toLowerCase()] = secrets.interpolate(template);
    } catch (err) {
      unavailable = `provider "${cfg.id}": ${(err as Error).message}`;
    }
  }
  const transport: Transport | null = cfg.baseUrl ? createTransport(cfg.id, endpointOf(cfg.baseUrl), cfg.timeoutMs) : null;
  const apiVersion = cfg.apiVersion;
  const query = apiVersion ? `?api-version=${encodeURIComponent(apiVersion)}` : '';
  /** A model not listed under `deployments` is used as the deployment name. */
  const deploymentOf = (model: string): string => cfg.deployments[model] ?? model;

  async function send(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (!transport || unavailable) throw new GatewayError('PROVIDER_UNAVAILABLE', unavailable ?? `provider "${cfg.id}" is not configured`);
    if (req.operation === 'count_tokens') {
      throw new GatewayError('NOT_FOUND', `provider "${cfg.id}" (Azure OpenAI) has no token-counting endpoint; the gateway estimates instead`);
    }
    const headers = callHeaders(configured, 'api-key', { ...req, stream: req.stream ?? req.body?.stream === true });
    if (req.operation === 'models') {
      return transport.request({ path: apiVersion ? `/openai/models${query}` : '/openai/v1/models', method: 'GET', headers, signal: req.signal });
    }
    if (!req.body) throw new GatewayError('INTERNAL', `a generate call to provider "${cfg.id}" had no body`);
    if (!apiVersion) return transport.request({ path: '/openai/v1/chat/completions', method: 'POST', headers, body: req.body, signal: req.signal });
    const { model: bodyModel, ...body } = req.body;
    const model = req.model ?? (typeof bodyModel === 'string' ? bodyModel : undefined);
    if (model === undefined) throw new GatewayError('INTERNAL', `a call to provider "${cfg.id}" named no model, so no deployment to address`);
    const path = `/openai/deployments/${encodeURIComponent(deploymentOf(model))}/chat/completions${query}`;
    return transport.request({ path, method: 'POST', headers, body, signal: req.signal });
  }

  return {
    id: cfg.id,
    type: cfg.type,
    family: 'openai',
    dialect: openaiChat,
    unavailable,
    countsTokens: false,
    prepare(body, model, stream) {
      const out = prepareChatBody(body, deploymentOf(model), stream, OPENAI_QUIRKS);
      // With an api-version the deployment is in the URL, and the body names no model.
      if (apiVersion) delete out.model;
      return out;
    },
    send,
    /** Under an api-version Azure lists the models the resource can use (base and fine-tuned), not its deployments. */
    async listModels(signal) {
      const res = await send({ operation: 'models', signal, requestId: randomUUID() });
      return modelIdsFromList(cfg.id, res.status, secrets.redact(await readText(res.body)));
    },
    async close() {
      await transport?.close();
    },
  };
}
