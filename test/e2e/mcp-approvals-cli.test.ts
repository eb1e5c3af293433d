// As a user does it: `gatehouse serve` with an MCP server whose tool asks; an MCP client's call
// waits until `gatehouse approvals approve` (or `deny`) in another terminal, then returns; and a
// stdio-only client reaches the gateway through `gatehouse mcp-stdio`.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, serve, type Served } from '../helpers/cli.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const env = { GATEHOUSE_LOG_LEVEL: 'warn' };
let dir: string;
let served: Served;
let key: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-approvals-'));
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    `version: 1
mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(everything)}, stdio]
    tools: { echo: allow, "get-sum": ask }
`,
  );
  served = await serve(['--data-dir', dir, '--port', '0'], env);
  key = (JSON.parse((await runCli(['keys', 'create', '--name', 'agent', '--json', '--data-dir', dir], { env })).stdout) as { key: string }).key;
}, 60_000);
afterAll(async () => {
  await served?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function pendingId(): Promise<string> {
  let id = '';
  await expect
    .poll(
      async () => {
        const r = await runCli(['approvals', 'list', '--json', '--data-dir', dir], { env });
        id = (JSON.parse(r.stdout) as { id: string }[])[0]?.id ?? '';
        return id;
      },
      { timeout: 15_000, interval: 200 },
    )
    .not.toBe('');
  return id;
}

describe('gatehouse approvals', () => {
  it('a call that asks blocks until approved from the command line, then returns its result; deny returns a tool error', async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));

    const call = client.callTool({ name: 'every__get-sum', arguments: { a: 20, b: 22 } });
    const id = await pendingId();
    const listed = await runCli(['approvals', 'list', '--data-dir', dir], { env });
    expect(listed.stdout).toContain(`${id}  every/get-sum  key "agent"`);
    expect(listed.stdout).toContain('arguments: {"a":20,"b":22}');
    const approved = await runCli(['approvals', 'approve', id, '--data-dir', dir], { env });
    expect(approved).toMatchObject({ code: 0, stdout: expect.stringContaining('approved every/get-sum for key "agent"') });
    const result = (await call) as { content: { text: string }[]; isError?: boolean };
    expect(result.isError).toBeFalsy();
    expect(result.content[0]!.text).toContain('42');

    const refused = client.callTool({ name: 'every__get-sum', arguments: { a: 1, b: 1 } });
    await runCli(['approvals', 'deny', await pendingId(), '--data-dir', dir], { env });
    const denied = (await refused) as { content: { text: string }[]; isError?: boolean };
    expect(denied.isError).toBe(true);
    expect(denied.content[0]!.text).toMatch(/a person denied every__get-sum \(admin-api\)/);

    const gone = await runCli(['approvals', 'approve', 'apr_nothing', '--data-dir', dir], { env });
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/no pending approval "apr_nothing"/);
    await client.close();
  }, 60_000);

  it('gatehouse mcp-stdio: a client that only launches stdio servers reaches the gateway through it', async () => {
    const client = new Client({ name: 'stdio-only', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp-stdio', '--key-env', 'GH_KEY', '--data-dir', dir],
        env: { ...getDefaultEnvironment(), GH_KEY: key },
        stderr: 'pipe',
      }),
    );
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('every__echo');
    const r = (await client.callTool({ name: 'every__echo', arguments: { message: 'over stdio' } })) as { content: { text: string }[] };
    expect(r.content[0]!.text).toContain('over stdio');
    await client.close();
  }, 30_000);

  it('says that approvals need a running gateway', async () => {
    const idle = mkdtempSync(join(tmpdir(), 'gh-approvals-idle-'));
    try {
      const r = await runCli(['approvals', 'list', '--data-dir', idle], { env });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/no gateway is running on .*: approvals exist only while one runs \(gatehouse serve\)/);
    } finally {
      rmSync(idle, { recursive: true, force: true });
    }
  });
});
