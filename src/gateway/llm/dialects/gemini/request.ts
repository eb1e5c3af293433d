// Gemini generateContent request bodies <-> the canonical request.
//
// Wire format: https://ai.google.dev/api/generate-content#request-body, Content/Part:
// https://ai.google.dev/api/caching#Content, FunctionDeclaration/Schema/ToolConfig:
// https://ai.google.dev/api/caching#Tool, thought signatures:
// https://ai.google.dev/gemini-api/docs/thought-signatures (read 2026-11).
import type {
  CanonicalRequest,
  ContentPart,
  DocumentPart,
  ImagePart,
  Message,
  ReasoningEffort,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
} from '../../canonical.js';
import { GatewayError } from '../../../errors.js';
import { argumentsFromObject } from '../../tool-args.js';
import { functionCallPart, isGeneratedId, isRecord, requestCallId, withSignature, type Json } from './parts.js';
import { cleanSchemaForGemini, geminiSchemaToJsonSchema } from './schema.js';

function bad(param: string, message: string): GatewayError {
  return new GatewayError('BAD_REQUEST', `${param}: ${message}`, { param });
}

/** The name JSON-schema `responseFormat`s get back from Gemini, which has no name for a response schema. */
export const RESPONSE_SCHEMA_NAME = 'response';

const EFFORTS: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high'];

/** Parts that carry Gemini-only features (code execution, server-side tools); they have no canonical form. */
const SKIPPED_PART_KEYS = ['executableCode', 'codeExecutionResult', 'toolCall', 'toolResponse'];

// ---- wire -> canonical ----

interface SeenCall {
  id: string;
  name: string;
  answered: boolean;
}

function mediaToCanonical(mimeType: string, source: { kind: 'base64'; data: string } | { kind: 'url'; url: string }): ImagePart | DocumentPart {
  const src = source.kind === 'base64' ? { kind: 'base64' as const, mediaType: mimeType, data: source.data } : source;
  // Non-image inline data (PDF, text, and also audio or video) travels as a document with its media
  // type: a Gemini provider gets it back unchanged, and another family can reject what it cannot read.
  return mimeType.startsWith('image/') ? { type: 'image', source: src } : { type: 'document', source: src };
}

/**
 * A function response object as tool-result text. Gemini documents `output` for the result and
 * `error` for a failure (https://ai.google.dev/api/caching#FunctionResponse); any other object is
 * the result as a whole and becomes its JSON text.
 */
function functionResponseToResult(response: unknown): { text: string; isError: boolean } {
  const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
  if (isRecord(response)) {
    const keys = Object.keys(response);
    if (keys.length === 1 && keys[0] === 'output') return { text: asText(response.output), isError: false };
    if (keys.length === 1 && keys[0] === 'error') return { text: asText(response.error), isError: true };
  }
  return { text: asText(response), isError: false };
}

