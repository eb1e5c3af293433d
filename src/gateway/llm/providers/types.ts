// What every provider adapter offers the data path: one upstream call in its own wire format.
import type { Readable } from 'node:stream';
import type { Dialect, Family } from '../canonical.js';
import type { JsonSource } from '../json-source.js';

/**
 * - generate: one model call (Chat Completions, Messages, generateContent / streamGenerateContent).
 * - count_tokens: the provider's own token counter, where it has one.
 * - models: the provider's model listing.
 * - embeddings, completions: OpenAI's `/embeddings` and legacy `/completions`, passed through to
 *   providers of the OpenAI family (others refuse them with GatewayError('NOT_FOUND')).
 * - responses: OpenAI's Responses API (`POST /responses`), passed through to providers whose
 *   `servesResponses` is true (others refuse it with GatewayError('NOT_FOUND')).
 */
export type Operation = 'generate' | 'count_tokens' | 'models' | 'embeddings' | 'completions' | 'responses';

export interface UpstreamRequest {
  operation: Operation;
  /** The JSON body in the provider's wire format, already addressed to `model` where the body carries it. */
  body?: Record<string, unknown>;
  /**
   * The client's own request bytes, when `body` is that request passed through with top-level
   * members changed: the body is then sent by editing those bytes rather than serialising it again.
   */
  source?: JsonSource;
  /** The upstream model id (Gemini and Azure put it in the URL rather than the body). */
  model?: string;
  stream?: boolean;
  /** Aborted when the client goes away or a timeout fires: the upstream call is cancelled with it. */
  signal: AbortSignal;
  requestId: string;
  /**
   * The caller's own upstream credential headers, for subscription users who present their
   * virtual key in x-gatehouse-key; when set, they replace the provider's configured key.
   */
  callerCredentials?: Record<string, string>;
  /** Client headers forwarded untouched to a provider of the client's own family (anthropic-version, anthropic-beta). */
  forwardHeaders?: Record<string, string>;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body with any content-encoding already decoded. */
  body: Readable;
}

/**
 * One configured provider at run time. `send` resolves once the upstream's status and headers
 * arrive (the body then streams); it rejects with a GatewayError('UPSTREAM_UNREACHABLE') when the
 * upstream cannot be reached, or the signal's reason when aborted. `close` releases pooled
 * connections; no call may be made after it.
 */
export interface ProviderRuntime {
  readonly id: string;
  readonly type: string;
  /** The API family the provider speaks; traffic of the same family is passed through. */
  readonly family: Family;
  /** The wire codec of that family. */
  readonly dialect: Dialect;
  /** Null when usable; otherwise what is wrong and what to do about it. */
  readonly unavailable: string | null;
  /** Whether `count_tokens` is served upstream (otherwise the gateway estimates). */
  readonly countsTokens: boolean;
  /**
   * Whether OpenAI's Responses API is served upstream (the `responses` operation). When it is, a
   * Responses client's request goes there as sent; otherwise it is translated into `dialect`.
   */
  readonly servesResponses: boolean;
  /**
   * Fixes a body of this family for this vendor just before it is sent: the model, stream usage
   * requests, and known quirks (fields a vendor rejects or names differently). Returns a new object.
   */
  prepare(body: Record<string, unknown>, model: string, stream: boolean): Record<string, unknown>;
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** Upstream model ids (without the provider prefix); rejects when the listing fails. */
  listModels(signal: AbortSignal): Promise<string[]>;
  close(): Promise<void>;
}
