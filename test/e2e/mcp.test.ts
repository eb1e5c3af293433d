// The MCP endpoint end to end: the official MCP SDK client -> gateway /mcp -> a real MCP server from
// npm (@modelcontextprotocol/server-everything over stdio), with grants, tool policy and the ledger.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(
    configFor(
      'http://127.0.0.1:9/v1',
      `mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(everything)}, stdio]
    env: { EVERY_TOKEN: "\${env:EVERY_TOKEN}" }
    tools: { "*": allow, "get-sum": ask, "trigger-*": deny }
`,
    ),
    { env: { EVERY_TOKEN: 'tok-123', GATEHOUSE_SECRET_FOR_TEST: 'must-not-leak' } },
  );
}, 60_000);
afterAll(async () => {
  await gw?.stop();
});

async function connect(secret: string, path = '/mcp'): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}${path}`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
  return client;
}

const text = (r: unknown): string => ((r as { content: { type: string; text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('');

describe('the MCP endpoint', () => {
  it('lists the granted, not-denied tools as server__tool and calls one, recorded in the ledger', async () => {
    const key = await gw.newKey({ name: 'mcp-all' });
    const client = await connect(key.secret);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('every__echo');
    expect(names).toContain('every__get-sum');
    // Denied tools are not offered.
    expect(names.filter((n) => n.startsWith('every__trigger-'))).toEqual([]);
    const echo = tools.find((t) => t.name === 'every__echo')!;
    expect(echo.inputSchema).toMatchObject({ type: 'object', properties: { message: expect.any(Object) } });

    const r = await client.callTool({ name: 'every__echo', arguments: { message: 'hello through the gateway' } });
    expect(text(r)).toContain('hello through the gateway');
    expect(r.isError).toBeFalsy();
    const [record] = gw.events('mcp.call').filter((e) => e.keyId === key.id);
    expect(record).toMatchObject({ server: 'every', tool: 'echo', name: 'every__echo', decision: 'allow', decidedBy: 'policy: tools["*"] = allow', outcome: 'ok' });
    expect(record!.arguments).toMatchObject({ bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The arguments themselves are not in the ledger.
    expect(JSON.stringify(gw.events('mcp.call'))).not.toContain('hello through the gateway');
    await client.close();
  });

  it('starts a stdio server with an allow-listed environment: its own env settings, not the gateway\'s secrets', async () => {
    const key = await gw.newKey({ name: 'mcp-env' });
    const client = await connect(key.secret);
    const r = await client.callTool({ name: 'every__get-env', arguments: {} });
    const env = text(r);
    expect(env).toContain('tok-123');
    expect(env).toContain('PATH');
    expect(env).not.toContain('must-not-leak');
    expect(env).not.toContain('sk-mock-upstream');
    expect(gw.events('mcp.server.started')).toEqual([expect.objectContaining({ server: 'every', command: expect.stringContaining('server-everything') })]);
    await client.close();
  });

  it('refuses a denied tool and one that needs approval with a tool error that says why', async () => {
    const key = await gw.newKey({ name: 'mcp-policy' });
    const client = await connect(key.secret);
    const denied = await client.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 1, steps: 1 } });
    expect(denied.isError).toBe(true);
    expect(text(denied)).toMatch(/denied by the policy of MCP server "every" \(tools\["trigger-\*"\] = deny\)/);
    const asked = await client.callTool({ name: 'every__get-sum', arguments: { a: 1, b: 2 } });
    expect(asked.isError).toBe(true);
    expect(text(asked)).toMatch(/needs a person's approval \(tools\["get-sum"\] = ask\)/);
    expect(gw.events('mcp.call').filter((e) => e.keyId === key.id).map((e) => [e.tool, e.decision, e.outcome])).toEqual([
      ['trigger-long-running-operation', 'deny', 'refused'],
      ['get-sum', 'ask', 'refused'],
    ]);
    await expect(client.callTool({ name: 'every__no-such-tool', arguments: {} })).rejects.toThrow(/Unknown tool: every__no-such-tool/);
    await client.close();
  });

  it('a key granted only every__echo neither sees nor can call the rest', async () => {
    const made = await gw.gateway.call('keys:create', { name: 'mcp-echo-only', mcpTools: ['every__echo'] }, 'cli');
    const client = await connect(made.secret);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['every__echo']);
    const refused = await client.callTool({ name: 'every__get-env', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/key "mcp-echo-only" is not granted the tool every__get-env \(its MCP tool grants: every__echo\)/);
    expect(text(await client.callTool({ name: 'every__echo', arguments: { message: 'ok' } }))).toContain('ok');
    await client.close();
  });

  it('/mcp/{server} serves one server under its own names', async () => {
    const key = await gw.newKey({ name: 'mcp-one' });
    const client = await connect(key.secret, '/mcp/every');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names.some((n) => n.includes('__'))).toBe(false);
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'direct' } }))).toContain('direct');
    await client.close();
    await expect(connect(key.secret, '/mcp/nope')).rejects.toThrow();
  });

  it('a session belongs to the key that opened it; a request without a key is refused', async () => {
    const a = await gw.newKey({ name: 'mcp-a' });
    const b = await gw.newKey({ name: 'mcp-b' });
    const client = await connect(a.secret);
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    expect(sessionId.length).toBeGreaterThanOrEqual(32);
    const list = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };
    const post = (secret: string | undefined) =>
      fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-11-25',
          ...(secret ? { authorization: `Bearer ${secret}` } : {}),
        },
        body: JSON.stringify(list),
      });
    const other = await post(b.secret);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { message: expect.stringMatching(/Session not found/) } });
    expect((await post(undefined)).status).toBe(401);
    const own = await post(a.secret);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('every__echo');
    const bad = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${a.secret}`, 'content-type': 'application/json' }, body: '{not json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
    await client.close();
  });
});
