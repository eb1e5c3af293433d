// The canonical model every wire format translates through: requests, responses and typed stream events.
//
// Each dialect (dialects/<format>/) converts its wire JSON to and from these types; a request that
// crosses API families goes wire A -> canonical -> wire B, never by editing text. Same-family traffic
// is passed through untouched and only *observed* through these types (usage, first content).
import type { Usage } from './usage.js';

/** The API families. A provider speaks one; a dialect is one; crossing families means translating. */
export type Family = 'openai' | 'anthropic' | 'gemini';

/** Anthropic-style prompt-cache breakpoint. Kept on parts so it survives a same-family round trip. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: string;
}

export type MediaSource = { kind: 'url'; url: string } | { kind: 'base64'; mediaType: string; data: string };

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
}

export interface ImagePart {
  type: 'image';
  source: MediaSource;
  /** OpenAI's image `detail` (auto | low | high); other families ignore it. */
  detail?: string;
  cacheControl?: CacheControl;
}

export interface DocumentPart {
  type: 'document';
  /** A PDF or plain-text document, inline or by URL. */
  source: MediaSource | { kind: 'text'; mediaType: 'text/plain'; data: string };
  title?: string;
  cacheControl?: CacheControl;
}

/**
 * A tool call the assistant made. `arguments` is the JSON text exactly as the model produced it:
 * it may be invalid JSON (models do that), and each encoder decides how to carry it.
 */
export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  arguments: string;
  cacheControl?: CacheControl;
}

export interface ToolResultPart {
  type: 'tool_result';
  toolCallId: string;
  /** The tool's name when the wire format carries it (Gemini needs it; OpenAI and Anthropic do not). */
  name?: string;
  content: (TextPart | ImagePart | DocumentPart)[];
  isError?: boolean;
  cacheControl?: CacheControl;
}

/**
 * Hidden reasoning. Its opaque parts are bound to the family that produced them (Anthropic thinking
 * signatures and redacted_thinking data, OpenAI encrypted reasoning, Gemini thought signatures):
 * encoders of another family drop the part, encoders of the same family keep it byte for byte.
 */
export interface ReasoningPart {
  type: 'reasoning';
  family: Family;
  /** Readable reasoning text or summary, when the provider shows it. */
  text?: string;
  /** Anthropic `thinking.signature`, Gemini `thoughtSignature`. */
  signature?: string;
  /** Anthropic `redacted_thinking.data`, OpenAI `encrypted_content`. */
  opaque?: string;
}

export type ContentPart = TextPart | ImagePart | DocumentPart | ToolCallPart | ToolResultPart | ReasoningPart;

/**
 * Roles: a `system` message only at the start (OpenAI's `developer` role maps here too); tool
 * results travel as `tool_result` parts of a `user` message (Anthropic's shape) so that their order
 * relative to each other is kept — OpenAI's `tool` messages become such parts, in order.
 */
export interface Message {
  role: 'user' | 'assistant';
  content: ContentPart[];
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments, as the client sent it; providers clean it to their subset. */
  parameters: Record<string, unknown>;
  /** OpenAI's `strict`; others ignore it. */
  strict?: boolean;
  cacheControl?: CacheControl;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

export interface CanonicalRequest {
  /** The model name the client asked for; the router replaces it with the target's model. */
  model: string;
  system: TextPart[];
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  /** OpenAI max_completion_tokens / max_tokens, Anthropic max_tokens, Gemini maxOutputTokens. */
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  /** An end-user id (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  responseFormat?: ResponseFormat;
  reasoning?: { effort?: ReasoningEffort; budgetTokens?: number };
  promptCacheKey?: string;
  stream: boolean;
}

/** Why generation stopped, in one vocabulary. */
export type StopReason = 'end' | 'max_tokens' | 'stop_sequence' | 'tool_calls' | 'content_filter' | 'refusal' | 'pause' | 'error';

export interface CanonicalResponse {
  id: string;
  model: string;
  /** In order: reasoning, text and tool calls as the model produced them. */
  content: (TextPart | ToolCallPart | ReasoningPart)[];
  stopReason: StopReason;
  stopSequence?: string;
  usage: Usage;
  /** True when the provider gave no usage and the counts are the gateway's estimate. */
  usageEstimated?: boolean;
}

/**
 * Typed stream events. Content blocks are numbered by `index` in the order they start; a block is
 * started, receives deltas and ends before the next block starts (Anthropic's rule; decoders of
 * formats that interleave, like OpenAI's parallel tool calls, keep their own index map and may
 * emit deltas for an earlier block — encoders must accept that).
 */
export type StreamEvent =
  | { type: 'start'; id: string; model: string; usage?: Partial<Usage> }
  | { type: 'block_start'; index: number; block: 'text' }
  | { type: 'block_start'; index: number; block: 'reasoning'; family: Family }
  | { type: 'block_start'; index: number; block: 'tool_call'; id: string; name: string }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'reasoning_delta'; index: number; text?: string; signature?: string; opaque?: string }
  | { type: 'tool_args_delta'; index: number; json: string }
  | { type: 'block_end'; index: number }
  /** Usage so far; later values replace earlier ones field by field. */
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'finish'; stopReason: StopReason; stopSequence?: string }
  /** A provider error inside the stream (e.g. Anthropic's `event: error`). */
  | { type: 'error'; status: number; kind: ErrorKind; message: string };

