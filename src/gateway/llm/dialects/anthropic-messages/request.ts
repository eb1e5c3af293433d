// Anthropic Messages requests <-> canonical: validation on the way in, Anthropic's constraints on the way out.
//
// Reference: https://docs.anthropic.com/en/api/messages (request fields), extended thinking rules from
// https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking.
import type { CanonicalRequest, ContentPart, Message, ReasoningEffort, TextPart, ToolChoice, ToolDefinition } from '../../canonical.js';
import {
  badRequest,
  describe,
  isRecord,
  optionalString,
  readArray,
  readCacheControl,
  readContentBlock,
  readRecord,
  readString,
  readTextBlock,
  writeCacheControl,
  writeContentBlock,
  type Json,
} from './blocks.js';

/**
 * `max_tokens` sent when the canonical request has none (Anthropic requires it; OpenAI and Gemini
 * callers often leave it out). 8192 is the output limit of the Claude 3.5 models and below the limit
 * of every later model, so it is accepted everywhere while leaving room for ordinary answers.
 */
export const DEFAULT_MAX_TOKENS = 8192;

/** Anthropic's smallest accepted `thinking.budget_tokens`. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * Thinking budget for a reasoning effort given without a budget. `minimal` is Anthropic's minimum;
 * `xhigh` stays small enough that budget + DEFAULT_MAX_TOKENS (28672) fits the 32000-token output
 * limit of the smallest-output thinking models (Claude Opus 4 / 4.1).
 */
export const EFFORT_BUDGET: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 20480,
};

/**
 * With thinking on, Anthropic accepts `top_p` only between 0.95 and 1 and rejects any `temperature`
 * or `top_k` change (extended-thinking "Feature compatibility").
 */
const THINKING_MIN_TOP_P = 0.95;

// ---- wire -> canonical ----

function readSystem(value: unknown): TextPart[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', text: value }];
  return readArray(value, 'system').map((item, i) => {
    const at = `system[${i}]`;
    const block = readRecord(item, at);
    if (block['type'] !== 'text') throw badRequest(`${at}.type`, `expected "text" (system blocks are text), got ${JSON.stringify(block['type'])}`);
    return readTextBlock(block, at);
  });
}

function readMessage(value: unknown, path: string): Message {
  const m = readRecord(value, path);
  const role = m['role'];
  if (role !== 'user' && role !== 'assistant') throw badRequest(`${path}.role`, `expected "user" or "assistant", got ${JSON.stringify(role)}`);
  const raw = m['content'];
  let content: ContentPart[];
  if (typeof raw === 'string') content = raw === '' ? [] : [{ type: 'text', text: raw }];
  else if (Array.isArray(raw)) content = raw.map((block, i) => readContentBlock(block, `${path}.content[${i}]`));
  else throw badRequest(`${path}.content`, `expected a string or an array of content blocks, got ${describe(raw)}`);
  return { role, content };
}

function readTool(value: unknown, path: string): ToolDefinition {
  const t = readRecord(value, path);
  const name = typeof t['name'] === 'string' ? t['name'] : undefined;
  const type = t['type'];
  // Server tools (web_search, code_execution...) and Anthropic-defined client tools (bash, text_editor,
  // computer...) are typed; their behaviour lives at Anthropic and has no canonical form.
  if (type !== undefined && type !== null && type !== 'custom') {
    throw badRequest(
      `${path}.type`,
      `tool ${JSON.stringify(name ?? '')} has type ${JSON.stringify(type)}: Anthropic server tools and built-in tools cannot be represented by the gateway; only custom tools (name, description, input_schema) are supported`,
    );
  }
  const tool: ToolDefinition = {
    name: readString(t['name'], `${path}.name`),
    parameters: readRecord(t['input_schema'], `${path}.input_schema`),
  };
  const description = optionalString(t['description'], `${path}.description`);
  if (description !== undefined) tool.description = description;
  if (typeof t['strict'] === 'boolean') tool.strict = t['strict'];
  const cc = readCacheControl(t['cache_control'], `${path}.cache_control`);
  if (cc) tool.cacheControl = cc;
  return tool;
}

function readToolChoice(value: unknown): { toolChoice: ToolChoice; parallelToolCalls?: boolean } {
  const tc = readRecord(value, 'tool_choice');
  const disable = tc['disable_parallel_tool_use'];
  if (disable !== undefined && typeof disable !== 'boolean') throw badRequest('tool_choice.disable_parallel_tool_use', `expected a boolean, got ${describe(disable)}`);
  const parallel = typeof disable === 'boolean' ? { parallelToolCalls: !disable } : {};
  switch (tc['type']) {
    case 'auto':
      return { toolChoice: { type: 'auto' }, ...parallel };
    case 'any':
      return { toolChoice: { type: 'required' }, ...parallel };
    case 'none':
      return { toolChoice: { type: 'none' } };
    case 'tool':
      return { toolChoice: { type: 'tool', name: readString(tc['name'], 'tool_choice.name') }, ...parallel };
    default:
      throw badRequest('tool_choice.type', `expected "auto", "any", "tool" or "none", got ${JSON.stringify(tc['type'])}`);
  }
}

