// A lean OpenAI-compatible upstream for the benchmark: one fixed reply, nothing recorded.
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
const NOT_FOUND = Buffer.from(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const ok = req.method === 'POST' && req.url === '/v1/chat/completions';
  // The body is read and dropped: the reply only goes out once the request has fully arrived,
  // as a real provider would answer.
  req.resume();
  req.once('end', () => {
    const body = ok ? REPLY : NOT_FOUND;
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json', 'content-length': body.length });
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
