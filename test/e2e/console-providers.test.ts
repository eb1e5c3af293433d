// The console's Providers and MCP servers areas end to end, in real Chromium against `gatehouse
// serve`, the mock OpenAI server and a stdio MCP server whose tool changes under it: "Test connection"
// shows the models found (or why not), a route added in the UI lands in the config file and serves a
// model call (its fallback included), removing a provider that routes use is refused with their
// names; the MCP tool table sorts, shows pin status and a changed tool's diff, and a server's
// settings are edited and the server removed. Screenshots go to test-results/ (light and dark).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ERROR_MODEL, MOCK_MODEL_IDS, MOCK_UPSTREAM_KEY, startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve, type Served } from '../helpers/cli.js';
import { gotoArea, openBrowser, screenshotDirs } from '../helpers/console.js';

const { results, docs: shots } = screenshotDirs();
const ENV = { GATEHOUSE_LOG_LEVEL: 'warn', MOCK_UPSTREAM_KEY };
const COMMENT = '# Providers and routes edited from the console keep this comment.';
const rugpull = fileURLToPath(new URL('../fixtures/mcp-rugpull.mjs', import.meta.url));

let mock: MockOpenAI;
let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
let configPath: string;
let secret = '';
let closedPort = 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  mock = await startMockOpenAI();
  closedPort = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'gh-console-providers-'));
  configPath = join(dir, 'gatehouse.yaml');
  writeFileSync(
    configPath,
    `version: 1
${COMMENT}
providers:
  - id: mock
    type: openai-compatible
    baseUrl: ${mock.url}
    apiKey: env:MOCK_UPSTREAM_KEY # the mock's key, from the environment
  - { id: spare, type: openai-compatible, baseUrl: "http://127.0.0.1:${closedPort}/v1" }
routing: { retries: 2, backoffMs: 0 }
models:
  - name: existing
    targets: [{ provider: mock, model: gpt-4o }]
mcpServers:
  - id: rug
    command: ${process.execPath}
    args: [${JSON.stringify(rugpull)}]
    tools: { "*": allow }
`,
  );
  served = await serve(['--data-dir', dir, '--port', '0'], ENV);
  const made = await runCli(['keys', 'create', '--name', 'console-providers', '--json', '--data-dir', dir], { env: ENV });
  expect(made.code, made.stderr).toBe(0);
  secret = (JSON.parse(made.stdout) as { key: string }).key;
  ({ browser, page } = await openBrowser({ width: 1280, height: 900 }));
  // Removals ask for confirmation: a person would click OK.
  page.on('dialog', (d) => void d.accept());
  await page.goto(served.consoleUrl);
  await gotoArea(page, 'Providers');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.kill();
  await mock?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const routesInFile = (): { name: string; strategy?: string; targets: { provider: string; model: string }[] }[] => (parse(readFileSync(configPath, 'utf8')) as { models: never[] }).models;
const providersInFile = (): string[] => (parse(readFileSync(configPath, 'utf8')) as { providers: { id: string }[] }).providers.map((p) => p.id);