function readThinking(value: unknown): CanonicalRequest['reasoning'] {
  const t = readRecord(value, 'thinking');
  switch (t['type']) {
    case 'enabled':
      return { budgetTokens: positiveInt(t['budget_tokens'], 'thinking.budget_tokens') };
    case 'disabled':
      return { effort: 'none' };
    case 'adaptive':
      // Claude decides how much to think: reasoning on, with neither an effort nor a budget.
      return {};
    default:
      throw badRequest('thinking.type', `expected "enabled", "disabled" or "adaptive", got ${JSON.stringify(t['type'])}`);
  }
}

function positiveInt(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw badRequest(path, 'expected a positive integer');
  return value;
}

function nonNegativeInt(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badRequest(path, 'expected a non-negative integer');
  return value;
}

function number(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(path, `expected a number, got ${describe(value)}`);
  return value;
}

/** Messages request JSON -> canonical. Top-level fields the canonical model has no place for are ignored. */
export function anthropicRequestToCanonical(body: Record<string, unknown>): CanonicalRequest {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') throw badRequest('model', 'expected a model name');
  const rawMessages = readArray(body['messages'], 'messages');
  if (rawMessages.length === 0) throw badRequest('messages', 'expected at least one message');

  // A `system` message inside the conversation (Claude Code sends them under the
  // mid-conversation-system beta) has no place in other formats' conversations: its text joins
  // the system prompt, after the top-level one, in order.
  const system = readSystem(body['system']);
  const messages: Message[] = [];
  rawMessages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (isRecord(m) && m['role'] === 'system') system.push(...readSystem(m['content'] ?? ''));
    else messages.push(readMessage(m, at));
  });
  if (messages.length === 0) throw badRequest('messages', 'expected at least one user or assistant message');
  const req: CanonicalRequest = { model, system, messages, stream: false };
  if (body['tools'] !== undefined && body['tools'] !== null) req.tools = readArray(body['tools'], 'tools').map((t, i) => readTool(t, `tools[${i}]`));
  if (body['tool_choice'] !== undefined && body['tool_choice'] !== null) Object.assign(req, readToolChoice(body['tool_choice']));
  if (body['max_tokens'] !== undefined) req.maxOutputTokens = positiveInt(body['max_tokens'], 'max_tokens');
  if (body['stop_sequences'] !== undefined && body['stop_sequences'] !== null) {
    req.stop = readArray(body['stop_sequences'], 'stop_sequences').map((s, i) => readString(s, `stop_sequences[${i}]`));
  }
  if (body['temperature'] !== undefined && body['temperature'] !== null) req.temperature = number(body['temperature'], 'temperature');
  if (body['top_p'] !== undefined && body['top_p'] !== null) req.topP = number(body['top_p'], 'top_p');
  if (body['top_k'] !== undefined && body['top_k'] !== null) req.topK = nonNegativeInt(body['top_k'], 'top_k');
  if (body['metadata'] !== undefined && body['metadata'] !== null) {
    const user = optionalString(readRecord(body['metadata'], 'metadata')['user_id'], 'metadata.user_id');
    if (user !== undefined) req.user = user;
  }
  if (body['thinking'] !== undefined && body['thinking'] !== null) req.reasoning = readThinking(body['thinking']);
  const stream = body['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw badRequest('stream', `expected a boolean, got ${describe(stream)}`);
  req.stream = stream === true;
  return req;
}

// ---- canonical -> wire ----

/**
 * Anthropic requires alternating roles, and tool results first in a user turn ("tool_result blocks
 * must come first"). Consecutive same-role messages are merged; in user turns the tool results keep
 * their order and everything else follows them. Messages left empty are dropped (Anthropic rejects
 * empty content).
 */
function writeMessages(messages: Message[]): Json[] {
  const turns: { role: Message['role']; blocks: Json[] }[] = [];
  for (const m of messages) {
    const blocks = m.content.map(writeContentBlock).filter((b): b is Json => b !== null);
    if (blocks.length === 0) continue;
    const last = turns.at(-1);
    if (last && last.role === m.role) last.blocks.push(...blocks);
    else turns.push({ role: m.role, blocks });
  }
  return turns.map(({ role, blocks }) => {
    if (role === 'user') {
      const results = blocks.filter((b) => b['type'] === 'tool_result');
      const others = blocks.filter((b) => b['type'] !== 'tool_result');
      return { role, content: [...results, ...others] };
    }
    return { role, content: blocks };
  });
}

