// The console's Traffic and Reports areas end to end, in real Chromium against `gatehouse serve` with
// a mock OpenAI upstream and a real MCP server: history and live rows, pause, filters, sorting, the
// call drawer (fallbacks, findings, link to Audit), and a report's charts and its CSV/PDF download
// (the CSV byte for byte what `gatehouse report` prints). Screenshots go to test-results/; with
// UPDATE_CONSOLE_SCREENSHOTS=1 the README's ones in docs/ are refreshed too.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve, type Served } from '../helpers/cli.js';
import { gotoArea, openBrowser, REPO_ROOT, screenshotDirs } from '../helpers/console.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const shots = screenshotDirs();
const ENV = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };

let oai: MockOpenAI;
let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
let secret = '';

beforeAll(async () => {
  oai = await startMockOpenAI();
  dir = mkdtempSync(join(tmpdir(), 'gh-console-traffic-'));
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    `version: 1
providers:
  - { id: mock, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
models:
  - name: fast
    targets: [{ provider: mock, model: gpt-4o-mini, pricing: { inputPerMTok: 300, outputPerMTok: 900 } }]
  - name: sturdy
    targets:
      - { provider: mock, model: mock-error }
      - { provider: mock, model: gpt-4o, pricing: { inputPerMTok: 2500, outputPerMTok: 10000 } }
guardrails:
  custom:
    - { name: codename, keywords: ["Project Falcon"], action: mask }
mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(everything)}, stdio]
    tools: { "*": allow }
`,
  );
  served = await serve(['--data-dir', dir, '--port', '0'], ENV);
  if (!existsSync(join(REPO_ROOT, 'out/renderer/index.html'))) throw new Error('the console is not built: npm test runs build:renderer first (npm run build:renderer)');
  const made = await runCli(['keys', 'create', '--name', 'laptop', '--json', '--data-dir', dir], { env: ENV });
  expect(made.code, made.stderr).toBe(0);
  secret = (JSON.parse(made.stdout) as { key: string }).key;
  ({ browser, page } = await openBrowser({ width: 1280, height: 860 }));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.kill();
  await oai?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const area = (name: string): Promise<void> => gotoArea(page, name);

async function chat(model: string, content = 'hello'): Promise<void> {
  const res = await fetch(`${served.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'user-agent': 'traffic-e2e/1.0' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.text();
}

async function callEcho(message: string): Promise<void> {
  const client = new Client({ name: 'traffic-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
  try {
    const result = await client.callTool({ name: 'every__echo', arguments: { message } });
    expect(result.isError).toBeFalsy();
  } finally {
    await client.close();
  }
}

const table = () => page.getByRole('table', { name: 'Model and tool calls, newest first' });
const dataRows = () => table().getByRole('rowgroup').getByRole('row');

describe('the Traffic area', () => {
  it('teaches when empty, then lists history and live model and tool calls, with pause and resume', async () => {
    await page.goto(served.consoleUrl);
    await area('Traffic');
    await page.getByText('No traffic yet').waitFor();
    await page.getByRole('navigation', { name: 'Areas' }).getByRole('link', { name: /^Overview/ }).click();

    // History: read from the ledger when the area opens.
    await chat('fast');
    await chat('fast');
    await area('Traffic');
    await expect.poll(() => dataRows().count()).toBe(2);
    await dataRows().first().getByText('gpt-4o-mini').waitFor();
    await page.getByText('2 calls shown · live').waitFor();

    // Live: a model call with a fallback and a guardrail finding, and an MCP tool call, without reloading.
    await chat('sturdy', 'the plan for Project Falcon');
    await dataRows().filter({ hasText: 'gpt-4o' }).filter({ hasNotText: 'mini' }).waitFor();
    await callEcho('hi from the traffic test');
    await dataRows().filter({ hasText: 'every__echo' }).waitFor();
    expect(await dataRows().count()).toBe(4);
    await expect.poll(() => dataRows().first().textContent()).toContain('every__echo');

    await page.getByRole('button', { name: 'Pause' }).click();
    await chat('fast');
    await page.getByRole('button', { name: 'Resume (1 new)' }).waitFor();
    expect(await dataRows().count()).toBe(4);
    await page.getByRole('button', { name: 'Resume (1 new)' }).click();
    await expect.poll(() => dataRows().count()).toBe(5);
    await page.getByText('5 calls shown · live').waitFor();
  }, 60_000);

  it('sorts by a column and filters by kind and outcome', async () => {
    const latency = page.getByRole('columnheader', { name: 'Sort by Latency' });
    await page.getByRole('button', { name: 'Sort by Latency' }).click();
    await expect.poll(() => latency.getAttribute('aria-sort')).toBe('ascending');
    const latencies = async (): Promise<number[]> => (await dataRows().locator('[role=cell]:nth-child(6)').allTextContents()).map((t) => Number(t.replace(/[^\d.]/g, '')));
    const asc = await latencies();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await page.getByRole('button', { name: 'Sort by Latency' }).click();
    await expect.poll(() => latency.getAttribute('aria-sort')).toBe('descending');
    const desc = await latencies();
    expect(desc).toEqual([...asc].sort((a, b) => b - a));
    await page.getByRole('button', { name: 'Sort by Latency' }).click();
    await expect.poll(() => latency.getAttribute('aria-sort')).toBe('none');

    const filters = page.getByRole('form', { name: 'Filters' });
    await filters.getByLabel('Kind').selectOption('mcp');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => dataRows().count()).toBe(1);
    await dataRows().getByText('every__echo').waitFor();
    await filters.getByLabel('Kind').selectOption('');
    await filters.getByLabel('Model or tool').fill('mini');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => dataRows().count()).toBe(3);
    await filters.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => dataRows().count()).toBe(5);
  }, 30_000);

  it('opens a call in the drawer: timings, tokens, cost, the fallback tried, findings, client, and a link to Audit', async () => {
    await dataRows().filter({ hasText: 'gpt-4o' }).filter({ hasNotText: 'mini' }).click();
    const drawer = page.getByRole('complementary', { name: /Model call/ });
    await drawer.getByText('First byte').waitFor();
    await drawer.getByRole('list', { name: 'Attempts before the answer' }).getByText('mock/mock-error').waitFor();
    await drawer.getByText('HTTP 500').waitFor();
    await drawer.getByRole('list', { name: 'Guardrail findings' }).getByText(/codename/).waitFor();
    await drawer.getByText('traffic-e2e/1.0', { exact: true }).waitFor();
    await drawer.getByText('sturdy', { exact: true }).first().waitFor();
    expect(await drawer.getByText(/^\$\d/).count()).toBeGreaterThan(0);
    expect(await drawer.getByText('laptop').count()).toBe(1);
    await page.screenshot({ path: join(shots.docs, 'console-traffic.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(shots.results, 'console-traffic-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    const requestId = (await drawer.locator('dt:text-is("Request id") + dd').textContent())!.trim();
    expect(requestId).toMatch(/\S{8,}/);
    await drawer.getByRole('link', { name: 'Open in Audit' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    const audit = page.getByRole('table', { name: 'Ledger records, newest first' }).getByRole('rowgroup').getByRole('row');
    await expect.poll(() => audit.count()).toBe(1);
    await audit.getByText('llm.request').waitFor();
  }, 30_000);
});

describe('the Reports area', () => {
  it('shows totals, charts and a sortable table, and downloads the CSV the CLI prints and a PDF', async () => {
    await area('Reports');
    const form = page.getByRole('form', { name: 'Report range and grouping' });
    expect(await form.getByLabel('Range').inputValue()).toBe('month');
    const totals = page.getByRole('list', { name: 'Totals' }).or(page.locator('dl[aria-label="Totals"]'));
    await totals.getByText('Requests').waitFor();
    const table = page.getByRole('table', { name: 'Usage by model' });
    const rows = table.getByRole('rowgroup').getByRole('row');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByRole('img', { name: /^Spend per day \(USD\):/ }).waitFor();
    await page.getByRole('img', { name: /^Spend by model \(USD\): 2 bars; largest: mock\/gpt-4o / }).waitFor();
    await table.getByRole('button', { name: 'Sort by Requests' }).click();
    await table.getByRole('button', { name: 'Sort by Requests' }).click();
    await expect.poll(() => rows.first().textContent()).toContain('mock/gpt-4o-mini');

    const from = await form.getByLabel('From (UTC day)').inputValue();
    const to = await form.getByLabel('To (UTC day, included)').inputValue();
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(csv.suggestedFilename()).toBe(`gatehouse-usage-by-model-${from}-to-${to}.csv`);
    const downloaded = readFileSync((await csv.path())!, 'utf8');
    const cli = await runCli(['report', '--group-by', 'model', '--from', from, '--to', to, '--format', 'csv', '--data-dir', dir], { env: ENV });
    expect(cli.code, cli.stderr).toBe(0);
    expect(downloaded).toBe(cli.stdout);
    expect(downloaded).toContain('mock/gpt-4o-mini,3,');
    await page.getByText(/^Saved gatehouse-usage-by-model-.*\.csv/).waitFor();

    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export PDF' }).click()]);
    expect(pdf.suggestedFilename()).toMatch(/\.pdf$/);
    expect(readFileSync((await pdf.path())!).subarray(0, 5).toString()).toBe('%PDF-');

    await form.getByLabel('Group by').selectOption('tool');
    await page.getByRole('table', { name: 'Usage by MCP tool' }).getByText('every__echo').waitFor();
    await page.getByRole('img', { name: /^Top MCP tools by calls: 1 bar; largest: every__echo 1 calls/ }).waitFor();
    await form.getByLabel('Group by').selectOption('model');
    await page.getByRole('table', { name: 'Usage by model' }).waitFor();
    await page.screenshot({ path: join(shots.docs, 'console-reports.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(shots.results, 'console-reports-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    await form.getByLabel('Range').selectOption('last-month');
    await page.getByText('Nothing was used in this range').waitFor();
  }, 60_000);
});
