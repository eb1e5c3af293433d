// Anthropic content blocks <-> canonical parts, shared by requests and responses, with path-naming validation.
//
// Field names follow the Messages API reference (https://docs.anthropic.com/en/api/messages) and the
// type definitions of @anthropic-ai/sdk (resources/messages/messages.d.ts).
import { GatewayError } from '../../../errors.js';
import type { CacheControl, ContentPart, DocumentPart, ImagePart, ReasoningPart, TextPart, ToolCallPart, ToolResultPart } from '../../canonical.js';
import { argumentsFromObject, argumentsToObject } from '../../tool-args.js';

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A client error that names the offending field, e.g. `messages[2].content[0].type`. */
export function badRequest(path: string, message: string): GatewayError {
  return new GatewayError('BAD_REQUEST', `${path}: ${message}`, { param: path });
}

export function readString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw badRequest(path, `expected a string, got ${describe(value)}`);
  return value;
}

export function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : readString(value, path);
}

export function readRecord(value: unknown, path: string): Json {
  if (!isRecord(value)) throw badRequest(path, `expected an object, got ${describe(value)}`);
  return value;
}

export function readArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw badRequest(path, `expected an array, got ${describe(value)}`);
  return value;
}

/** What a value is, for error messages (never the value itself: it may be a large or private text). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// ---- cache_control (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching) ----

export function readCacheControl(value: unknown, path: string): CacheControl | undefined {
  if (value === undefined || value === null) return undefined;
  const cc = readRecord(value, path);
  if (cc['type'] !== 'ephemeral') throw badRequest(`${path}.type`, 'expected "ephemeral", the only cache_control type');
  const ttl = optionalString(cc['ttl'], `${path}.ttl`);
  return ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl };
}

export function writeCacheControl(cc: CacheControl | undefined): Json | undefined {
  if (!cc) return undefined;
  return cc.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cc.ttl };
}

/** Adds `cache_control` to a block only when the part has one, so blocks stay minimal. */
function withCache(block: Json, cc: CacheControl | undefined): Json {
  const written = writeCacheControl(cc);
  if (written) block['cache_control'] = written;
  return block;
}

function cacheOf(block: Json, path: string): { cacheControl?: CacheControl } {
  const cc = readCacheControl(block['cache_control'], `${path}.cache_control`);
  return cc ? { cacheControl: cc } : {};
}

// ---- wire -> canonical ----

export function readTextBlock(block: Json, path: string): TextPart {
  return { type: 'text', text: readString(block['text'], `${path}.text`), ...cacheOf(block, path) };
}

function readImage(block: Json, path: string): ImagePart {
  const source = readRecord(block['source'], `${path}.source`);
  const kind = source['type'];
  if (kind === 'base64') {
    return {
      type: 'image',
      source: {
        kind: 'base64',
        mediaType: readString(source['media_type'], `${path}.source.media_type`),
        data: readString(source['data'], `${path}.source.data`),
      },
      ...cacheOf(block, path),
    };
  }
  if (kind === 'url') {
    return { type: 'image', source: { kind: 'url', url: readString(source['url'], `${path}.source.url`) }, ...cacheOf(block, path) };
  }
  throw badRequest(`${path}.source.type`, `image source type ${JSON.stringify(kind)} is not supported by the gateway; use "base64" or "url"`);
}

function readDocument(block: Json, path: string): DocumentPart {
  const source = readRecord(block['source'], `${path}.source`);
  const kind = source['type'];
  const title = optionalString(block['title'], `${path}.title`);
  const rest = { ...(title === undefined ? {} : { title }), ...cacheOf(block, path) };
  if (kind === 'base64') {
    const mediaType = readString(source['media_type'], `${path}.source.media_type`);
    return { type: 'document', source: { kind: 'base64', mediaType, data: readString(source['data'], `${path}.source.data`) }, ...rest };
  }
  if (kind === 'text') {
    if (source['media_type'] !== 'text/plain') throw badRequest(`${path}.source.media_type`, 'expected "text/plain" for a text document source');
    return { type: 'document', source: { kind: 'text', mediaType: 'text/plain', data: readString(source['data'], `${path}.source.data`) }, ...rest };
  }
  if (kind === 'url') {
    return { type: 'document', source: { kind: 'url', url: readString(source['url'], `${path}.source.url`) }, ...rest };
  }
  throw badRequest(`${path}.source.type`, `document source type ${JSON.stringify(kind)} is not supported by the gateway; use "base64", "text" or "url"`);
}

function readToolUse(block: Json, path: string): ToolCallPart {
  return {
    type: 'tool_call',
    id: readString(block['id'], `${path}.id`),
    name: readString(block['name'], `${path}.name`),
    arguments: argumentsFromObject(block['input'] ?? {}),
    ...cacheOf(block, path),
  };
}

function readToolResult(block: Json, path: string): ToolResultPart {
  const toolCallId = readString(block['tool_use_id'], `${path}.tool_use_id`);
  const raw = block['content'];
  let content: ToolResultPart['content'] = [];
  if (typeof raw === 'string') {
    content = raw === '' ? [] : [{ type: 'text', text: raw }];
  } else if (raw !== undefined && raw !== null) {
    content = readArray(raw, `${path}.content`).map((item, i) => {
      const at = `${path}.content[${i}]`;
      const inner = readRecord(item, at);
      const type = inner['type'];
      if (type === 'text') return readTextBlock(inner, at);
      if (type === 'image') return readImage(inner, at);
      if (type === 'document') return readDocument(inner, at);
      throw badRequest(`${at}.type`, `unsupported tool_result content type ${JSON.stringify(type)}; expected "text", "image" or "document"`);
    });
  }
  const isError = block['is_error'];
  if (isError !== undefined && isError !== null && typeof isError !== 'boolean') throw badRequest(`${path}.is_error`, `expected a boolean, got ${describe(isError)}`);
  return {
    type: 'tool_result',
    toolCallId,
    content,
    ...(typeof isError === 'boolean' ? { isError } : {}),
    ...cacheOf(block, path),
  };
}

