// Chat Completions request JSON <-> the canonical request, with every wrong shape reported by its path.
// Wire format: https://platform.openai.com/docs/api-reference/chat/create
import { GatewayError } from '../../../errors.js';
import type {
  CanonicalRequest,
  DocumentPart,
  ImagePart,
  MediaSource,
  Message,
  ReasoningEffort,
  ResponseFormat,
  TextPart,
  ToolCallPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
} from '../../canonical.js';
import { bad, expected, isObject, type Json } from './json.js';

const EFFORTS: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

// ---------------------------------------------------------------- wire -> canonical

function optString(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw expected(path, 'a string', v);
  return v;
}

function optNumber(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw expected(path, 'a number', v);
  return v;
}

function optInteger(v: unknown, path: string, min: number): number | undefined {
  const n = optNumber(v, path);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < min) throw bad(path, `expected an integer of at least ${min}, got ${n}`);
  return n;
}

function optBoolean(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw expected(path, 'true or false', v);
  return v;
}

function object(v: unknown, path: string): Json {
  if (!isObject(v)) throw expected(path, 'an object', v);
  return v;
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw expected(path, 'an array', v);
  return v;
}

/** `data:<media type>[;params];base64,<data>` -> its parts; null when `url` is not a base64 data URL. */
function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  if (comma < 0) return null;
  const params = url.slice(5, comma).split(';');
  if (!params.slice(1).some((p) => p.trim().toLowerCase() === 'base64')) return null;
  return { mediaType: params[0]?.trim() || 'application/octet-stream', data: url.slice(comma + 1) };
}

function mediaSource(url: string, path: string): MediaSource {
  if (url.startsWith('data:')) {
    const parsed = parseDataUrl(url);
    if (!parsed) throw bad(path, 'a data: URL must be base64-encoded (data:<type>;base64,<data>)');
    return { kind: 'base64', mediaType: parsed.mediaType, data: parsed.data };
  }
  if (/^https?:\/\//i.test(url)) return { kind: 'url', url };
  throw bad(path, 'expected an http(s) URL or a base64 data: URL');
}

/** A text-only content field (system, developer and tool messages): a string or `text` parts. */
function textParts(content: unknown, path: string): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw expected(path, 'a string or an array of text parts', content);
  return content.map((raw, j) => {
    const p = object(raw, `${path}[${j}]`);
    if (p.type !== 'text') throw bad(`${path}[${j}].type`, `expected "text" here, got ${JSON.stringify(p.type)}`);
    if (typeof p.text !== 'string') throw expected(`${path}[${j}].text`, 'a string', p.text);
    return { type: 'text', text: p.text };
  });
}

function filePart(file: Json, path: string): DocumentPart {
  if (file.file_id !== undefined && file.file_id !== null) {
    throw bad(`${path}.file_id`, 'uploaded file ids cannot be resolved by the gateway; send the file inline as file_data');
  }
  const fileData = file.file_data;
  if (typeof fileData !== 'string') throw expected(`${path}.file_data`, 'a string', fileData);
  const title = optString(file.filename, `${path}.filename`);
  // OpenAI's examples send a data: URL; some clients send bare base64, which OpenAI reads as a PDF.
  const parsed = parseDataUrl(fileData) ?? (fileData.startsWith('data:') ? null : { mediaType: 'application/pdf', data: fileData });
  if (!parsed) throw bad(`${path}.file_data`, 'a data: URL must be base64-encoded (data:<type>;base64,<data>)');
  const mediaType = parsed.mediaType.toLowerCase();
  const titled = title !== undefined ? { title } : {};
  if (mediaType === 'application/pdf') return { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: parsed.data }, ...titled };
  if (mediaType === 'text/plain') {
    return { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: Buffer.from(parsed.data, 'base64').toString('utf8') }, ...titled };
  }
  throw bad(`${path}.file_data`, `files of type ${parsed.mediaType} are not supported; send a PDF (application/pdf) or plain text`);
}

