// Agent setup recipes against real files in a temporary home: fresh files, merges that keep the
// user's settings and comments, second runs that change nothing, and the subscription variants.
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfigText } from '../config/load.js';
import { fileEdits, KEY_PLACEHOLDER, maskKeys, pickModel, planSetup, routesOf, SetupError, unifiedDiff, type AgentId, type SetupInput } from './setup.js';
import { readTextFile, writeEdit } from './write.js';

const KEY = 'gh_Z9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8cB7aA6zY';
const OTHER_KEY = 'gh_0ldKeyThatWasHereBefore00000000000000000000';
const URL = 'http://127.0.0.1:4141';
const NOW = new Date('2026-11-24T15:18:00.123Z');

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'gh-agents-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function input(agent: AgentId, extra: Partial<SetupInput> = {}): SetupInput {
  return { agent, gatewayUrl: URL, key: KEY, model: 'fast', home, env: {}, ...extra };
}

/** Plans, writes every changed file, and returns what happened. */
function run(agent: AgentId, extra: Partial<SetupInput> = {}) {
  const plan = planSetup(input(agent, extra), readTextFile);
  const edits = fileEdits(plan, readTextFile);
  const written = edits.filter((e) => e.before !== e.after).map((e) => ({ edit: e, result: writeEdit(e, NOW) }));
  return { plan, edits, written };
}

