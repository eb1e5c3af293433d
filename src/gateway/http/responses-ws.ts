// The Responses API's WebSocket mode (GET /v1/responses with an upgrade), as Codex uses it: one
// connection carries many turns, each a `response.create` message answered by the same typed events
// the SSE stream carries, one JSON text frame per event. Every turn goes through the same data path
// as POST /v1/responses (routing, translation, ledger) and is recorded as its own request.
// Protocol: https://developers.openai.com/api/docs/guides/websocket-mode — one response at a time
// per connection, and a connection-local cache so a turn may name the previous response
// (`previous_response_id`) and send only the new input items.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { GatewayError, asGatewayError, isRecorded, wireInput } from '../errors.js';
import { errorBody } from '../llm/dialects/openai-chat/errors.js';
import { newId } from '../llm/dialects/openai-responses/ids.js';
import { responseObject } from '../llm/dialects/openai-responses/output.js';
import type { PresentedKey } from '../policy/keys.js';
import type { KeyRow } from '../store/keys.js';
import { openaiResponsesApi } from './apis.js';
import { isObject } from './io.js';
import { generate, MAX_REQUEST_BYTES, type LlmContext } from './llm.js';
import type { Reply } from './reply.js';

export interface ResponsesSocketDeps {
  llm: LlmContext;
  /** Authenticates the upgrade request's key (throws the same GatewayError as an HTTP call). */
  authenticate(req: IncomingMessage, url: URL): { key: KeyRow; presented: PresentedKey };
  /** Checks again, at each turn, that the key is still valid (a revocation applies at once). */
  stillValid(presented: PresentedKey): GatewayError | undefined;
  /** Records a refused turn or upgrade in the ledger, as the HTTP path does. */
  refused(req: IncomingMessage, url: URL, err: GatewayError, requestId: string): void;
  log: LlmContext['log'];
}

/** What a finished turn leaves for the next one on the same connection. */
interface Previous {
  id: string;
  /** The turn's whole input followed by its output items: where the next turn's input continues. */
  items: unknown[];
}

/** Closes with 1011 when the gateway cannot acknowledge a reply (its ledger failed). */
const INTERNAL_ERROR = 1011;
/** Frames waiting in the socket's buffer beyond which a turn waits for the client to read. */
const HIGH_WATER = 1024 * 1024;

function newRequestId(): string {
  return `req_${randomUUID().replace(/-/g, '')}`;
}

/** An error as a WebSocket frame: the Responses error envelope plus the HTTP status it stands for. */
function errorFrame(status: number, error: unknown): string {
  return JSON.stringify({ type: 'error', status, error });
}

/** `code` replaces the gateway's own error code where the protocol names one (previous_response_not_found). */
function gatewayErrorFrame(err: GatewayError, code?: string): string {
  const error = errorBody(wireInput(err)).error as Record<string, unknown>;
  return errorFrame(err.status, code ? { ...error, code } : error);
}

/**
 * A turn's reply: SSE frames from the data path become one text frame per event. The stream's
 * mid-stream `error` event gets the `status` the WebSocket protocol carries (without it Codex
 * ignores the frame and waits). `onEvent` sees every event (to keep the output items).
 */
function turnReply(ws: WebSocket, gone: AbortSignal, onEvent: (ev: Record<string, unknown>) => void, onEnd: () => void): Reply {
  const sendFrames = async (frames: string, signal: AbortSignal | undefined): Promise<void> => {
    for (const block of frames.split('\n\n')) {
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      if (data === '') continue;
      let text = data;
      try {
        const ev = JSON.parse(data) as unknown;
        if (isObject(ev)) {
          if (ev.type === 'error' && typeof ev.status !== 'number') {
            const { type: _t, sequence_number: _s, ...error } = ev;
            text = errorFrame(error.code === 'rate_limit_exceeded' ? 429 : 502, { type: 'server_error', ...error });
          }
          onEvent(ev);
        }
      } catch {
        // Not JSON: sent as it is.
      }
      if (ws.readyState !== ws.OPEN) return;
      ws.send(text);
    }
    if (ws.bufferedAmount > HIGH_WATER && signal && !signal.aborted) await drained(ws, signal);
  };
  return {
    gone,
    send(status, _headers, body) {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (status >= 400) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : { type: 'server_error', message: text.slice(0, 500) };
        if (ws.readyState === ws.OPEN) ws.send(errorFrame(status, error));
      } else if (ws.readyState === ws.OPEN) {
        ws.send(text);
      }
      onEnd();
    },
    startStream() {},
    write: (frames, signal) => sendFrames(frames, signal),
    end(frames) {
      void sendFrames(frames, undefined).finally(onEnd);
    },
    cut() {
      ws.close(INTERNAL_ERROR, 'the gateway could not record this response');
      onEnd();
    },
  };
}

function drained(ws: WebSocket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (ws.bufferedAmount <= HIGH_WATER / 4 || signal.aborted || ws.readyState !== ws.OPEN) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(check, 5);
  });
}

export interface ResponsesSocket {
  /** Takes an upgrade request for /v1/responses that passed the Host/Origin guard. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  /** Closes every open connection (the gateway is stopping). */
  closeAll(): void;
}

