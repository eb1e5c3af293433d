// The baseline: a bare node:http pass-through over an undici Pool, with no auth, parsing or ledger.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' } } });
const upstream = values.upstream ? new URL(values.upstream) : undefined;
if (!upstream || upstream.hostname !== '127.0.0.1') {
  process.stderr.write('usage: raw-proxy --upstream http://127.0.0.1:PORT (loopback only)\n');
  process.exit(2);
}

// Hop-by-hop headers belong to one connection and are not forwarded (RFC 9110 §7.6.1);
// undici also refuses most of them on a request.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

// The same pool as the gateway's provider (its default maxConnections), so the comparison is about what happens around it.
const pool = new Pool(upstream.origin, { connections: 1024, keepAliveTimeout: 30_000 });

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool
    .stream(
      {
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers: endToEnd(req.headers),
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, endToEnd(headers));
        return res;
      },
    )
    .catch((err: Error) => {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      const text = JSON.stringify({ error: { message: `raw proxy: upstream failed: ${err.message}`, type: 'api_error', param: null, code: null } });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`raw-proxy listening on http://127.0.0.1:${port}\n`);
});

const shutdown = (): void => {
  server.close(() => {
    void pool.close().finally(() => process.exit(0));
  });
  server.closeAllConnections();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