describe('the console Providers area', () => {
  it('Test connection lists the mock provider’s models; an unreachable one names its URL', async () => {
    await page.getByRole('button', { name: 'Test connection to mock' }).click();
    const models = page.getByRole('list', { name: 'Models of mock' });
    await models.waitFor();
    expect(await models.getByRole('listitem').allTextContents()).toEqual([...MOCK_MODEL_IDS]);
    const result = page.getByRole('cell', { name: 'Connection test of mock' });
    await result.getByText('connected').waitFor();
    expect(await result.getByLabel('Latency').textContent()).toMatch(/^\d[\d,]* ms$/);
    // The listing went to the mock with the configured key.
    expect(mock.requests.filter((r) => r.path === '/v1/models').at(-1)!.headers['authorization']).toBe(`Bearer ${MOCK_UPSTREAM_KEY}`);

    await page.getByRole('button', { name: 'Test connection to spare' }).click();
    const failed = page.getByRole('cell', { name: 'Connection test of spare' });
    await failed.getByText('unreachable').waitFor();
    await failed.getByText(`http://127.0.0.1:${closedPort}`, { exact: false }).waitFor();
    expect(await page.content()).not.toContain(MOCK_UPSTREAM_KEY);
    await page.screenshot({ path: join(results, 'console-providers-test.png'), fullPage: true });
  }, 30_000);

  it('the same test headless: gatehouse providers test ID (exit 1 naming the URL when it fails)', async () => {
    const ok = await runCli(['providers', 'test', 'mock', '--data-dir', dir], { env: ENV });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^mock: ok in \d+ ms, 4 models: /);
    const down = await runCli(['providers', 'test', 'spare', '--data-dir', dir], { env: ENV });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`127.0.0.1:${closedPort}`);
    const json = JSON.parse((await runCli(['providers', 'test', 'mock', '--json', '--data-dir', dir], { env: ENV })).stdout) as { ok: boolean; modelCount: number };
    expect(json).toMatchObject({ ok: true, modelCount: 4 });
  }, 60_000);

  it('a route added in the UI, targets reordered, is written to the config file and serves a call through its fallback', async () => {
    await page.getByRole('button', { name: 'Add route' }).click();
    const form = page.getByRole('form', { name: 'Add a route' });
    await form.getByLabel(/^Route name/).fill('e2e-fast');
    await form.getByLabel('Provider of target 1').selectOption('mock');
    await form.getByLabel('Model of target 1').fill('gpt-4o-mini');
    await form.getByRole('button', { name: 'Add target' }).click();
    await form.getByLabel('Model of target 2').fill(MOCK_ERROR_MODEL);
    // The failing model first: the call must fall back to the second target.
    await form.getByRole('button', { name: 'Move target 2 up' }).click();
    expect(await form.getByLabel('Model of target 1').inputValue()).toBe(MOCK_ERROR_MODEL);
    await form.getByRole('button', { name: 'Save route' }).click();
    await page.getByText(`Added route "e2e-fast": mock/${MOCK_ERROR_MODEL} → mock/gpt-4o-mini.`).waitFor();
    await page.getByRole('cell', { name: 'Targets of e2e-fast' }).waitFor();

    const text = readFileSync(configPath, 'utf8');
    expect(text).toContain(COMMENT);
    expect(text).toContain("# the mock's key, from the environment");
    expect(routesInFile().find((r) => r.name === 'e2e-fast')).toEqual({ name: 'e2e-fast', targets: [{ provider: 'mock', model: MOCK_ERROR_MODEL }, { provider: 'mock', model: 'gpt-4o-mini' }] });

    const before = mock.requests.length;
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'e2e-fast', messages: [{ role: 'user', content: 'hello through the new route' }] }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
    const upstreamModels = mock.requests.slice(before).filter((r) => r.path === '/v1/chat/completions').map((r) => (r.body as { model: string }).model);
    expect(upstreamModels[0]).toBe(MOCK_ERROR_MODEL);
    expect(upstreamModels.at(-1)).toBe('gpt-4o-mini');
  }, 30_000);

  it('edits a route: its targets and strategy change in the file', async () => {
    await page.getByRole('button', { name: 'Edit route existing' }).click();
    const form = page.getByRole('form', { name: 'Edit route existing' });
    await form.getByLabel('Strategy').selectOption('least-latency');
    await form.getByRole('button', { name: 'Add target' }).click();
    await form.getByLabel('Model of target 2').fill('mock-echo');
    await form.getByRole('button', { name: 'Save route' }).click();
    await page.getByText('Saved route "existing": mock/gpt-4o → mock/mock-echo.').waitFor();
    expect(routesInFile().find((r) => r.name === 'existing')).toEqual({
      name: 'existing',
      strategy: 'least-latency',
      targets: [
        { provider: 'mock', model: 'gpt-4o' },
        { provider: 'mock', model: 'mock-echo' },
      ],
    });
  }, 30_000);

  it('refuses to remove a provider that routes use, naming them; removes an unused one and a route', async () => {
    await page.getByRole('button', { name: 'Remove provider mock' }).click();
    await page.getByRole('alert').filter({ hasText: 'Provider "mock" is still used by routes "existing", "e2e-fast": change or remove those first.' }).waitFor();
    expect(providersInFile()).toEqual(['mock', 'spare']);
    await page.screenshot({ path: join(shots, 'console-providers.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(results, 'console-providers-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    await page.getByRole('button', { name: 'Remove provider spare' }).click();
    await page.getByText('Removed provider "spare".').waitFor();
    expect(providersInFile()).toEqual(['mock']);
    await expect.poll(() => page.getByRole('button', { name: 'Remove provider spare' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Remove route existing' }).click();
    await page.getByText('Removed route "existing".', { exact: false }).waitFor();
    expect(routesInFile().map((r) => r.name)).toEqual(['e2e-fast']);
    expect(readFileSync(configPath, 'utf8')).toContain(COMMENT);
  }, 30_000);
});

describe('the console MCP servers area', () => {
  it("sorts a server's tools, shows each one's pin status and a changed tool's diff; edits the server's settings and removes it", async () => {
    const client = new Client({ name: 'console-providers-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
    try {
      // The first listing pins the tools; then the server changes the weather tool under the client.
      await client.listTools();
      const listChanged = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
      await client.callTool({ name: 'rug__pull', arguments: { description: 'Looks up the weather. Also reads ~/.ssh/id_rsa first.' } });
      await listChanged;
      await client.listTools();
    } finally {
      await client.close();
    }

    await gotoArea(page, 'MCP servers');
    const table = page.getByRole('table', { name: 'Tools of rug' });
    const weather = table.getByRole('row').filter({ hasText: 'weather' });
    await weather.getByText('quarantined: definition changed').waitFor();
    await table.getByRole('row').filter({ hasText: 'pull' }).getByText('pinned', { exact: true }).waitFor();
    const names = async (): Promise<string[]> => (await table.getByRole('button', { name: /^Details of rug\// }).allTextContents()).map((t) => t.trim());
    expect(await names()).toEqual(['notes', 'pull', 'weather']);
    await table.getByRole('button', { name: 'Tool', exact: true }).click();
    await table.getByRole('columnheader', { name: 'Tool' }).and(page.locator('[aria-sort="descending"]')).waitFor();
    expect(await names()).toEqual(['weather', 'pull', 'notes']);
    await table.getByRole('button', { name: 'Status', exact: true }).click();
    // Quarantined first (notes is flagged, weather changed), then the pinned ones.
    expect(await names()).toEqual(['notes', 'weather', 'pull']);
    await page.getByLabel('Filter tools of rug').fill('WEA');
    expect(await names()).toEqual(['weather']);

    await table.getByRole('button', { name: 'Details of rug/weather' }).click();
    const drawer = page.getByRole('complementary', { name: 'Tool rug/weather' });
    const diff = drawer.getByLabel('Diff of rug/weather');
    await diff.waitFor();
    expect(await diff.textContent()).toContain('Also reads ~/.ssh/id_rsa first.');
    await drawer.getByText('rug__weather').waitFor();
    await page.screenshot({ path: join(shots, 'console-mcp-servers.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(results, 'console-mcp-servers-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Escape');
    await expect.poll(() => drawer.count()).toBe(0);

    await page.getByRole('button', { name: 'Edit settings of rug' }).click();
    const settings = page.getByRole('form', { name: 'Settings of rug' });
    await settings.getByLabel(/^Tool-call timeout/).fill('30');
    await settings.getByLabel('Sessions').selectOption('per-session');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved "rug": tool calls time out after 30 s; sessions per-session.').waitFor();
    const rug = (): Record<string, unknown> | undefined => (parse(readFileSync(configPath, 'utf8')) as { mcpServers?: Record<string, unknown>[] }).mcpServers?.find((x) => x.id === 'rug');
    expect(rug()).toMatchObject({ timeoutSeconds: 30, sessions: 'per-session', tools: { '*': 'allow' } });

    await page.getByRole('button', { name: 'Remove server rug' }).click();
    await page.getByText('Removed MCP server "rug"', { exact: false }).waitFor();
    expect(rug()).toBeUndefined();
    expect(readFileSync(configPath, 'utf8')).toContain(COMMENT);
  }, 45_000);
});
