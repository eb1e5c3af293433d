// The real agent CLIs from npm, run headless the way a user runs them, through `gatehouse serve` to the
// mock providers: each on a route to its own provider family (passed through) and to another (translated).
//
// The CLIs live in test/agents (their own package.json and lock, ~740 MB, kept out of the root
// dependencies). CI installs them (`.ci/run`); on a fresh clone the set-up below installs them, and
// if that fails the tests fail saying how to install them by hand.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ANTHROPIC_KEY, mockAnthropicReply, startMockAnthropic, type MockAnthropic } from '../fixtures/mock-anthropic.js';
import { MOCK_GEMINI_KEY, startMockGemini, type MockGemini } from '../fixtures/mock-gemini.js';
import { MOCK_UPSTREAM_KEY, mockReplyFor, mockResponseFor, startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve, type Served } from '../helpers/cli.js';

const AGENTS_DIR = fileURLToPath(new URL('../agents/', import.meta.url));
const INSTALL_HINT = 'npm ci --prefix test/agents --no-audit --no-fund';
/** Bounds one CLI run; the whole test gets a little more for set-up and clean-up. */
const AGENT_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = AGENT_TIMEOUT_MS + 30_000;
const INSTALL_TIMEOUT_MS = 600_000;

// ---- the agent CLIs: installed on demand, run as real processes ----

