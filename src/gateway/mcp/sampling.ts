// An MCP server's sampling request answered by the gateway itself: sent as a Chat Completions call
// to its own endpoint on the session key's behalf, so it is routed, limited, budgeted, guarded and
// recorded like any model call the key makes.
import { ErrorCode, McpError, type CreateMessageRequest, type CreateMessageResult } from '@modelcontextprotocol/sdk/types.js';

type Params = CreateMessageRequest['params'];

/** MCP sampling content -> a Chat Completions message content (text and images; the rest is refused). */
function contentOf(c: unknown): string | { type: string; [k: string]: unknown }[] {
  const parts = Array.isArray(c) ? c : [c];
  const out: { type: string; [k: string]: unknown }[] = [];
  for (const p of parts as { type?: string; text?: string; data?: string; mimeType?: string }[]) {
    if (p.type === 'text') out.push({ type: 'text', text: p.text ?? '' });
    else if (p.type === 'image') out.push({ type: 'image_url', image_url: { url: `data:${p.mimeType};base64,${p.data}` } });
    else throw new McpError(ErrorCode.InvalidParams, `sampling content of type "${p.type}" cannot be answered by the gateway's routes`);
  }
  return out.length === 1 && out[0]!.type === 'text' ? (out[0]!.text as string) : out;
}

export function chatBodyFor(params: Params, route: string): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  if (params.systemPrompt) messages.push({ role: 'system', content: params.systemPrompt });
  for (const m of params.messages) messages.push({ role: m.role, content: contentOf(m.content) });
  return {
    model: route,
    messages,
    max_tokens: params.maxTokens,
    ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
    ...(params.stopSequences?.length ? { stop: params.stopSequences } : {}),
  };
}

const STOP: Record<string, string> = { stop: 'endTurn', length: 'maxTokens', tool_calls: 'toolUse', content_filter: 'endTurn' };

export function resultOf(body: { model?: string; choices?: { message?: { content?: string | null }; finish_reason?: string }[] }): CreateMessageResult {
  const choice = body.choices?.[0];
  return {
    role: 'assistant',
    content: { type: 'text', text: choice?.message?.content ?? '' },
    model: body.model ?? 'unknown',
    stopReason: STOP[choice?.finish_reason ?? 'stop'] ?? choice?.finish_reason,
  };
}

/**
 * `post` sends the body to the gateway's own /v1/chat/completions for the key; a refusal (budget,
 * grant, unknown route) comes back as an MCP error carrying the gateway's message.
 */
export async function sampleThroughGateway(
  post: (keyId: string, body: Record<string, unknown>, signal: AbortSignal) => Promise<{ status: number; json: unknown }>,
  keyId: string,
  route: string,
  params: Params,
  signal: AbortSignal,
): Promise<CreateMessageResult> {
  const { status, json } = await post(keyId, chatBodyFor(params, route), signal);
  if (status >= 400) {
    const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${status}`;
    throw new McpError(ErrorCode.InternalError, `the gateway could not answer the sampling request on route "${route}": ${message}`);
  }
  return resultOf(json as Parameters<typeof resultOf>[0]);
}
