// The Providers and MCP servers stores against a fake control client: what they read from the config
// and pins, and the config:edit, secrets:set, providers:test and pins:accept calls they make.
import { describe, expect, it } from 'vitest';
import type { ConfigSnapshot, PinnedTool, QuarantinedTool } from '../../../shared/contract';
import { ControlError } from '../../../shared/control-client';
import { commandLine, CONFLICT_TEXT, parseArgs, readConfig, toolVerdict } from './config';
import { createMcpStore, sortTools, toolRows, type ToolSort } from './mcp';
import { createProvidersStore, keyStatus, providerEntry, readReferences, readRoutes, routeDraftProblem, routeOps } from './providers';
import { fakeClient } from './fake-client';


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

const ROUTED = `version: 1
providers:
  - { id: mock, type: openai-compatible, baseUrl: "http://127.0.0.1:9/v1" }
  - { id: spare, type: openai, apiKey: keychain:spare-api-key }
  - { id: gem, type: gemini }
models:
  - name: fast
    targets:
      - { provider: mock, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }
      - { provider: gem, model: gemini-2.5-flash }
  - name: smart
    strategy: least-latency
    targets: [{ provider: gem, model: gemini-2.5-pro }]
aliases:
  "claude-*": fast
  "direct": gem/gemini-2.0-flash
`;