function userParts(content: unknown, path: string): (TextPart | ImagePart | DocumentPart)[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw expected(path, 'a string or an array of content parts', content);
  return content.map((raw, j): TextPart | ImagePart | DocumentPart => {
    const at = `${path}[${j}]`;
    const p = object(raw, at);
    switch (p.type) {
      case 'text':
        if (typeof p.text !== 'string') throw expected(`${at}.text`, 'a string', p.text);
        return { type: 'text', text: p.text };
      case 'image_url': {
        // A bare string is not OpenAI's shape, but some clients send it and it is unambiguous.
        const image = typeof p.image_url === 'string' ? { url: p.image_url } : object(p.image_url, `${at}.image_url`);
        if (typeof image.url !== 'string') throw expected(`${at}.image_url.url`, 'a string', image.url);
        const detail = optString(image.detail, `${at}.image_url.detail`);
        return { type: 'image', source: mediaSource(image.url, `${at}.image_url.url`), ...(detail !== undefined ? { detail } : {}) };
      }
      case 'file':
        return filePart(object(p.file, `${at}.file`), `${at}.file`);
      case 'input_audio':
        throw bad(at, 'audio input (input_audio) is not supported by the gateway; send the transcript as text');
      default:
        throw bad(`${at}.type`, `unknown content part type ${JSON.stringify(p.type)}; expected text, image_url or file`);
    }
  });
}

function toolCalls(v: unknown, path: string): ToolCallPart[] {
  return array(v, path).map((raw, j) => {
    const at = `${path}[${j}]`;
    const call = object(raw, at);
    if (call.type !== undefined && call.type !== 'function') {
      throw bad(`${at}.type`, `only "function" tool calls are supported, got ${JSON.stringify(call.type)}`);
    }
    if (typeof call.id !== 'string') throw expected(`${at}.id`, 'a string', call.id);
    const fn = object(call.function, `${at}.function`);
    if (typeof fn.name !== 'string') throw expected(`${at}.function.name`, 'a string', fn.name);
    // Arguments are the model's text, kept verbatim even when they are not valid JSON.
    if (typeof fn.arguments !== 'string') throw expected(`${at}.function.arguments`, 'a string', fn.arguments);
    return { type: 'tool_call', id: call.id, name: fn.name, arguments: fn.arguments };
  });
}

function assistantParts(m: Json, path: string): (TextPart | ToolCallPart)[] {
  if (m.function_call !== undefined && m.function_call !== null) {
    throw bad(`${path}.function_call`, 'the legacy function_call is not supported; use tool_calls');
  }
  const parts: (TextPart | ToolCallPart)[] = [];
  const content = m.content;
  if (typeof content === 'string') {
    // Clients echo `content: ""` beside tool calls; it carries nothing.
    if (content !== '') parts.push({ type: 'text', text: content });
  } else if (content !== undefined && content !== null) {
    array(content, `${path}.content`).forEach((raw, j) => {
      const at = `${path}.content[${j}]`;
      const p = object(raw, at);
      if (p.type === 'text') {
        if (typeof p.text !== 'string') throw expected(`${at}.text`, 'a string', p.text);
        parts.push({ type: 'text', text: p.text });
      } else if (p.type === 'refusal') {
        if (typeof p.refusal !== 'string') throw expected(`${at}.refusal`, 'a string', p.refusal);
        parts.push({ type: 'text', text: p.refusal });
      } else {
        throw bad(`${at}.type`, `expected "text" or "refusal", got ${JSON.stringify(p.type)}`);
      }
    });
  }
  const refusal = optString(m.refusal, `${path}.refusal`);
  if (refusal) parts.push({ type: 'text', text: refusal });
  if (m.tool_calls !== undefined && m.tool_calls !== null) parts.push(...toolCalls(m.tool_calls, `${path}.tool_calls`));
  return parts;
}

function toolResult(m: Json, path: string): ToolResultPart {
  if (typeof m.tool_call_id !== 'string') throw expected(`${path}.tool_call_id`, 'a string', m.tool_call_id);
  // An empty result is written as "" (the field is required): read back as no content.
  const content = m.content === '' ? [] : textParts(m.content, `${path}.content`);
  return { type: 'tool_result', toolCallId: m.tool_call_id, content };
}