function put(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const read = (path: string): string => readFileSync(path, 'utf8');
const mode = (path: string): number => statSync(path).mode & 0o777;
const backups = (path: string): string[] => readdirSync(dirname(path)).filter((f) => f.startsWith(`${path.split('/').at(-1)}.gatehouse-backup-`));

/** Every agent: a second run finds nothing to change and writes nothing. */
function expectIdempotent(agent: AgentId, extra: Partial<SetupInput> = {}): void {
  const again = run(agent, extra);
  expect(again.written).toEqual([]);
  for (const e of again.edits) expect(e.after).toBe(e.before);
}

describe('choosing the route', () => {
  const config = parseConfigText(`version: 1
providers:
  - { id: oai, type: openai-compatible, baseUrl: "http://localhost:1" }
  - { id: anth, type: anthropic }
  - { id: gem, type: gemini }
models:
  - { name: fast, targets: [{ provider: oai, model: gpt-4o-mini }] }
  - { name: claude, targets: [{ provider: anth, model: claude-sonnet-4-5 }] }
  - { name: flash, targets: [{ provider: gem, model: gemini-2.5-flash }, { provider: oai, model: x }] }
`);
  if (!config.ok) throw new Error(JSON.stringify(config.issues));
  const routes = routesOf(config.config);

  it("prefers the first route whose first target is of the agent's own API family", () => {
    expect(pickModel('claude-code', routes)?.model).toBe('claude');
    expect(pickModel('gemini', routes)?.model).toBe('flash');
    for (const a of ['codex', 'continue', 'opencode', 'aider'] as const) expect(pickModel(a, routes)?.model).toBe('fast');
    expect(pickModel('claude-code', routes)?.why).toMatch(/Anthropic provider, Claude Code's own API family/);
  });

  it('falls back to the first route, saying requests are translated, and to nothing without routes', () => {
    const onlyOpenAI = routes.filter((r) => r.family === 'openai');
    expect(pickModel('gemini', onlyOpenAI)).toMatchObject({ model: 'fast', why: expect.stringMatching(/translated/) });
    expect(pickModel('codex', [])).toBeNull();
  });
});

describe('Claude Code (~/.claude/settings.json)', () => {
  const path = () => join(home, '.claude', 'settings.json');

  it('writes a fresh settings file with the env block, mode 0600', () => {
    const { written } = run('claude-code', { smallModel: 'cheap' });
    expect(written).toHaveLength(1);
    expect(written[0]!.result.backup).toBeNull();
    expect(JSON.parse(read(path()))).toEqual({
      env: { ANTHROPIC_BASE_URL: URL, ANTHROPIC_AUTH_TOKEN: KEY, ANTHROPIC_MODEL: 'fast', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'cheap' },
    });
    expect(mode(path())).toBe(0o600);
    expectIdempotent('claude-code', { smallModel: 'cheap' });
  });

  it('merges into existing settings, keeping other keys, other env variables and comments, after a backup', () => {
    const before = `{
  // mine
  "permissions": { "allow": ["Bash(npm test)"] },
  "env": { "DISABLE_TELEMETRY": "1", "ANTHROPIC_AUTH_TOKEN": "${OTHER_KEY}" },
  "model": "opus"
}
`;
    put(path(), before);
    chmodSync(path(), 0o644);
    const { written } = run('claude-code');
    const backup = written[0]!.result.backup!;
    expect(backup).toBe(`${path()}.gatehouse-backup-20261124T151800Z`);
    expect(read(backup)).toBe(before);
    expect(mode(backup)).toBe(0o600);
    expect(mode(path())).toBe(0o600);
    const text = read(path());
    expect(text).toContain('// mine');
    const settings = parseJsonc(text) as Record<string, Record<string, string>>;
    expect(settings.permissions).toEqual({ allow: ['Bash(npm test)'] });
    expect(settings.model).toBe('opus');
    expect(settings.env).toEqual({ DISABLE_TELEMETRY: '1', ANTHROPIC_AUTH_TOKEN: KEY, ANTHROPIC_BASE_URL: URL, ANTHROPIC_MODEL: 'fast', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'fast' });
    expectIdempotent('claude-code');
    expect(backups(path())).toHaveLength(1);
  });

  it('with --subscription sends the key in x-gatehouse-key, keeps other custom headers and drops an earlier Gatehouse token', () => {
    put(path(), JSON.stringify({ env: { ANTHROPIC_AUTH_TOKEN: OTHER_KEY, ANTHROPIC_CUSTOM_HEADERS: 'x-team: blue\nx-gatehouse-key: gh_old' } }, null, 2));
    run('claude-code', { subscription: true });
    const env = (JSON.parse(read(path())) as { env: Record<string, string> }).env;
    expect(env.ANTHROPIC_CUSTOM_HEADERS).toBe(`x-team: blue\nx-gatehouse-key: ${KEY}`);
    expect(env).not.toHaveProperty('ANTHROPIC_AUTH_TOKEN');
    expect(env).not.toHaveProperty('ANTHROPIC_API_KEY');
    expect(env.ANTHROPIC_BASE_URL).toBe(URL);
    expectIdempotent('claude-code', { subscription: true });

    // Back to a plain key: the header line goes, the other header stays.
    run('claude-code');
    const plain = (JSON.parse(read(path())) as { env: Record<string, string> }).env;
    expect(plain.ANTHROPIC_CUSTOM_HEADERS).toBe('x-team: blue');
    expect(plain.ANTHROPIC_AUTH_TOKEN).toBe(KEY);
  });

  it('honours CLAUDE_CONFIG_DIR, and refuses a settings file that is not JSON', () => {
    const dir = join(home, 'elsewhere');
    run('claude-code', { env: { CLAUDE_CONFIG_DIR: dir } });
    expect(JSON.parse(read(join(dir, 'settings.json'))).env.ANTHROPIC_MODEL).toBe('fast');

    put(path(), '{ "env": ');
    expect(() => run('claude-code')).toThrow(expect.objectContaining({ code: 'SETUP_UNPARSABLE', message: expect.stringContaining(path()) }));
  });

  it('follows a symbolic link instead of replacing it', () => {
    const real = put(join(home, 'dotfiles', 'claude-settings.json'), '{"theme": "dark"}\n');
    mkdirSync(join(home, '.claude'));
    symlinkSync(real, path());
    run('claude-code');
    expect(lstatSync(path()).isSymbolicLink()).toBe(true);
    expect(JSON.parse(read(real))).toMatchObject({ theme: 'dark', env: { ANTHROPIC_AUTH_TOKEN: KEY } });
  });
});

describe('Codex ($CODEX_HOME/config.toml)', () => {
  const path = () => join(home, '.codex', 'config.toml');

  it('writes a fresh config with the gatehouse provider', () => {
    run('codex');
    const cfg = parseToml(read(path())) as Record<string, unknown>;
    expect(cfg).toEqual({
      model: 'fast',
      model_provider: 'gatehouse',
      model_providers: {
        gatehouse: { name: 'Gatehouse', base_url: `${URL}/v1`, wire_api: 'responses', supports_websockets: true, experimental_bearer_token: KEY },
      },
    });
    expect(mode(path())).toBe(0o600);
    expectIdempotent('codex');
  });

  it('merges into an existing config keeping comments, other keys and tables, and replaces an earlier gatehouse table', () => {
    const before = `# Codex settings
model = "gpt-5-codex"
approval_policy = "on-request"
sandbox_mode = [
  "a",
]

[model_providers.gatehouse]
# an old one
name = "old"
base_url = "http://127.0.0.1:9999/v1"
env_key = "GATEHOUSE_KEY"

[model_providers.gatehouse.http_headers]
x = "y"

# servers I use
[mcp_servers.docs]
command = "docs-mcp"
args = ["--port", "[1]"]
`;
    put(path(), before);
    const { written } = run('codex');
    expect(read(written[0]!.result.backup!)).toBe(before);
    const text = read(path());
    expect(text).toMatch(/^# Codex settings\n/);
    expect(text).toContain('# servers I use\n[mcp_servers.docs]');
    expect(text).not.toContain('# an old one');
    const cfg = parseToml(text) as Record<string, unknown>;
    expect(cfg).toMatchObject({ model: 'fast', model_provider: 'gatehouse', approval_policy: 'on-request', sandbox_mode: ['a'], mcp_servers: { docs: { command: 'docs-mcp', args: ['--port', '[1]'] } } });
    expect((cfg.model_providers as Record<string, unknown>).gatehouse).toEqual({
      name: 'Gatehouse',
      base_url: `${URL}/v1`,
      wire_api: 'responses',
      supports_websockets: true,
      experimental_bearer_token: KEY,
    });
    expectIdempotent('codex');
  });

  it('with --subscription keeps the OpenAI sign-in and sends the key in http_headers', () => {
    run('codex', { subscription: true });
    const provider = (parseToml(read(path())) as { model_providers: { gatehouse: Record<string, unknown> } }).model_providers.gatehouse;
    expect(provider).toMatchObject({ requires_openai_auth: true, http_headers: { 'x-gatehouse-key': KEY } });
    expect(provider).not.toHaveProperty('experimental_bearer_token');
    expect(provider).not.toHaveProperty('env_key');
    expectIdempotent('codex', { subscription: true });
  });

  it('honours CODEX_HOME and says when a profile overrides the top-level model', () => {
    const codexHome = join(home, 'codex-home');
    put(join(codexHome, 'config.toml'), 'profile = "work"\n\n[profiles.work]\nmodel = "o3"\n');
    const { plan } = run('codex', { env: { CODEX_HOME: codexHome } });
    expect(plan.files[0]!.path).toBe(join(codexHome, 'config.toml'));
    expect(plan.notes.join('\n')).toMatch(/selects profile "work"/);
    expect(parseToml(read(join(codexHome, 'config.toml')))).toMatchObject({ profile: 'work', model: 'fast', profiles: { work: { model: 'o3' } } });
  });

  it('refuses, without writing, a config whose gatehouse provider is written as dotted keys', () => {
    const before = 'model_providers.gatehouse.name = "mine"\n';
    put(path(), before);
    expect(() => run('codex')).toThrow(SetupError);
    expect(read(path())).toBe(before);
    expect(backups(path())).toEqual([]);
  });
});

describe('Gemini CLI (~/.gemini/.env and settings.json)', () => {
  const envPath = () => join(home, '.gemini', '.env');
  const settingsPath = () => join(home, '.gemini', 'settings.json');

  it('writes the variables and the API-key auth type into fresh files', () => {
    const { written } = run('gemini');
    expect(written.map((w) => w.edit.path)).toEqual([envPath(), settingsPath()]);
    expect(read(envPath())).toBe(`GOOGLE_GEMINI_BASE_URL=${URL}\nGEMINI_API_KEY=${KEY}\nGEMINI_MODEL=fast\n`);
    expect(mode(envPath())).toBe(0o600);
    expect(JSON.parse(read(settingsPath()))).toEqual({ security: { auth: { selectedType: 'gemini-api-key' } } });
    expectIdempotent('gemini');
  });

  it('replaces its variables in an existing .env and settings, keeping everything else', () => {
    put(envPath(), `# my env\nGOOGLE_CLOUD_PROJECT=proj\nexport GEMINI_API_KEY=AIza-old\nGEMINI_MODEL=gemini-2.5-pro\nGEMINI_API_KEY=dup\n`);
    put(settingsPath(), `{\n  "ui": { "theme": "GitHub" }, // theme\n  "security": { "auth": { "selectedType": "oauth-personal" }, "folderTrust": { "enabled": true } }\n}\n`);
    run('gemini');
    expect(read(envPath())).toBe(`# my env\nGOOGLE_CLOUD_PROJECT=proj\nGEMINI_API_KEY=${KEY}\nGEMINI_MODEL=fast\nGOOGLE_GEMINI_BASE_URL=${URL}\n`);
    const settings = read(settingsPath());
    expect(settings).toContain('// theme');
    expect(parseJsonc(settings)).toEqual({ ui: { theme: 'GitHub' }, security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: true } } });
    expectIdempotent('gemini');
  });

  it('honours GEMINI_CLI_HOME and gives the same settings as shell exports', () => {
    const { plan } = run('gemini', { env: { GEMINI_CLI_HOME: join(home, 'g') } });
    expect(plan.files.map((f) => f.path)).toEqual([join(home, 'g', '.gemini', '.env'), join(home, 'g', '.gemini', 'settings.json')]);
    expect(plan.exports).toEqual([`export GOOGLE_GEMINI_BASE_URL=${URL}`, `export GEMINI_API_KEY=${KEY}`, 'export GEMINI_MODEL=fast']);
  });
});

describe('Continue (~/.continue/config.yaml)', () => {
  const path = () => join(home, '.continue', 'config.yaml');

  it('writes a fresh config with chat, autocomplete and embeddings models', () => {
    run('continue', { smallModel: 'cheap', embedModel: 'embed' });
    const cfg = parseYaml(read(path())) as { name: string; version: string; schema: string; models: Record<string, unknown>[] };
    expect(cfg).toMatchObject({ name: 'Local Config', version: '1.0.0', schema: 'v1' });
    const base = { provider: 'openai', apiBase: `${URL}/v1`, apiKey: KEY };
    expect(cfg.models).toEqual([
      { name: 'Gatehouse', model: 'fast', roles: ['chat', 'edit', 'apply'], ...base },
      { name: 'Gatehouse autocomplete', model: 'cheap', roles: ['autocomplete'], ...base },
      { name: 'Gatehouse embeddings', model: 'embed', roles: ['embed'], ...base },
    ].map((m) => expect.objectContaining(m)));
    expect(mode(path())).toBe(0o600);
    expectIdempotent('continue', { smallModel: 'cheap', embedModel: 'embed' });
  });

  it("adds its models beside the user's, updates its own in place and keeps comments and their extra fields", () => {
    put(path(), `name: My Config # mine
version: 0.0.1
schema: v1
models:
- name: Local
  provider: ollama
  model: qwen
- name: Gatehouse
  provider: openai
  model: old-route
  apiBase: http://127.0.0.1:9999/v1
  apiKey: ${OTHER_KEY}
  defaultCompletionOptions:
    temperature: 0.2
# rules below
rules:
  - Be brief
`);
    run('continue');
    const text = read(path());
    expect(text).toContain('# mine');
    expect(text).toContain('# rules below');
    expect(text).toMatch(/^models:\n- name: Local/m);
    const cfg = parseYaml(text) as { name: string; models: Record<string, unknown>[]; rules: string[] };
    expect(cfg.name).toBe('My Config');
    expect(cfg.rules).toEqual(['Be brief']);
    expect(cfg.models.map((m) => m.name)).toEqual(['Local', 'Gatehouse', 'Gatehouse autocomplete']);
    expect(cfg.models[1]).toEqual({
      name: 'Gatehouse',
      provider: 'openai',
      model: 'fast',
      apiBase: `${URL}/v1`,
      apiKey: KEY,
      defaultCompletionOptions: { temperature: 0.2 },
      roles: ['chat', 'edit', 'apply'],
    });
    expectIdempotent('continue');
  });
});

describe('opencode (~/.config/opencode/opencode.json)', () => {
  const path = () => join(home, '.config', 'opencode', 'opencode.json');

  it('writes a fresh config with a gatehouse provider and selects its model', () => {
    run('opencode', { smallModel: 'cheap' });
    expect(JSON.parse(read(path()))).toEqual({
      $schema: 'https://opencode.ai/config.json',
      provider: {
        gatehouse: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Gatehouse',
          options: { baseURL: `${URL}/v1`, apiKey: KEY },
          models: { fast: { name: 'fast' }, cheap: { name: 'cheap' } },
        },
      },
      model: 'gatehouse/fast',
      small_model: 'gatehouse/cheap',
    });
    expect(mode(path())).toBe(0o600);
    expectIdempotent('opencode', { smallModel: 'cheap' });
  });

  it('edits an existing opencode.jsonc, keeping comments, other providers and a tuned model entry', () => {
    const jsonc = join(home, '.config', 'opencode', 'opencode.jsonc');
    put(jsonc, `{
  // global
  "theme": "tokyonight",
  "provider": {
    "anthropic": { "options": { "timeout": 600000 } },
    "gatehouse": { "models": { "fast": { "name": "Fast", "limit": { "context": 128000, "output": 8192 } } } },
  },
}
`);
    const { plan } = run('opencode');
    expect(plan.files[0]!.path).toBe(jsonc);
    const text = read(jsonc);
    expect(text).toContain('// global');
    expect(parseJsonc(text, [], { allowTrailingComma: true })).toMatchObject({
      theme: 'tokyonight',
      model: 'gatehouse/fast',
      provider: {
        anthropic: { options: { timeout: 600000 } },
        gatehouse: { npm: '@ai-sdk/openai-compatible', options: { baseURL: `${URL}/v1`, apiKey: KEY }, models: { fast: { name: 'Fast', limit: { context: 128000, output: 8192 } } } },
      },
    });
    expectIdempotent('opencode');
  });

  it('honours XDG_CONFIG_HOME', () => {
    const { plan } = run('opencode', { env: { XDG_CONFIG_HOME: join(home, 'xdg') } });
    expect(plan.files[0]!.path).toBe(join(home, 'xdg', 'opencode', 'opencode.json'));
  });
});

