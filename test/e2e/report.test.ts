// `gatehouse report` end to end: SDK traffic (model and MCP) through a gateway, then the real command over its data directory.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageReport } from '../../src/shared/contract.js';
import { mockReplyFor, startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { BIN, runCli } from '../helpers/cli.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** USD per million tokens, as configured below; `cached` has its own cache-read price, `fast` falls back to input. */
const PRICES: Record<string, { input: number; output: number; cacheRead?: number }> = {
  fast: { input: 0.15, output: 0.6 },
  cached: { input: 2.5, output: 10, cacheRead: 1.25 },
  broken: { input: 1, output: 1 },
};
const ROUTES = `  - name: cached
    targets:
      - { provider: mock, model: gpt-4o, pricing: { inputPerMTok: 2.5, outputPerMTok: 10, cacheReadPerMTok: 1.25 } }
  - name: broken
    retries: 0
    targets:
      - { provider: mock, model: mock-error, pricing: { inputPerMTok: 1, outputPerMTok: 1 } }
mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js'))}, stdio]
    tools: { "*": allow, "trigger-*": deny }
    prices: { "get-annotated-*": 0.3 }
`;
/** A session id is the client's to choose: markup here must reach the HTML report as text. */
const HOSTILE_SESSION = '<img src=x onerror="document.title=1"> & </script>';
/** Debian's Chromium (apt package `chromium`), driven by playwright-core for the HTML report. */
const CHROMIUM = '/usr/bin/chromium';
// Run in the page (as text: the tests' TypeScript has no DOM types).
const ALL_CHARTS_DONE = "document.querySelectorAll('figure[data-rendered]').length === 4";
/** Each chart figure: whether the page script drew it, its canvas size, and how many pixels are not transparent. */
const FIGURES = `[...document.querySelectorAll('figure')].map((f) => {
  const canvas = f.querySelector('canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
  return { id: f.id, rendered: f.dataset.rendered, width: canvas.width, height: canvas.height, inked };
})`;

interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}
interface LedgerCall {
  keyId: string;
  server: string;
  tool: string;
  outcome: string;
  costUsd: number | null;
  durationMs: number;
}
interface LedgerRequest {
  requestId: string;
  keyId: string;
  route: string;
  provider: string;
  model: string;
  status: number;
  outcome: string;
  usage: Usage;
  costUsd: number | null;
}

let mock: MockOpenAI;
let gw: TestGateway;
let laptop: { id: string; secret: string };
let ci: { id: string; secret: string };
/** Set once the last test has stopped the gateway itself (a second stop would close its providers twice). */
let stopped = false;
const cachedMessages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a careful assistant who answers in one short sentence.' },
  { role: 'user', content: 'What does a prompt cache save?' },
];

const ledger = (): LedgerRequest[] => gw.events('llm.request') as unknown as LedgerRequest[];
const toolCalls = (): LedgerCall[] => gw.events('mcp.call') as unknown as LedgerCall[];
const report = (...args: string[]) => runCli(['report', '--data-dir', gw.dataDir, ...args]);

/** The route's configured price applied to the ledger's counts: what the report's cost must add up to. */
function priced(e: LedgerRequest): number {
  const p = PRICES[e.route]!;
  const u = e.usage;
  return (u.inputTokens * p.input + u.cacheReadTokens * (p.cacheRead ?? p.input) + u.cacheWriteTokens * p.input + u.outputTokens * p.output) / 1e6;
}

function sum(events: LedgerRequest[], f: (e: LedgerRequest) => number): number {
  return events.reduce((s, e) => s + f(e), 0);
}

/**
 * The text a PDF shows: each page stream inflated (pdfkit compresses them), then the hex strings of
 * its TJ text operators decoded (pdfkit writes the standard fonts' text as Windows-1252 bytes).
 */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const streams = [...raw.matchAll(/<<([^]*?)>>\s*stream\r?\n([^]*?)\r?\nendstream/g)].map((m) => {
    const bytes = Buffer.from(m[2]!, 'latin1');
    return (m[1]!.includes('/FlateDecode') ? inflateSync(bytes) : bytes).toString('latin1');
  });
  return streams
    .flatMap((s) => [...s.matchAll(/\[((?:<[0-9a-f]*>\s*-?[\d.]*\s*)+)\] TJ/g)])
    .map((m) => [...m[1]!.matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''))
    .join('\n');
}

