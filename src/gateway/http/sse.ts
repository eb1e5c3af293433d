// Server-sent event responses: headers and keep-alive comments (frames come from llm/sse.ts).
import type { ServerResponse } from 'node:http';

export { sseFrame } from '../llm/sse.js';

export function startSse(res: ServerResponse, extraHeaders: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...extraHeaders,
  });
  res.flushHeaders();
}

/** A comment line keeps idle connections (and proxies in between) from timing out. */
export function sseKeepAlive(res: ServerResponse, everyMs = 15_000): () => void {
  const t = setInterval(() => res.write(': keep-alive\n\n'), everyMs);
  t.unref();
  return () => clearInterval(t);
}
