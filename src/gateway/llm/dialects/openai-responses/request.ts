// Responses API request JSON <-> the canonical request, with every wrong shape reported by its path.
// Wire format: https://platform.openai.com/docs/api-reference/responses/create, field by field as in
// the openai SDK's ResponseCreateParamsBase type (resources/responses/responses.d.ts).
import type { CanonicalRequest, ReasoningEffort, ResponseFormat, TextPart, ToolChoice, ToolDefinition } from '../../canonical.js';
import { bad, expected, isObject, type Json } from '../openai-chat/json.js';
import { inputToMessages, messagesToInput, systemItem } from './input.js';
import { namespacedName } from './output.js';
import { array, object, optBoolean, optInteger, optNumber, optString, requiredString } from './read.js';

const EFFORTS: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

// ---------------------------------------------------------------- wire -> canonical

/**
 * `function` tools are carried, and so are the function tools of a `namespace` group (named
 * `namespace.name`, see output.ts). `web_search` is left out: it is a search OpenAI runs itself,
 * which no provider reached by translation can run, and Codex offers it by default (the model
 * simply answers without searching). Every other type (file_search, code_interpreter, computer
 * use, mcp, custom, shell, apply_patch...) would silently take away a capability the client counts
 * on, so it is refused by name.
 */
function tools(v: unknown): ToolDefinition[] {
  return array(v, 'tools').flatMap((raw, i): ToolDefinition[] => {
    const at = `tools[${i}]`;
    const t = object(raw, at);
    if (t.type === 'web_search' || t.type === 'web_search_preview') return [];
    if (t.type === 'namespace') {
      const ns = requiredString(t.name, `${at}.name`);
      return array(t.tools, `${at}.tools`).map((inner, j) => {
        const tool = functionTool(object(inner, `${at}.tools[${j}]`), `${at}.tools[${j}]`);
        return { ...tool, name: namespacedName(ns, tool.name) };
      });
    }
    return [functionTool(t, at)];
  });
}

function functionTool(t: Json, at: string): ToolDefinition {
  if (t.type !== 'function') {
    throw bad(`${at}.type`, `tools of type ${JSON.stringify(t.type)} are not supported by the gateway; only "function" tools (also inside a namespace) can be routed to every provider`);
  }
  const name = requiredString(t.name, `${at}.name`);
  if (name === '') throw expected(`${at}.name`, 'a non-empty string', name);
  const description = optString(t.description, `${at}.description`);
  // As in Chat Completions, no parameters means a function without arguments.
  const parameters = t.parameters === undefined || t.parameters === null ? { type: 'object', properties: {} } : object(t.parameters, `${at}.parameters`);
  const strict = optBoolean(t.strict, `${at}.strict`);
  return { name, ...(description !== undefined ? { description } : {}), parameters, ...(strict !== undefined ? { strict } : {}) };
}

function toolChoice(v: unknown): ToolChoice {
  if (v === 'auto' || v === 'none' || v === 'required') return { type: v };
  if (isObject(v) && v.type === 'function') return { type: 'tool', name: requiredString(v.name, 'tool_choice.name') };
  const what = isObject(v) ? `tool_choice of type ${JSON.stringify(v.type)} is not supported by the gateway; ` : '';
  throw bad('tool_choice', `${what}expected "auto", "none", "required" or {"type": "function", "name": ...}`);
}

/** `text.format`: the Responses form of Chat's response_format, with json_schema's fields inline. */
function textFormat(v: unknown): ResponseFormat {
  const f = object(v, 'text.format');
  if (f.type === 'text' || f.type === 'json_object') return { type: f.type };
  if (f.type === 'json_schema') {
    const name = requiredString(f.name, 'text.format.name');
    const schema = f.schema === undefined || f.schema === null ? {} : object(f.schema, 'text.format.schema');
    const strict = optBoolean(f.strict, 'text.format.strict');
    const description = optString(f.description, 'text.format.description');
    return { type: 'json_schema', name, schema, ...(strict !== undefined ? { strict } : {}), ...(description !== undefined ? { description } : {}) };
  }
  throw bad('text.format.type', `expected "text", "json_object" or "json_schema", got ${JSON.stringify(f.type)}`);
}

function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/**
 * Fields that need state the gateway does not keep, or that change the answer in a way no other
 * provider can honour, are refused. Ignored without a word: `store` (the gateway never stores;
 * upstream requests say store: false), `include`, `metadata`, `service_tier`, `stream_options`,
 * `truncation`, `top_logprobs`, `max_tool_calls` (it limits OpenAI's built-in tools, which are
 * refused anyway), `prompt_cache_retention`, `prompt_cache_options`, `context_management`,
 * `text.verbosity`, and `reasoning` settings other than `effort` (summary, context, mode).
 */