/** The exact versions test/agents/package.json pins. */
function pinned(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(AGENTS_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return pkg.dependencies;
}

/** Installed packages whose version differs from the pin (or that are missing). */
function notInstalled(): string[] {
  return Object.entries(pinned()).flatMap(([name, version]) => {
    const file = join(AGENTS_DIR, 'node_modules', name, 'package.json');
    if (!existsSync(file)) return [`${name} (missing)`];
    const installed = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    return installed === version ? [] : [`${name} (${installed}, pinned ${version})`];
  });
}

/** Runs `npm ci` in test/agents with the npm that runs these tests when there is one. */
function installAgents(): Promise<{ code: number | null; output: string }> {
  const npmCli = process.env.npm_execpath;
  const args = ['ci', '--prefix', AGENTS_DIR, '--no-audit', '--no-fund'];
  const [cmd, argv] = npmCli && /npm-cli\.[cm]?js$/.test(npmCli) ? [process.execPath, [npmCli, ...args]] : ['npm', args];
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(killed after ${INSTALL_TIMEOUT_MS / 1000} s)`;
      killTree(child.pid);
    }, INSTALL_TIMEOUT_MS - 10_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\n${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Kills a process started detached, with everything it started (its process group), by its PID. */
function killTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The file a package's bin points at. */
function binOf(pkgName: string, bin: string): string {
  const dir = join(AGENTS_DIR, 'node_modules', pkgName);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: string | Record<string, string> };
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin[bin];
  if (!rel) throw new Error(`${pkgName} has no "${bin}" bin`);
  return join(dir, rel);
}

interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs an agent CLI to the end (stdin empty), in its own process group; past the timeout the group is
 * killed, and it is killed in any case once this returns, so nothing it started outlives the test.
 */
async function runAgent(file: string, args: string[], opts: { env: Record<string, string>; cwd: string; timeoutMs: number }): Promise<AgentRun> {
  const js = /\.[cm]?js$/.test(file);
  const started = performance.now();
  const child = spawn(js ? process.execPath : file, js ? [file, ...args] : args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child.pid);
  }, opts.timeoutMs);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    });
    if (timedOut) stderr += `\n(killed after ${opts.timeoutMs / 1000} s)`;
    return { code, signal, stdout, stderr, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
    killTree(child.pid);
  }
}

// ---- one rig per test: mock providers, a data directory, a temporary HOME, a served gateway, a key ----

const PROMPT = 'Reply with exactly the word pong';

/** Routes to every family; `aliases: {"*": route}` sends the names an agent picks on its own to the route under test. */
function gatewayConfig(anth: MockAnthropic, oai: MockOpenAI, gem: MockGemini, route: string): string {
  return `version: 1
server: { port: 0 }
providers:
  - { id: anth, type: anthropic, baseUrl: ${anth.url}, apiKey: env:ANTH_KEY }
  - { id: oai, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: openai, type: openai, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: gem, type: gemini, baseUrl: ${gem.url}, apiKey: env:GEM_KEY }
routing: { retries: 0 }
models:
  - name: claude-direct
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
  - name: claude-via-gpt
    targets: [{ provider: oai, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }]
  - name: gemini-direct
    targets: [{ provider: gem, model: gemini-2.5-flash }]
  - name: gemini-via-claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
  - name: codex-via-gpt
    targets: [{ provider: oai, model: gpt-4o-mini, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }]
  - name: codex-via-claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
  - name: codex-direct
    targets: [{ provider: openai, model: gpt-4o-mini }]
aliases:
  "*": ${route}
mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js'))}, stdio]
    tools: { echo: allow }
`;
}

interface Rig {
  anth: MockAnthropic;
  oai: MockOpenAI;
  gem: MockGemini;
  served: Served;
  dataDir: string;
  /** The temporary HOME (XDG dirs inside it). */
  home: string;
  /** The agent's working directory: an empty project. */
  workspace: string;
  keyId: string;
  key: string;
  /** What every agent gets: no inherited credentials, proxies or config, telemetry off. */
  baseEnv: Record<string, string>;
}

/** A row of the ledger's `llm_usage` view. */
interface UsageRow {
  request_id: string;
  key_id: string;
  api: string;
  session: string | null;
  client: string | null;
  transport: 'http' | 'websocket';
  route: string;
  provider: string;
  model: string;
  translated: number;
  status: number;
  outcome: string;
  stream: number;
  input_tokens: number;
  output_tokens: number;
}

let rig: Rig | undefined;
let scratch: string | undefined;

async function startRig(route: string): Promise<Rig> {
  if (notReady) throw notReady;
  scratch = mkdtempSync(join(tmpdir(), 'gh-agents-'));
  const dataDir = join(scratch, 'data');
  const home = join(scratch, 'home');
  const workspace = join(scratch, 'workspace');
  for (const d of [dataDir, home, workspace, join(home, '.config'), join(home, '.local', 'share'), join(home, '.local', 'state'), join(home, '.cache'), join(scratch, 'tmp')]) {
    mkdirSync(d, { recursive: true });
  }
  const [anth, oai, gem] = await Promise.all([startMockAnthropic(), startMockOpenAI(), startMockGemini()]);
  writeFileSync(join(dataDir, 'gatehouse.yaml'), gatewayConfig(anth, oai, gem, route));
  let served: Served;
  try {
    served = await serve(['--data-dir', dataDir, '--port', '0'], {
      ANTH_KEY: MOCK_ANTHROPIC_KEY,
      MOCK_UPSTREAM_KEY,
      GEM_KEY: MOCK_GEMINI_KEY,
      GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'debug',
    });
  } catch (err) {
    await Promise.all([anth.close(), oai.close(), gem.close()]);
    throw err;
  }
  rig = { anth, oai, gem, served, dataDir, home, workspace, keyId: '', key: '', baseEnv: {} };
  const created = await runCli(['keys', 'create', '--name', `agent-${route}`, '--json', '--data-dir', dataDir]);
  expect(created.code, created.stderr).toBe(0);
  const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
  rig.keyId = id;
  rig.key = key;
  rig.baseEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    SHELL: '/bin/sh',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    HOME: home,
    TMPDIR: join(scratch, 'tmp'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_CACHE_HOME: join(home, '.cache'),
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    DISABLE_TELEMETRY: '1',
  };
  return rig;
}

afterEach(async () => {
  const r = rig;
  rig = undefined;
  try {
    await r?.served.kill();
  } finally {
    await Promise.all([r?.anth.close(), r?.oai.close(), r?.gem.close()]);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  }
});

/** The ledger's requests made with the rig's key, oldest first (a stream's row lands as it ends: poll for it). */
function usageRows(r: Rig): UsageRow[] {
  const db = new Database(join(r.dataDir, 'gatehouse.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM llm_usage WHERE key_id = ? ORDER BY seq').all(r.keyId) as UsageRow[];
  } finally {
    db.close();
  }
}

/** What a failing assertion should show: the run, what reached each mock, and the gateway's log. */
function diagnose(r: Rig, run: AgentRun): string {
  const seen = (name: string, reqs: { method: string; path: string; rawBody: string }[]) =>
    reqs.map((q) => `  ${name} ${q.method} ${q.path} ${q.rawBody.slice(0, 300)}`).join('\n');
  return [
    `exit ${run.code} signal ${run.signal} after ${run.ms} ms`,
    `stdout:\n${run.stdout.slice(-4000)}`,
    `stderr:\n${run.stderr.slice(-4000)}`,
    `upstream requests:\n${seen('anth', r.anth.requests)}\n${seen('oai', r.oai.requests)}\n${seen('gem', r.gem.requests)}`,
    `gateway log (tail):\n${r.served.output().slice(-6000)}`,
  ].join('\n');
}

/** The last user turn's text of an Anthropic or OpenAI request body. */
function lastUserText(body: unknown): string {
  const messages = (body as { messages?: { role: string; content: unknown }[] } | undefined)?.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const c = last?.content;
  if (typeof c === 'string') return c;
  return Array.isArray(c) ? c.map((b: { type?: string; text?: string }) => (b.type === 'text' ? (b.text ?? '') : '')).join('') : '';
}

/** The text the mock Anthropic answers a Messages request body with. */
function anthropicReplyText(body: unknown): string {
  return mockAnthropicReply(body as Record<string, unknown>).content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

/** The last user message's text of a Responses request body (`input` items). */
function lastResponsesUserText(body: unknown): string {
  const input = (body as { input?: unknown } | undefined)?.input;
  if (typeof input === 'string') return input;
  const items = Array.isArray(input) ? (input as { role?: string; content?: unknown }[]) : [];
  const c = [...items].reverse().find((i) => i.role === 'user')?.content;
  if (typeof c === 'string') return c;
  return Array.isArray(c) ? c.map((b: { type?: string; text?: string }) => (b.type === 'input_text' ? (b.text ?? '') : '')).join('') : '';
}

/** The last user turn's text of a Gemini request body. */
function lastGeminiUserText(body: unknown): string {
  const contents = (body as { contents?: { role?: string; parts?: { text?: string }[] }[] } | undefined)?.contents ?? [];
  const last = [...contents].reverse().find((c) => c.role === 'user');
  return (last?.parts ?? []).map((p) => p.text ?? '').join('');
}

/** Set when the CLIs could not be installed: every test then fails with it (a failed hook would count them as skipped). */
let notReady: Error | undefined;

beforeAll(async () => {
  const missing = notInstalled();
  if (missing.length === 0) return;
  const { code, output } = await installAgents();
  const still = notInstalled();
  if (code !== 0 || still.length > 0) {
    notReady = new Error(
      `the agent CLIs in test/agents are not installed (${missing.join(', ')}) and installing them failed (npm ci exited ${code}).\n` +
        `Install them with: ${INSTALL_HINT}\n--- npm output (tail) ---\n${output.slice(-3000)}`,
    );
  }
}, INSTALL_TIMEOUT_MS);

// ---- Claude Code ----
// What 2.1.197 sends in `-p` mode: `HEAD /` (a reachability check), then one streamed
// `POST /v1/messages?beta=true` with the key as Bearer, `x-claude-code-session-id: <--session-id>`,
// user-agent `claude-cli/<version> (external, sdk-cli)`, and `metadata.user_id` as a JSON string
// `{"device_id":...,"account_uuid":"","session_id":...}`. For a model name it does not know (a route,
// or its own default `claude-opus-4-8`) it also sends the beta `mid-conversation-system-2026-04-07`
// and `{"role":"system"}` entries inside `messages`; it falls back to `<system-reminder>` text only
// when a 400 says the role or the beta is not supported in the words it looks for.

/**
 * Every ledger row of the run: the agent's key, API, client and session (when it sends one), the
 * route's provider, whether it was translated, a completed call with tokens, and at least one stream.
 */
function checkLedgerRows(
  r: Rig,
  expected: { api: string; client: RegExp; session?: string; route: string; provider: string; translated: boolean },
): void {
  const rows = usageRows(r);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row).toMatchObject({
      key_id: r.keyId,
      api: expected.api,
      ...(expected.session !== undefined ? { session: expected.session } : {}),
      route: expected.route,
      provider: expected.provider,
      translated: expected.translated ? 1 : 0,
      status: 200,
      outcome: 'ok',
    });
    expect(row.client).toMatch(expected.client);
    expect(row.input_tokens).toBeGreaterThan(0);
    expect(row.output_tokens).toBeGreaterThan(0);
  }
  expect(rows.some((row) => row.stream === 1)).toBe(true);
}

describe('Claude Code (claude -p) through gatehouse serve', () => {
  /**
   * `env`: the gateway's address, key and route in the environment. `setup`: none there; Claude Code
   * reads them from the ~/.claude/settings.json that `gatehouse agents setup claude-code --write` wrote.
   */
  async function runClaude(r: Rig, route: string, via: 'env' | 'setup' = 'env'): Promise<{ run: AgentRun; session: string }> {
    const session = randomUUID();
    let settings: Record<string, string> = { ANTHROPIC_BASE_URL: r.served.url, ANTHROPIC_AUTH_TOKEN: r.key, ANTHROPIC_MODEL: route };
    if (via === 'setup') {
      const setup = await runCli(['agents', 'setup', 'claude-code', '--key', r.key, '--model', route, '--home', r.home, '--write', '--data-dir', r.dataDir], { env: { HOME: r.home } });
      expect(setup.code, `${setup.stdout}\n${setup.stderr}`).toBe(0);
      expect(readFileSync(join(r.home, '.claude', 'settings.json'), 'utf8')).toContain(`"ANTHROPIC_BASE_URL": "${r.served.url}"`);
      settings = {};
    }
    const run = await runAgent(binOf('@anthropic-ai/claude-code', 'claude'), ['-p', PROMPT, '--session-id', session], {
      cwd: r.workspace,
      timeoutMs: AGENT_TIMEOUT_MS,
      env: {
        ...r.baseEnv,
        ...settings,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_ERROR_REPORTING: '1',
      },
    });
    return { run, session };
  }

  /** Every row of the run: Anthropic Messages with the key, Claude Code's session header and client, answered, with tokens. */
  function checkLedger(r: Rig, session: string, expected: { route: string; provider: string; translated: boolean }): void {
    checkLedgerRows(r, { ...expected, api: 'anthropic-messages', client: /^claude-cli\//, session });
  }

  it(
    'answers on a route to Anthropic (passed through), with its session and usage in the ledger',
    async () => {
      const r = await startRig('claude-direct');
      const { run, session } = await runClaude(r, 'claude-direct');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);

      // The main turn is the request whose last user text has the prompt; its reply is what the CLI prints.
      const messages = r.anth.requests.filter((q) => q.path === '/v1/messages');
      const main = messages.filter((q) => lastUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      const expected = anthropicReplyText(main.at(-1)!.body);
      expect(expected).toContain(PROMPT);
      expect(run.stdout.trim(), why).toBe(expected.trim());
      expect(r.oai.requests, why).toHaveLength(0);

      await expect.poll(() => usageRows(r).length).toBe(messages.length);
      checkLedger(r, session, { route: 'claude-direct', provider: 'anth', translated: false });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "calls an MCP tool through the gateway's /mcp (configured with --mcp-config), recorded with its key",
    async () => {
      const r = await startRig('claude-direct');
      // The key may use only every__echo: that is the one tool Claude Code is offered.
      await runCli(['keys', 'update', r.keyId, '--mcp-tools', 'every__echo', '--data-dir', r.dataDir]);
      const mcpConfig = join(r.workspace, 'gatehouse-mcp.json');
      writeFileSync(mcpConfig, JSON.stringify({ mcpServers: { gatehouse: { type: 'http', url: `${r.served.url}/mcp`, headers: { Authorization: `Bearer ${r.key}` } } } }));
      const prompt = 'please use the tool to say hello';
      const run = await runAgent(
        binOf('@anthropic-ai/claude-code', 'claude'),
        ['-p', prompt, '--mcp-config', mcpConfig, '--strict-mcp-config', '--tools', '', '--allowedTools', 'mcp__gatehouse__every__echo'],
        {
          cwd: r.workspace,
          timeoutMs: AGENT_TIMEOUT_MS,
          env: {
            ...r.baseEnv,
            ANTHROPIC_BASE_URL: r.served.url,
            ANTHROPIC_AUTH_TOKEN: r.key,
            ANTHROPIC_MODEL: 'claude-direct',
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            DISABLE_AUTOUPDATER: '1',
            DISABLE_ERROR_REPORTING: '1',
          },
        },
      );
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);
      // The model was offered the gateway's tool under Claude Code's MCP name, and called it.
      const offered = r.anth.requests.filter((q) => q.path === '/v1/messages' && JSON.stringify((q.body as { tools?: unknown }).tools ?? []).includes('mcp__gatehouse__every__echo'));
      expect(offered.length, why).toBeGreaterThan(0);
      const db = new Database(join(r.dataDir, 'gatehouse.sqlite'), { readonly: true });
      try {
        const calls = (db.prepare("SELECT body FROM events WHERE type = 'mcp.call'").all() as { body: string }[]).map((x) => JSON.parse(x.body) as Record<string, unknown>);
        expect(calls, why).toEqual([expect.objectContaining({ keyId: r.keyId, server: 'every', tool: 'echo', name: 'every__echo', outcome: 'ok', decision: 'allow' })]);
      } finally {
        db.close();
      }
      // The tool's result went back to the model, and its answer quotes it (the echo of what the mock sent).
      expect(run.stdout, why).toContain('Tool said: "Echo: ');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers on a route to OpenAI (translated), set up by `gatehouse agents setup --write`, with its session and usage in the ledger',
    async () => {
      const r = await startRig('claude-via-gpt');
      const { run, session } = await runClaude(r, 'claude-via-gpt', 'setup');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);

      const chats = r.oai.requests.filter((q) => q.path === '/v1/chat/completions');
      const main = chats.filter((q) => lastUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      const expected = mockReplyFor(main.at(-1)!.body as Record<string, unknown>).content;
      expect(expected).toContain(PROMPT);
      expect(run.stdout.trim(), why).toBe(expected.trim());
      expect(r.anth.requests, why).toHaveLength(0);

      await expect.poll(() => usageRows(r).length).toBe(chats.length);
      checkLedger(r, session, { route: 'claude-via-gpt', provider: 'oai', translated: true });
    },
    TEST_TIMEOUT_MS,
  );
});

// ---- Gemini CLI ----
// What 0.61.0 sends with `-m ROUTE -p`: one `POST /v1beta/models/ROUTE:streamGenerateContent?alt=sse`
// with the key in x-goog-api-key, user-agent `GeminiCLI-tui/<version>/ROUTE (...)`, and no session id.

describe('Gemini CLI (gemini -p) through gatehouse serve', () => {
  /**
   * `env`: the gateway's address and key in the environment. `setup`: none there; Gemini CLI reads
   * them from the ~/.gemini/.env (and the sign-in type from the settings.json) that
   * `gatehouse agents setup gemini --write` merged into.
   */
  async function runGemini(r: Rig, route: string, via: 'env' | 'setup' = 'env'): Promise<AgentRun> {
    const settingsDir = join(r.home, '.gemini');
    mkdirSync(settingsDir, { recursive: true });
    writeFileSync(
      join(settingsDir, 'settings.json'),
      JSON.stringify({
        security: { auth: { selectedType: 'gemini-api-key' } },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      }),
    );
    let settings: Record<string, string> = { GOOGLE_GEMINI_BASE_URL: r.served.url, GEMINI_API_KEY: r.key };
    if (via === 'setup') {
      const setup = await runCli(['agents', 'setup', 'gemini', '--key', r.key, '--model', route, '--home', r.home, '--write', '--data-dir', r.dataDir], { env: { HOME: r.home } });
      expect(setup.code, `${setup.stdout}\n${setup.stderr}`).toBe(0);
      expect(readFileSync(join(settingsDir, '.env'), 'utf8')).toContain(`GOOGLE_GEMINI_BASE_URL=${r.served.url}`);
      settings = {};
    }
    return runAgent(binOf('@google/gemini-cli', 'gemini'), ['-m', route, '-p', PROMPT], {
      cwd: r.workspace,
      timeoutMs: AGENT_TIMEOUT_MS,
      env: {
        ...r.baseEnv,
        ...settings,
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        // One process: otherwise the CLI relaunches itself as a child with a larger heap.
        GEMINI_CLI_NO_RELAUNCH: 'true',
      },
    });
  }

  /** Every row of the run: Gemini generate calls with the key and Gemini CLI as the client, answered, with tokens. */
  function checkLedger(r: Rig, expected: { route: string; provider: string; translated: boolean }): void {
    checkLedgerRows(r, { ...expected, api: 'gemini-generate', client: /^GeminiCLI/ });
  }

  it(
    'answers on a route to Gemini (passed through), with usage in the ledger',
    async () => {
      const r = await startRig('gemini-direct');
      const run = await runGemini(r, 'gemini-direct');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);

      const generates = r.gem.requests.filter((q) => /:(stream)?[gG]enerateContent$/.test(q.path));
      const main = generates.filter((q) => lastGeminiUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      expect(main.at(-1)!).toMatchObject({ path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', query: { alt: 'sse' } });
      // The mock Gemini answers `echo ✓ <last user text>`.
      expect(run.stdout.trim(), why).toBe(`echo ✓ ${lastGeminiUserText(main.at(-1)!.body)}`.trim());
      expect(r.anth.requests.length + r.oai.requests.length, why).toBe(0);

      await expect.poll(() => usageRows(r).length).toBe(generates.length);
      checkLedger(r, { route: 'gemini-direct', provider: 'gem', translated: false });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers on a route to Anthropic (translated), set up by `gatehouse agents setup --write`, with usage in the ledger',
    async () => {
      const r = await startRig('gemini-via-claude');
      const run = await runGemini(r, 'gemini-via-claude', 'setup');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);

      const messages = r.anth.requests.filter((q) => q.path === '/v1/messages');
      const main = messages.filter((q) => lastUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      const expected = anthropicReplyText(main.at(-1)!.body);
      expect(expected).toContain(PROMPT);
      expect(run.stdout.trim(), why).toBe(expected.trim());
      expect(r.gem.requests.length + r.oai.requests.length, why).toBe(0);

      await expect.poll(() => usageRows(r).length).toBe(messages.length);
      checkLedger(r, { route: 'gemini-via-claude', provider: 'anth', translated: true });
    },
    TEST_TIMEOUT_MS,
  );
});

// ---- Codex ----
// What 0.169.0 sends with `codex exec -m ROUTE` and `supports_websockets = false`: one streamed
// `POST /v1/responses` (no `GET /v1/models`, no WebSocket upgrade) with the key as Bearer, headers
// `session-id`/`thread-id` = the session id it prints on stderr, `originator: codex_exec`, user-agent
// `codex_exec/<version> (...)`, and a body with `store: false`, `include: ["reasoning.encrypted_content"]`,
// `reasoning: {summary: "auto"}`, `prompt_cache_key`, `client_metadata`, developer and user messages,
// and its function tools (exec_command, write_stdin, request_user_input, view_image, get_goal, ...).
// By default it also sends a `{"type":"namespace","name":"multi_agent_v1","tools":[...]}` tool group
// (carried as `multi_agent_v1.<tool>` and restored in calls) and a `{"type":"web_search"}` tool
// (left out: only OpenAI runs it). The config below is Codex's default apart from the provider.

describe('Codex (codex exec) through gatehouse serve', () => {
  /** The session id Codex prints in its banner on stderr. */
  function sessionOf(run: AgentRun): string | undefined {
    return /^session id: (\S+)$/m.exec(run.stderr)?.[1];
  }

  /**
   * Over HTTP: a config written here with `supports_websockets = false`. Over the WebSocket: the
   * config `gatehouse agents setup codex --write` writes (which turns the WebSocket on), plus the
   * two lines that keep Codex from calling home.
   */
  async function runCodex(r: Rig, route: string, transport: 'http' | 'websocket' = 'http'): Promise<AgentRun> {
    const codexHome = join(r.home, '.codex');
    mkdirSync(codexHome, { recursive: true });
    const configPath = join(codexHome, 'config.toml');
    if (transport === 'websocket') {
      const setup = await runCli(['agents', 'setup', 'codex', '--key', r.key, '--model', route, '--home', r.home, '--write', '--data-dir', r.dataDir], { env: { HOME: r.home } });
      expect(setup.code, `${setup.stdout}\n${setup.stderr}`).toBe(0);
      expect(readFileSync(configPath, 'utf8')).toMatch(/^supports_websockets = true$/m);
      writeFileSync(configPath, `check_for_update_on_startup = false\n${readFileSync(configPath, 'utf8')}\n[analytics]\nenabled = false\n`);
    } else {
      writeFileSync(
        configPath,
        `model_provider = "gatehouse"
check_for_update_on_startup = false

[model_providers.gatehouse]
name = "gatehouse"
base_url = "${r.served.url}/v1"
env_key = "GATEHOUSE_KEY"
wire_api = "responses"
supports_websockets = false

[analytics]
enabled = false
`,
      );
    }
    return runAgent(binOf('@openai/codex', 'codex'), ['exec', '--skip-git-repo-check', '-m', route, PROMPT], {
      cwd: r.workspace,
      timeoutMs: AGENT_TIMEOUT_MS,
      env: { ...r.baseEnv, CODEX_HOME: codexHome, GATEHOUSE_KEY: r.key },
    });
  }

  /** Every row of the run: Responses API calls with the key, Codex's session and client, translated, answered, with tokens. */
  function checkLedger(r: Rig, session: string | undefined, expected: { route: string; provider: string; transport?: 'http' | 'websocket'; translated?: boolean }): void {
    expect(session).toBeDefined();
    const { transport = 'http', translated = true, ...rest } = expected;
    checkLedgerRows(r, { ...rest, api: 'openai-responses', client: /^codex_exec\//, session, translated });
    for (const row of usageRows(r)) expect(row.transport, 'how Codex reached the gateway').toBe(transport);
  }

  it(
    'answers on a route to OpenAI (Responses translated to Chat Completions), with its session and usage in the ledger',
    async () => {
      const r = await startRig('codex-via-gpt');
      const run = await runCodex(r, 'codex-via-gpt');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);
      expect(run.stderr, why).not.toMatch(/unrecognized configuration setting/);

      const chats = r.oai.requests.filter((q) => q.path === '/v1/chat/completions');
      const main = chats.filter((q) => lastUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      const expected = mockReplyFor(main.at(-1)!.body as Record<string, unknown>).content;
      expect(expected).toContain(PROMPT);
      expect(run.stdout.trim(), why).toBe(expected.trim());
      expect(r.anth.requests.length + r.gem.requests.length, why).toBe(0);

      await expect.poll(() => usageRows(r).length).toBe(chats.length);
      checkLedger(r, sessionOf(run), { route: 'codex-via-gpt', provider: 'oai' });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers on a route to Anthropic (translated), with its session and usage in the ledger',
    async () => {
      const r = await startRig('codex-via-claude');
      const run = await runCodex(r, 'codex-via-claude');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);
      expect(run.stderr, why).not.toMatch(/unrecognized configuration setting/);

      const messages = r.anth.requests.filter((q) => q.path === '/v1/messages');
      const main = messages.filter((q) => lastUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      const expected = anthropicReplyText(main.at(-1)!.body);
      expect(expected).toContain(PROMPT);
      expect(run.stdout.trim(), why).toBe(expected.trim());
      expect(r.oai.requests.length + r.gem.requests.length, why).toBe(0);

      await expect.poll(() => usageRows(r).length).toBe(messages.length);
      checkLedger(r, sessionOf(run), { route: 'codex-via-claude', provider: 'anth' });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "answers over the WebSocket on a route to OpenAI, passed through to its Responses API with encrypted reasoning kept",
    async () => {
      const r = await startRig('codex-direct');
      const run = await runCodex(r, 'codex-direct', 'websocket');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);

      const turns = r.oai.requests.filter((q) => q.path === '/v1/responses');
      const main = turns.filter((q) => lastResponsesUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      const body = main.at(-1)!.body as Record<string, unknown>;
      // Codex's own request, untouched but for the model: stateless, with its reasoning returned encrypted.
      expect(body, why).toMatchObject({ model: 'gpt-4o-mini', store: false, stream: true, include: expect.arrayContaining(['reasoning.encrypted_content']) });
      expect(run.stdout.trim(), why).toBe(mockResponseFor(body).text.trim());
      expect(r.oai.requests.filter((q) => q.path === '/v1/chat/completions').length + r.anth.requests.length + r.gem.requests.length, why).toBe(0);

      await expect.poll(() => usageRows(r).length).toBe(turns.length);
      checkLedger(r, sessionOf(run), { route: 'codex-direct', provider: 'openai', transport: 'websocket', translated: false });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers over the WebSocket (supports_websockets = true) on a route to Anthropic, with its session in the ledger',
    async () => {
      const r = await startRig('codex-via-claude');
      const run = await runCodex(r, 'codex-via-claude', 'websocket');
      const why = diagnose(r, run);
      expect(run.code, why).toBe(0);
      expect(run.stderr, why).not.toMatch(/falling back to HTTP|unrecognized configuration setting/i);

      const messages = r.anth.requests.filter((q) => q.path === '/v1/messages');
      const main = messages.filter((q) => lastUserText(q.body).includes(PROMPT));
      expect(main.length, why).toBeGreaterThan(0);
      const expected = anthropicReplyText(main.at(-1)!.body);
      expect(run.stdout.trim(), why).toBe(expected.trim());

      await expect.poll(() => usageRows(r).length).toBe(messages.length);
      // Every turn came over the socket: none fell back to POST /v1/responses.
      checkLedger(r, sessionOf(run), { route: 'codex-via-claude', provider: 'anth', transport: 'websocket' });
    },
    TEST_TIMEOUT_MS,
  );
});
