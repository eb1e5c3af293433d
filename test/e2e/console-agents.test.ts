// The console's Agents and Settings areas end to end, in real Chromium against `gatehouse serve`
// (its HOME a temporary folder): Claude Code last seen from real traffic, its settings shown and
// written into ~/.claude/settings.json after the confirmation (the key written works), settings
// saved to the config file with its comments kept, and the admin token rotated (the old one refused,
// the CLI and this console still signed in). Screenshots go to test-results/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve, type Served } from '../helpers/cli.js';
import { gotoArea, openBrowser, REPO_ROOT, screenshotDirs } from '../helpers/console.js';

const { results } = screenshotDirs();
const docs = join(REPO_ROOT, 'docs');
const updateDocs = process.env.UPDATE_CONSOLE_SCREENSHOTS === '1';
const CLAUDE_UA = 'claude-cli/2.1.197 (external, cli)';

let oai: MockOpenAI;
let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
let home: string;
let configPath: string;
/** The agents' folder variables are cleared: the gateway must find the files under HOME. */
let env: Record<string, string>;

beforeAll(async () => {
  oai = await startMockOpenAI();
  dir = mkdtempSync(join(tmpdir(), 'gh-console-agents-'));
  home = join(dir, 'home');
  mkdirSync(join(home, '.claude'), { recursive: true });
  writeFileSync(join(home, '.claude', 'settings.json'), `${JSON.stringify({ theme: 'dark', env: { KEEP_ME: '1' } }, null, 2)}\n`);
  configPath = join(dir, 'gatehouse.yaml');
  writeFileSync(
    configPath,
    `version: 1
# Settings edits keep this comment.
providers:
  - { id: mock, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
models:
  - name: fast
    targets: [{ provider: mock, model: gpt-4o-mini }]
approvals: { timeoutSeconds: 40 }
`,
  );
  env = { HOME: home, MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn', CLAUDE_CONFIG_DIR: '', CODEX_HOME: '', GEMINI_CLI_HOME: '', XDG_CONFIG_HOME: '' };
  served = await serve(['--data-dir', dir, '--port', '0'], env);
  if (!existsSync(join(REPO_ROOT, 'out/renderer/index.html'))) throw new Error('the console is not built: npm test runs build:renderer first (npm run build:renderer)');
  ({ browser, page } = await openBrowser({ width: 1280, height: 900 }));
  await page.goto(served.consoleUrl);
  await page.getByRole('navigation', { name: 'Areas' }).getByRole('link').first().waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.kill();
  await oai?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const area = (name: string): Promise<void> => gotoArea(page, name);

async function chat(key: string, userAgent: string): Promise<number> {
  const res = await fetch(`${served.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hello' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(results, `${name}.png`), fullPage: false });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(results, `${name}-dark.png`), fullPage: false });
  await page.emulateMedia({ colorScheme: 'light' });
  if (updateDocs) await page.screenshot({ path: join(docs, `${name}.png`), fullPage: false });
}

describe('the Agents area', () => {
  it("shows when Claude Code was last seen, its settings, and writes them into its own file after confirming", async () => {
    const made = await runCli(['keys', 'create', '--name', 'traffic', '--json', '--data-dir', dir], { env });
    expect(made.code, made.stderr).toBe(0);
    expect(await chat((JSON.parse(made.stdout) as { key: string }).key, CLAUDE_UA)).toBe(200);
    expect(await chat((JSON.parse(made.stdout) as { key: string }).key, 'my-script/1.0')).toBe(200);

    await area('Agents');
    const card = page.getByRole('article', { name: 'Claude Code' });
    await card.getByText(CLAUDE_UA).waitFor();
    await card.getByText('last seen').waitFor();
    await page.getByRole('table', { name: 'Other clients' }).getByText('my-script/1.0').waitFor();
    const path = join(home, '.claude', 'settings.json');
    await card.getByRole('list', { name: 'Claude Code files' }).getByText(path).waitFor();
    expect(await card.getByLabel('Route for Claude Code', { exact: true }).inputValue()).toBe('fast');

    await card.getByRole('button', { name: 'Show settings for Claude Code' }).click();
    const settings = card.getByRole('region', { name: 'Claude Code settings' });
    await settings.getByText(/was created for Claude Code/).waitFor();
    const snippet = await settings.locator('pre').first().textContent();
    const shown = JSON.parse(snippet ?? '') as { env: Record<string, string> };
    expect(shown.env).toMatchObject({ ANTHROPIC_BASE_URL: served.url, ANTHROPIC_MODEL: 'fast' });
    const secret = shown.env.ANTHROPIC_AUTH_TOKEN!;
    expect(secret).toMatch(/^gh_/);
    // Showing the settings writes nothing.
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ theme: 'dark', env: { KEEP_ME: '1' } });
    // The preview's key is the one written: picking it again needs no second key.
    expect(await card.getByLabel('Key for Claude Code', { exact: true }).inputValue()).toMatch(/^key:/);
    await shoot('console-agents');

    await card.getByRole('button', { name: 'Write config for Claude Code' }).click();
    const dialog = page.getByRole('dialog', { name: "Write Claude Code's settings?" });
    await dialog.getByText(path).waitFor();
    // Cancel has the focus: Enter does not write.
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ theme: 'dark', env: { KEEP_ME: '1' } });
    await card.getByRole('button', { name: 'Write config for Claude Code' }).click();
    await dialog.getByRole('button', { name: 'Write the file' }).click();
    await settings.getByText(/the old file is kept as/).waitFor();
    await card.getByText('set up for this gateway').waitFor();
    await page.screenshot({ path: join(results, 'console-agents-written.png') });

    const written = JSON.parse(readFileSync(path, 'utf8')) as { theme: string; env: Record<string, string> };
    expect(written).toEqual({ theme: 'dark', env: { KEEP_ME: '1', ANTHROPIC_BASE_URL: served.url, ANTHROPIC_AUTH_TOKEN: secret, ANTHROPIC_MODEL: 'fast', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'fast' } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // The key written is a working key of this gateway, named after the agent.
    expect(await chat(secret, CLAUDE_UA)).toBe(200);
    const keys = await runCli(['keys', 'list', '--json', '--data-dir', dir], { env });
    expect(keys.stdout).toContain('"claude-code"');
    expect(await page.content()).not.toContain('<script>');
  }, 60_000);
});

describe('the Settings area', () => {
  it('saves approvals and guardrail defaults to the config file keeping its comments; a port change says to restart', async () => {
    await area('Settings');
    const facts = page.getByRole('definition').filter({ hasText: dir });
    await facts.first().waitFor();
    await page.getByText(configPath, { exact: true }).waitFor();
    expect(await page.getByLabel(/^Approval timeout/).inputValue()).toBe('40');
    await page.getByLabel(/^Approval timeout/).fill('30');
    await page.getByLabel('Personal data (PII)').selectOption('block');
    await page.getByLabel(/^Budget alert thresholds/).fill('75, 100');
    await page.getByRole('button', { name: 'Save approvals, guardrails and alerts' }).click();
    await page.getByText(/Approvals, guardrails and alerts saved to/).waitFor();
    let text = readFileSync(configPath, 'utf8');
    expect(text).toContain('# Settings edits keep this comment.');
    expect(text).toMatch(/timeoutSeconds: 30/);
    expect(text).toMatch(/pii: block/);
    expect(text).toMatch(/thresholds:[\s\S]*75/);

    // A bad value is refused in the page, naming the field.
    await page.getByLabel('Port').fill('70000');
    await page.getByRole('button', { name: 'Save server' }).click();
    await page.getByRole('alert').filter({ hasText: 'Port: expected a whole number' }).waitFor();
    await page.getByLabel('Port').fill('4199');
    await page.getByRole('button', { name: 'Save server' }).click();
    await page.getByText(/Restart the gateway to listen on the new address/).waitFor();
    text = readFileSync(configPath, 'utf8');
    expect(text).toMatch(/port: 4199/);
    // Start at login is the desktop app's.
    await expect(page.getByRole('checkbox', { name: /Start Gatehouse when I log in/ }).isDisabled()).resolves.toBe(true);
    await page.getByText(/Only in the desktop app/).waitFor();
    await shoot('console-settings');
  }, 45_000);

  it('rotates the admin token: the old one is refused, the CLI and this console keep working', async () => {
    const tokenPath = join(dir, 'admin-token');
    const old = readFileSync(tokenPath, 'utf8').trim();
    const statusWith = (token: string) => fetch(`${served.url}/admin/api/status/get`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await statusWith(old)).status).toBe(200);
    // A second console session, which the rotation must end.
    const other = await browser.newPage();
    const link = await runCli(['console', '--data-dir', dir], { env });
    await other.goto(link.stdout.match(/http:\/\/\S+/)![0]);
    await other.getByRole('navigation', { name: 'Areas' }).waitFor();

    await page.getByRole('button', { name: 'Rotate admin token…' }).click();
    await page.getByRole('button', { name: 'Rotate the token' }).click();
    await page.getByText(/Admin token rotated; this console signed in again/).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    const fresh = readFileSync(tokenPath, 'utf8').trim();
    expect(fresh).not.toBe(old);
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    expect((await statusWith(old)).status).toBe(401);
    expect((await statusWith(fresh)).status).toBe(200);
    // This console still reads the control plane; the other session is signed out.
    await area('Agents');
    await page.getByRole('article', { name: 'Codex' }).waitFor();
    const otherStatus = await other.evaluate(async () => (await fetch('/admin/api/status/get', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(otherStatus).toBe(401);
    await other.close();
    const cli = await runCli(['keys', 'list', '--data-dir', dir], { env });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('claude-code');
  }, 45_000);
});
