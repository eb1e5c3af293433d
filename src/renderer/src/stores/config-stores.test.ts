// The Providers and MCP servers stores against a fake control client: what they read from the config
// and pins, and the config:edit, secrets:set and pins:accept calls they make.
import { describe, expect, it } from 'vitest';
import type { ConfigSnapshot, ControlMethod, PinnedTool, QuarantinedTool } from '../../../shared/contract';
import { ControlError, type ControlClient } from '../../../shared/control-client';
import { commandLine, CONFLICT_TEXT, parseArgs, readConfig, toolVerdict } from './config';
import { createMcpStore } from './mcp';
import { createProvidersStore, keyStatus, providerEntry } from './providers';

type Handler = (params: never) => unknown;

function fakeClient(handlers: Partial<Record<ControlMethod, Handler>>) {
  const calls: { method: ControlMethod; params: unknown }[] = [];
  const client: ControlClient = {
    call: (async (method: ControlMethod, params: unknown) => {
      calls.push({ method, params });
      const h = handlers[method];
      if (!h) throw new Error(`unexpected call ${method}`);
      return h(params as never);
    }) as ControlClient['call'],
  };
  return { client, calls };
}

const TEXT = `version: 1
providers:
  - { id: mock, type: openai-compatible, baseUrl: "http://127.0.0.1:9/v1", apiKey: env:MOCK_KEY }
  - id: oai
    type: openai
    apiKey: keychain:oai-api-key
models:
  - name: fast
    targets: [{ provider: mock, model: gpt-4o-mini }, { provider: oai, model: gpt-4o }]
mcpServers:
  - id: every
    command: /usr/bin/node
    args: [/opt/every server/index.js, stdio]
    tools: { echo: ask, "*": allow }
  - id: remote
    url: https://example.invalid/mcp
`;

const snap = (text: string, hash = 'h1'): ConfigSnapshot => ({ path: '/x/gatehouse.yaml', text, hash, appliedHash: hash, appliedAt: '2026-11-24T10:00:00.000Z', lastError: null });
const pin = (server: string, tool: string): PinnedTool => ({ server, tool, hash: 'x', serverVersion: null, pinnedAt: '2026-11-24T10:00:00.000Z', pinnedBy: 'first use' });
const held: QuarantinedTool = { server: 'every', tool: 'add', reason: 'changed', message: 'its definition changed', diff: '-a\n+b', detectedAt: '2026-11-24T10:00:00.000Z' };

describe('reading the config', () => {
  it('reads providers, routes and MCP servers from the YAML text; broken text reads as empty', () => {
    const v = readConfig(TEXT);
    expect(v.providers.map((p) => [p.id, p.type, p.baseUrl, p.apiKey])).toEqual([
      ['mock', 'openai-compatible', 'http://127.0.0.1:9/v1', 'env:MOCK_KEY'],
      ['oai', 'openai', null, 'keychain:oai-api-key'],
    ]);
    expect(v.routes).toEqual([{ name: 'fast', targets: [{ provider: 'mock', model: 'gpt-4o-mini' }, { provider: 'oai', model: 'gpt-4o' }] }]);
    expect(v.mcpServers[0]).toMatchObject({ id: 'every', command: '/usr/bin/node', args: ['/opt/every server/index.js', 'stdio'], tools: { echo: 'ask', '*': 'allow' } });
    expect(v.mcpServers[1]).toMatchObject({ id: 'remote', command: null, url: 'https://example.invalid/mcp' });
    expect(readConfig('providers: [').providers).toEqual([]);
  });

  it('decides a tool as the gateway does: deny over ask over allow, unlisted asks', () => {
    expect(toolVerdict({ echo: 'ask', '*': 'allow' }, 'echo')).toEqual({ policy: 'ask', rule: 'tools["echo"] = ask' });
    expect(toolVerdict({ echo: 'ask', '*': 'allow' }, 'add').policy).toBe('allow');
    expect(toolVerdict({ 'write_*': 'deny', write_file: 'allow' }, 'write_file').policy).toBe('deny');
    expect(toolVerdict({}, 'x').policy).toBe('ask');
  });

  it('shows a command line exactly, quoting what a shell would split', () => {
    expect(commandLine('npx', ['-y', '@scope/server@1.2.3', '/home/me/my project', "it's"])).toBe(`npx -y @scope/server@1.2.3 '/home/me/my project' 'it'\\''s'`);
    expect(parseArgs('-y\n\n a b \n')).toEqual(['-y', ' a b ']);
  });
});