/** Error categories every family can express; each dialect maps them to its own types. */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'rate_limit'
  | 'overloaded'
  | 'timeout'
  | 'upstream'
  | 'budget'
  | 'content_filter'
  | 'internal';

/** An error a dialect can write, already decided on by the gateway. */
export interface WireErrorInput {
  status: number;
  kind: ErrorKind;
  message: string;
  /** OpenAI's `param`. */
  param?: string;
  /** A stable machine code, e.g. `model_not_found`. */
  code?: string;
}

/** An error body read back from a provider. */
export interface ParsedUpstreamError {
  kind: ErrorKind;
  message: string;
  /** The provider's own type string, e.g. `overloaded_error`. */
  type?: string;
  code?: string;
  param?: string;
}

/** A server-sent event as parsed from the wire (eventsource-parser's shape). */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Turns one provider's SSE events into canonical stream events. Stateful: one per stream. */
export interface StreamDecoder {
  /** Returns the canonical events this SSE event carries (possibly none). Never throws on bad JSON: it returns an `error` event. */
  decode(ev: SseEvent): StreamEvent[];
  /** True once the format's terminal event was seen (`[DONE]`, `message_stop`, a Gemini finishReason...). */
  readonly done: boolean;
}

/** Turns canonical stream events into one dialect's SSE text. Stateful: one per stream. */
export interface StreamEncoder {
  /** The SSE frames (already framed, possibly '') for this event. */
  encode(ev: StreamEvent): string;
  /** Frames that close a stream that ended normally (e.g. `data: [DONE]`). */
  end(): string;
  /** A well-formed error in this dialect, for a stream that fails after it started. */
  error(err: WireErrorInput): string;
}

/**
 * One wire format, both directions. Used inbound (client -> gateway) by the HTTP layer and
 * outbound (gateway -> provider) by providers of that family.
 */
export interface Dialect {
  readonly family: Family;
  /** Client/provider request JSON -> canonical. Throws GatewayError('BAD_REQUEST') naming the field. */
  requestToCanonical(body: Record<string, unknown>): CanonicalRequest;
  /** Canonical -> request JSON for a provider of this family, addressed to `model`. */
  requestFromCanonical(req: CanonicalRequest, model: string): Record<string, unknown>;
  /** Provider response JSON -> canonical. Throws GatewayError('UPSTREAM_ERROR') when it is not a response. */
  responseToCanonical(body: Record<string, unknown>): CanonicalResponse;
  /** Canonical -> response JSON for a client of this dialect. */
  responseFromCanonical(res: CanonicalResponse): Record<string, unknown>;
  streamDecoder(): StreamDecoder;
  streamEncoder(options: { id: string; model: string; includeUsage: boolean }): StreamEncoder;
  /** The dialect's error body for an error the gateway decided on. */
  errorBody(err: WireErrorInput): Record<string, unknown>;
  /** Reads a provider error body of this family; null when it is not one. */
  parseError(status: number, body: unknown): ParsedUpstreamError | null;
}