function tools(v: unknown): ToolDefinition[] {
  return array(v, 'tools').map((raw, i) => {
    const at = `tools[${i}]`;
    const t = object(raw, at);
    if (t.type !== 'function') throw bad(`${at}.type`, `only "function" tools are supported, got ${JSON.stringify(t.type)}`);
    const fn = object(t.function, `${at}.function`);
    if (typeof fn.name !== 'string' || fn.name === '') throw expected(`${at}.function.name`, 'a non-empty string', fn.name);
    const description = optString(fn.description, `${at}.function.description`);
    // OpenAI: "Omitting parameters defines a function with an empty parameter list."
    const parameters = fn.parameters === undefined || fn.parameters === null ? { type: 'object', properties: {} } : object(fn.parameters, `${at}.function.parameters`);
    const strict = optBoolean(fn.strict, `${at}.function.strict`);
    return { name: fn.name, ...(description !== undefined ? { description } : {}), parameters, ...(strict !== undefined ? { strict } : {}) };
  });
}

function toolChoice(v: unknown): ToolChoice {
  if (v === 'auto' || v === 'none' || v === 'required') return { type: v };
  if (isObject(v) && v.type === 'function') {
    const fn = object(v.function, 'tool_choice.function');
    if (typeof fn.name !== 'string') throw expected('tool_choice.function.name', 'a string', fn.name);
    return { type: 'tool', name: fn.name };
  }
  throw bad('tool_choice', 'expected "auto", "none", "required" or {"type": "function", "function": {"name": ...}}');
}

function responseFormat(v: unknown): ResponseFormat {
  const f = object(v, 'response_format');
  if (f.type === 'text' || f.type === 'json_object') return { type: f.type };
  if (f.type === 'json_schema') {
    const js = object(f.json_schema, 'response_format.json_schema');
    if (typeof js.name !== 'string') throw expected('response_format.json_schema.name', 'a string', js.name);
    const schema = js.schema === undefined || js.schema === null ? {} : object(js.schema, 'response_format.json_schema.schema');
    const strict = optBoolean(js.strict, 'response_format.json_schema.strict');
    const description = optString(js.description, 'response_format.json_schema.description');
    return { type: 'json_schema', name: js.name, schema, ...(strict !== undefined ? { strict } : {}), ...(description !== undefined ? { description } : {}) };
  }
  throw bad('response_format.type', `expected "text", "json_object" or "json_schema", got ${JSON.stringify(f.type)}`);
}

function stopSequences(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  return array(v, 'stop').map((s, i) => {
    if (typeof s !== 'string') throw expected(`stop[${i}]`, 'a string', s);
    return s;
  });
}

/**
 * Fields canonical requests cannot carry are rejected when dropping them would change the answer
 * (several choices, audio output, legacy functions); the rest (penalties, logprobs, metadata...)
 * have no counterpart in other families and are left out.
 */
function rejectInexpressible(body: Json): void {
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw bad('n', 'only one choice (n = 1) is supported');
  if (body.audio !== undefined && body.audio !== null) throw bad('audio', 'audio output is not supported by the gateway');
  if (body.functions !== undefined) throw bad('functions', 'the legacy functions parameter is not supported; use tools');
  if (body.function_call !== undefined) throw bad('function_call', 'the legacy function_call parameter is not supported; use tool_choice');
}

