// The stdio bridge against a real gateway with a real MCP server (server-everything over stdio),
// driven by the official SDK client over the bridge's stdin/stdout, and with raw JSON-RPC lines.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ToolListChangedNotificationSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFor, startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { mcpEndpointUrl, runStdioBridge } from './stdio-bridge.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');

let gw: TestGateway;
const running = new Set<Bridge>();

beforeAll(async () => {
  gw = await startTestGateway(
    configFor(
      'http://127.0.0.1:9/v1',
      `mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(everything)}, stdio]
    tools: { "*": allow }
`,
    ),
  );
}, 60_000);
afterAll(async () => {
  // Bridges left running would meet a stopped gateway; end them first.
  for (const b of running) b.stdin.end();
  await Promise.all([...running].map((b) => b.exit.catch(() => undefined)));
  await gw?.stop();
});

/** Rejects when `work` takes longer than `ms`, naming what was awaited. */
async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface Bridge {
  stdin: PassThrough;
  stdout: PassThrough;
  exit: Promise<number>;
  stderr(): string;
}

function startBridge(key: string, url = gw.url, signal?: AbortSignal): Bridge {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (c: Buffer) => (text += c.toString()));
  const bridge: Bridge = { stdin, stdout, exit: runStdioBridge({ url, key, keyEnv: 'GATEHOUSE_KEY', stdin, stdout, stderr, signal }), stderr: () => text };
  running.add(bridge);
  void bridge.exit.finally(() => running.delete(bridge));
  return bridge;
}

/** An SDK client on the other ends of the bridge's pipes: stdio framing is the same both ways. */
async function clientOf(b: Bridge): Promise<Client> {
  const client = new Client({ name: 'stdio-bridge-test', version: '1.0.0' });
  await bounded(client.connect(new StdioServerTransport(b.stdout, b.stdin)), 10_000, 'initialize through the bridge');
  return client;
}

