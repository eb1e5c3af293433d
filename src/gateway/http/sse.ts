// Server-sent events are written here and nowhere else: framing, headers and keep-alive comments.
import type { ServerResponse } from 'node:http';

/** One SSE frame. Data with newlines becomes several `data:` lines, as the format requires. */
export function sseFrame(data: string, event?: string): string {
  const head = event ? `event: ${event}\n` : '';
  return `${head}data: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}

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
