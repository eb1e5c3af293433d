// The doctor's client side: HTTP calls, server-sent-event streams and Responses WebSocket turns
// against a running gateway, each ending in a Probe failure that keeps what the gateway answered.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { WebSocket } from 'ws';

/** A step failed: what was expected, and the gateway's own answer when there was one. */
export class ProbeFailure extends Error {
  constructor(
    message: string,
    readonly answer?: { status: number; body: string },
  ) {
    super(message);
  }
}

export interface ProbeTarget {
  /** The gateway's base URL, e.g. http://127.0.0.1:4141 */
  url: string;
  timeoutMs: number;
}

async function send(t: ProbeTarget, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  try {
    return await fetch(`${t.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(t.timeoutMs),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    if ((err as Error).name === 'TimeoutError') throw new ProbeFailure(`no answer from ${t.url} within ${t.timeoutMs / 1000} s`);
    throw new ProbeFailure(`cannot reach ${t.url}: ${cause?.message ?? (err as Error).message}`);
  }
}

/** A JSON call that must answer 200 with a JSON body. */
export async function callJson(t: ProbeTarget, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown): Promise<Record<string, unknown>> {
  const res = await send(t, method, path, headers, body);
  const text = await res.text();
  if (res.status !== 200) throw new ProbeFailure(`${method} ${path} answered HTTP ${res.status}`, { status: res.status, body: text });
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ProbeFailure(`${method} ${path} answered 200 with a body that is not a JSON object: ${text.slice(0, 200)}`);
}

/** A streamed call: must answer 200 with an event stream; returns every event with its data parsed when JSON. */
export async function callStream(t: ProbeTarget, path: string, headers: Record<string, string>, body: unknown): Promise<{ event: string | undefined; data: string; json: unknown }[]> {
  const res = await send(t, 'POST', path, headers, body);
  if (res.status !== 200) throw new ProbeFailure(`POST ${path} answered HTTP ${res.status}`, { status: res.status, body: await res.text() });
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) throw new ProbeFailure(`POST ${path} answered ${type || 'no content type'} instead of an event stream`);
  const events: { event: string | undefined; data: string; json: unknown }[] = [];
  const parser = createParser({
    onEvent(m: EventSourceMessage) {
      let json: unknown;
      try {
        json = JSON.parse(m.data);
      } catch {
        json = undefined;
      }
      events.push({ event: m.event, data: m.data, json });
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  } catch (err) {
    throw new ProbeFailure(`the stream from POST ${path} broke after ${events.length} events: ${(err as Error).message}`);
  }
  return events;
}

/**
 * One Responses WebSocket connection: `turn` sends a `response.create` and resolves with the turn's
 * events once `response.completed` arrives; an `error` frame, a close or the timeout fail it.
 */
export async function openResponsesSocket(t: ProbeTarget, headers: Record<string, string>): Promise<{ turn(message: Record<string, unknown>): Promise<Record<string, unknown>[]>; close(): void }> {
  const url = `${t.url.replace(/^http/, 'ws')}/v1/responses`;
  const ws = new WebSocket(url, { headers, handshakeTimeout: t.timeoutMs });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new ProbeFailure(`the WebSocket upgrade to ${url} answered HTTP ${res.statusCode}`, { status: res.statusCode ?? 0, body })));
    });
    ws.once('error', (err) => reject(new ProbeFailure(`the WebSocket to ${url} failed: ${err.message}`)));
  });
  let pending: { events: Record<string, unknown>[]; resolve: (e: Record<string, unknown>[]) => void; reject: (e: Error) => void } | undefined;
  ws.on('message', (data) => {
    if (!pending) return;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(data.toString()) as Record<string, unknown>;
    } catch {
      pending.reject(new ProbeFailure(`the WebSocket sent a frame that is not JSON: ${data.toString().slice(0, 200)}`));
      return;
    }
    pending.events.push(ev);
    if (ev.type === 'response.completed') pending.resolve(pending.events);
    else if (ev.type === 'error' || ev.type === 'response.failed' || ev.type === 'response.incomplete') {
      const status = typeof ev.status === 'number' ? ev.status : 0;
      pending.reject(new ProbeFailure(`the WebSocket turn ended with ${String(ev.type)}`, { status, body: JSON.stringify(ev) }));
    }
  });
  ws.on('close', (code, reason) => pending?.reject(new ProbeFailure(`the gateway closed the WebSocket (${code} ${reason.toString()})`)));
  ws.on('error', () => undefined);
  return {
    turn(message) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new ProbeFailure(`no response.completed on the WebSocket within ${t.timeoutMs / 1000} s`)), t.timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          pending = undefined;
        };
        pending = {
          events: [],
          resolve: (e) => {
            done();
            resolve(e);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        };
        ws.send(JSON.stringify({ type: 'response.create', ...message }));
      });
    },
    close() {
      ws.close();
    },
  };
}