function readThinking(block: Json, path: string): ReasoningPart {
  return {
    type: 'reasoning',
    family: 'anthropic',
    text: readString(block['thinking'], `${path}.thinking`),
    signature: readString(block['signature'], `${path}.signature`),
  };
}

function readRedactedThinking(block: Json, path: string): ReasoningPart {
  return { type: 'reasoning', family: 'anthropic', opaque: readString(block['data'], `${path}.data`) };
}

/** One request content block; throws BAD_REQUEST naming the path for anything the gateway cannot carry. */
export function readContentBlock(value: unknown, path: string): ContentPart {
  const block = readRecord(value, path);
  const type = block['type'];
  switch (type) {
    case 'text':
      return readTextBlock(block, path);
    case 'image':
      return readImage(block, path);
    case 'document':
      return readDocument(block, path);
    case 'tool_use':
      return readToolUse(block, path);
    case 'tool_result':
      return readToolResult(block, path);
    case 'thinking':
      return readThinking(block, path);
    case 'redacted_thinking':
      return readRedactedThinking(block, path);
    default:
      throw badRequest(
        `${path}.type`,
        `unsupported content block type ${JSON.stringify(type)}; the gateway carries text, image, document, tool_use, tool_result, thinking and redacted_thinking`,
      );
  }
}

/**
 * One response content block, or null for block types the gateway does not model (server tool
 * blocks only appear with server tools, which requests cannot carry). Throws on a malformed block.
 */
export function readResponseBlock(value: unknown, path: string): TextPart | ToolCallPart | ReasoningPart | null {
  const block = readRecord(value, path);
  switch (block['type']) {
    case 'text':
      // Citations are not modelled: the text itself is kept.
      return { type: 'text', text: readString(block['text'], `${path}.text`) };
    case 'tool_use':
      return readToolUse(block, path);
    case 'thinking':
      return readThinking(block, path);
    case 'redacted_thinking':
      return readRedactedThinking(block, path);
    default:
      return null;
  }
}

// ---- canonical -> wire ----

function writeImage(part: ImagePart): Json {
  // `detail` is OpenAI's; Anthropic has no equivalent, so it is not sent.
  const source = part.source.kind === 'base64' ? { type: 'base64', media_type: part.source.mediaType, data: part.source.data } : { type: 'url', url: part.source.url };
  return withCache({ type: 'image', source }, part.cacheControl);
}

function writeDocument(part: DocumentPart): Json {
  const s = part.source;
  let source: Json;
  if (s.kind === 'url') source = { type: 'url', url: s.url };
  else if (s.kind === 'text') source = { type: 'text', media_type: 'text/plain', data: s.data };
  else if (s.mediaType === 'text/plain') source = { type: 'text', media_type: 'text/plain', data: Buffer.from(s.data, 'base64').toString('utf8') };
  else if (s.mediaType === 'application/pdf') source = { type: 'base64', media_type: 'application/pdf', data: s.data };
  else {
    // Anthropic documents are PDFs or plain text (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support).
    throw new GatewayError('BAD_REQUEST', `a document of type ${s.mediaType} cannot be sent to an Anthropic model; only PDF and plain-text documents are supported`);
  }
  const block: Json = { type: 'document', source };
  if (part.title !== undefined) block['title'] = part.title;
  return withCache(block, part.cacheControl);
}

/** Anthropic rejects empty text blocks ("text content blocks must be non-empty"), so they are left out. */
function writeText(part: TextPart): Json | null {
  return part.text === '' ? null : withCache({ type: 'text', text: part.text }, part.cacheControl);
}

/**
 * One canonical part as an Anthropic block, or null when it is not sent: empty text, and reasoning
 * that Anthropic cannot verify (another family's, or an Anthropic part without its signature or data).
 */
export function writeContentBlock(part: ContentPart): Json | null {
  switch (part.type) {
    case 'text':
      return writeText(part);
    case 'image':
      return writeImage(part);
    case 'document':
      return writeDocument(part);
    case 'tool_call':
      return withCache({ type: 'tool_use', id: part.id, name: part.name, input: argumentsToObject(part.arguments) }, part.cacheControl);
    case 'tool_result': {
      const block: Json = { type: 'tool_result', tool_use_id: part.toolCallId };
      const content = part.content
        .map((c) => (c.type === 'text' ? writeText(c) : c.type === 'image' ? writeImage(c) : writeDocument(c)))
        .filter((b): b is Json => b !== null);
      if (content.length > 0) block['content'] = content;
      if (part.isError !== undefined) block['is_error'] = part.isError;
      return withCache(block, part.cacheControl);
    }
    case 'reasoning':
      return writeReasoning(part);
  }
}

/** Thinking blocks go back exactly as received: their signature covers the text byte for byte. */
export function writeReasoning(part: ReasoningPart): Json | null {
  if (part.family !== 'anthropic') return null;
  if (part.opaque !== undefined) return { type: 'redacted_thinking', data: part.opaque };
  if (part.signature !== undefined) return { type: 'thinking', thinking: part.text ?? '', signature: part.signature };
  return null;
}
