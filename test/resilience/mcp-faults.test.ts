// MCP servers that misbehave, end to end: the official MCP client -> gateway /mcp -> a stdio server
// (test/fixtures/mcp-faulty.mjs) that exits mid-call, never answers, or floods notifications.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, LoggingMessageNotificationSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inWireOrder } from '../../src/gateway/mcp/transports.js';
import { startFaultUpstream, type FaultUpstream } from '../fixtures/fault-upstream.js';
import { runCli, serve } from '../helpers/cli.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const faulty = fileURLToPath(new URL('../fixtures/mcp-faulty.mjs', import.meta.url));
let up: FaultUpstream;
let gw: TestGateway;
let secret: string;
const clients: Client[] = [];

beforeAll(async () => {
  up = await startFaultUpstream('openai');
  gw = await startTestGateway(
    configFor(
      up.url,
      `mcpServers:
  - id: faulty
    command: ${process.execPath}
    args: [${JSON.stringify(faulty)}]
    tools: { "*": allow }
  - id: brief
    command: ${process.execPath}
    args: [${JSON.stringify(faulty)}]
    tools: { "*": allow }
    timeoutSeconds: 1
`,
    ),
  );
  secret = (await gw.newKey({ name: 'mcp-faults' })).secret;
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await gw?.stop();
  await up?.close();
});

async function connect(url = gw.url, key = secret): Promise<Client> {
  const client = new Client({ name: 'resilience', version: '1.0.0' });
  // In wire order, as the gateway reads its own upstreams: the SDK client alone drops progress that
  // arrives in the same read as the result, and the test is about what the gateway delivers.
  await client.connect(inWireOrder(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } })));
  clients.push(client);
  return client;
}

/** Polls GET /healthz every 20 ms until stdin closes, then prints the slowest answer in ms. */
const PROBE = `
let slowest = 0, running = true;
process.stdin.on('end', () => (running = false)).resume();
(async () => {
  await fetch(process.argv[1] + '/healthz');
  console.log('ready');
  while (running) {
    const t = performance.now();
    const res = await fetch(process.argv[1] + '/healthz');
    if (res.status !== 200) throw new Error('healthz ' + res.status);
    slowest = Math.max(slowest, performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log('slowest ' + Math.round(slowest));
})();
`;