describe('providers store: connection tests, removal, routes', () => {
  const ok = { provider: 'mock', ok: true, latencyMs: 12, models: ['gpt-4o-mini', 'gpt-4o'], modelCount: 2, testedAt: '2026-11-24T10:00:00.000Z' };

  it('tests a connection with providers:test and keeps the result by provider; a failed call is said, not thrown', async () => {
    const { client, calls } = fakeClient({
      'config:get': () => snap(ROUTED),
      'secrets:list': () => [],
      'providers:test': (p: { provider: string }) => {
        if (p.provider === 'gem') throw new ControlError('unavailable', 'providers are tested by the running gateway');
        return ok;
      },
    });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    const pending = s.getState().test('mock');
    expect(s.getState().tests.mock).toEqual({ status: 'running' });
    await pending;
    expect(calls.at(-1)).toEqual({ method: 'providers:test', params: { provider: 'mock' } });
    expect(s.getState().tests.mock).toEqual({ status: 'done', result: ok });
    await s.getState().test('gem');
    expect(s.getState().tests.gem).toEqual({ status: 'failed', message: 'Could not test "gem": providers are tested by the running gateway' });
  });

  it('refuses to remove a provider that routes or aliases use, naming them; removes an unused one by index', async () => {
    const { client, calls } = fakeClient({ 'config:get': () => snap(ROUTED), 'secrets:list': () => [{ name: 'spare-api-key', backend: 'keychain' }], 'config:edit': () => snap(ROUTED, 'h2') });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    expect(await s.getState().remove('mock')).toBe(false);
    expect(s.getState().error).toBe('Provider "mock" is still used by route "fast": change or remove that route first.');
    expect(await s.getState().remove('gem')).toBe(false);
    expect(s.getState().error).toBe('Provider "gem" is still used by routes "fast", "smart" and alias "direct": change or remove those first.');
    expect(calls.some((c) => c.method === 'config:edit')).toBe(false);
    expect(await s.getState().remove('spare')).toBe(true);
    expect(calls.at(-1)).toEqual({ method: 'config:edit', params: { baseHash: 'h1', ops: [{ op: 'delete', path: ['providers', 1] }] } });
    expect(s.getState().notice).toBe('Removed provider "spare". Its key stays in the keychain as "spare-api-key"; delete it with: gatehouse secrets delete spare-api-key');
    expect(s.getState().error).toBeNull();
  });

  it('reads routes with their strategy and the target fields the form does not edit', () => {
    const routes = readRoutes(ROUTED);
    expect(routes.map((r) => [r.name, r.strategy, r.strategyWritten, r.targets.length])).toEqual([
      ['fast', 'fallback', false, 2],
      ['smart', 'least-latency', true, 1],
    ]);
    expect(routes[0]!.targets[0]).toEqual({ provider: 'mock', model: 'gpt-4o-mini', rest: { pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } } });
    expect(readReferences(ROUTED)).toEqual({ aliases: { 'claude-*': 'fast', direct: 'gem/gemini-2.0-flash' }, classifierRoute: null, samplingRoutes: [] });
  });

  it('adds a route at the end of models, leaving the default strategy unwritten', async () => {
    const { client, calls } = fakeClient({ 'config:get': () => snap(ROUTED), 'secrets:list': () => [], 'config:edit': () => snap(ROUTED, 'h2') });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    const draft = { name: ' cheap ', strategy: 'fallback' as const, targets: [{ provider: 'mock', model: 'gpt-4o-mini ' }, { provider: 'gem', model: 'gemini-2.0-flash' }] };
    expect(await s.getState().saveRoute(draft)).toBe(true);
    expect(calls.at(-1)!.params).toEqual({
      baseHash: 'h1',
      ops: [{ op: 'set', path: ['models', 2], value: { name: 'cheap', targets: [{ provider: 'mock', model: 'gpt-4o-mini' }, { provider: 'gem', model: 'gemini-2.0-flash' }] } }],
    });
    expect(s.getState().notice).toBe('Added route "cheap": mock/gpt-4o-mini → gem/gemini-2.0-flash.');
  });

  it('edits a route: the new order and strategy, each kept target keeping its pricing', async () => {
    const { client, calls } = fakeClient({ 'config:get': () => snap(ROUTED), 'secrets:list': () => [], 'config:edit': () => snap(ROUTED, 'h2') });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    const draft = { name: 'fast', strategy: 'weighted' as const, targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }, { provider: 'mock', model: 'gpt-4o-mini' }] };
    expect(await s.getState().saveRoute(draft, 'fast')).toBe(true);
    expect(calls.at(-1)!.params).toEqual({
      baseHash: 'h1',
      ops: [
        { op: 'set', path: ['models', 0, 'strategy'], value: 'weighted' },
        { op: 'set', path: ['models', 0, 'targets'], value: [{ provider: 'gem', model: 'gemini-2.5-flash' }, { provider: 'mock', model: 'gpt-4o-mini', pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }] },
      ],
    });
    // Back to the default strategy on a route that never wrote one: only the targets change.
    expect(routeOps({ name: 'fast', strategy: 'fallback', targets: [{ provider: 'mock', model: 'gpt-4o' }] }, readRoutes(ROUTED), 'fast')).toEqual([
      { op: 'set', path: ['models', 0, 'targets'], value: [{ provider: 'mock', model: 'gpt-4o' }] },
    ]);
  });

  it('refuses a route draft that cannot work, without writing', async () => {
    const { client, calls } = fakeClient({ 'config:get': () => snap(ROUTED), 'secrets:list': () => [] });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    const cases: [Parameters<typeof routeDraftProblem>[0], RegExp][] = [
      [{ name: '', strategy: 'fallback', targets: [{ provider: 'mock', model: 'x' }] }, /Give the route a name/],
      [{ name: 'fast', strategy: 'fallback', targets: [{ provider: 'mock', model: 'x' }] }, /already exists/],
      [{ name: 'n', strategy: 'fallback', targets: [] }, /at least one target/],
      [{ name: 'n', strategy: 'fallback', targets: [{ provider: 'nope', model: 'x' }] }, /Target 1: choose one of the configured providers/],
      [{ name: 'n', strategy: 'fallback', targets: [{ provider: 'mock', model: 'x' }, { provider: 'mock', model: ' ' }] }, /Target 2: name the provider's model/],
    ];
    for (const [draft, why] of cases) {
      expect(await s.getState().saveRoute(draft)).toBe(false);
      expect(s.getState().error).toMatch(why);
    }
    expect(calls.some((c) => c.method === 'config:edit')).toBe(false);
  });

  it('refuses to remove a route an alias points at; removes another by index; a conflict reloads and says so', async () => {
    let fail = false;
    const { client, calls } = fakeClient({
      'config:get': () => snap(ROUTED),
      'secrets:list': () => [],
      'config:edit': () => {
        if (fail) throw new ControlError('conflict', 'changed');
        return snap(ROUTED, 'h2');
      },
    });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    expect(await s.getState().removeRoute('fast')).toBe(false);
    expect(s.getState().error).toBe('Route "fast" is still used by alias "claude-*": point that at another route first.');
    expect(await s.getState().removeRoute('smart')).toBe(true);
    expect(calls.at(-1)!.params).toEqual({ baseHash: 'h1', ops: [{ op: 'delete', path: ['models', 1] }] });
    fail = true;
    expect(await s.getState().saveRoute({ name: 'smart', strategy: 'fallback', targets: [{ provider: 'gem', model: 'gemini-2.5-pro' }] }, 'smart')).toBe(false);
    expect(s.getState().error).toBe(CONFLICT_TEXT);
    expect(s.getState().busy).toBeNull();
  });
});

