// agents:list and agents:setup through the control service: real recipes, real files in a temporary home, a real SQLite ledger.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load.js';
import type { GatehouseConfig } from '../config/schema.js';
import { KeyIndex } from '../policy/keys.js';
import { openDatabase, type Db } from '../store/db.js';
import { listKeys } from '../store/keys.js';
import { createLedger, type Ledger } from '../store/ledger.js';
import { agentOfClient } from './agents.js';
import { createControlService, type ControlService } from './service.js';

const URL_HERE = 'http://127.0.0.1:4999';

let dir: string;
let home: string;
let db: Db;
let ledger: Ledger;
let control: ControlService;
let config: GatehouseConfig;
let gatewayUrl: string;

function unused(): never {
  throw new Error('not used by these tests');
}

function configOf(text: string): GatehouseConfig {
  const r = parseConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

const ROUTED = `version: 1
providers:
  - { id: oai, type: openai-compatible, baseUrl: "http://127.0.0.1:9/v1" }
  - { id: ant, type: anthropic, baseUrl: "http://127.0.0.1:9" }
models:
  - { name: fast, targets: [{ provider: oai, model: gpt-4o-mini }] }
  - { name: claude, targets: [{ provider: ant, model: claude-sonnet-4-5 }] }
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-agents-ctl-'));
  home = join(dir, 'home');
  mkdirSync(home);
  db = openDatabase(join(dir, 'a.sqlite'));
  ledger = createLedger(db, { now: () => new Date() });
  config = configOf(ROUTED);
  gatewayUrl = URL_HERE;
  control = createControlService({
    db,
    ledger,
    keys: new KeyIndex(() => listKeys(db)),
    now: () => new Date(),
    secrets: unused,
    onSecretChanged: unused,
    config: { snapshot: unused, validate: unused, edit: unused },
    status: () => ({ url: gatewayUrl }) as ReturnType<Parameters<typeof createControlService>[0]['status']>,
    consoleLoginUrl: unused,
    approvals: { pending: unused, decide: unused },
    pins: { quarantined: unused, accept: unused },
    audit: { key: () => null, unkeyedReason: () => 'no keychain in these tests', lookup: async () => null },
    agents: { home, env: {}, config: () => config },
  });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const claudeSettings = (): string => join(home, '.claude', 'settings.json');
const events = (type: string): Record<string, unknown>[] =>
  (db.prepare('SELECT body FROM events WHERE type = ? ORDER BY seq').all(type) as { body: string }[]).map((r) => JSON.parse(r.body) as Record<string, unknown>);

describe('agents:list', () => {
  it("lists every agent with its recipe's files, the route it would get, and when each was last seen by user-agent", async () => {
    ledger.appendNow({ type: 'llm.request', requestId: 'r1', keyId: 'key_a', client: 'claude-cli/2.1.197 (external, cli)' });
    ledger.appendNow({ type: 'llm.request', requestId: 'r2', keyId: 'key_b', client: 'claude-cli/2.1.198 (external, cli)' });
    ledger.appendNow({ type: 'llm.request', requestId: 'r3', keyId: 'key_c', client: 'codex_exec/0.169.0 (Linux; x86_64)' });
    ledger.appendNow({ type: 'llm.request', requestId: 'r4', keyId: 'key_c', client: 'python-requests/2.32' });
    ledger.appendNow({ type: 'mcp.call', keyId: 'key_a', client: 'GeminiCLI/0.61.0' });
    const out = await control.call('agents:list', {}, 'console');
    expect(out.gatewayUrl).toBe(URL_HERE);
    expect(out.routes).toEqual([
      { name: 'fast', family: 'openai' },
      { name: 'claude', family: 'anthropic' },
    ]);
    expect(out.agents.map((a) => a.id)).toEqual(['claude-code', 'codex', 'gemini', 'continue', 'opencode', 'aider']);
    const claude = out.agents.find((a) => a.id === 'claude-code')!;
    expect(claude).toMatchObject({ title: 'Claude Code', family: 'anthropic', subscription: true, pointsHere: false, problem: null, suggestedModel: { model: 'claude' } });
    expect(claude.files).toEqual([{ path: claudeSettings(), exists: false, holdsKey: true, pointsHere: false, key: null }]);
    // Two versions of Claude Code: the newest call's user-agent and key, the calls of both.
    expect(claude.lastSeen).toMatchObject({ client: 'claude-cli/2.1.198 (external, cli)', requests: 2, keyId: 'key_b' });
    expect(out.agents.find((a) => a.id === 'codex')!.lastSeen).toMatchObject({ client: 'codex_exec/0.169.0 (Linux; x86_64)', requests: 1 });
    // Only model calls count; an MCP record is not a sighting.
    expect(out.agents.find((a) => a.id === 'gemini')!.lastSeen).toBeNull();
    expect(out.agents.find((a) => a.id === 'gemini')!.files.map((f) => f.path)).toEqual([join(home, '.gemini', '.env'), join(home, '.gemini', 'settings.json')]);
    expect(out.otherClients).toEqual([expect.objectContaining({ client: 'python-requests/2.32', requests: 1 })]);
    expect(out.scanned).toBe(5);
    // Later reads add only what was appended since.
    ledger.appendNow({ type: 'llm.request', requestId: 'r5', keyId: 'key_a', client: 'claude-cli/2.1.197 (external, cli)' });
    const again = await control.call('agents:list', {}, 'console');
    expect(again.agents.find((a) => a.id === 'claude-code')!.lastSeen).toMatchObject({ client: 'claude-cli/2.1.197 (external, cli)', requests: 3, keyId: 'key_a' });
    expect(again.scanned).toBe(6);
  });

  it('maps user-agents to agents; the doctor and SDKs are not agents', () => {
    expect(agentOfClient('claude-cli/2.1.197 (external, cli)')).toBe('claude-code');
    expect(agentOfClient('codex_cli_rs/0.169.0')).toBe('codex');
    expect(agentOfClient('GeminiCLI/0.61.0 (linux; x64)')).toBe('gemini');
    expect(agentOfClient('opencode/0.15.2 ai-sdk/provider-utils')).toBe('opencode');
    expect(agentOfClient('OpenAI/Python 1.51.0')).toBeNull();
    expect(agentOfClient('gatehouse-doctor/0.1.0 (claude-code)')).toBeNull();
  });

  it('says the gateway must be serving', async () => {
    gatewayUrl = '';
    await expect(control.call('agents:list', {}, 'console')).rejects.toMatchObject({ code: 'unavailable', message: /gatehouse serve/ });
  });
});

describe('agents:setup', () => {
  it('prints the settings with a key created for the agent, writing nothing', async () => {
    const out = await control.call('agents:setup', { agent: 'claude-code', createKey: true }, 'console');
    expect(out.model).toBe('claude');
    expect(out.modelWhy).toMatch(/Anthropic provider/);
    expect(out.created?.key).toMatchObject({ name: 'claude-code', defaultRoute: 'claude' });
    expect(out.key).toEqual({ id: out.created!.key.id, name: 'claude-code', prefix: out.created!.key.prefix });
    expect(out.snippets).toHaveLength(1);
    expect(out.snippets[0]!.path).toBe(claudeSettings());
    expect(JSON.parse(out.snippets[0]!.text)).toEqual({
      env: { ANTHROPIC_BASE_URL: URL_HERE, ANTHROPIC_AUTH_TOKEN: out.created!.secret, ANTHROPIC_MODEL: 'claude', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude' },
    });
    expect(out.exports).toContain(`export ANTHROPIC_BASE_URL=${URL_HERE}`);
    expect(out.written).toBeNull();
    expect(existsSync(join(home, '.claude'))).toBe(false);
    expect(events('admin.agent.configured')).toEqual([]);
  });

  it('writes exactly the confirmed files, keeping the other settings, mode 0600, backed up; a second run changes nothing', async () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(claudeSettings(), JSON.stringify({ theme: 'dark', env: { FOO: 'bar' } }, null, 2), { mode: 0o644 });
    const made = await control.call('keys:create', { name: 'laptop' }, 'cli');
    const paths = [claudeSettings()];

    // Files other than the recipe's are refused before anything happens.
    await expect(control.call('agents:setup', { agent: 'claude-code', key: made.secret, write: true, confirmPaths: [join(home, '.bashrc')] }, 'console')).rejects.toMatchObject({ code: 'conflict' });
    // The params have no way to name a path or a home.
    await expect(control.call('agents:setup', { agent: 'claude-code', key: made.secret, write: true, confirmPaths: paths, home: '/etc' } as never, 'console')).rejects.toMatchObject({
      code: 'invalid_params',
    });
    expect(JSON.parse(readFileSync(claudeSettings(), 'utf8'))).toEqual({ theme: 'dark', env: { FOO: 'bar' } });

    const out = await control.call('agents:setup', { agent: 'claude-code', keyId: made.key.id, key: made.secret, model: 'fast', smallModel: 'fast', write: true, confirmPaths: paths }, 'console');
    expect(out.written).toEqual([{ path: claudeSettings(), changed: true, backup: expect.stringContaining('settings.json.gatehouse-backup-'), secret: true, diff: expect.stringContaining('+') }]);
    expect(out.written![0]!.diff).not.toContain(made.secret);
    const written = JSON.parse(readFileSync(claudeSettings(), 'utf8')) as { theme: string; env: Record<string, string> };
    expect(written.theme).toBe('dark');
    expect(written.env).toMatchObject({ FOO: 'bar', ANTHROPIC_BASE_URL: URL_HERE, ANTHROPIC_AUTH_TOKEN: made.secret, ANTHROPIC_MODEL: 'fast' });
    expect(statSync(claudeSettings()).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(home, '.claude')).filter((f) => f.includes('gatehouse-backup'))).toHaveLength(1);
    expect(events('admin.agent.configured')).toEqual([expect.objectContaining({ actor: 'console', agent: 'claude-code', model: 'fast', keyId: made.key.id, files: paths })]);
    expect(JSON.stringify(events('admin.agent.configured'))).not.toContain(made.secret);

    const again = await control.call('agents:setup', { agent: 'claude-code', key: made.secret, model: 'fast', smallModel: 'fast', write: true, confirmPaths: paths }, 'console');
    expect(again.written).toEqual([{ path: claudeSettings(), changed: false, backup: null, secret: true, diff: '' }]);

    const listed = (await control.call('agents:list', {}, 'console')).agents.find((a) => a.id === 'claude-code')!;
    expect(listed.pointsHere).toBe(true);
    expect(listed.files[0]).toMatchObject({ exists: true, pointsHere: true, key: { status: 'active', id: made.key.id, name: 'laptop' } });
    await control.call('keys:revoke', { id: made.key.id }, 'cli');
    const revoked = (await control.call('agents:list', {}, 'console')).agents.find((a) => a.id === 'claude-code')!;
    expect(revoked.files[0]!.key).toMatchObject({ status: 'revoked', id: null });
  });

  it('checks a given secret against the gateway, and with only a key id leaves the placeholder to replace', async () => {
    const a = await control.call('keys:create', { name: 'a' }, 'cli');
    const b = await control.call('keys:create', { name: 'b' }, 'cli');
    await expect(control.call('agents:setup', { agent: 'codex', keyId: a.key.id, key: b.secret }, 'console')).rejects.toMatchObject({ code: 'invalid_params', message: /belongs to key "b"/ });
    await expect(control.call('agents:setup', { agent: 'codex', key: `gh_${'x'.repeat(43)}` }, 'console')).rejects.toMatchObject({ code: 'invalid_params', message: /not a live key/ });
    const placeholder = await control.call('agents:setup', { agent: 'codex', keyId: a.key.id }, 'console');
    expect(placeholder.model).toBe('fast');
    expect(placeholder.snippets[0]!.text).toContain('gh_YOUR_KEY');
    expect(placeholder.notes[0]).toMatch(/Replace gh_YOUR_KEY with the secret of key "a"/);
    // Writing needs the secret itself; a refused write creates nothing.
    await expect(control.call('agents:setup', { agent: 'codex', keyId: a.key.id, write: true, confirmPaths: [join(home, '.codex', 'config.toml')] }, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
    const before = listKeys(db).length;
    await expect(control.call('agents:setup', { agent: 'codex', createKey: true, write: true, confirmPaths: [] }, 'console')).rejects.toMatchObject({ code: 'conflict' });
    expect(listKeys(db)).toHaveLength(before);
    expect(existsSync(join(home, '.codex'))).toBe(false);
  });

  it('refuses what the recipe cannot do, with the reason', async () => {
    await expect(control.call('agents:setup', { agent: 'vim' }, 'console')).rejects.toMatchObject({ code: 'invalid_params', message: /agent: expected one of claude-code/ });
    await expect(control.call('agents:setup', { agent: 'gemini', subscription: true }, 'console')).rejects.toMatchObject({ code: 'invalid_params', message: /signs in with a key only/ });
    await expect(control.call('agents:setup', { agent: 'gemini', createKey: true, key: 'gh_0123456789abcdef0123' }, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
    config = configOf('version: 1\n');
    await expect(control.call('agents:setup', { agent: 'aider' }, 'console')).rejects.toMatchObject({ code: 'invalid_params', message: /no routes/ });
  });

  it("reports a file it cannot merge instead of overwriting it", async () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(claudeSettings(), '{ "env": ');
    const made = await control.call('keys:create', { name: 'k' }, 'cli');
    const listed = (await control.call('agents:list', {}, 'console')).agents.find((a) => a.id === 'claude-code')!;
    expect(listed.files[0]).toMatchObject({ exists: true, pointsHere: false });
    await expect(control.call('agents:setup', { agent: 'claude-code', key: made.secret, write: true, confirmPaths: [claudeSettings()] }, 'console')).rejects.toMatchObject({
      code: 'conflict',
      message: /not valid JSON/,
    });
    expect(readFileSync(claudeSettings(), 'utf8')).toBe('{ "env": ');
  });
});