describe('MCP servers store', () => {
  it('reads servers and pins, and writes a policy to mcpServers[i].tools[tool] with the snapshot hash', async () => {
    const { client, calls } = fakeClient({
      'config:get': () => snap(TEXT),
      'pins:list': () => ({ pinned: [pin('every', 'echo'), pin('remote', 'search')], quarantined: [held] }),
      'config:edit': () => snap(TEXT.replace('{ echo: ask', '{ echo: ask, search: deny'), 'h2'),
    });
    const s = createMcpStore(client);
    await s.getState().refresh();
    expect(s.getState().servers.map((x) => x.id)).toEqual(['every', 'remote']);
    expect(s.getState().quarantined).toEqual([held]);
    expect(await s.getState().setPolicy('remote', 'search', 'deny')).toBe(true);
    expect(calls.at(-1)).toEqual({ method: 'config:edit', params: { baseHash: 'h1', ops: [{ op: 'set', path: ['mcpServers', 1, 'tools', 'search'], value: 'deny' }] } });
    expect(s.getState().snapshot?.hash).toBe('h2');
    expect(s.getState().notice).toBe('remote/search is now "deny".');
  });

  it('a conflict says the file changed and reloads it', async () => {
    let hash = 'h1';
    const { client, calls } = fakeClient({
      'config:get': () => snap(TEXT, hash),
      'pins:list': () => ({ pinned: [], quarantined: [] }),
      'config:edit': () => {
        throw new ControlError('conflict', 'the file changed on disk since you read it');
      },
    });
    const s = createMcpStore(client);
    await s.getState().refresh();
    hash = 'h9';
    expect(await s.getState().setPolicy('every', 'echo', 'deny')).toBe(false);
    expect(s.getState().error).toBe(CONFLICT_TEXT);
    expect(s.getState().snapshot?.hash).toBe('h9');
    expect(calls.filter((c) => c.method === 'config:get')).toHaveLength(2);
    expect(s.getState().busy).toBeNull();
  });

  it('adds a server at the end of mcpServers, and refuses a duplicate id', async () => {
    const { client, calls } = fakeClient({ 'config:get': () => snap(TEXT), 'pins:list': () => ({ pinned: [], quarantined: [] }), 'config:edit': () => snap(TEXT, 'h2') });
    const s = createMcpStore(client);
    await s.getState().refresh();
    expect(await s.getState().addServer({ id: 'fs', kind: 'stdio', command: 'npx', args: ['-y', 'pkg', '/a b'] })).toBe(true);
    expect(calls.at(-1)!.params).toEqual({ baseHash: 'h1', ops: [{ op: 'set', path: ['mcpServers', 2], value: { id: 'fs', command: 'npx', args: ['-y', 'pkg', '/a b'] } }] });
    expect(await s.getState().addServer({ id: 'every', kind: 'http', url: 'https://x.invalid/mcp' })).toBe(false);
    expect(s.getState().error).toMatch(/already configured/);
  });

  it('accepts a quarantined tool with pins:accept and re-reads the pins; pins:changed and config:applied from elsewhere refresh', async () => {
    let quarantined = [held];
    const { client, calls } = fakeClient({
      'config:get': () => snap(TEXT),
      'pins:list': () => ({ pinned: [], quarantined }),
      'pins:accept': () => {
        quarantined = [];
        return { accepted: ['add'] };
      },
    });
    const s = createMcpStore(client);
    await s.getState().refresh();
    expect(await s.getState().accept('every', 'add')).toBe(true);
    expect(calls.find((c) => c.method === 'pins:accept')!.params).toEqual({ server: 'every', tool: 'add' });
    expect(s.getState().quarantined).toEqual([]);
    const before = calls.length;
    s.getState().onEvent({ event: 'config:applied', data: { hash: 'h1', at: '' } });
    expect(calls.length).toBe(before);
    s.getState().onEvent({ event: 'pins:changed', data: { server: 'every', tool: 'add', change: 'quarantined' } });
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.length).toBe(before + 2);
  });
});

describe('providers store', () => {
  it('reads providers, routes and which keychain secrets exist', async () => {
    const { client } = fakeClient({ 'config:get': () => snap(TEXT), 'secrets:list': () => [] });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    expect(s.getState().providers.map((p) => p.id)).toEqual(['mock', 'oai']);
    expect(s.getState().routes.map((r) => r.name)).toEqual(['fast']);
    expect(keyStatus('keychain:oai-api-key', [{ name: 'oai-api-key', backend: 'keychain' }])).toEqual({ kind: 'keychain', name: 'oai-api-key', present: true });
    expect(keyStatus('keychain:gone', [])).toMatchObject({ present: false });
    expect(keyStatus('env:X', [])).toEqual({ kind: 'env', name: 'X', present: null });
    expect(keyStatus(null, [])).toMatchObject({ kind: 'none' });
  });

  it('stores the key with secrets:set first, then appends the provider naming it as keychain:NAME', async () => {
    const { client, calls } = fakeClient({
      'config:get': () => snap(TEXT),
      'secrets:list': () => [],
      'secrets:set': (p: { name: string }) => ({ name: p.name, backend: 'keychain' }),
      'config:edit': () => snap(TEXT, 'h2'),
    });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    expect(await s.getState().add({ preset: 'anthropic', id: 'claude', apiKey: 'sk-ant-secret', secretName: 'claude-api-key' })).toBe(true);
    expect(calls.slice(-2)).toEqual([
      { method: 'secrets:set', params: { name: 'claude-api-key', value: 'sk-ant-secret' } },
      { method: 'config:edit', params: { baseHash: 'h1', ops: [{ op: 'set', path: ['providers', 2], value: { id: 'claude', type: 'anthropic', apiKey: 'keychain:claude-api-key' } }] } },
    ]);
    expect(JSON.stringify(s.getState())).not.toContain('sk-ant-secret');
    expect(s.getState().secrets).toEqual([{ name: 'claude-api-key', backend: 'keychain' }]);
    expect(providerEntry({ preset: 'openai-compatible', id: 'local', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: '', secretName: '' })).toEqual({ id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' });
  });

  it('refuses a duplicate id; a conflict reloads and says so', async () => {
    const { client } = fakeClient({
      'config:get': () => snap(TEXT),
      'secrets:list': () => [],
      'config:edit': () => {
        throw new ControlError('conflict', 'changed');
      },
    });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    expect(await s.getState().add({ preset: 'openai', id: 'oai', apiKey: 'k', secretName: 'n' })).toBe(false);
    expect(s.getState().error).toMatch(/already configured/);
    expect(await s.getState().add({ preset: 'gemini', id: 'gem', apiKey: '', secretName: '' })).toBe(false);
    expect(s.getState().error).toBe(CONFLICT_TEXT);
    expect(s.getState().adding).toBe(false);
  });
});