function partsToCanonical(parts: unknown[], ci: number, calls: SeenCall[]): ContentPart[] {
  const out: ContentPart[] = [];
  parts.forEach((part, pi) => {
    const at = `contents[${ci}].parts[${pi}]`;
    if (!isRecord(part)) throw bad(at, 'expected a Part object');
    const signature = typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '' ? part.thoughtSignature : undefined;
    if (part.thought === true) {
      out.push({
        type: 'reasoning',
        family: 'gemini',
        ...(typeof part.text === 'string' ? { text: part.text } : {}),
        ...(signature ? { signature } : {}),
      });
      return;
    }
    // A signature belongs to the part it came on: it is kept just before that part.
    if (signature) out.push({ type: 'reasoning', family: 'gemini', signature });

    if (typeof part.text === 'string') {
      if (part.text !== '') out.push({ type: 'text', text: part.text });
    } else if (isRecord(part.inlineData)) {
      const { mimeType, data } = part.inlineData;
      if (typeof mimeType !== 'string' || mimeType === '') throw bad(`${at}.inlineData.mimeType`, 'expected a MIME type');
      if (typeof data !== 'string') throw bad(`${at}.inlineData.data`, 'expected base64 data');
      out.push(mediaToCanonical(mimeType, { kind: 'base64', data }));
    } else if (isRecord(part.fileData)) {
      const { mimeType, fileUri } = part.fileData;
      if (typeof fileUri !== 'string' || fileUri === '') throw bad(`${at}.fileData.fileUri`, 'expected a URI');
      out.push(mediaToCanonical(typeof mimeType === 'string' ? mimeType : '', { kind: 'url', url: fileUri }));
    } else if (isRecord(part.functionCall)) {
      const fc = part.functionCall;
      if (typeof fc.name !== 'string' || fc.name === '') throw bad(`${at}.functionCall.name`, 'expected the function name');
      const id = typeof fc.id === 'string' && fc.id !== '' ? fc.id : requestCallId(ci, pi);
      calls.push({ id, name: fc.name, answered: false });
      out.push({ type: 'tool_call', id, name: fc.name, arguments: argumentsFromObject(fc.args) });
    } else if (isRecord(part.functionResponse)) {
      const fr = part.functionResponse;
      if (typeof fr.name !== 'string' || fr.name === '') throw bad(`${at}.functionResponse.name`, 'expected the function name');
      const frId = typeof fr.id === 'string' && fr.id !== '' ? fr.id : undefined;
      // Paired by id when the response has one, else with the earliest unanswered call of that name.
      const call =
        (frId !== undefined ? calls.find((c) => !c.answered && c.id === frId) : undefined) ??
        calls.find((c) => !c.answered && c.name === fr.name);
      if (call) call.answered = true;
      const { text, isError } = functionResponseToResult(fr.response);
      const result: ToolResultPart = {
        type: 'tool_result',
        toolCallId: call?.id ?? frId ?? requestCallId(ci, pi),
        name: fr.name,
        content: [{ type: 'text', text }],
      };
      if (isError) result.isError = true;
      out.push(result);
    } else if (SKIPPED_PART_KEYS.some((k) => k in part)) {
      return;
    } else if (!signature) {
      throw bad(at, 'expected one of text, inlineData, fileData, functionCall or functionResponse');
    }
  });
  return out;
}

function systemToCanonical(si: unknown): TextPart[] {
  if (si === undefined || si === null) return [];
  if (!isRecord(si) || !Array.isArray(si.parts)) throw bad('systemInstruction', 'expected a Content object with parts');
  return si.parts.map((p, i) => {
    if (!isRecord(p) || typeof p.text !== 'string') throw bad(`systemInstruction.parts[${i}]`, 'only text parts are supported in a system instruction');
    return { type: 'text' as const, text: p.text };
  });
}

function toolsToCanonical(tools: unknown): ToolDefinition[] | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) throw bad('tools', 'expected an array of Tool objects');
  const out: ToolDefinition[] = [];
  tools.forEach((tool, ti) => {
    if (!isRecord(tool)) throw bad(`tools[${ti}]`, 'expected a Tool object');
    // Google Search, code execution and other built-in tools have no canonical form and are left out.
    if (tool.functionDeclarations === undefined) return;
    if (!Array.isArray(tool.functionDeclarations)) throw bad(`tools[${ti}].functionDeclarations`, 'expected an array');
    tool.functionDeclarations.forEach((fd, fi) => {
      const at = `tools[${ti}].functionDeclarations[${fi}]`;
      if (!isRecord(fd) || typeof fd.name !== 'string' || fd.name === '') throw bad(`${at}.name`, 'expected the function name');
      let parameters: Record<string, unknown>;
      if (isRecord(fd.parametersJsonSchema)) parameters = fd.parametersJsonSchema;
      else if (isRecord(fd.parameters)) parameters = geminiSchemaToJsonSchema(fd.parameters);
      else parameters = { type: 'object', properties: {} };
      const def: ToolDefinition = { name: fd.name, parameters };
      if (typeof fd.description === 'string') def.description = fd.description;
      out.push(def);
    });
  });
  return out;
}

function toolChoiceToCanonical(toolConfig: unknown): ToolChoice | undefined {
  if (toolConfig === undefined) return undefined;
  if (!isRecord(toolConfig)) throw bad('toolConfig', 'expected a ToolConfig object');
  const fcc = toolConfig.functionCallingConfig;
  if (fcc === undefined) return undefined;
  if (!isRecord(fcc)) throw bad('toolConfig.functionCallingConfig', 'expected an object');
  const names = Array.isArray(fcc.allowedFunctionNames) ? fcc.allowedFunctionNames.filter((n): n is string => typeof n === 'string') : [];
  switch (fcc.mode) {
    case undefined:
    case 'MODE_UNSPECIFIED':
    case 'AUTO':
    case 'VALIDATED':
      return { type: 'auto' };
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
      // One allowed name is a forced call of that tool; several cannot be said canonically, so any call.
      return names.length === 1 && names[0] ? { type: 'tool', name: names[0] } : { type: 'required' };
    default:
      throw bad('toolConfig.functionCallingConfig.mode', 'expected AUTO, ANY, NONE or VALIDATED');
  }
}