export function createResponsesSocket(deps: ResponsesSocketDeps): ResponsesSocket {
  // Compression is declined: the traffic is local, and deflate costs CPU on every frame.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_REQUEST_BYTES });
  const open = new Set<WebSocket>();

  function refuseUpgrade(socket: Duplex, err: GatewayError, requestId: string): void {
    const body = JSON.stringify(errorBody(wireInput(err)));
    const retry = err.retryAfterSeconds !== undefined ? `retry-after: ${err.retryAfterSeconds}\r\n` : '';
    socket.end(
      `HTTP/1.1 ${err.status} ${err.status === 401 ? 'Unauthorized' : 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\nx-request-id: ${requestId}\r\n${retry}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  function serve(ws: WebSocket, req: IncomingMessage, url: URL, key: KeyRow, presented: PresentedKey): void {
    open.add(ws);
    let previous: Previous | undefined;
    let busy = false;
    let turnGone: AbortController | undefined;
    ws.on('close', () => {
      open.delete(ws);
      turnGone?.abort(new GatewayError('BAD_REQUEST', 'the client closed the connection'));
    });
    ws.on('error', (err) => deps.log.debug({ err: err.message }, 'responses websocket error'));

    const refuse = (err: GatewayError, requestId: string, code?: string): void => {
      if (!isRecorded(err)) deps.refused(req, url, err, requestId);
      if (ws.readyState === ws.OPEN) ws.send(gatewayErrorFrame(err, code));
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const requestId = newRequestId();
      const startedAt = performance.now();
      if (isBinary) return refuse(new GatewayError('BAD_REQUEST', 'binary frames are not accepted: send each request as a JSON text frame'), requestId);
      const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      let message: unknown;
      try {
        message = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        return refuse(new GatewayError('BAD_REQUEST', `the frame is not valid JSON (${(err as Error).message})`), requestId);
      }
      if (!isObject(message)) return refuse(new GatewayError('BAD_REQUEST', 'each frame must be a JSON object with a "type"'), requestId);
      if (message.type === 'response.processed') return; // an acknowledgement; nothing to answer
      if (message.type !== 'response.create') {
        return refuse(new GatewayError('BAD_REQUEST', `unknown frame type ${JSON.stringify(message.type)}: send {"type": "response.create", ...the Responses request fields}`, { param: 'type' }), requestId);
      }
      if (busy) return refuse(new GatewayError('BAD_REQUEST', 'a response is already in progress on this connection: send the next response.create after its response.completed'), requestId);
      const revoked = deps.stillValid(presented);
      if (revoked) {
        refuse(revoked, requestId);
        ws.close(1008, 'the key is no longer valid');
        return;
      }

      const { type: _type, generate: generateFlag, previous_response_id: previousId, ...body } = message;
      let input: unknown[] = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : Array.isArray(body.input) ? body.input : [];
      if (previousId !== undefined && previousId !== null) {
        if (previous === undefined || previousId !== previous.id) {
          return refuse(
            new GatewayError('BAD_REQUEST', `previous_response_id "${String(previousId).slice(0, 80)}" is not the last response on this connection; send the whole input without it`, {
              param: 'previous_response_id',
            }),
            requestId,
            'previous_response_not_found',
          );
        }
        input = [...previous.items, ...input];
      }

      if (generateFlag === false) {
        // A warm-up: nothing is generated, but the connection now knows this input as a response.
        const id = newId('resp');
        const model = typeof body.model === 'string' ? body.model : '';
        const createdAt = Math.floor(Date.now() / 1000);
        previous = { id, items: input };
        ws.send(JSON.stringify({ type: 'response.created', response: responseObject({ id, model, createdAt, ending: { status: 'in_progress' }, output: [], usage: null }), sequence_number: 0 }));
        ws.send(JSON.stringify({ type: 'response.completed', response: responseObject({ id, model, createdAt, ending: { status: 'completed' }, output: [], usage: null }), sequence_number: 1 }));
        return;
      }

      busy = true;
      previous = undefined;
      turnGone = new AbortController();
      const output: unknown[] = [];
      let completedId: string | undefined;
      const onEvent = (ev: Record<string, unknown>): void => {
        if (ev.type === 'response.output_item.done' && ev.item !== undefined) output.push(ev.item);
        if (ev.type === 'response.completed' && isObject(ev.response) && typeof ev.response.id === 'string') completedId = ev.response.id;
      };
      const onEnd = (): void => {
        busy = false;
        if (completedId !== undefined) previous = { id: completedId, items: [...input, ...output] };
      };
      const json = { ...body, input, stream: true };
      const reply = turnReply(ws, turnGone.signal, onEvent, onEnd);
      const call = {
        req,
        reply,
        key,
        presented,
        requestId,
        startedAt,
        body: { json, bytes: raw.length, sha256: createHash('sha256').update(raw).digest('hex') },
        transport: 'websocket' as const,
      };
      generate(deps.llm, call, openaiResponsesApi)
        .catch((e: unknown) => {
          const err = asGatewayError(e);
          if (err.code === 'INTERNAL') deps.log.error({ err: e, requestId }, 'websocket turn failed');
          refuse(err, requestId);
        })
        .finally(() => {
          // A turn that ended without writing (a refusal, a client that left) frees the connection too.
          if (busy) onEnd();
        });
    });
  }

  return {
    upgrade(req, socket, head, url) {
      const requestId = newRequestId();
      let auth: { key: KeyRow; presented: PresentedKey };
      try {
        if (req.method !== 'GET') throw new GatewayError('METHOD_NOT_ALLOWED', 'a WebSocket upgrade uses GET');
        auth = deps.authenticate(req, url);
      } catch (e) {
        const err = asGatewayError(e);
        deps.refused(req, url, err, requestId);
        refuseUpgrade(socket, err, requestId);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req, url, auth.key, auth.presented));
    },
    closeAll() {
      for (const ws of open) ws.terminate();
      open.clear();
    },
  };
}