function refuseStateful(body: Json): void {
  if (given(body.previous_response_id)) {
    throw bad('previous_response_id', 'the gateway keeps no responses; send the whole conversation in input, with store: false');
  }
  if (given(body.conversation)) throw bad('conversation', 'the gateway keeps no conversations; send the whole conversation in input');
  if (given(body.prompt)) throw bad('prompt', 'stored prompt templates cannot be resolved by the gateway; send the instructions and input themselves');
  if (body.background === true) throw bad('background', 'background responses need stored state, which the gateway does not keep; send the request without background');
  if (given(body.moderation)) throw bad('moderation', 'moderated responses are not supported by the gateway');
}

export function requestToCanonical(body: Record<string, unknown>): CanonicalRequest {
  if (typeof body.model !== 'string' || body.model === '') throw expected('model', 'a non-empty string', body.model);
  refuseStateful(body);
  if (!given(body.input)) throw bad('input', 'expected the input: a string or an array of input items');

  const system: TextPart[] = [];
  const instructions = optString(body.instructions, 'instructions');
  if (instructions !== undefined) system.push({ type: 'text', text: instructions });
  const messages = inputToMessages(body.input, system);

  const req: CanonicalRequest = { model: body.model, system, messages, stream: optBoolean(body.stream, 'stream') ?? false };
  if (given(body.tools)) req.tools = tools(body.tools);
  if (given(body.tool_choice)) req.toolChoice = toolChoice(body.tool_choice);
  const parallel = optBoolean(body.parallel_tool_calls, 'parallel_tool_calls');
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  const maxOut = optInteger(body.max_output_tokens, 'max_output_tokens', 1);
  if (maxOut !== undefined) req.maxOutputTokens = maxOut;
  const temperature = optNumber(body.temperature, 'temperature');
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body.top_p, 'top_p');
  if (topP !== undefined) req.topP = topP;
  // `user` is deprecated in favour of safety_identifier (and prompt_cache_key); either names the end user.
  const user = optString(body.user, 'user') ?? optString(body.safety_identifier, 'safety_identifier');
  if (user !== undefined) req.user = user;
  if (given(body.text)) {
    const text = object(body.text, 'text');
    if (given(text.format)) req.responseFormat = textFormat(text.format);
  }
  if (given(body.reasoning)) {
    const effort = optString(object(body.reasoning, 'reasoning').effort, 'reasoning.effort');
    if (effort !== undefined) {
      if (!(EFFORTS as readonly string[]).includes(effort)) {
        throw bad('reasoning.effort', `expected one of ${EFFORTS.join(', ')}, got ${JSON.stringify(effort)}`);
      }
      req.reasoning = { effort: effort as ReasoningEffort };
    }
  }
  const cacheKey = optString(body.prompt_cache_key, 'prompt_cache_key');
  if (cacheKey !== undefined) req.promptCacheKey = cacheKey;
  return req;
}

// ---------------------------------------------------------------- canonical -> wire

function toolChoiceToWire(c: ToolChoice): unknown {
  return c.type === 'tool' ? { type: 'function', name: c.name } : c.type;
}

function textFormatToWire(f: ResponseFormat): Json {
  if (f.type !== 'json_schema') return { type: f.type };
  return {
    type: 'json_schema',
    name: f.name,
    schema: f.schema,
    ...(f.strict !== undefined ? { strict: f.strict } : {}),
    ...(f.description !== undefined ? { description: f.description } : {}),
  };
}

/**
 * The canonical request as a Responses body for `model`, always with store: false (the gateway
 * keeps no state, and neither should the provider on its behalf).
 *
 * Dropped because the format has no field for them: stop sequences, seed, topK,
 * reasoning.budgetTokens (only an effort maps), tool-result isError, cache breakpoints, and
 * reasoning that cannot be sent back (see messagesToInput). A tool without `strict` is sent with
 * strict: false: Responses otherwise normalizes the schema into strict mode ("If you omit strict,
 * ... Responses requests will normalize your schema into strict mode", in
 * https://platform.openai.com/docs/guides/function-calling), which no other family's client asked for.
 */
export function requestFromCanonical(req: CanonicalRequest, model: string): Record<string, unknown> {
  const body: Json = { model };
  const { input, reasoning } = messagesToInput(req.messages);
  // One system part is `instructions`; several keep their parts as a system message ahead of the input.
  const [onlySystem] = req.system;
  if (req.system.length === 1 && onlySystem) body.instructions = onlySystem.text;
  else if (req.system.length > 1) input.unshift(systemItem(req.system));
  body.input = input;
  if (req.tools) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters,
      strict: t.strict ?? false,
    }));
  }
  if (req.toolChoice) body.tool_choice = toolChoiceToWire(req.toolChoice);
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.maxOutputTokens !== undefined) body.max_output_tokens = req.maxOutputTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.user !== undefined) body.user = req.user;
  if (req.responseFormat) body.text = { format: textFormatToWire(req.responseFormat) };
  if (req.reasoning?.effort !== undefined) body.reasoning = { effort: req.reasoning.effort };
  if (req.promptCacheKey !== undefined) body.prompt_cache_key = req.promptCacheKey;
  if (req.stream) body.stream = true;
  body.store = false;
  // Encrypted reasoning sent back is answered with more only when asked for.
  if (reasoning) body.include = ['reasoning.encrypted_content'];
  return body;
}