describe('Aider (~/.aider.conf.yml)', () => {
  const path = () => join(home, '.aider.conf.yml');

  it('writes a fresh config with the endpoint, key and openai/ model', () => {
    run('aider', { smallModel: 'cheap' });
    expect(parseYaml(read(path()))).toEqual({ 'openai-api-base': `${URL}/v1`, 'openai-api-key': KEY, model: 'openai/fast', 'weak-model': 'openai/cheap' });
    expect(mode(path())).toBe(0o600);
    expectIdempotent('aider', { smallModel: 'cheap' });
  });

  it('merges into an existing config, keeping comments and other options', () => {
    put(path(), '# aider settings\nauto-commits: false # no commits\nmodel: gpt-4o\nread:\n  - CONVENTIONS.md\n');
    run('aider');
    const text = read(path());
    expect(text).toContain('# aider settings');
    expect(text).toContain('# no commits');
    expect(parseYaml(text)).toEqual({ 'auto-commits': false, model: 'openai/fast', read: ['CONVENTIONS.md'], 'openai-api-base': `${URL}/v1`, 'openai-api-key': KEY });
    expectIdempotent('aider');
  });
});

describe('what is printed', () => {
  it('shows the placeholder when no key is given, and the snippet is what a fresh file would hold', () => {
    const plan = planSetup(input('claude-code', { key: null }), readTextFile);
    expect(plan.snippets[0]!.text).toContain(`"ANTHROPIC_AUTH_TOKEN": "${KEY_PLACEHOLDER}"`);
    expect(plan.exports).toContain(`export ANTHROPIC_AUTH_TOKEN=${KEY_PLACEHOLDER}`);
    expect(plan.exports).toEqual(expect.arrayContaining([`export ANTHROPIC_BASE_URL=${URL}`]));
    expect(planSetup(input('claude-code', { subscription: true }), readTextFile).exports).toContain(`export ANTHROPIC_CUSTOM_HEADERS='x-gatehouse-key: ${KEY}'`);
  });

  it('never shows a key in a diff, old or new', () => {
    put(join(home, '.aider.conf.yml'), `openai-api-key: ${OTHER_KEY}\n`);
    for (const agent of ['claude-code', 'codex', 'gemini', 'continue', 'opencode', 'aider'] as const) {
      const plan = planSetup(input(agent), readTextFile);
      for (const e of fileEdits(plan, readTextFile)) {
        const diff = unifiedDiff(e);
        expect(diff).not.toContain(KEY);
        expect(diff).not.toContain(OTHER_KEY);
        if (e.secret) expect(diff).toContain(`${KEY.slice(0, 7)}…`);
        expect(diff).toMatch(new RegExp(`^--- (${e.before === null ? '/dev/null' : e.path.replace(/[.]/g, '\\.')})\\n\\+\\+\\+ `));
      }
    }
    expect(maskKeys(`a ${KEY} b`)).toBe(`a ${KEY.slice(0, 7)}… b`);
  });

  it('refuses to write over a file that changed after it was read', () => {
    const plan = planSetup(input('aider'), readTextFile);
    const [edit] = fileEdits(plan, readTextFile);
    put(join(home, '.aider.conf.yml'), 'model: mine\n');
    expect(() => writeEdit(edit!, NOW)).toThrow(expect.objectContaining({ code: 'SETUP_CHANGED' }));
    expect(read(join(home, '.aider.conf.yml'))).toBe('model: mine\n');
  });
});