function num(gc: Json, key: string): number | undefined {
  const v = gc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`generationConfig.${key}`, 'expected a number');
  return v;
}

function generationToCanonical(req: CanonicalRequest, gcIn: unknown): void {
  if (gcIn === undefined) return;
  if (!isRecord(gcIn)) throw bad('generationConfig', 'expected a GenerationConfig object');
  const gc = gcIn;
  const maxOutputTokens = num(gc, 'maxOutputTokens');
  if (maxOutputTokens !== undefined) req.maxOutputTokens = maxOutputTokens;
  const temperature = num(gc, 'temperature');
  if (temperature !== undefined) req.temperature = temperature;
  const topP = num(gc, 'topP');
  if (topP !== undefined) req.topP = topP;
  const topK = num(gc, 'topK');
  if (topK !== undefined) req.topK = topK;
  const seed = num(gc, 'seed');
  if (seed !== undefined) req.seed = seed;
  if (gc.stopSequences !== undefined) {
    if (!Array.isArray(gc.stopSequences) || !gc.stopSequences.every((s) => typeof s === 'string')) {
      throw bad('generationConfig.stopSequences', 'expected an array of strings');
    }
    req.stop = gc.stopSequences as string[];
  }

  const mime = gc.responseMimeType;
  if (mime === 'application/json') {
    let format: ResponseFormat = { type: 'json_object' };
    if (isRecord(gc.responseJsonSchema)) format = { type: 'json_schema', name: RESPONSE_SCHEMA_NAME, schema: gc.responseJsonSchema };
    else if (isRecord(gc.responseSchema)) format = { type: 'json_schema', name: RESPONSE_SCHEMA_NAME, schema: geminiSchemaToJsonSchema(gc.responseSchema) };
    req.responseFormat = format;
  } else if (mime === 'text/plain') {
    req.responseFormat = { type: 'text' };
  }

  if (gc.thinkingConfig !== undefined) {
    if (!isRecord(gc.thinkingConfig)) throw bad('generationConfig.thinkingConfig', 'expected an object');
    const tc = gc.thinkingConfig;
    const reasoning: NonNullable<CanonicalRequest['reasoning']> = {};
    if (tc.thinkingBudget !== undefined) {
      if (typeof tc.thinkingBudget !== 'number' || !Number.isInteger(tc.thinkingBudget)) throw bad('generationConfig.thinkingConfig.thinkingBudget', 'expected an integer');
      // 0 turns thinking off; -1 is "dynamic", the model's default, so it says nothing.
      if (tc.thinkingBudget === 0) reasoning.effort = 'none';
      else if (tc.thinkingBudget > 0) reasoning.budgetTokens = tc.thinkingBudget;
    }
    if (tc.thinkingLevel !== undefined) {
      const level = typeof tc.thinkingLevel === 'string' ? tc.thinkingLevel.toLowerCase() : '';
      if (EFFORTS.includes(level as ReasoningEffort)) reasoning.effort = level as ReasoningEffort;
      else if (level !== 'thinking_level_unspecified') throw bad('generationConfig.thinkingConfig.thinkingLevel', 'expected MINIMAL, LOW, MEDIUM or HIGH');
    }
    if (reasoning.effort !== undefined || reasoning.budgetTokens !== undefined) req.reasoning = reasoning;
  }
}

/**
 * A generateContent body to canonical. The model is in the URL, so `model` is ''; `stream` is
 * false (the method in the URL decides it, and the caller sets it).
 */