export function requestToCanonical(body: Record<string, unknown>): CanonicalRequest {
  if (typeof body.model !== 'string' || body.model === '') throw expected('model', 'a non-empty string', body.model);
  rejectInexpressible(body);
  const rawMessages = array(body.messages, 'messages');
  if (rawMessages.length === 0) throw bad('messages', 'expected at least one message');

  const system: TextPart[] = [];
  const messages: Message[] = [];
  // The user message that holds the tool results just read: more tool results, and then one user
  // message, join it, so a turn's results stay together and in order, ahead of the user's text.
  let toolTurn: Message | null = null;
  rawMessages.forEach((raw, i) => {
    const at = `messages[${i}]`;
    const m = object(raw, at);
    switch (m.role) {
      case 'system':
      case 'developer':
        // Canonical requests have one system prompt, so a system message later in the
        // conversation is appended to it: its instructions are kept, its position is not.
        system.push(...textParts(m.content, `${at}.content`));
        return;
      case 'user': {
        const parts = userParts(m.content, `${at}.content`);
        if (toolTurn) toolTurn.content.push(...parts);
        else messages.push({ role: 'user', content: parts });
        toolTurn = null;
        return;
      }
      case 'tool': {
        const part = toolResult(m, at);
        if (toolTurn) toolTurn.content.push(part);
        else {
          toolTurn = { role: 'user', content: [part] };
          messages.push(toolTurn);
        }
        return;
      }
      case 'assistant':
        toolTurn = null;
        messages.push({ role: 'assistant', content: assistantParts(m, at) });
        return;
      case 'function':
        throw bad(`${at}.role`, 'the legacy "function" role is not supported; use tool messages');
      default:
        throw bad(`${at}.role`, `unknown role ${JSON.stringify(m.role)}; expected system, developer, user, assistant or tool`);
    }
  });

  const req: CanonicalRequest = { model: body.model, system, messages, stream: optBoolean(body.stream, 'stream') ?? false };
  if (body.tools !== undefined && body.tools !== null) req.tools = tools(body.tools);
  if (body.tool_choice !== undefined && body.tool_choice !== null) req.toolChoice = toolChoice(body.tool_choice);
  const parallel = optBoolean(body.parallel_tool_calls, 'parallel_tool_calls');
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  // max_completion_tokens replaced max_tokens; a client sending both means the newer one.
  const maxOut = optInteger(body.max_completion_tokens, 'max_completion_tokens', 1) ?? optInteger(body.max_tokens, 'max_tokens', 1);
  if (maxOut !== undefined) req.maxOutputTokens = maxOut;
  const temperature = optNumber(body.temperature, 'temperature');
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body.top_p, 'top_p');
  if (topP !== undefined) req.topP = topP;
  const stop = stopSequences(body.stop);
  if (stop !== undefined) req.stop = stop;
  const seed = optNumber(body.seed, 'seed');
  if (seed !== undefined) {
    if (!Number.isInteger(seed)) throw bad('seed', `expected an integer, got ${seed}`);
    req.seed = seed;
  }
  // safety_identifier is OpenAI's newer name for the end-user id.
  const user = optString(body.user, 'user') ?? optString(body.safety_identifier, 'safety_identifier');
  if (user !== undefined) req.user = user;
  if (body.response_format !== undefined && body.response_format !== null) req.responseFormat = responseFormat(body.response_format);
  const effort = optString(body.reasoning_effort, 'reasoning_effort');
  if (effort !== undefined) {
    if (!(EFFORTS as readonly string[]).includes(effort)) throw bad('reasoning_effort', `expected one of ${EFFORTS.join(', ')}, got ${JSON.stringify(effort)}`);
    req.reasoning = { effort: effort as ReasoningEffort };
  }
  const cacheKey = optString(body.prompt_cache_key, 'prompt_cache_key');
  if (cacheKey !== undefined) req.promptCacheKey = cacheKey;
  return req;
}

// ---------------------------------------------------------------- canonical -> wire

/** One text part is sent as a plain string (what every compatible server accepts); more as parts. */
function textContent(parts: TextPart[]): string | Json[] {
  if (parts.length === 1 && parts[0]) return parts[0].text;
  return parts.map((p) => ({ type: 'text', text: p.text }));
}

function sourceUrl(source: MediaSource): string {
  return source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}

function userPart(p: TextPart | ImagePart | DocumentPart): Json {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'image':
      return { type: 'image_url', image_url: { url: sourceUrl(p.source), ...(p.detail !== undefined ? { detail: p.detail } : {}) } };
    case 'document': {
      const { source } = p;
      // Chat Completions takes files inline only, and its file input is for PDFs: plain text
      // travels as text, which is what a model would read from it anyway.
      if (source.kind === 'text') return { type: 'text', text: p.title !== undefined ? `${p.title}\n\n${source.data}` : source.data };
      if (source.kind === 'url') {
        throw new GatewayError('BAD_REQUEST', 'a document given by URL cannot be sent to an OpenAI Chat Completions provider; send it inline (base64)');
      }
      // OpenAI requires a filename beside file_data.
      return { type: 'file', file: { filename: p.title ?? 'document.pdf', file_data: sourceUrl(source) } };
    }
  }
}