describe('MCP servers store: removal, settings, the tool table', () => {
  const SETTINGS = TEXT.replace('    tools: { echo: ask, "*": allow }\n', '    tools: { echo: ask, "*": allow }\n    timeoutSeconds: 30\n');

  it('reads each server timeout and sessions mode; writes them, deleting a timeout set back to the default', async () => {
    const { client, calls } = fakeClient({ 'config:get': () => snap(SETTINGS), 'pins:list': () => ({ pinned: [], quarantined: [] }), 'config:edit': () => snap(SETTINGS, 'h2') });
    const s = createMcpStore(client);
    await s.getState().refresh();
    expect(s.getState().settings).toEqual({ every: { timeoutSeconds: 30, sessions: 'shared' }, remote: { timeoutSeconds: null, sessions: 'shared' } });
    expect(await s.getState().setServerSettings('every', { timeoutSeconds: null, sessions: 'per-session' })).toBe(true);
    expect(calls.at(-1)!.params).toEqual({
      baseHash: 'h1',
      ops: [
        { op: 'delete', path: ['mcpServers', 0, 'timeoutSeconds'] },
        { op: 'set', path: ['mcpServers', 0, 'sessions'], value: 'per-session' },
      ],
    });
    expect(s.getState().notice).toBe('Saved "every": tool calls time out after the default 120 s; sessions per-session.');
    expect(await s.getState().setServerSettings('remote', { timeoutSeconds: 0, sessions: 'shared' })).toBe(false);
    expect(s.getState().error).toMatch(/from 1 to 3600/);
    expect(await s.getState().setServerSettings('remote', { timeoutSeconds: 45, sessions: 'shared' })).toBe(true);
    // The second edit goes against the file the first one wrote.
    expect(calls.at(-1)!.params).toEqual({ baseHash: 'h2', ops: [{ op: 'set', path: ['mcpServers', 1, 'timeoutSeconds'], value: 45 }] });
  });

  it('removes a server by its index in mcpServers', async () => {
    const { client, calls } = fakeClient({ 'config:get': () => snap(TEXT), 'pins:list': () => ({ pinned: [], quarantined: [] }), 'config:edit': () => snap(TEXT, 'h2') });
    const s = createMcpStore(client);
    await s.getState().refresh();
    expect(await s.getState().removeServer('remote')).toBe(true);
    expect(calls.at(-1)!.params).toEqual({ baseHash: 'h1', ops: [{ op: 'delete', path: ['mcpServers', 1] }] });
    expect(await s.getState().removeServer('gone')).toBe(false);
  });

  it("lists a server's pinned and quarantined tools with their policy, sorted and filtered", () => {
    const server = readConfig(TEXT).mcpServers[0]!;
    const later = { ...pin('every', 'zeta'), pinnedAt: '2026-11-25T10:00:00.000Z' };
    const rows = toolRows(server, [pin('every', 'echo'), later, pin('every', 'add'), pin('remote', 'echo')], [held]);
    expect(rows.map((r) => [r.tool, r.policy, r.quarantine !== null])).toEqual([
      ['echo', 'ask', false],
      ['zeta', 'allow', false],
      ['add', 'allow', true],
    ]);
    const names = (sort: ToolSort, filter?: string) => sortTools(rows, sort, filter).map((r) => r.tool);
    expect(names({ key: 'tool', dir: 'asc' })).toEqual(['add', 'echo', 'zeta']);
    expect(names({ key: 'tool', dir: 'desc' })).toEqual(['zeta', 'echo', 'add']);
    expect(names({ key: 'policy', dir: 'desc' })).toEqual(['echo', 'add', 'zeta']);
    expect(names({ key: 'status', dir: 'asc' })).toEqual(['add', 'echo', 'zeta']);
    expect(names({ key: 'pinnedAt', dir: 'desc' })).toEqual(['zeta', 'add', 'echo']);
    expect(names({ key: 'tool', dir: 'asc' }, 'E')).toEqual(['echo', 'zeta']);
  });
});

describe('providers store without a keychain', () => {
  it('still reads the providers and routes, and says the keychain could not be read', async () => {
    const { client } = fakeClient({
      'config:get': () => snap(ROUTED),
      'secrets:list': () => {
        throw new ControlError('unavailable', 'OS keychain unavailable (list)');
      },
    });
    const s = createProvidersStore(client);
    await s.getState().refresh();
    expect(s.getState().providers.map((p) => p.id)).toEqual(['mock', 'spare', 'gem']);
    expect(s.getState().routes.map((r) => r.name)).toEqual(['fast', 'smart']);
    expect(s.getState().error).toBeNull();
    expect(s.getState().keychainError).toBe('The OS keychain could not be read, so whether keys are in it is unknown: OS keychain unavailable (list)');
  });
});