/** User and team ids by name. */
const owners: Record<string, string> = {};

beforeAll(async () => {
  mock = await startMockOpenAI();
  gw = await startTestGateway(configFor(mock.url, ROUTES));
  for (const name of ['ann', 'bot']) owners[name] = (await gw.gateway.call('users:create', { name }, 'local')).id;
  owners.core = (await gw.gateway.call('teams:create', { name: 'core' }, 'local')).id;
  const made = async (name: string, userId: string, teamId: string): Promise<{ id: string; secret: string }> => {
    const r = await gw.gateway.call('keys:create', { name, userId, teamId }, 'local');
    return { id: r.key.id, secret: r.secret };
  };
  laptop = await made('laptop', 'ann', 'core');
  ci = await made('ci, nightly', 'bot', 'core');

  const a = new OpenAI({ apiKey: laptop.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  // A session id is the client's to choose, so it may be a spreadsheet formula.
  await a.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hello there' }] }, { headers: { 'x-gatehouse-session': '=SUM(1,2)' } });
  await a.chat.completions.create({ model: 'cached', messages: cachedMessages, prompt_cache_key: 'sess-1' });
  for await (const _ of await a.chat.completions.create(
    { model: 'fast', messages: [{ role: 'user', content: 'stream please' }], stream: true, stream_options: { include_usage: true } },
    { headers: { 'x-gatehouse-session': HOSTILE_SESSION } },
  )) {
    // drained: the ledger row is written when the stream ends
  }
  const b = new OpenAI({ apiKey: ci.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  await b.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'nightly build summary' }] });
  await expect(b.chat.completions.create({ model: 'broken', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.APIError);

  // MCP tool calls through /mcp: two free, one priced, one the policy refuses.
  const mcp = new Client({ name: 'report-e2e', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${laptop.secret}` } } }));
  for (const message of ['one', 'two']) await mcp.callTool({ name: 'every__echo', arguments: { message } });
  await mcp.callTool({ name: 'every__get-annotated-message', arguments: { messageType: 'success', includeImage: false } });
  expect((await mcp.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 1, steps: 1 } })).isError).toBe(true);
  await mcp.close();
}, 60_000);

afterAll(async () => {
  if (stopped) rmSync(gw.dataDir, { recursive: true, force: true });
  else await gw?.stop();
  await mock?.close();
});

describe('gatehouse report against a running gateway', () => {
  let online: UsageReport;

  it('--format json: per key, the ledger\'s tokens and cache tokens, priced as the routes configure', async () => {
    // The CLI finds the running gateway through its lockfile and goes through the admin API.
    expect(JSON.parse(readFileSync(join(gw.dataDir, 'gatehouse.lock'), 'utf8'))).toMatchObject({ pid: process.pid, url: gw.url });
    const r = await report('--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    online = JSON.parse(r.stdout) as UsageReport;
    expect(online).toMatchObject({ from: null, to: null, groupBy: 'key', generatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) as string });
    const events = ledger();
    expect(events).toHaveLength(5);

    // The cached request: OpenAI counts cached tokens inside prompt_tokens; the ledger keeps them apart.
    const expected = mockReplyFor({ messages: cachedMessages, prompt_cache_key: 'sess-1' });
    const cachedTokens = expected.usage.prompt_tokens_details!.cached_tokens!;
    expect(cachedTokens).toBeGreaterThan(0);
    const cachedEvent = events.find((e) => e.keyId === laptop.id && e.route === 'cached')!;
    expect(cachedEvent.usage).toMatchObject({ inputTokens: expected.usage.prompt_tokens - cachedTokens, cacheReadTokens: cachedTokens });

    for (const e of events) expect(e.costUsd ?? 0).toBeCloseTo(e.status < 400 ? priced(e) : 0, 12);

    expect(online.rows.map((x) => x.group).sort()).toEqual([laptop.id, ci.id].sort());
    for (const [k, name] of [
      [laptop, 'laptop'],
      [ci, 'ci, nightly'],
    ] as const) {
      const mine = events.filter((e) => e.keyId === k.id);
      const row = online.rows.find((x) => x.group === k.id)!;
      expect(row).toEqual({
        group: k.id,
        label: name,
        requests: mine.length,
        inputTokens: sum(mine, (e) => e.usage.inputTokens),
        outputTokens: sum(mine, (e) => e.usage.outputTokens),
        cacheReadTokens: sum(mine, (e) => e.usage.cacheReadTokens),
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        costUsd: expect.closeTo(sum(mine, priced), 9) as number,
        unpricedRequests: 0,
        estimatedRequests: 0,
        errors: mine.filter((e) => e.outcome !== 'ok').length,
        subscriptionCostUsd: 0,
      });
    }
    expect(online.rows.find((x) => x.group === laptop.id)!.cacheReadTokens).toBe(cachedTokens);
    expect(online.rows.find((x) => x.group === ci.id)!.errors).toBe(1);
    // Highest cost first.
    expect(online.rows[0]!.costUsd).toBeGreaterThanOrEqual(online.rows[1]!.costUsd);
    expect(online.totals).toMatchObject({
      requests: 5,
      inputTokens: sum(events, (e) => e.usage.inputTokens),
      outputTokens: sum(events, (e) => e.usage.outputTokens),
      cacheReadTokens: cachedTokens,
      errors: 1,
    });
    expect(online.totals.costUsd).toBeCloseTo(sum(events, priced), 9);
  });

  it('--format csv --group-by request: one row per ledger row, in order, then the total', async () => {
    const r = await report('--format', 'csv', '--group-by', 'request');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith('\r\n')).toBe(true);
    const lines = r.stdout.slice(0, -2).split('\r\n');
    // No field here needs quoting, so splitting on commas reads it exactly.
    expect(r.stdout).not.toContain('"');
    const [header, ...body] = lines.map((l) => l.split(','));
    expect(header).toEqual(['group', 'at', 'provider', 'model', 'status', 'outcome', 'requests', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'costUsd', 'unpricedRequests', 'estimatedRequests', 'errors', 'subscriptionCostUsd']);
    const events = ledger();
    expect(body).toHaveLength(events.length + 1);
    events.forEach((e, i) => {
      const row = Object.fromEntries(header!.map((h, j) => [h, body[i]![j]]));
      expect(row).toMatchObject({
        group: e.requestId,
        provider: e.provider,
        model: e.model,
        status: String(e.status),
        outcome: e.outcome,
        requests: '1',
        inputTokens: String(e.usage.inputTokens),
        outputTokens: String(e.usage.outputTokens),
        cacheReadTokens: String(e.usage.cacheReadTokens),
        cacheWriteTokens: '0',
        errors: e.outcome === 'ok' ? '0' : '1',
      });
      expect(Number(row.costUsd)).toBeCloseTo(e.costUsd ?? 0, 12);
      expect(Number(row.costUsd)).toBeCloseTo(e.status < 400 ? priced(e) : 0, 9);
      // Plain decimals, never 1e-7.
      expect(row.costUsd).toMatch(/^\d+(\.\d+)?$/);
    });
    const total = body.at(-1)!;
    expect(total[0]).toBe('(total)');
    expect(total.slice(1, 6)).toEqual(['', '', '', '', '']);
    expect(Number(total[header!.indexOf('costUsd')])).toBeCloseTo(sum(events, priced), 9);
    expect(Number(total[header!.indexOf('cacheReadTokens')])).toBe(sum(events, (e) => e.usage.cacheReadTokens));
  });

  it('quotes per RFC 4180 (the default group is key, its name a column)', async () => {
    const r = await report('--format', 'csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\r\n')[0]).toBe('group,label,requests,inputTokens,outputTokens,cacheReadTokens,cacheWriteTokens,reasoningTokens,costUsd,unpricedRequests,estimatedRequests,errors,subscriptionCostUsd');
    expect(r.stdout).toContain(`${ci.id},"ci, nightly",2,`);
  });

  it('--group-by user / team / model / session / day, and a range that leaves everything out', async () => {
    const byUser = JSON.parse((await report('--format', 'json', '--group-by', 'user')).stdout) as UsageReport;
    expect(byUser.rows.map((x) => [x.group, x.requests]).sort()).toEqual(
      [
        [owners.ann, 3],
        [owners.bot, 2],
      ].sort(),
    );
    const byTeam = JSON.parse((await report('--format', 'json', '--group-by', 'team')).stdout) as UsageReport;
    expect(byTeam.rows.map((x) => [x.group, x.requests])).toEqual([[owners.core, 5]]);
    const byModel = JSON.parse((await report('--format', 'json', '--group-by', 'model')).stdout) as UsageReport;
    expect(byModel.rows.map((x) => x.group).sort()).toEqual(['mock/gpt-4o', 'mock/gpt-4o-mini', 'mock/mock-error']);
    const bySession = JSON.parse((await report('--format', 'json', '--group-by', 'session')).stdout) as UsageReport;
    expect(bySession.rows.find((x) => x.group === 'sess-1')).toMatchObject({ requests: 1 });
    expect(bySession.rows.find((x) => x.group === '=SUM(1,2)')).toMatchObject({ requests: 1 });
    // In CSV it is quoted (it has a comma) and defused with a leading apostrophe, so a spreadsheet shows it as text.
    const sessionCsv = (await report('--format', 'csv', '--group-by', 'session')).stdout;
    expect(sessionCsv).toMatch(/\r\n"'=SUM\(1,2\)",1,/);
    const today = new Date().toISOString().slice(0, 10);
    const byDay = JSON.parse((await report('--format', 'json', '--group-by', 'day', '--from', today, '--to', today)).stdout) as UsageReport;
    expect(byDay.rows).toEqual([expect.objectContaining({ group: today, requests: 5 })]);
    const before = JSON.parse((await report('--format', 'json', '--to', '2000-01-01')).stdout) as UsageReport;
    expect(before).toMatchObject({ rows: [], totals: { requests: 0, costUsd: 0 } });
  });

  it('--out writes the same report to a file with mode 0600', async () => {
    const out = join(gw.dataDir, 'usage.csv');
    const r = await report('--format', 'csv', '--group-by', 'request', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(out);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toBe((await report('--format', 'csv', '--group-by', 'request')).stdout);
    rmSync(out);
  });

  it('serves report:usage on the admin API, refusing a bad range as invalid params', async () => {
    const token = readFileSync(join(gw.dataDir, 'admin-token'), 'utf8').trim();
    const post = (body: unknown) =>
      fetch(`${gw.url}/admin/api/report/usage`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post({ groupBy: 'provider' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as UsageReport).rows.map((x) => x.group)).toEqual(['mock']);
    const bad = await post({ groupBy: 'day', from: 'last tuesday' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_params', message: expect.stringMatching(/from "last tuesday"/) as string } });
  });

  it('usage errors exit 2 and say what to use', async () => {
    const xml = await report('--format', 'xml');
    expect(xml.code).toBe(2);
    expect(xml.stderr).toContain('--format "xml": expected one of json, csv, html, pdf');
    const colour = await report('--format', 'json', '--group-by', 'colour');
    expect(colour.stderr).toMatch(/--group-by "colour": expected one of key, .*, tool/);
    const bad = await report('--format', 'json', '--from', '2026-02-30');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from "2026-02-30" is not a date or time/);
    expect((await report('--format', 'json', '--group-by', 'colour')).code).toBe(2);
    expect((await report('--format', 'xml')).code).toBe(2);
    expect((await report()).code).toBe(2);
  });

  it('--group-by tool: MCP calls per server__tool with calls, errors, refusals, price and time (JSON and CSV)', async () => {
    const calls = toolCalls();
    expect(calls).toHaveLength(4);
    const r = await report('--format', 'json', '--group-by', 'tool');
    expect(r.code, r.stderr).toBe(0);
    const byTool = JSON.parse(r.stdout) as UsageReport;
    expect(byTool.groupBy).toBe('tool');
    const duration = (tool: string): number => calls.filter((c) => c.tool === tool).reduce((s, c) => s + c.durationMs, 0);
    // Highest cost first, then most calls.
    expect(byTool.rows.map((x) => [x.group, x.requests, x.costUsd, x.errors, x.refused])).toEqual([
      ['every__get-annotated-message', 1, 0.3, 0, 0],
      ['every__echo', 2, 0, 0, 0],
      ['every__trigger-long-running-operation', 1, 0, 1, 1],
    ]);
    const echo = byTool.rows.find((x) => x.group === 'every__echo')!;
    expect(echo).toMatchObject({ server: 'every', tool: 'echo', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0 });
    expect(echo.durationMs).toBeCloseTo(duration('echo'), 3);
    expect(echo.avgDurationMs).toBeCloseTo(duration('echo') / 2, 1);
    expect(byTool.totals).toMatchObject({ requests: 4, costUsd: 0.3, errors: 1, refused: 1 });
    expect(byTool.totals.durationMs).toBeCloseTo(calls.reduce((s, c) => s + c.durationMs, 0), 3);
    // Model reports are not changed by tool calls.
    expect(((JSON.parse((await report('--format', 'json')).stdout)) as UsageReport).totals.requests).toBe(5);

    const csv = (await report('--format', 'csv', '--group-by', 'tool')).stdout;
    const lines = csv.slice(0, -2).split('\r\n');
    expect(lines[0]).toBe('group,server,tool,requests,inputTokens,outputTokens,cacheReadTokens,cacheWriteTokens,reasoningTokens,costUsd,unpricedRequests,estimatedRequests,errors,subscriptionCostUsd,refused,durationMs,avgDurationMs');
    expect(lines[1]).toMatch(/^every__get-annotated-message,every,get-annotated-message,1,0,0,0,0,0,0\.3,0,0,0,0,0,[\d.]+,[\d.]+$/);
    expect(lines.at(-1)).toMatch(/^\(total\),,,4,0,0,0,0,0,0\.3,0,0,1,0,1,[\d.]+,[\d.]+$/);
  });

  it('--format html: one self-contained file, its data as escaped JSON: totals, tables and the four charts', async () => {
    const out = join(gw.dataDir, 'usage.html');
    const today = new Date().toISOString().slice(0, 10);
    const weekAgo = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    const r = await report('--format', 'html', '--group-by', 'session', '--from', weekAgo, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const html = readFileSync(out, 'utf8');
    // Nothing to fetch: no http(s) or protocol-relative src/href, no external script or stylesheet.
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|<script\b[^>]*\bsrc=/i);
    expect(html).toContain("default-src 'none'");
    for (const id of ['spend-per-day', 'spend-by-model', 'top-keys', 'top-tools']) expect(html).toContain(`id="chart-${id}"`);
    // The session's markup is only in the JSON block, with < escaped.
    expect(html).not.toContain('<img');
    expect(html).toContain('\\u003cimg src=x onerror=\\"document.title=1\\"> & \\u003c/script>');
    const data = JSON.parse(/<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html)![1]!) as {
      range: string;
      headline: { label: string; value: string }[];
      charts: { id: string; labels: string[]; values: number[] }[];
      tables: { title: string; rows: string[][]; total: string[] }[];
    };
    expect(data.range.startsWith(`From ${weekAgo} until ${today} `)).toBe(true);
    expect(data.tables.map((t) => t.title)).toEqual(['By session', 'By day', 'By model', 'By key', 'MCP tool calls']);
    expect(data.tables[0]!.rows.map((row) => row[0])).toContain(HOSTILE_SESSION);
    expect(data.headline).toContainEqual({ label: 'Requests', value: '5' });
    expect(data.headline).toContainEqual({ label: 'Tool calls', value: '4' });
    const charts = Object.fromEntries(data.charts.map((c) => [c.id, c]));
    expect(charts['spend-per-day']!.labels).toHaveLength(7);
    expect(charts['spend-per-day']!.labels.at(-1)).toBe(today);
    expect(charts['spend-per-day']!.values.reduce((a, b) => a + b, 0)).toBeCloseTo(sum(ledger(), priced), 9);
    expect(charts['spend-by-model']!.labels.sort()).toEqual(['mock/gpt-4o', 'mock/gpt-4o-mini']);
    expect(charts['top-keys']!.labels.sort()).toEqual(['ci, nightly', 'laptop']);
    expect(charts['top-tools']).toMatchObject({ labels: ['every__echo', 'every__get-annotated-message', 'every__trigger-long-running-operation'], values: [2, 1, 1] });
  });

  // Skipped only off CI without Debian's chromium; .ci/run installs it, so there it always runs.
  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('--format html opens offline in headless Chromium: four charts drawn, the labels as text, light and dark', async () => {
    const out = join(gw.dataDir, 'usage-browser.html');
    const weekAgo = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    expect((await report('--format', 'html', '--group-by', 'session', '--from', weekAgo, '--out', out)).code).toBe(0);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requested: string[] = [];
      const problems: string[] = [];
      page.on('request', (req) => requested.push(req.url()));
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      const url = pathToFileURL(out).href;
      await page.goto(url);
      await page.waitForFunction(ALL_CHARTS_DONE);
      // The file is the only thing loaded, and nothing failed (a CSP refusal is a console error).
      expect(requested).toEqual([url]);
      expect(problems).toEqual([]);
      const figures = await page.evaluate<{ id: string; rendered: string; width: number; height: number; inked: number }[]>(FIGURES);
      expect(figures.map((f) => [f.id, f.rendered])).toEqual(['spend-per-day', 'spend-by-model', 'top-keys', 'top-tools'].map((id) => [`chart-${id}`, 'chart']));
      for (const f of figures) {
        expect(f.width, f.id).toBeGreaterThan(100);
        expect(f.height, f.id).toBeGreaterThan(50);
        expect(f.inked, f.id).toBeGreaterThan(500);
      }
      // The session's markup is a cell's text: no element was made from it, no script ran.
      const dom = await page.evaluate<{ images: number; title: string; cells: string[]; cards: string[] }>(`({
        images: document.querySelectorAll('img').length,
        title: document.title,
        cells: [...document.querySelectorAll('td')].map((td) => td.textContent),
        cards: [...document.querySelectorAll('.card')].map((c) => c.textContent),
      })`);
      expect(dom).toMatchObject({ images: 0, title: 'Gatehouse usage report' });
      expect(dom.cells).toContain(HOSTILE_SESSION);
      expect(dom.cells).toContain('every__trigger-long-running-operation');
      expect(dom.cards).toContain('4Tool calls');
      const background = (): Promise<string> => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
      const light = await background();
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await background()).not.toBe(light);
      await page.emulateMedia({ colorScheme: 'light' });
      await page.reload();
      await page.waitForFunction(ALL_CHARTS_DONE);
      const shot = join(gw.dataDir, 'report-screenshot.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      // The README's picture: refreshed on request, not on every run (its dates and ids change each time).
      if (process.env.UPDATE_REPORT_SCREENSHOT) {
        const target = fileURLToPath(new URL('../../docs/report-screenshot.png', import.meta.url));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(shot, target);
      }
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('--format pdf: a PDF with the totals, charts and tables, to a file or to a pipe', async () => {
    const out = join(gw.dataDir, 'usage.pdf');
    const r = await report('--format', 'pdf', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const pdf = readFileSync(out);
    const raw = pdf.toString('latin1');
    expect(raw.startsWith('%PDF-1.')).toBe(true);
    expect(raw.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(raw.match(/\/Type \/Page\b/g)!.length).toBeGreaterThanOrEqual(1);
    const text = pdfText(pdf);
    const events = ledger();
    const inputTokens = sum(events, (e) => e.usage.inputTokens).toLocaleString('en-US');
    for (const s of ['Gatehouse usage report', 'Requests', inputTokens, 'Tool calls', 'Spend per day (USD)', 'Spend by model (USD)', 'Top keys by spend (USD)', 'Top MCP tools by calls', 'By key', 'MCP tool calls', 'laptop', 'ci, nightly', 'every__get-annotated-message', '(total)', '$0.30']) {
      expect(text, s).toContain(s);
    }

    // Standard output that is a pipe gets the same kind of document.
    const piped = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'report', '--data-dir', gw.dataDir, '--format', 'pdf'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`exit ${code}`))));
    });
    expect(piped.subarray(0, 7).toString()).toBe('%PDF-1.');
    expect(pdfText(piped)).toContain('Top MCP tools by calls');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('--format pdf refuses to write to a terminal', async () => {
    // util-linux `script` gives the command a terminal as its standard output.
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const cmd = [process.execPath, BIN, 'report', '--data-dir', gw.dataDir, '--format', 'pdf'].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(2);
    expect(r.out).toContain('--format pdf: give --out FILE, or redirect standard output to a file or a pipe');
    expect(r.out).not.toContain('%PDF');
  });

  it('gives the same report with no gateway running, from the data directory', async () => {
    await gw.gateway.stop();
    stopped = true;
    const r = await report('--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ...online, generatedAt: expect.any(String) as string });
  });
});
