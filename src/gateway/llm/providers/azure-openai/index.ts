// The Azure OpenAI provider: Chat Completions on a resource's deployments, by api-version or the v1 API.
//
// Azure's two data-plane shapes (https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference and
// https://learn.microsoft.com/en-us/azure/ai-foundry/openai/api-version-lifecycle, read 2026-11):
// - with `apiVersion`: POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...,
//   the deployment in the URL and no model in the body; models at GET /openai/models?api-version=...
// - without: the v1 API, POST {endpoint}/openai/v1/chat/completions with the deployment as `model`;
//   models at GET /openai/v1/models.
// Both take the key in an `api-key` header.
import type { ProviderConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors.js';
import type { SecretResolver } from '../../../secrets/resolver.js';
import { chatProviderCore, OPENAI_QUIRKS, openaiChat, POST_PATHS, prepareChatBody, type ChatRoutes } from '../../dialects/openai-chat/index.js';
import { createTransport, type Transport } from '../transport.js';
import type { ProviderRuntime } from '../types.js';

/** The resource endpoint, also when the config gives it with Azure's `/openai` or `/openai/v1` path. */
function endpointOf(baseUrl: string): URL {
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/openai(\/v1)?\/*$/, '') || '/';
  return url;
}

export function createAzureOpenAIProvider(cfg: ProviderConfig, secrets: SecretResolver): ProviderRuntime {
  const transport: Transport | null = cfg.baseUrl ? createTransport(cfg.id, endpointOf(cfg.baseUrl), cfg.timeoutMs, cfg.maxConnections) : null;
  const apiVersion = cfg.apiVersion;
  const query = apiVersion ? `?api-version=${encodeURIComponent(apiVersion)}` : '';
  /** A model not listed under `deployments` is used as the deployment name. */
  const deploymentOf = (model: string): string => cfg.deployments[model] ?? model;
  // Under an api-version Azure lists the models the resource can use (base and fine-tuned), not its deployments.
  const routes: ChatRoutes = apiVersion
    ? {
        models: `/openai/models${query}`,
        post(operation, prepared, callModel) {
          const { model: bodyModel, ...body } = prepared;
          const model = callModel ?? (typeof bodyModel === 'string' ? bodyModel : undefined);
          if (model === undefined) throw new GatewayError('INTERNAL', `a call to provider "${cfg.id}" named no model, so no deployment to address`);
          return { path: `/openai/deployments/${encodeURIComponent(deploymentOf(model))}${POST_PATHS[operation]}${query}`, body };
        },
      }
    : { models: '/openai/v1/models', post: (operation, body) => ({ path: `/openai/v1${POST_PATHS[operation]}`, body }) };

  return {
    ...chatProviderCore(cfg, secrets, {
      misconfigured: cfg.baseUrl ? null : `provider "${cfg.id}": azure-openai needs "baseUrl", the resource endpoint (https://RESOURCE.openai.azure.com)`,
      transport,
      keyHeader: 'api-key',
      noTokenCounting: `provider "${cfg.id}" (Azure OpenAI) has no token-counting endpoint; the gateway estimates instead`,
      // Azure has a Responses API too (POST {endpoint}/openai/v1/responses, v1 API only, in some
      // regions and for some models: https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/responses).
      // Not passed through yet: the config cannot say which deployments take it, and the
      // api-version shape has none, so Responses requests are translated to Chat Completions.
      servesResponses: false,
      routes,
    }),
    dialect: openaiChat,
    prepare(body, model, stream) {
      const out = prepareChatBody(body, deploymentOf(model), stream, OPENAI_QUIRKS);
      // With an api-version the deployment is in the URL, and the body names no model.
      if (apiVersion) delete out.model;
      return out;
    },
    async close() {
      await transport?.close();
    },
  };
}