/** Tool messages carry text only; an empty result still needs its (required) content field. */
function toolContent(parts: TextPart[]): string | Json[] {
  return parts.length === 0 ? '' : textContent(parts);
}

/** A canonical user message: its tool results as `tool` messages first, then the rest as one user message. */
function userMessages(m: Message): Json[] {
  const out: Json[] = [];
  const media: Json[] = [];
  const rest: Json[] = [];
  for (const p of m.content) {
    if (p.type === 'tool_result') {
      const texts = p.content.filter((c): c is TextPart => c.type === 'text');
      out.push({ role: 'tool', tool_call_id: p.toolCallId, content: toolContent(texts) });
      // A tool message cannot hold images or files, so a result's media go in the user message
      // that follows the tool messages, ahead of the user's own content.
      for (const c of p.content) if (c.type !== 'text') media.push(userPart(c));
      // isError has no Chat Completions field: the result's text is what the model sees.
    } else if (p.type === 'text' || p.type === 'image' || p.type === 'document') {
      rest.push(userPart(p));
    }
    // tool_call and reasoning parts have no place in a user turn and are not sent.
  }
  const content = [...media, ...rest];
  if (content.length === 1 && content[0]?.type === 'text') out.push({ role: 'user', content: content[0].text });
  else if (content.length > 0) out.push({ role: 'user', content });
  return out;
}

/** Reasoning parts are dropped: Chat Completions has no request field for them. */
function assistantMessage(m: Message): Json | null {
  const texts = m.content.filter((p): p is TextPart => p.type === 'text');
  const calls = m.content.filter((p): p is ToolCallPart => p.type === 'tool_call');
  // A turn that was only reasoning carries nothing this format can send.
  if (texts.length === 0 && calls.length === 0) return null;
  const msg: Json = { role: 'assistant', content: texts.length === 0 ? null : textContent(texts) };
  if (calls.length > 0) msg.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  return msg;
}

function toolChoiceToWire(c: ToolChoice): unknown {
  return c.type === 'tool' ? { type: 'function', function: { name: c.name } } : c.type;
}

function responseFormatToWire(f: ResponseFormat): Json {
  if (f.type !== 'json_schema') return { type: f.type };
  return {
    type: 'json_schema',
    json_schema: { name: f.name, schema: f.schema, ...(f.strict !== undefined ? { strict: f.strict } : {}), ...(f.description !== undefined ? { description: f.description } : {}) },
  };
}

/**
 * The canonical request as a Chat Completions body for `model`. Dropped because the format has no
 * field for them: reasoning parts, topK, reasoning.budgetTokens (only an effort maps, and sending
 * one to a model that does not reason is an error), tool-result isError, cache breakpoints.
 */
export function requestFromCanonical(req: CanonicalRequest, model: string): Record<string, unknown> {
  const messages: Json[] = [];
  if (req.system.length > 0) messages.push({ role: 'system', content: textContent(req.system) });
  for (const m of req.messages) {
    if (m.role === 'assistant') {
      const msg = assistantMessage(m);
      if (msg) messages.push(msg);
    } else {
      messages.push(...userMessages(m));
    }
  }
  const body: Json = { model, messages };
  if (req.tools) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
        ...(t.strict !== undefined ? { strict: t.strict } : {}),
      },
    }));
  }
  if (req.toolChoice) body.tool_choice = toolChoiceToWire(req.toolChoice);
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.maxOutputTokens !== undefined) body.max_completion_tokens = req.maxOutputTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.user !== undefined) body.user = req.user;
  if (req.responseFormat) body.response_format = responseFormatToWire(req.responseFormat);
  if (req.reasoning?.effort !== undefined) body.reasoning_effort = req.reasoning.effort;
  if (req.promptCacheKey !== undefined) body.prompt_cache_key = req.promptCacheKey;
  if (req.stream) {
    body.stream = true;
    // Without it OpenAI sends no usage in a stream, and the ledger would have to estimate.
    body.stream_options = { include_usage: true };
  }
  return body;
}
