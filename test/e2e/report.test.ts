// `gatehouse report` end to end: SDK traffic through a gateway, then the real command over its data directory.
import OpenAI from 'openai';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageReport } from '../../src/shared/contract.js';
import { mockReplyFor, startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli } from '../helpers/cli.js';
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
`;

interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
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
  for await (const _ of await a.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'stream please' }], stream: true, stream_options: { include_usage: true } })) {
    // drained: the ledger row is written when the stream ends
  }
  const b = new OpenAI({ apiKey: ci.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  await b.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'nightly build summary' }] });
  await expect(b.chat.completions.create({ model: 'broken', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.APIError);
});

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
    for (const format of ['html', 'pdf']) {
      const r = await report('--format', format);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('html and pdf reports are not built yet; use --format json or csv');
    }
    const bad = await report('--format', 'json', '--from', '2026-02-30');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from "2026-02-30" is not a date or time/);
    expect((await report('--format', 'json', '--group-by', 'colour')).code).toBe(2);
    expect((await report('--format', 'xml')).code).toBe(2);
    expect((await report()).code).toBe(2);
  });

  it('gives the same report with no gateway running, from the data directory', async () => {
    await gw.gateway.stop();
    stopped = true;
    const r = await report('--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(online);
  });
});
