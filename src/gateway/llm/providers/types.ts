// What every provider adapter offers the data path: send one call upstream, get the decoded reply.
import type { Readable } from 'node:stream';

export type Operation = 'chat.completions' | 'models';

export interface UpstreamRequest {
  operation: Operation;
  /** The JSON body to send, already addressed to the upstream model. */
  body?: Record<string, unknown>;
  /** Aborted when the client goes away: the upstream call is cancelled with it. */
  signal: AbortSignal;
  requestId: string;
  /**
   * The caller's own upstream credential headers, for subscription users who present their
   * virtual key in x-gatehouse-key; when set, they replace the provider's configured key.
   */
  callerCredentials?: Record<string, string>;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body with any content-encoding already decoded. */
  body: Readable;
}

/**
 * One configured provider at run time. `send` resolves once the upstream's status and headers
 * arrive (the body then streams); it rejects with a GatewayError when the upstream cannot be
 * reached. `close` releases pooled connections.
 */
export interface ProviderRuntime {
  readonly id: string;
  readonly type: string;
  /** Null when usable; otherwise what is wrong and what to do about it. */
  readonly unavailable: string | null;
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}
