// A lean OpenAI- and Anthropic-compatible upstream for the benchmark: fixed replies, nothing recorded.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STREAM_CHUNKS, STREAM_PACING_MS } from './stream-shape.js';

// A small but complete `chat.completion`, with the usage block the gateway reads for its ledger.
const REPLY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 },
  }),
);
// The Anthropic Messages counterpart, for the translation scenario: same content and token counts,
// so the translated reply the gateway builds from it matches REPLY's usage (12 + 1 = 13).
const MESSAGES_REPLY = Buffer.from(
  JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    content: [{ type: 'text', text: 'ok' }],
    model: 'claude-sonnet-4-5',
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  }),
);
const REPLIES = new Map([
  ['/v1/chat/completions', REPLY],
  ['/v1/messages', MESSAGES_REPLY],
]);
const NOT_FOUND = Buffer.from(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));

// The streaming mode: STREAM_CHUNKS content chunks, STREAM_PACING_MS apart, the first as soon as the request has arrived.
const STREAM_KEY = Buffer.from('"stream"');

/** `data: {chat.completion.chunk}` lines as OpenAI documents them; `usage` is null on each when the final usage chunk was asked for. */
function chunkLine(delta: Record<string, unknown>, finishReason: string | null, withUsageField: boolean): string {
  const chunk = {
    id: 'chatcmpl-bench-stream',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(withUsageField ? { usage: null } : {}),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * Streams the chunks on a fixed schedule from the start (not from the previous write), so a late
 * timer does not push every later chunk back: the pacing the client sees is the mock's own.
 */
function streamReply(res: ServerResponse, includeUsage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  const start = performance.now();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    if (res.destroyed) return;
    const delta = sent === 0 ? { role: 'assistant', content: `tok${sent} ` } : { content: `tok${sent} ` };
    res.write(chunkLine(delta, null, includeUsage));
    sent++;
    if (sent < STREAM_CHUNKS) {
      timer = setTimeout(next, Math.max(0, start + sent * STREAM_PACING_MS - performance.now()));
      return;
    }
    let tail = chunkLine({}, 'stop', includeUsage);
    if (includeUsage) {
      const usage = { prompt_tokens: 12, completion_tokens: STREAM_CHUNKS, total_tokens: 12 + STREAM_CHUNKS };
      tail += `data: ${JSON.stringify({ id: 'chatcmpl-bench-stream', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', system_fingerprint: 'fp_bench', choices: [], usage })}\n\n`;
    }
    res.end(`${tail}data: [DONE]\n\n`);
  };
  res.once('close', () => clearTimeout(timer));
  next();
}

/** `stream: true` (and `stream_options.include_usage`), parsed only when the body mentions "stream": a large plain body is never parsed. */
function streamingOf(body: Buffer): { stream: boolean; includeUsage: boolean } {
  if (body.indexOf(STREAM_KEY) < 0) return { stream: false, includeUsage: false };
  const parsed = JSON.parse(body.toString('utf8')) as { stream?: unknown; stream_options?: { include_usage?: unknown } };
  return { stream: parsed.stream === true, includeUsage: parsed.stream_options?.include_usage === true };
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const reply = req.method === 'POST' ? REPLIES.get(req.url ?? '') : undefined;
  const chatCompletions = req.url === '/v1/chat/completions';
  // The body is read (kept only for chat completions, to see whether a stream is asked for) and the
  // reply only goes out once the request has fully arrived, as a real provider would answer.
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => {
    if (chatCompletions) chunks.push(chunk);
  });
  req.once('end', () => {
    if (reply && chatCompletions) {
      let mode: ReturnType<typeof streamingOf>;
      try {
        mode = streamingOf(Buffer.concat(chunks));
      } catch {
        const bad = Buffer.from(JSON.stringify({ error: { message: 'the body is not JSON', type: 'invalid_request_error', param: null, code: null } }));
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': bad.length });
        res.end(bad);
        return;
      }
      if (mode.stream) {
        streamReply(res, mode.includeUsage);
        return;
      }
    }
    const body = reply ?? NOT_FOUND;
    res.writeHead(reply ? 200 : 404, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`mock-upstream listening on http://127.0.0.1:${port}\n`);
});

const shutdown = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
