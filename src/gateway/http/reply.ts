// Where a model call's answer goes: an HTTP response, or one turn on a WebSocket (the Responses
// API's WebSocket mode). The data path writes server-sent-event frames; each carrier sends them its way.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import { startSse } from './sse.js';

export interface Reply {
  /** Aborted when the client goes away before the reply is complete. */
  readonly gone: AbortSignal;
  /** A whole reply at once: a JSON body (an answer or an error). */
  send(status: number, headers: Record<string, string>, body: string | Buffer): void;
  /** Starts an event stream. */
  startStream(headers: Record<string, string>): void;
  /** Writes SSE frames; resolves when the client can take more (or `signal` aborts). */
  write(frames: string, signal: AbortSignal): Promise<void>;
  /** Writes the last frames and ends the reply. */
  end(frames: string): void;
  /** Cuts the reply short: the client sees a broken stream, never a finished one. */
  cut(): void;
}

export function httpReply(res: ServerResponse): Reply {
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort(new GatewayError('BAD_REQUEST', 'the client closed the connection'));
  });
  return {
    gone: gone.signal,
    send(status, headers, body) {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    },
    startStream(headers) {
      startSse(res, headers);
    },
    async write(frames, signal) {
      if (!res.write(frames)) await once(res, 'drain', { signal });
    },
    end(frames) {
      res.end(frames);
    },
    cut() {
      res.destroy();
    },
  };
}
