// MCP `tools/call` overhead: the same tool on the same server, called directly and through the gateway's `/mcp`.
import { setMaxListeners } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { median, percentile } from './measure.js';

// The SDK's Streamable HTTP client sends every request with its transport's one AbortSignal; undici
// drops each fetch's abort listener only when that request is garbage-collected (measured: 303
// listeners after 300 calls, 1 after a GC), so thousands of calls between GCs pass Node's default
// warning threshold without leaking. Raised for new signals so the run's output stays readable.
setMaxListeners(100_000);

export type McpPath = 'direct' | 'gateway';
export const MCP_PATHS: readonly McpPath[] = ['direct', 'gateway'];

export interface McpEndpoint {
  url: string;
  /** The tool's name at this endpoint (`server__tool` on the gateway's `/mcp`). */
  tool: string;
  headers: Record<string, string>;
}

export interface McpLatencyRun {
  calls: number;
  p50Ms: number;
  p99Ms: number;
}

export interface McpRateRun {
  calls: number;
  seconds: number;
  callsPerSecond: number;
}

export interface McpResult {
  transport: string;
  argumentBytes: number;
  latency: { byPath: Record<McpPath, { p50Ms: number; p99Ms: number; runs: McpLatencyRun[] }>; gatewayMinusDirect: { p50Ms: number; p99Ms: number } };
  rate: { concurrency: number; seconds: number; byPath: Record<McpPath, { callsPerSecond: number; runs: McpRateRun[] }>; gatewayOverDirect: number };
}

export async function connectMcp(endpoint: McpEndpoint): Promise<Client> {
  const client = new Client({ name: 'gatehouse-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint.url), { requestInit: { headers: endpoint.headers } }));
  return client;
}

/** One call, checked: the echo must come back as it went, not as a tool error. */
export async function callEcho(client: Client, tool: string, text: string): Promise<void> {
  const result = await client.callTool({ name: tool, arguments: { text } });
  const content = result.content as { type: string; text?: string }[] | undefined;
  if (result.isError || content?.[0]?.text !== text) throw new Error(`${tool} did not echo its argument: ${JSON.stringify(result).slice(0, 300)}`);
}

async function latencyRun(client: Client, tool: string, text: string, opts: { maxCalls: number; maxMs: number }): Promise<McpLatencyRun> {
  const times: number[] = [];
  const deadline = performance.now() + opts.maxMs;
  while (times.length < opts.maxCalls && performance.now() < deadline) {
    const t0 = performance.now();
    await callEcho(client, tool, text);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { calls: times.length, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99) };
}

async function rateRun(client: Client, tool: string, text: string, concurrency: number, seconds: number): Promise<McpRateRun> {
  let calls = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await callEcho(client, tool, text);
        calls++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return { calls, seconds: elapsed, callsPerSecond: calls / elapsed };
}

/**
 * Both paths use the SDK's Streamable HTTP client with one session each; the gateway reaches the
 * server over Streamable HTTP too, so the difference is the gateway's hop and its policy work
 * (key, grants, tool policy `allow`, guardrails on arguments and result, the `mcp.call` record).
 */
export async function measureMcp(
  endpoints: Record<McpPath, McpEndpoint>,
  opts: { runs: number; latency: { maxCalls: number; maxMs: number }; concurrency: number; seconds: number; argumentBytes: number; progress: (line: string) => void },
): Promise<{ result: McpResult; gatewayCalls: number }> {
  const text = 'x'.repeat(opts.argumentBytes);
  const clients = {} as Record<McpPath, Client>;
  let gatewayCalls = 0;
  try {
    for (const p of MCP_PATHS) {
      clients[p] = await connectMcp(endpoints[p]);
      const listed = await clients[p].listTools();
      if (!listed.tools.some((t) => t.name === endpoints[p].tool)) throw new Error(`${p}: ${endpoints[p].tool} is not listed (${listed.tools.map((t) => t.name).join(', ')})`);
      await callEcho(clients[p], endpoints[p].tool, text);
    }
    const order = (run: number): McpPath[] => (run % 2 === 0 ? [...MCP_PATHS] : [...MCP_PATHS].reverse());
    for (const p of MCP_PATHS) {
      const warm = await latencyRun(clients[p], endpoints[p].tool, text, { maxCalls: 100, maxMs: 500 });
      if (p === 'gateway') gatewayCalls += warm.calls + 1;
    }

    const lat: Record<McpPath, McpLatencyRun[]> = { direct: [], gateway: [] };
    for (let run = 0; run < opts.runs; run++) {
      for (const p of order(run)) lat[p].push(await latencyRun(clients[p], endpoints[p].tool, text, opts.latency));
      gatewayCalls += lat.gateway[run]!.calls;
      opts.progress(`mcp latency, run ${run + 1}/${opts.runs} (p50/p99 ms): ${MCP_PATHS.map((p) => `${p} ${lat[p][run]!.p50Ms.toFixed(3)}/${lat[p][run]!.p99Ms.toFixed(3)}`).join(', ')}`);
    }
    const rate: Record<McpPath, McpRateRun[]> = { direct: [], gateway: [] };
    for (let run = 0; run < opts.runs; run++) {
      for (const p of order(run)) rate[p].push(await rateRun(clients[p], endpoints[p].tool, text, opts.concurrency, opts.seconds));
      gatewayCalls += rate.gateway[run]!.calls;
      opts.progress(`mcp calls/s at ${opts.concurrency}, run ${run + 1}/${opts.runs}: ${MCP_PATHS.map((p) => `${p} ${Math.round(rate[p][run]!.callsPerSecond)}`).join(', ')}`);
    }
    const diff = (f: 'p50Ms' | 'p99Ms'): number => median(lat.gateway.map((r, i) => r[f] - lat.direct[i]![f]));
    const result: McpResult = {
      transport: 'Streamable HTTP (SDK client, one session) on both paths; the gateway reaches the server over Streamable HTTP',
      argumentBytes: opts.argumentBytes,
      latency: {
        byPath: Object.fromEntries(MCP_PATHS.map((p) => [p, { p50Ms: median(lat[p].map((r) => r.p50Ms)), p99Ms: median(lat[p].map((r) => r.p99Ms)), runs: lat[p] }])) as McpResult['latency']['byPath'],
        gatewayMinusDirect: { p50Ms: diff('p50Ms'), p99Ms: diff('p99Ms') },
      },
      rate: {
        concurrency: opts.concurrency,
        seconds: opts.seconds,
        byPath: Object.fromEntries(MCP_PATHS.map((p) => [p, { callsPerSecond: median(rate[p].map((r) => r.callsPerSecond)), runs: rate[p] }])) as McpResult['rate']['byPath'],
        gatewayOverDirect: median(rate.gateway.map((r, i) => r.callsPerSecond / rate.direct[i]!.callsPerSecond)),
      },
    };
    return { result, gatewayCalls };
  } finally {
    await Promise.all(Object.values(clients).map((c) => c.close()));
  }
}
