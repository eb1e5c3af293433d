// A lean OpenAI- and Anthropic-compatible upstream for the benchmark: fixed replies, nothing recorded.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const reply = req.method === 'POST' ? REPLIES.get(req.url ?? '') : undefined;
  // The body is read and dropped: the reply only goes out once the request has fully arrived,
  // as a real provider would answer.
  req.resume();
  req.once('end', () => {
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