/** Anthropic requires `input_schema` to be an object schema. */
function objectSchema(tool: ToolDefinition, index: number): Json {
  const schema = tool.parameters;
  const type = schema['type'];
  if (type === 'object') return schema;
  if (type === undefined) return { type: 'object', ...schema };
  // A nullable object (`["object", "null"]`): a tool's arguments are never null, so it is an object.
  if (Array.isArray(type) && type.includes('object')) return { ...schema, type: 'object' };
  throw badRequest(`tools[${index}].parameters`, `tool ${JSON.stringify(tool.name)} has an input schema of type ${JSON.stringify(type)}; Anthropic requires an object schema`);
}

function writeTool(tool: ToolDefinition, index: number): Json {
  // `strict` is not sent: structured tool use is not part of this API version for every model.
  const out: Json = { name: tool.name };
  if (tool.description !== undefined) out['description'] = tool.description;
  out['input_schema'] = objectSchema(tool, index);
  const cc = writeCacheControl(tool.cacheControl);
  if (cc) out['cache_control'] = cc;
  return out;
}

function writeToolChoice(req: CanonicalRequest): Json | undefined {
  const choice = req.toolChoice;
  const parallel = req.parallelToolCalls;
  if (!choice) {
    // Only the parallel setting was given: Anthropic carries it on tool_choice.
    return parallel === false && (req.tools?.length ?? 0) > 0 ? { type: 'auto', disable_parallel_tool_use: true } : undefined;
  }
  if (choice.type === 'none') return { type: 'none' };
  const out: Json =
    choice.type === 'auto' ? { type: 'auto' } : choice.type === 'required' ? { type: 'any' } : { type: 'tool', name: choice.name };
  if (parallel !== undefined) out['disable_parallel_tool_use'] = !parallel;
  return out;
}

/** The `thinking` object and the budget it reserves (undefined when thinking is off or adaptive). */
function writeThinking(req: CanonicalRequest): { thinking?: Json; budget?: number } {
  const r = req.reasoning;
  if (!r) return {};
  // "Thinking may not be enabled when tool_choice forces tool use": forcing a tool is the caller's
  // hard requirement, reasoning is not, so reasoning gives way.
  const forced = req.toolChoice?.type === 'required' || req.toolChoice?.type === 'tool';
  let budget: number | undefined;
  if (r.budgetTokens !== undefined) {
    if (r.budgetTokens <= 0) return { thinking: { type: 'disabled' } };
    budget = Math.max(MIN_THINKING_BUDGET, Math.floor(r.budgetTokens));
  } else if (r.effort !== undefined) {
    if (r.effort === 'none') return { thinking: { type: 'disabled' } };
    budget = EFFORT_BUDGET[r.effort];
  }
  if (forced) return {};
  if (budget === undefined) return { thinking: { type: 'adaptive' } };
  return { thinking: { type: 'enabled', budget_tokens: budget }, budget };
}

/**
 * Canonical -> Messages request JSON addressed to `model`. Dropped because this API has no place for
 * them: `seed`, `promptCacheKey`, tool `strict`, image `detail`, the tool name on tool results, and
 * `responseFormat` (no JSON-schema output in this API version; the caller decides what to do about it,
 * the dialect does not invent a prompt). Reasoning parts of other families are dropped too.
 */
export function anthropicRequestFromCanonical(req: CanonicalRequest, model: string): Record<string, unknown> {
  const out: Json = { model };
  const { thinking, budget } = writeThinking(req);
  const thinkingOn = thinking !== undefined && thinking['type'] !== 'disabled';

  let maxTokens = req.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
  // budget_tokens must be below max_tokens; the answer keeps the room the caller asked for.
  if (budget !== undefined && budget >= maxTokens) maxTokens = budget + maxTokens;
  out['max_tokens'] = maxTokens;

  const system = req.system.filter((p) => p.text !== '');
  if (system.length === 1 && system[0] && !system[0].cacheControl) out['system'] = system[0].text;
  else if (system.length > 0) out['system'] = system.map((p) => writeContentBlock(p));

  out['messages'] = writeMessages(req.messages);
  if (req.tools && req.tools.length > 0) out['tools'] = req.tools.map(writeTool);
  const toolChoice = writeToolChoice(req);
  if (toolChoice) out['tool_choice'] = toolChoice;
  if (thinking) out['thinking'] = thinking;

  // With thinking on, sampling changes are rejected: they are left out rather than failing the call.
  if (req.temperature !== undefined && !thinkingOn) out['temperature'] = req.temperature;
  // Claude Sonnet 4.5 and later models take temperature or top_p, not both: with both, top_p is left out.
  if (req.topP !== undefined && out['temperature'] === undefined && (!thinkingOn || req.topP >= THINKING_MIN_TOP_P)) out['top_p'] = req.topP;
  if (req.topK !== undefined && !thinkingOn) out['top_k'] = req.topK;
  if (req.stop && req.stop.length > 0) out['stop_sequences'] = [...req.stop];
  if (req.user !== undefined) out['metadata'] = { user_id: req.user };
  if (req.stream) out['stream'] = true;
  return out;
}