/** Every JSON-RPC line the bridge writes, parsed: anything else on stdout fails the parse. */
function stdoutLines(b: Bridge): JSONRPCMessage[] {
  const lines: JSONRPCMessage[] = [];
  let rest = '';
  b.stdout.on('data', (c: Buffer) => {
    const parts = (rest + c.toString()).split('\n');
    rest = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as JSONRPCMessage);
  });
  return lines;
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const text = (r: unknown): string => ((r as { content: { text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('');

/** The gateway's session id, from the ledger's record of a call made in it. */
function sessionOfLastCall(keyId: string): string {
  const calls = gw.events('mcp.call').filter((e) => e.keyId === keyId);
  return calls.at(-1)!.session as string;
}

const postList = (secret: string, session: string) =>
  fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
  });

describe('mcpEndpointUrl', () => {
  it('adds /mcp to the gateway base and keeps /mcp and /mcp/{server}', () => {
    expect(mcpEndpointUrl('http://127.0.0.1:4141').href).toBe('http://127.0.0.1:4141/mcp');
    expect(mcpEndpointUrl('http://127.0.0.1:4141/').href).toBe('http://127.0.0.1:4141/mcp');
    expect(mcpEndpointUrl('http://127.0.0.1:4141/mcp/').href).toBe('http://127.0.0.1:4141/mcp');
    expect(mcpEndpointUrl('http://127.0.0.1:4141/mcp/every').href).toBe('http://127.0.0.1:4141/mcp/every');
    expect(mcpEndpointUrl('https://box.lan/gatehouse').href).toBe('https://box.lan/gatehouse/mcp');
    expect(() => mcpEndpointUrl('127.0.0.1:4141')).toThrow();
    expect(() => mcpEndpointUrl('ftp://127.0.0.1')).toThrow(/ftp/);
  });
});

describe('the stdio bridge', () => {
  it('relays initialize, tools/list, tools/call and progress, and closes the session when stdin ends', async () => {
    const key = await gw.newKey({ name: 'bridge-sdk' });
    const b = startBridge(key.secret);
    const client = await clientOf(b);
    expect(client.getServerVersion()?.name).toBe('gatehouse');

    const names = (await bounded(client.listTools(), 15_000, 'tools/list')).tools.map((t) => t.name);
    expect(names).toContain('every__echo');
    const r = await bounded(client.callTool({ name: 'every__echo', arguments: { message: 'hello over stdio' } }), 10_000, 'tools/call');
    expect(text(r)).toContain('hello over stdio');

    const progress: number[] = [];
    const long = await bounded(
      client.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.4, steps: 2 } }, undefined, { onprogress: (p) => progress.push(p.progress) }),
      10_000,
      'a call with progress',
    );
    expect(text(long)).toMatch(/completed/);
    // Not [1, 2]: the gateway itself can let the last step's progress trail the result (direct HTTP too).
    expect(progress[0]).toBe(1);

    const session = sessionOfLastCall(key.id);
    b.stdin.end();
    expect(await bounded(b.exit, 10_000, 'the bridge exiting')).toBe(0);
    // Only the relay line: nothing went wrong.
    expect(b.stderr().trim().split('\n')).toEqual([`gatehouse mcp-stdio: relaying stdio to ${gw.url}/mcp`]);
    // The bridge said DELETE: the session is gone at once.
    expect((await postList(key.secret, session)).status).toBe(404);
    await client.close();
  });

  it('serves one server under its own names when given /mcp/{server}', async () => {
    const key = await gw.newKey({ name: 'bridge-one' });
    const b = startBridge(key.secret, `${gw.url}/mcp/every`);
    const client = await clientOf(b);
    const names = (await bounded(client.listTools(), 15_000, 'tools/list')).tools.map((t) => t.name);
    expect(names).toContain('echo');
    b.stdin.end();
    expect(await bounded(b.exit, 10_000, 'the bridge exiting')).toBe(0);
    await client.close();
  });

  it('stops at once and closes the session when its signal aborts (SIGTERM)', async () => {
    const key = await gw.newKey({ name: 'bridge-abort' });
    const stop = new AbortController();
    const b = startBridge(key.secret, gw.url, stop.signal);
    const client = await clientOf(b);
    await bounded(client.callTool({ name: 'every__echo', arguments: { message: 'x' } }), 10_000, 'tools/call');
    stop.abort();
    expect(await bounded(b.exit, 10_000, 'the bridge exiting')).toBe(0);
    expect((await postList(key.secret, sessionOfLastCall(key.id))).status).toBe(404);
    await client.close();
  });

  it('answers the requests a piped script wrote before closing stdin', async () => {
    const key = await gw.newKey({ name: 'bridge-raw' });
    const b = startBridge(key.secret);
    const lines = stdoutLines(b);
    b.stdin.write(`${JSON.stringify(initialize)}\n`);
    // Sent without waiting for initialize's answer: the bridge holds them until the session exists.
    b.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    b.stdin.end(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} })}\n`);
    expect(await bounded(b.exit, 15_000, 'the bridge exiting')).toBe(0);
    expect(lines.map((m) => ('id' in m ? m.id : undefined))).toEqual([1, 2]);
    expect(JSON.stringify(lines[1])).toContain('every__echo');
  });

  it('relays list_changed from the gateway, on the session\'s standalone stream', async () => {
    const key = await gw.newKey({ name: 'bridge-changed' });
    const b = startBridge(key.secret);
    const client = await clientOf(b);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    // A round trip first, so the GET stream the transport opens after initialized is up.
    expect((await bounded(client.listTools(), 15_000, 'tools/list')).tools.map((t) => t.name)).toContain('every__get-env');

    const before = readFileSync(gw.configPath, 'utf8');
    writeFileSync(`${gw.configPath}.tmp`, before.replace('tools: { "*": allow }', 'tools: { "*": allow, "get-env": deny }'));
    renameSync(`${gw.configPath}.tmp`, gw.configPath);
    await expect.poll(() => changed, { timeout: 10_000 }).toBeGreaterThan(0);
    expect((await bounded(client.listTools(), 15_000, 'tools/list')).tools.map((t) => t.name)).not.toContain('every__get-env');
    b.stdin.end();
    expect(await bounded(b.exit, 10_000, 'the bridge exiting')).toBe(0);
    await client.close();
  });

  it('says so and exits 1 when the gateway ends the session', async () => {
    const key = await gw.newKey({ name: 'bridge-expired' });
    const b = startBridge(key.secret);
    const client = await clientOf(b);
    await bounded(client.callTool({ name: 'every__echo', arguments: { message: 'x' } }), 10_000, 'tools/call');
    const session = sessionOfLastCall(key.id);
    // What the idle sweep or a restart does, done from outside.
    const deleted = await fetch(`${gw.url}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${key.secret}`, 'mcp-session-id': session } });
    expect(deleted.status).toBe(200);
    await expect(bounded(client.listTools(), 10_000, 'tools/list')).rejects.toThrow(/the gateway ended the MCP session \(404 Session not found/);
    expect(await bounded(b.exit, 10_000, 'the bridge exiting')).toBe(1);
    expect(b.stderr()).toMatch(/the gateway ended the MCP session .*Restart this MCP server in your client/);
    await client.close();
  });

  it('exits 1 on a refused key, with the gateway\'s reason on stderr and an error for the request on stdout', async () => {
    const b = startBridge('gh_not-a-real-key');
    const lines = stdoutLines(b);
    b.stdin.write(`${JSON.stringify(initialize)}\n`);
    expect(await bounded(b.exit, 10_000, 'the bridge exiting')).toBe(1);
    expect(b.stderr()).toMatch(/refused the key in GATEHOUSE_KEY \(401\): .*not a valid Gatehouse key/);
    expect(b.stderr()).not.toContain('gh_not-a-real-key');
    expect(lines).toEqual([{ jsonrpc: '2.0', id: 1, error: { code: -32000, message: expect.stringMatching(/refused the key in GATEHOUSE_KEY \(401\)/) } }]);
  });

  it('exits 1 when the gateway cannot be reached, saying what to do', async () => {
    // A port that was free a moment ago (fetch refuses to try well-known ones such as 9).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const b = startBridge('gh_whatever', `http://127.0.0.1:${port}`);
    const lines = stdoutLines(b);
    b.stdin.write(`${JSON.stringify(initialize)}\n`);
    expect(await bounded(b.exit, 10_000, 'the bridge exiting')).toBe(1);
    expect(b.stderr()).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): start it \(gatehouse serve/);
    expect(lines).toEqual([{ jsonrpc: '2.0', id: 1, error: { code: -32000, message: expect.stringContaining('cannot reach the gateway') } }]);
  });

  it('exits 2 without a key, naming the variable, and writes nothing on stdout', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    expect(await runStdioBridge({ url: gw.url, key: '', keyEnv: 'GATEHOUSE_KEY', stdin: new PassThrough(), stdout, stderr })).toBe(2);
    expect(err).toMatch(/the environment variable GATEHOUSE_KEY is not set or is empty: set GATEHOUSE_KEY to a Gatehouse virtual key/);
    expect(stdout.read()).toBeNull();
    err = '';
    expect(await runStdioBridge({ url: gw.url, key: '', keyEnv: 'gh_pasted-key', stdin: new PassThrough(), stdout, stderr })).toBe(2);
    expect(err).toMatch(/--key-env takes the NAME of an environment variable/);
  });
});