const text = (r: unknown): string => ((r as { content: { text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('');
const echo = (c: Client, t: string): Promise<string> => c.callTool({ name: 'faulty__echo', arguments: { text: t } }).then(text);

describe('an MCP server that misbehaves', () => {
  it('exits mid-call: the client gets a tool error at once, the call is recorded, and the server is started again', async () => {
    const client = await connect();
    expect(await echo(client, 'before')).toBe('before');
    const started = performance.now();
    const r = await client.callTool({ name: 'faulty__crash', arguments: {} });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/MCP server "faulty" failed/);
    expect(gw.events('mcp.call').filter((e) => e.tool === 'crash')).toEqual([expect.objectContaining({ outcome: 'upstream_error' })]);
    // After the restart backoff (1 s) the next call starts it again.
    await expect.poll(() => echo(client, 'after').catch(() => 'down'), { timeout: 8_000, interval: 250 }).toBe('after');
    expect(gw.events('mcp.server.started').filter((e) => e.server === 'faulty').length).toBeGreaterThanOrEqual(2);
  });

  it('never answers: a client that gives up gets its timeout, the server is told to cancel, others are served meanwhile', async () => {
    // The gateway's own bound on a tool call is the server's timeoutSeconds (default 120 s): too long
    // here, so the client's timeout is what ends the wait (the next test sets a short one).
    const client = await connect();
    const started = performance.now();
    const err = await client.callTool({ name: 'faulty__hang', arguments: {} }, undefined, { timeout: 1_000 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.RequestTimeout);
    // The cancellation went through the gateway to the server.
    await expect.poll(() => client.callTool({ name: 'faulty__cancelled', arguments: {} }).then(text), { timeout: 5_000 }).toBe('1');
    await expect.poll(() => gw.events('mcp.call').filter((e) => e.tool === 'hang').map((e) => e.outcome), { timeout: 3_000 }).toEqual(['cancelled']);

    // A hung call holds nothing up: another is in flight while the server answers others.
    const second = client.callTool({ name: 'faulty__hang', arguments: {} }, undefined, { timeout: 3_000 }).catch((e: unknown) => e);
    expect(await echo(client, 'still here')).toBe('still here');
    expect(await second).toBeInstanceOf(McpError);
  });

  it("never answers, with the server's own timeoutSeconds: the gateway ends the call itself with a tool error, recorded", async () => {
    const client = await connect();
    const started = performance.now();
    const r = (await client.callTool({ name: 'brief__hang', arguments: {} }, undefined, { timeout: 10_000 })) as { isError?: boolean; content: { text?: string }[] };
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.isError).toBe(true);
    expect(r.content.map((c) => c.text ?? '').join('')).toMatch(/MCP server "brief" failed: .*timed out/i);
    await expect.poll(() => gw.events('mcp.call').filter((e) => e.server === 'brief' && e.tool === 'hang').map((e) => e.outcome), { timeout: 3_000 }).toEqual(['upstream_error']);
  });

  it('floods 5,000 log and progress notifications: progress reaches the caller in order, logs respect each session\'s level, the gateway stays responsive', async () => {
    // A gateway of its own process, so its responsiveness and memory are not the test client's.
    const dir = mkdtempSync(join(tmpdir(), 'gh-mcp-flood-'));
    writeFileSync(join(dir, 'gatehouse.yaml'), configFor(up.url, `mcpServers:\n  - id: faulty\n    command: ${process.execPath}\n    args: [${JSON.stringify(faulty)}]\n    tools: { "*": allow }\n`));
    const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      const { key } = JSON.parse((await runCli(['keys', 'create', '--name', 'flood', '--json', '--data-dir', dir], { env })).stdout) as { key: string };
      const loud = await connect(served.url, key);
      const quiet = await connect(served.url, key);
      await loud.setLoggingLevel('info');
      await quiet.setLoggingLevel('error');
      const logs = { loud: 0, quiet: 0 };
      loud.setNotificationHandler(LoggingMessageNotificationSchema, () => void logs.loud++);
      quiet.setNotificationHandler(LoggingMessageNotificationSchema, () => void logs.quiet++);
      expect(await echo(loud, 'warm')).toBe('warm');

      const progress: number[] = [];
      // The probe runs in a process of its own: this one is busy decoding the flood as the client.
      const probe = spawn(process.execPath, ['-e', PROBE, served.url], { stdio: ['pipe', 'pipe', 'inherit'] });
      let probeOut = '';
      probe.stdout.on('data', (d: Buffer) => (probeOut += d.toString()));
      const probed = new Promise<void>((r) => probe.once('exit', () => r()));
      await expect.poll(() => probeOut.includes('ready'), { timeout: 5_000 }).toBe(true);
      const r = await loud.callTool({ name: 'faulty__flood', arguments: { count: 5000 } }, undefined, { onprogress: (p) => void progress.push(p.progress), timeout: 30_000 });
      probe.stdin.end();
      await probed;
      const slowest = Number(/slowest (\d+)/.exec(probeOut)?.[1]);
      expect(text(r)).toBe('sent 5000');
      // All of them, in order: the gateway hands progress on before the result it came ahead of.
      expect(progress).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
      // The server's output is read a chunk per turn of the event loop, so the rest of the gateway is
      // served during the flood. Measured here: 90-200 ms at worst while 10,000 notifications go through
      // (700 ms before, and 1.1-1.5 s with the other suites running; StdioTransport's own test pins the
      // chunk-per-turn reading down exactly).
      expect(slowest).toBeLessThan(1_000);
      await expect.poll(() => logs.loud, { timeout: 5_000 }).toBeGreaterThan(4_500);
      expect(logs.quiet).toBe(0);
      expect(await echo(loud, 'after the flood')).toBe('after the flood');
      // Not asserted: memory. The peak RSS of the gateway grew 40-85 MiB over this flood (GC timing, load of the
      // other suites), which a flood of this size (about 5 MB in all) cannot tell apart from retention.
    } finally {
      await served.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
