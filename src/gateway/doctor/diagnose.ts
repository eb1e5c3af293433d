// From a failed step to its cause and the fix: the gateway's error codes (in the OpenAI and Gemini
// shapes) and its messages (the Anthropic shape carries only a type and a message).
import type { ProbeFailure } from './probe.js';

export interface Diagnosis {
  cause: string;
  fix: string;
}

interface Read {
  status: number;
  code: string | undefined;
  message: string;
}

function readAnswer(failure: ProbeFailure): Read | undefined {
  const a = failure.answer;
  if (!a) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(a.body);
  } catch {
    return { status: a.status, code: undefined, message: a.body.slice(0, 300) };
  }
  const error = typeof json === 'object' && json !== null && 'error' in json ? (json as { error: unknown }).error : json;
  if (typeof error !== 'object' || error === null) return { status: a.status, code: undefined, message: a.body.slice(0, 300) };
  const e = error as Record<string, unknown>;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : a.body.slice(0, 300);
  return { status: a.status, code, message };
}

/** Quoted names in a gateway message: `provider "anth"`, `route "claude"`. */
function quoted(message: string, what: string): string | undefined {
  return new RegExp(`${what} "([^"]+)"`).exec(message)?.[1];
}

export function diagnose(failure: ProbeFailure, ctx: { model: string; keyName: string | undefined }): Diagnosis {
  const r = readAnswer(failure);
  const keyRef = ctx.keyName ? `the key "${ctx.keyName}"` : 'the key';
  if (!r) {
    if (/cannot reach|no answer from/.test(failure.message)) return { cause: failure.message, fix: 'start the gateway (gatehouse serve) or pass its address with --url' };
    return { cause: failure.message, fix: 'run the gateway with --log-level debug and repeat; the log names the request (x-request-id)' };
  }
  const m = r.message;
  const provider = quoted(m, 'provider');
  const is = (code: string, pattern: RegExp): boolean => r.code === code || pattern.test(m);
  if (is('auth_missing', /no Gatehouse key in the request/)) return { cause: m, fix: 'pass a key with --key gh_... (or set GATEHOUSE_KEY)' };
  if (is('auth_invalid', /is not a valid Gatehouse key|has been revoked|has expired/)) return { cause: m, fix: 'create a key: gatehouse keys create --name NAME, and use it in the agent' };
  if (is('model_not_found', /is not a route, alias or provider\/model/)) {
    return { cause: m, fix: `add a route named "${ctx.model}" under models in the config, an alias for it, or pass --model with an existing route` };
  }
  if (is('model_not_granted', /is not granted the model/)) return { cause: m, fix: `grant it: gatehouse keys update KEY_ID --models "${ctx.model},..." (${keyRef})` };
  if (is('model_unpriced', /no price is known/)) return { cause: m, fix: 'add pricing (inputPerMTok, outputPerMTok) to the route target in the config' };
  if (is('upstream_auth', /refused the gateway's credentials/)) {
    return { cause: m, fix: `store the right API key for provider "${provider ?? '?'}": printf %s "$KEY" | gatehouse secrets set NAME (the name its apiKey: keychain:NAME refers to)` };
  }
  if (is('provider_unavailable', /is not configured|keychain:|env:/)) return { cause: m, fix: `fix provider "${provider ?? '?'}" in the config (gatehouse status shows what is wrong with it)` };
  if (is('upstream_unreachable', /could not be reached|cannot reach|ECONNREFUSED|ENOTFOUND/)) {
    return { cause: m, fix: `check provider "${provider ?? '?'}"'s baseUrl in the config and the network (it cannot be reached)` };
  }
  if (is('upstream_timeout', /gave no first byte within|did not answer within|answered within/)) {
    return { cause: m, fix: `provider "${provider ?? '?'}" is slow or stuck: check its status page, or raise routing.attemptTimeoutMs` };
  }
  if (r.code === 'host_forbidden' || r.code === 'origin_forbidden' || /is not allowed\. Call the gateway|requests from the web origin/.test(m)) {
    return { cause: m, fix: 'add the address the agent uses to server.allowedHosts (or its origin to server.allowedOrigins)' };
  }
  if (r.status === 404 && /WebSocket upgrade/.test(failure.message)) {
    return { cause: `${failure.message}: this gateway does not take WebSockets on /v1/responses`, fix: 'update Gatehouse, or set supports_websockets = false for the gatehouse provider in Codex' };
  }
  if (r.status === 429) return { cause: m, fix: 'a rate limit or budget refused the call: gatehouse report --group-by key shows the spend; raise the limit or wait' };
  if (r.status >= 500) return { cause: m, fix: `the provider failed${provider ? ` ("${provider}")` : ''}: retry later, or add a fallback target to the route` };
  return { cause: `${failure.message}: ${m}`, fix: 'see the message; the gateway log has the request (x-request-id)' };
}