export function requestToCanonical(body: Record<string, unknown>): CanonicalRequest {
  if (!Array.isArray(body.contents)) throw bad('contents', 'expected an array of Content objects');
  const calls: SeenCall[] = [];
  const messages: Message[] = body.contents.map((content, ci) => {
    if (!isRecord(content)) throw bad(`contents[${ci}]`, 'expected a Content object');
    // Older clients send function responses in a `function` role; an absent role means user.
    const role = content.role === undefined || content.role === 'user' || content.role === 'function' ? 'user' : content.role === 'model' ? 'assistant' : null;
    if (!role) throw bad(`contents[${ci}].role`, 'expected "user" or "model"');
    if (!Array.isArray(content.parts)) throw bad(`contents[${ci}].parts`, 'expected an array of Part objects');
    return { role, content: partsToCanonical(content.parts, ci, calls) };
  });
  const req: CanonicalRequest = { model: '', system: systemToCanonical(body.systemInstruction), messages, stream: false };
  const tools = toolsToCanonical(body.tools);
  if (tools && tools.length > 0) req.tools = tools;
  const toolChoice = toolChoiceToCanonical(body.toolConfig);
  if (toolChoice) req.toolChoice = toolChoice;
  generationToCanonical(req, body.generationConfig);
  return req;
}

// ---- canonical -> wire ----

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

/** fileData needs a MIME type; a URL only hints at it by its extension. */
function mimeFromUrl(url: string, fallback: string, table: Record<string, string>): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && table[ext]) || fallback;
}

function dataUrl(url: string): { mimeType: string; data: string } | null {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m?.[1] && m[2] !== undefined ? { mimeType: m[1], data: m[2] } : null;
}

function mediaToWire(part: ImagePart | DocumentPart): Json {
  const src = part.source;
  if (src.kind === 'base64') return { inlineData: { mimeType: src.mediaType, data: src.data } };
  if (src.kind === 'text') return { inlineData: { mimeType: 'text/plain', data: Buffer.from(src.data, 'utf8').toString('base64') } };
  const inline = dataUrl(src.url);
  if (inline) return { inlineData: inline };
  const mimeType =
    part.type === 'image' ? mimeFromUrl(src.url, 'image/jpeg', IMAGE_TYPES) : mimeFromUrl(src.url, 'application/pdf', { txt: 'text/plain', pdf: 'application/pdf' });
  return { fileData: { mimeType, fileUri: src.url } };
}

/**
 * Tool-result text as a function `response` object: a JSON object stays itself (unless its only
 * key is `output` or `error`, which would read back differently), anything else is `{output: text}`,
 * and a failed call is `{error: text}` — the keys Gemini documents.
 */
export function resultToFunctionResponse(text: string, isError: boolean): Json {
  if (isError) return { error: text };
  try {
    const v: unknown = JSON.parse(text);
    if (isRecord(v)) {
      const keys = Object.keys(v);
      if (!(keys.length === 1 && (keys[0] === 'output' || keys[0] === 'error'))) return v;
    }
  } catch {
    // not JSON: sent as text below
  }
  return { output: text };
}

interface WireContent {
  role: 'user' | 'model';
  parts: Json[];
}

function messagesToWire(messages: readonly Message[]): WireContent[] {
  const callNames = new Map<string, string>();
  const contents: WireContent[] = [];
  messages.forEach((m, mi) => {
    const parts: Json[] = [];
    let pending: string | undefined;
    const push = (part: Json): void => {
      parts.push(withSignature(part, pending));
      pending = undefined;
    };
    m.content.forEach((p, pi) => {
      switch (p.type) {
        case 'reasoning':
          // Thought text is not sent back (Gemini does not take it); a Gemini signature goes on the
          // part that follows it; other families' reasoning means nothing to Gemini.
          if (p.family === 'gemini' && p.signature !== undefined) {
            if (pending !== undefined) push({ text: '' });
            pending = p.signature;
          }
          break;
        case 'text':
          push({ text: p.text });
          break;
        case 'image':
        case 'document':
          push(mediaToWire(p));
          break;
        case 'tool_call':
          callNames.set(p.id, p.name);
          push(functionCallPart(p));
          break;
        case 'tool_result': {
          // Gemini pairs a response with its call by function name (and by id where it has ids).
          const name = callNames.get(p.toolCallId) ?? p.name;
          if (!name) {
            throw bad(
              `messages[${mi}].content[${pi}]`,
              `the tool result for call "${p.toolCallId}" has no matching tool call and no tool name; Gemini needs the function name`,
            );
          }
          const text = p.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
          const fr: Json = { name, response: resultToFunctionResponse(text, p.isError === true) };
          if (p.toolCallId && !isGeneratedId(p.toolCallId)) fr.id = p.toolCallId;
          push({ functionResponse: fr });
          // Images and documents of a result follow it as ordinary parts, which every model reads.
          for (const c of p.content) if (c.type !== 'text') push(mediaToWire(c));
          break;
        }
      }
    });
    if (pending !== undefined) push({ text: '' });
    if (parts.length === 0) return;
    const role = m.role === 'assistant' ? 'model' : 'user';
    const last = contents[contents.length - 1];
    // Gemini wants user and model turns to alternate: consecutive contents of one role are merged.
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  });
  return contents;
}

