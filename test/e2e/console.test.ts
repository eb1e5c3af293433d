// The web console end to end, as a person uses it: `gatehouse serve` with an MCP server whose tool
// asks and a priced route, the printed console URL opened in real Chromium (playwright-core), a key
// created in the UI, an approval answered in the dialog while an MCP client waits, the audit view and
// the budget meters after traffic. Screenshots go to test-results/; with UPDATE_CONSOLE_SCREENSHOTS=1 the
// README's ones in docs/ are refreshed too (a test run does not rewrite tracked files by default).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve, type Served } from '../helpers/cli.js';
import { gotoArea, openBrowser, REPO_ROOT, screenshotDirs } from '../helpers/console.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const shots = screenshotDirs();
const AREAS = ['Overview', 'Traffic', 'Approvals', 'Agents', 'Providers', 'MCP servers', 'Keys & people', 'Budgets', 'Audit', 'Reports', 'Settings'];
/** Markup in a tool's arguments: must show as text, never become an element. */
const MARKUP = '<img src=x onerror="document.title=\'pwned\'">';

let oai: MockOpenAI;
let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
/** The key created in the UI, read off the page. */
let secret = '';

beforeAll(async () => {
  oai = await startMockOpenAI();
  dir = mkdtempSync(join(tmpdir(), 'gh-console-'));
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    `version: 1
providers:
  - { id: mock, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
models:
  - name: fast
    targets: [{ provider: mock, model: gpt-4o-mini, pricing: { inputPerMTok: 300, outputPerMTok: 900 } }]
mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(everything)}, stdio]
    tools: { echo: ask, "*": allow }
approvals: { timeoutSeconds: 40 }
`,
  );
  served = await serve(['--data-dir', dir, '--port', '0'], { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' });
  if (!existsSync(join(REPO_ROOT, 'out/renderer/index.html'))) throw new Error('the console is not built: npm test runs build:renderer first (npm run build:renderer)');
  ({ browser, page } = await openBrowser({ width: 1280, height: 800 }));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.kill();
  await oai?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const area = (name: string): Promise<void> => gotoArea(page, name);

/** The text of the focused element (page script as a string: this suite's types have no DOM). */
const focusedText = (): Promise<unknown> => page.evaluate('document.activeElement?.textContent');

async function mcpClient(): Promise<Client> {
  const client = new Client({ name: 'console-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
  return client;
}

describe('the web console', () => {
  it('the printed console URL opens the console: every area in the rail, the gateway up', async () => {
    await page.goto(served.consoleUrl);
    // The one-time token leaves the address bar at once.
    expect(page.url()).toBe(`${served.url}/`);
    const rail = page.getByRole('navigation', { name: 'Areas' });
    await rail.getByRole('link').first().waitFor();
    expect(await rail.getByRole('link').allInnerTexts()).toEqual(AREAS);
    await page.getByRole('heading', { name: 'Gateway up' }).waitFor();
    await page.getByText(served.url, { exact: true }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    // Keyboard: the rail's links move with the arrow keys.
    await rail.getByRole('link', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await focusedText()).toBe('Traffic');
    await area('Reports');
    await area('Overview');
    await page.screenshot({ path: join(shots.docs, 'console-overview.png') });
  }, 30_000);

  it('adds a key: the secret is shown once, with a copy button', async () => {
    await area('Keys & people');
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByLabel('Name').fill('ui-agent');
    await page.getByLabel(/Budget, USD/).fill('1');
    await page.getByLabel('Budget window').selectOption('day');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByLabel("The new key's secret");
    await shown.waitFor();
    secret = (await shown.innerText()).trim();
    expect(secret).toMatch(/^gh_\S{20,}$/);
    await page.getByText("you won't see it again").waitFor();
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    await page.screenshot({ path: join(shots.results, 'console-key-created.png') });
    await page.getByRole('button', { name: 'Done, I have stored it' }).click();
    expect(await page.getByLabel("The new key's secret").count()).toBe(0);
    await page.getByRole('cell', { name: 'ui-agent', exact: true }).waitFor();
  }, 30_000);

  it('edits a key\'s limits and grants, adds a user and a team with budgets, and disables the team', async () => {
    await area('Keys & people');
    await page.getByRole('button', { name: 'Edit key ui-agent' }).click();
    const form = page.getByRole('form', { name: 'Edit key "ui-agent"' });
    // Not a whole number: the browser's own validation holds the form (the store's check is tested with the store).
    const rpm = form.getByLabel(/Requests per minute/);
    await rpm.fill('1.5');
    await form.getByRole('button', { name: 'Save key' }).click();
    expect(await rpm.evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid)).toBe(false);
    expect(await form.count()).toBe(1);
    await rpm.fill('600');
    await form.getByLabel(/MCP tools/).fill('every__*');
    await form.getByRole('button', { name: 'Save key' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'ui-agent' }).getByText('600 rpm').waitFor();

    await page.getByRole('button', { name: 'New user' }).click();
    const user = page.getByRole('form', { name: 'New user' });
    await user.getByLabel('Name').fill('alice');
    await user.getByLabel(/Email/).fill('alice@example.dev');
    await user.getByLabel('Budget, USD').fill('20');
    await user.getByLabel('Budget window').selectOption('month');
    await user.getByRole('button', { name: 'Add a budget for another window' }).click();
    await user.getByLabel('Budget 2, USD').fill('2');
    await user.getByLabel('Budget 2 window').selectOption('day');
    await user.getByRole('button', { name: 'Create user' }).click();
    await user.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'New team' }).click();
    const team = page.getByRole('form', { name: 'New team' });
    await team.getByLabel('Name').fill('platform');
    await team.getByRole('button', { name: 'Create team' }).click();
    await team.waitFor({ state: 'detached' });
    // The confirmation names what stops.
    page.once('dialog', (d) => {
      expect(d.message()).toBe('Disable team "platform"? Its 0 key(s) are refused until it is enabled again.');
      void d.accept();
    });
    await page.getByRole('button', { name: 'Disable team platform' }).click();
    await page.getByRole('button', { name: 'Enable team platform' }).waitFor();
    await page.screenshot({ path: join(shots.results, 'console-people.png'), fullPage: true });

    // What the gateway now holds, read through the CLI.
    const ENV = { GATEHOUSE_LOG_LEVEL: 'warn' };
    const users = await runCli(['users', 'list', '--json', '--data-dir', dir], { env: ENV });
    expect(users.code, users.stderr).toBe(0);
    expect(JSON.parse(users.stdout)).toEqual([expect.objectContaining({ name: 'alice', email: 'alice@example.dev', budgets: [{ amountUsd: 20, window: 'month' }, { amountUsd: 2, window: 'day' }] })]);
    const teams = JSON.parse((await runCli(['teams', 'list', '--json', '--data-dir', dir], { env: ENV })).stdout) as { name: string; status: string }[];
    expect(teams).toEqual([expect.objectContaining({ name: 'platform', status: 'disabled' })]);
    const keys = JSON.parse((await runCli(['keys', 'list', '--json', '--data-dir', dir], { env: ENV })).stdout) as { name: string; rpm: number; mcpTools: string[] }[];
    expect(keys.find((k) => k.name === 'ui-agent')).toMatchObject({ rpm: 600, mcpTools: ['every__*'] });
  }, 60_000);

  it('an ask tool call pops up an approval with the tool and arguments; Enter does not allow; Allow once completes the call', async () => {
    const client = await mcpClient();
    const long = `hello from the console test ${'x'.repeat(300)}`;
    const call = client.callTool({ name: 'every__echo', arguments: { message: long, note: MARKUP } });
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 15_000 });
    const allowOnce = dialog.getByRole('button', { name: 'Allow once' });
    // Deny has the focus; every button is inert at first: a click meant for something else does nothing.
    expect(await focusedText()).toBe('Deny');
    expect(await allowOnce.getAttribute('aria-disabled')).toBe('true');
    // (force: Playwright itself would wait for the button to become enabled.)
    await allowOnce.click({ force: true });
    await dialog.getByRole('heading', { name: 'Run echo on every?' }).waitFor();
    await dialog.getByText('key "ui-agent"').waitFor();
    // The arguments, pretty and folded; markup in them is text.
    await dialog.getByText(/"hello from the console test x+… \(328 characters\)"/).waitFor();
    await dialog.getByText(JSON.stringify(MARKUP)).waitFor();
    expect(await page.locator('img').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Show all of $.message' }).click();
    await dialog.getByText(JSON.stringify(long)).waitFor();
    await dialog.getByRole('timer').waitFor();
    await dialog.locator('button[aria-disabled="false"]', { hasText: 'Allow once' }).waitFor({ timeout: 5000 });
    // Armed now, and still Enter on "Allow once" is not an answer.
    await allowOnce.focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    expect(await dialog.count()).toBe(1);
    expect(await page.title()).not.toBe('pwned');
    await page.screenshot({ path: join(shots.docs, 'console-approval.png') });
    await allowOnce.click();
    const result = (await call) as { content: { text: string }[]; isError?: boolean };
    expect(result.isError).toBeFalsy();
    expect(result.content[0]!.text).toContain('hello from the console test');
    await dialog.waitFor({ state: 'detached' });
    await client.close();
  }, 45_000);

  it('a call the client cancels withdraws its approval, with a notice', async () => {
    const client = await mcpClient();
    const abort = new AbortController();
    const call = client.callTool({ name: 'every__echo', arguments: { message: 'cancel me' } }, undefined, { signal: abort.signal }).catch((e: Error) => e);
    await page.getByRole('alertdialog').waitFor({ timeout: 15_000 });
    abort.abort();
    await call;
    await page.getByText('The call to every/echo was withdrawn: the client cancelled it.').waitFor({ timeout: 10_000 });
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    await client.close();
  }, 30_000);

  it('the desktop popup view (#/popup) shows the approval alone; "Always allow…" remembers a pattern that lets matching calls through', async () => {
    // The desktop app's popup window loads this same page at #/popup; here in the same tab, sized like it.
    const popup = page;
    await popup.setViewportSize({ width: 460, height: 600 });
    await popup.goto(`${served.url}/#/popup`);
    await popup.reload(); // only the hash changed: load the page again, as the popup window does
    await popup.getByText('No tool call is waiting for you.').waitFor();
    expect(await popup.getByRole('navigation', { name: 'Areas' }).count()).toBe(0);

    const client = await mcpClient();
    const first = client.callTool({ name: 'every__echo', arguments: { message: 'deploy docs/intro.md' } });
    const dialog = popup.getByRole('alertdialog');
    await dialog.getByRole('heading', { name: 'Run echo on every?' }).waitFor({ timeout: 15_000 });
    await dialog.locator('button[aria-disabled="false"]', { hasText: 'Always allow…' }).waitFor({ timeout: 5000 });
    await dialog.getByRole('button', { name: 'Always allow…' }).click();
    await dialog.getByRole('checkbox', { name: /only when message matches/ }).check();
    await dialog.getByLabel('Pattern (glob) for message').fill('deploy docs/*');
    await dialog.getByText('Later calls run without asking when message matches deploy docs/*.').waitFor();
    await popup.screenshot({ path: join(shots.results, 'console-popup-always.png') });
    await dialog.getByRole('button', { name: 'Always allow with this pattern' }).click();
    expect(((await first) as { isError?: boolean }).isError).toBeFalsy();
    await dialog.waitFor({ state: 'detached' });

    // A matching call runs without asking; one outside the pattern still asks (and is denied here).
    const matching = (await client.callTool({ name: 'every__echo', arguments: { message: 'deploy docs/setup.md' } })) as { content: { text: string }[]; isError?: boolean };
    expect(matching.isError).toBeFalsy();
    expect(matching.content[0]!.text).toContain('deploy docs/setup.md');
    const outside = client.callTool({ name: 'every__echo', arguments: { message: 'deploy src/main.ts' } });
    await dialog.waitFor({ timeout: 15_000 });
    await dialog.locator('button[aria-disabled="false"]', { hasText: 'Deny' }).waitFor({ timeout: 5000 });
    // Enter on the focused Deny answers: denied.
    await popup.keyboard.press('Enter');
    expect(((await outside) as { isError?: boolean }).isError).toBe(true);
    await client.close();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${served.url}/#/overview`);
    await page.reload();
    await page.getByRole('heading', { name: 'Gateway up' }).waitFor();
  }, 60_000);

  it('the audit view lists the tool call, opens it, and verifies the chain', async () => {
    await area('Audit');
    await page.getByLabel('Kind').selectOption('mcp.call');
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.getByRole('row').filter({ hasText: 'every/echo · ask (person: console (once)) · ok' });
    await row.first().waitFor();
    await row.first().click();
    const drawer = page.getByRole('complementary');
    await drawer.getByText('"type": "mcp.call"').waitFor();
    await drawer.getByText('"decidedBy": "person: console (once)"').waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText(/^Chain intact: \d+ records/).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots.docs, 'console-audit.png') });
  }, 30_000);

  it('budget meters move after traffic', async () => {
    await area('Budgets');
    const meter = page.getByRole('meter', { name: /^key ui-agent, \$1\.00 per day/ });
    await meter.waitFor();
    expect(Number(await meter.getAttribute('aria-valuenow'))).toBe(0);
    const openai = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: secret, maxRetries: 0 });
    const r = await openai.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'spend a little' }], max_tokens: 50 });
    expect(r.choices[0]!.message.content).toBeTruthy();
    await expect.poll(async () => Number(await meter.getAttribute('aria-valuenow')), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots.docs, 'console-budgets.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(shots.results, 'console-budgets-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  }, 30_000);
});
