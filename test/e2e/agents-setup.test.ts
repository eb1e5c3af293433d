// `gatehouse agents setup` as a user runs it: the built CLI against a served gateway, with a
// temporary HOME; the files it writes, their backups, the diff it prints, and its exit codes.
// The settings written are then used the way each agent uses them, through the official SDKs.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve, type Served } from '../helpers/cli.js';
import { configFor } from '../helpers/gateway.js';

const KEY_RE = /gh_[A-Za-z0-9_-]{43}/g;
const dirs: string[] = [];
let mock: MockOpenAI;
let dataDir: string;
let served: Served;

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/**
 * The environment of each run: a temporary HOME, and none of the developer's own agent folder
 * variables or key (an empty value counts as unset), so nothing outside the temp dirs is touched.
 */
function envFor(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: home,
    USERPROFILE: home,
    GATEHOUSE_KEY: '',
    CLAUDE_CONFIG_DIR: '',
    CODEX_HOME: '',
    GEMINI_CLI_HOME: '',
    CONTINUE_GLOBAL_DIR: '',
    XDG_CONFIG_HOME: '',
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

const setup = (args: string[], env: Record<string, string>) => runCli(['agents', 'setup', ...args, '--data-dir', dataDir], { env });
const mode = (path: string): number => statSync(path).mode & 0o777;

beforeAll(async () => {
  mock = await startMockOpenAI();
  dataDir = tempDir('gh-agents-data-');
  writeFileSync(join(dataDir, 'gatehouse.yaml'), configFor(mock.url));
  served = await serve(['--data-dir', dataDir, '--port', '0'], { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' });
});
afterAll(async () => {
  await served?.kill();
  await mock?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('gatehouse agents setup against a running gateway', () => {
  it('creates a key and writes Claude Code settings that reach the gateway, printing the key once and a masked diff', async () => {
    const home = tempDir('gh-home-');
    const r = await setup(['claude-code', '--create-key', '--write'], envFor(home));
    expect(r.code, r.stderr).toBe(0);

    const path = join(home, '.claude', 'settings.json');
    const settings = JSON.parse(readFileSync(path, 'utf8')) as { env: Record<string, string> };
    const key = settings.env.ANTHROPIC_AUTH_TOKEN!;
    expect(key).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect(settings.env).toEqual({ ANTHROPIC_BASE_URL: served.url, ANTHROPIC_AUTH_TOKEN: key, ANTHROPIC_MODEL: 'fast', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'fast' });
    expect(mode(path)).toBe(0o600);

    // The only route goes to an OpenAI-format provider: picked anyway, and said so.
    expect(r.stdout).toMatch(/^Claude Code -> Gatehouse at http:\/\/127\.0\.0\.1:\d+ \(the running gateway, pid \d+\)$/m);
    expect(r.stdout).toMatch(/^model: fast \(the first route in the config; none starts with an Anthropic provider, so Claude Code's requests are translated\)$/m);
    // The secret is shown exactly once (the key block); the diff shows it masked.
    expect(r.stdout.match(KEY_RE)).toEqual([key]);
    expect(r.stdout).toContain(`wrote ${path} (new file), mode 0600`);
    expect(r.stdout).toContain(`--- /dev/null\n+++ ${path}\n`);
    expect(r.stdout).toContain(`+    "ANTHROPIC_AUTH_TOKEN": "${key.slice(0, 7)}…",`);

    // The key exists, is named after the agent, and has the route as its default.
    const keys = JSON.parse((await runCli(['keys', 'list', '--json', '--data-dir', dataDir])).stdout) as { name: string; prefix: string; defaultRoute: string }[];
    expect(keys.find((k) => key.startsWith(k.prefix))).toMatchObject({ name: 'claude-code', defaultRoute: 'fast' });

    // Claude Code's own way of using these settings: Anthropic Messages, bearer token, that model.
    const client = new Anthropic({ baseURL: settings.env.ANTHROPIC_BASE_URL, authToken: key, apiKey: null, maxRetries: 0 });
    const reply = await client.messages.create({ model: settings.env.ANTHROPIC_MODEL!, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.content).toEqual([expect.objectContaining({ type: 'text', text: 'echo: hi' })]);
  });

  it('merges into an existing file after a backup, and a second run changes nothing', async () => {
    const home = tempDir('gh-home-');
    const path = join(home, '.claude', 'settings.json');
    const before = '{\n  "permissions": { "allow": ["Bash(npm test)"] },\n  "env": { "DISABLE_TELEMETRY": "1" }\n}\n';
    mkdirSync(join(home, '.claude'));
    writeFileSync(path, before);
    const key = (JSON.parse((await runCli(['keys', 'create', '--name', 'merge', '--json', '--data-dir', dataDir])).stdout) as { key: string }).key;

    const first = await setup(['claude-code', '--write', '--small-model', 'fast'], envFor(home, { GATEHOUSE_KEY: key }));
    expect(first.code, first.stderr).toBe(0);
    const backupName = readdirSync(join(home, '.claude')).find((f) => f.startsWith('settings.json.gatehouse-backup-'));
    expect(backupName).toMatch(/^settings\.json\.gatehouse-backup-\d{8}T\d{6}Z$/);
    const backup = join(home, '.claude', backupName!);
    expect(readFileSync(backup, 'utf8')).toBe(before);
    expect(mode(backup)).toBe(0o600);
    expect(first.stdout).toContain(`wrote ${path} (backup: ${backup}), mode 0600`);
    expect(first.stdout).toContain(`-  "env": { "DISABLE_TELEMETRY": "1" }\n`);
    expect(first.stdout).not.toContain(key);
    const settings = JSON.parse(readFileSync(path, 'utf8')) as { permissions: unknown; env: Record<string, string> };
    expect(settings.permissions).toEqual({ allow: ['Bash(npm test)'] });
    expect(settings.env).toMatchObject({ DISABLE_TELEMETRY: '1', ANTHROPIC_AUTH_TOKEN: key, ANTHROPIC_BASE_URL: served.url });

    const second = await setup(['claude-code', '--write', '--small-model', 'fast'], envFor(home, { GATEHOUSE_KEY: key }));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`Claude Code is already set up, no change: ${path} has these settings.`);
    expect(second.stdout).not.toContain('wrote ');
    expect(readdirSync(join(home, '.claude')).filter((f) => f.includes('gatehouse-backup'))).toHaveLength(1);
  });

  it('writes a Codex provider (into --home) that answers through the Responses API', async () => {
    const home = tempDir('gh-home-');
    const key = (JSON.parse((await runCli(['keys', 'create', '--name', 'codex', '--json', '--data-dir', dataDir])).stdout) as { key: string }).key;
    const r = await setup(['codex', '--key', key, '--write', '--home', home], envFor(tempDir('gh-other-home-'), { CODEX_HOME: join(home, 'not-this-one') }));
    expect(r.code, r.stderr).toBe(0);

    const path = join(home, '.codex', 'config.toml');
    expect(mode(path)).toBe(0o600);
    const cfg = parseToml(readFileSync(path, 'utf8')) as { model: string; model_provider: string; model_providers: { gatehouse: Record<string, unknown> } };
    expect(cfg).toMatchObject({ model: 'fast', model_provider: 'gatehouse' });
    const provider = cfg.model_providers.gatehouse;
    expect(provider).toEqual({ name: 'Gatehouse', base_url: `${served.url}/v1`, wire_api: 'responses', supports_websockets: true, experimental_bearer_token: key });

    const client = new OpenAI({ baseURL: provider.base_url as string, apiKey: provider.experimental_bearer_token as string, maxRetries: 0 });
    const reply = await client.responses.create({ model: cfg.model, input: 'hi', store: false });
    expect(reply.output_text).toBe('echo: hi');
  });

  it("with --subscription, Codex's own sign-in reaches the provider and the key travels in x-gatehouse-key", async () => {
    const own = await startMockOpenAI({ apiKey: 'sk-callers-own' });
    const subDir = tempDir('gh-agents-sub-');
    writeFileSync(join(subDir, 'gatehouse.yaml'), configFor(own.url));
    const subServed = await serve(['--data-dir', subDir, '--port', '0'], { MOCK_UPSTREAM_KEY: 'sk-not-the-callers', GATEHOUSE_LOG_LEVEL: 'warn' });
    try {
      const home = tempDir('gh-home-');
      const r = await runCli(['agents', 'setup', 'codex', '--subscription', '--create-key', '--write', '--data-dir', subDir], { env: envFor(home) });
      expect(r.code, r.stderr).toBe(0);
      const provider = (parseToml(readFileSync(join(home, '.codex', 'config.toml'), 'utf8')) as { model_providers: { gatehouse: Record<string, unknown> } }).model_providers.gatehouse;
      expect(provider).toMatchObject({ base_url: `${subServed.url}/v1`, requires_openai_auth: true });
      expect(provider).not.toHaveProperty('experimental_bearer_token');
      const headers = provider.http_headers as Record<string, string>;
      expect(headers['x-gatehouse-key']).toMatch(/^gh_/);

      const client = new OpenAI({ baseURL: provider.base_url as string, apiKey: 'sk-callers-own', defaultHeaders: headers, maxRetries: 0 });
      const reply = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
      expect(reply.choices[0]!.message.content).toBe('echo: hi');
      expect(own.requests.at(-1)!.headers.authorization).toBe('Bearer sk-callers-own');
    } finally {
      await subServed.kill();
      await own.close();
    }
  });

  it('without --write prints the settings with a placeholder and says how to get a key, writing nothing', async () => {
    const home = tempDir('gh-home-');
    const r = await setup(['gemini'], envFor(home));
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(home)).toEqual([]);
    expect(r.stdout).toContain(`Put this in ${join(home, '.gemini', '.env')}`);
    expect(r.stdout).toContain(`GOOGLE_GEMINI_BASE_URL=${served.url}\nGEMINI_API_KEY=gh_YOUR_KEY\nGEMINI_MODEL=fast\n`);
    expect(r.stdout).toContain(`export GOOGLE_GEMINI_BASE_URL=${served.url}`);
    expect(r.stdout).toMatch(/key: none given.*--create-key.*GATEHOUSE_KEY/);
    expect(r.stdout).toContain('Run again with --write');
  });

  it('takes the address from the config when no gateway runs', async () => {
    const offline = tempDir('gh-agents-offline-');
    writeFileSync(join(offline, 'gatehouse.yaml'), configFor(mock.url).replace('port: 0', 'port: 4599'));
    const home = tempDir('gh-home-');
    const r = await runCli(['agents', 'setup', 'aider', '--data-dir', offline], { env: envFor(home) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Aider -> Gatehouse at http:\/\/127\.0\.0\.1:4599 \(no gateway is running; the address from .*gatehouse\.yaml\)$/m);
    expect(r.stdout).toContain('openai-api-base: http://127.0.0.1:4599/v1\n');
  });
});

describe('gatehouse agents setup exit codes', () => {
  it('refuses an unknown agent, --write without a key, and --subscription where it does not apply, with advice (2)', async () => {
    const home = tempDir('gh-home-');
    const unknown = await setup(['cursor'], envFor(home));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown agent "cursor": expected one of claude-code, codex, gemini, continue, opencode, aider');

    const noKey = await setup(['claude-code', '--write'], envFor(home));
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--write needs a key .*--create-key.*--key gh_\.\.\. or GATEHOUSE_KEY/);

    const sub = await setup(['aider', '--subscription'], envFor(home));
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('--subscription works with claude-code and codex only');
    expect(readdirSync(home)).toEqual([]);
  });

  it('reports a data directory it cannot open (3)', async () => {
    const home = tempDir('gh-home-');
    const notADir = join(home, 'file');
    writeFileSync(notADir, '');
    const r = await runCli(['agents', 'setup', 'opencode', '--data-dir', notADir], { env: envFor(home) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot open the data directory ${notADir}`);
  });
});