function toolChoiceToWire(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function toolsToWire(tools: readonly ToolDefinition[]): Json[] {
  const declarations = tools.map((t) => {
    const fd: Json = { name: t.name };
    if (t.description !== undefined) fd.description = t.description;
    const parameters = cleanSchemaForGemini(t.parameters);
    // A function without parameters leaves `parameters` unset (an OBJECT without properties is rejected).
    if (!(parameters.type === 'OBJECT' && (!isRecord(parameters.properties) || Object.keys(parameters.properties).length === 0))) {
      fd.parameters = parameters;
    }
    return fd;
  });
  return [{ functionDeclarations: declarations }];
}

function thinkingToWire(reasoning: NonNullable<CanonicalRequest['reasoning']>): Json | undefined {
  // Gemini rejects thinkingBudget and thinkingLevel together: a token budget is the more precise ask.
  if (reasoning.budgetTokens !== undefined) {
    return reasoning.budgetTokens > 0 ? { thinkingBudget: reasoning.budgetTokens, includeThoughts: true } : { thinkingBudget: 0 };
  }
  switch (reasoning.effort) {
    case undefined:
      return undefined;
    case 'none':
      return { thinkingBudget: 0 };
    case 'xhigh':
      return { thinkingLevel: 'HIGH', includeThoughts: true };
    default:
      return { thinkingLevel: reasoning.effort.toUpperCase(), includeThoughts: true };
  }
}

/**
 * Canonical -> generateContent body. The model goes in the URL, so `_model` is not used.
 * - Tool calls carry `id` unless it is one the gateway generated; every function response carries
 *   the function name, found from the call with the same id earlier in the conversation, else the
 *   result's own `name` (a result with neither is a BAD_REQUEST).
 * - Reasoning: Gemini signatures are re-attached as `thoughtSignature` to the part after them;
 *   thought text and other families' reasoning are not sent.
 * - Thinking asked for with a budget or an effort also sets `includeThoughts`, so the thoughts can
 *   be shown to clients that display reasoning.
 */
export function requestFromCanonical(req: CanonicalRequest, _model: string): Record<string, unknown> {
  const body: Json = { contents: messagesToWire(req.messages) };
  if (req.system.length > 0) body.systemInstruction = { parts: req.system.map((s) => ({ text: s.text })) };
  if (req.tools && req.tools.length > 0) {
    body.tools = toolsToWire(req.tools);
    if (req.toolChoice) body.toolConfig = { functionCallingConfig: toolChoiceToWire(req.toolChoice) };
  }
  const gc: Json = {};
  if (req.maxOutputTokens !== undefined) gc.maxOutputTokens = req.maxOutputTokens;
  if (req.temperature !== undefined) gc.temperature = req.temperature;
  if (req.topP !== undefined) gc.topP = req.topP;
  if (req.topK !== undefined) gc.topK = req.topK;
  if (req.seed !== undefined) gc.seed = req.seed;
  if (req.stop && req.stop.length > 0) gc.stopSequences = req.stop;
  const format = req.responseFormat;
  if (format?.type === 'json_object') gc.responseMimeType = 'application/json';
  else if (format?.type === 'json_schema') {
    // responseJsonSchema takes JSON Schema as it is (https://ai.google.dev/gemini-api/docs/structured-output#json-schema).
    gc.responseMimeType = 'application/json';
    gc.responseJsonSchema = format.schema;
  } else if (format?.type === 'text') gc.responseMimeType = 'text/plain';
  if (req.reasoning) {
    const thinking = thinkingToWire(req.reasoning);
    if (thinking) gc.thinkingConfig = thinking;
  }
  if (Object.keys(gc).length > 0) body.generationConfig = gc;
  return body;
}
