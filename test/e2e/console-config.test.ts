// The console's Providers and MCP servers areas end to end, in real Chromium against `gatehouse
// serve`: a provider added from a preset (its key into the OS keychain, the config naming it
// keychain:NAME) and an MCP tool's policy set to deny (the config file changes and the tool leaves
// an MCP client's tools/list). Screenshots go to test-results/.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, serve, type Served } from '../helpers/cli.js';
import { gotoArea, openBrowser, REPO_ROOT, screenshotDirs } from '../helpers/console.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const { results } = screenshotDirs();
const haveKeyring = process.env.GATEHOUSE_TEST_KEYRING === '1';
const ENV = { GATEHOUSE_LOG_LEVEL: 'warn' };

let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
let configPath: string;
let secret = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-console-config-'));
  configPath = join(dir, 'gatehouse.yaml');
  writeFileSync(
    configPath,
    `version: 1
# The console edits this file keeping this comment.
providers: []
mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(everything)}, stdio]
    tools: { "*": allow }
`,
  );
  served = await serve(['--data-dir', dir, '--port', '0'], ENV);
  if (!existsSync(join(REPO_ROOT, 'out/renderer/index.html'))) throw new Error('the console is not built: npm test runs build:renderer first (npm run build:renderer)');
  const made = await runCli(['keys', 'create', '--name', 'console-config', '--json', '--data-dir', dir], { env: ENV });
  expect(made.code, made.stderr).toBe(0);
  secret = (JSON.parse(made.stdout) as { key: string }).key;
  ({ browser, page } = await openBrowser({ width: 1280, height: 900 }));
  await page.goto(served.consoleUrl);
  await page.getByRole('navigation', { name: 'Areas' }).getByRole('link').first().waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const area = (name: string): Promise<void> => gotoArea(page, name);

async function listTools(): Promise<string[]> {
  const client = new Client({ name: 'console-config-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

describe('the console edits the config', () => {
  it.skipIf(!haveKeyring)('adds a provider from a preset: the key goes to the keychain, the config names it keychain:NAME', async () => {
    const id = `gem${randomBytes(3).toString('hex')}`;
    const name = `${id}-api-key`;
    const key = `AIza-console-${randomBytes(8).toString('hex')}`;
    await area('Providers');
    await page.getByText('No providers yet — add one').waitFor();
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByLabel('Preset').selectOption('gemini');
    await page.getByLabel(/^Provider ID/).fill(id);
    await page.getByLabel(/^API key/).fill(key);
    expect(await page.getByLabel('Keychain name').inputValue()).toBe(name);
    await page.getByText(`apiKey: keychain:${name}`).waitFor();
    await page.getByRole('button', { name: 'Add provider' }).click();
    const row = page.getByRole('table', { name: 'Providers' }).getByRole('row').filter({ hasText: id });
    await row.getByText('in keychain', { exact: true }).waitFor();
    await page.screenshot({ path: join(results, 'console-providers.png') });
    try {
      const text = readFileSync(configPath, 'utf8');
      expect(text).toContain(`apiKey: keychain:${name}`);
      expect(text).toContain('# The console edits this file keeping this comment.');
      expect(text).not.toContain(key);
      const list = await runCli(['secrets', 'list', '--data-dir', dir], { env: ENV });
      expect(list.stdout).toContain(`keychain:${name}`);
      expect(await page.content()).not.toContain(key);
    } finally {
      await runCli(['secrets', 'delete', name, '--data-dir', dir], { env: ENV });
    }
  }, 45_000);

  it("sets an MCP tool's policy to deny: the config file changes and the tool leaves tools/list", async () => {
    // Tools are pinned the first time a client lists them.
    const before = await listTools();
    expect(before).toContain('every__echo');
    await area('MCP servers');
    await page.getByLabel('Command for every').getByText(process.execPath).waitFor();
    const policy = page.getByLabel('Policy for every/echo');
    await policy.waitFor({ timeout: 20_000 });
    expect(await policy.inputValue()).toBe('allow');
    await policy.selectOption('deny');
    await page.getByText('every/echo is now "deny".').waitFor();
    expect(readFileSync(configPath, 'utf8')).toMatch(/echo: deny/);
    // Only the denied tool goes: the server's other tools stay listed.
    await expect.poll(listTools, { timeout: 10_000 }).toEqual(before.filter((t) => t !== 'every__echo'));
    await page.screenshot({ path: join(results, 'console-mcp-servers.png') });
  }, 45_000);

  it('adds a stdio MCP server, showing the exact command before it runs; its tools reach MCP clients', async () => {
    await area('MCP servers');
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('form', { name: 'Add an MCP server' });
    await form.getByLabel(/^Server ID/).fill('more');
    await form.getByLabel('Command', { exact: true }).fill(process.execPath);
    await form.getByLabel(/^Arguments/).fill(`${everything}\nstdio`);
    // What will run, exactly, before anything runs.
    expect((await form.getByLabel('Command that will run').innerText()).trim()).toBe(`${process.execPath} ${everything} stdio`);
    await form.getByRole('button', { name: 'Save server' }).click();
    await form.waitFor({ state: 'detached' });
    const text = readFileSync(configPath, 'utf8');
    expect(text).toContain('id: more');
    expect(text).toContain('# The console edits this file keeping this comment.');
    await expect.poll(listTools, { timeout: 20_000 }).toContain('more__echo');
    await page.getByLabel('Command for more').getByText(process.execPath).waitFor();
  }, 60_000);
});
