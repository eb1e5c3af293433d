// The HTML and PDF reports: gathering over one range, charts, tables, the page and the PDF, over a real SQLite ledger.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UsageGroupBy, UsageReport, UsageReportParams } from '../../shared/contract.js';
import { keyRow } from '../../../test/fixtures/key-row.js';
import { openDatabase } from '../store/db.js';
import { insertKey } from '../store/keys.js';
import { createLedger } from '../store/ledger.js';
import { usageReport } from '../store/usage.js';
import { chartSpecs, gatherReport, TOP, type ReportData } from './data.js';
import { renderHtml, type HtmlReportData } from './html.js';
import { pdfText, renderPdf } from './pdf.js';
import { formatUsd, rangeText, reportTables } from './tables.js';

/** Names a client or user chose: markup and quotes that a report must show as text. */
const HOSTILE_KEY = '<img src=x onerror=alert(1)> "laptop" & </script>';
const HOSTILE_TOOL = 'x</script><script>alert(2)</script>';

/** The ledger below, read as the CLI reads it for --format html/pdf (`now` fixed at 2026-05-05 12:00 UTC). */
async function reportData(groupBy: UsageGroupBy = 'key', range: { from?: string; to?: string } = { from: '2026-05-01', to: '2026-05-04' }): Promise<ReportData> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-report-'));
  const db = openDatabase(join(dir, 'r.sqlite'));
  try {
    let clock = new Date('2026-05-01T09:00:00.000Z');
    const ledger = createLedger(db, { now: () => clock });
    insertKey(db, keyRow('key_a', { name: HOSTILE_KEY, userId: null, teamId: null, createdAt: clock.toISOString() }));
    insertKey(db, keyRow('key_b', { name: 'ci', userId: null, teamId: null, createdAt: clock.toISOString() }));
    let n = 0;
    const request = async (at: string, keyId: string, model: string, input: number, output: number, costUsd: number): Promise<void> => {
      clock = new Date(at);
      await ledger.append({
        type: 'llm.request',
        requestId: `req_${++n}`,
        keyId,
        api: 'openai-chat',
        session: n % 2 ? 'sess-1' : null,
        client: null,
        route: 'fast',
        provider: 'openai',
        model,
        requestedModel: 'fast',
        translated: false,
        credential: 'gateway',
        stream: false,
        status: 200,
        outcome: 'ok',
        usage: { inputTokens: input, outputTokens: output, cacheReadTokens: 10, cacheWriteTokens: 0, reasoningTokens: 0 },
        usageEstimated: false,
        costUsd,
        pricing: 'config',
        latencyMs: 10,
        ttftMs: null,
        attempts: [],
        request: { bytes: 1, sha256: 'a'.repeat(64) },
        response: { bytes: 1, sha256: 'b'.repeat(64) },
      });
    };
    const call = async (at: string, server: string, tool: string, outcome: 'ok' | 'refused', costUsd: number | null): Promise<void> => {
      clock = new Date(at);
      await ledger.append({
        type: 'mcp.call',
        requestId: `mcp_${++n}`,
        keyId: 'key_a',
        session: 'mcp-1',
        server,
        tool,
        name: `${server}__${tool}`,
        arguments: { bytes: 1, sha256: 'c'.repeat(64) },
        decision: outcome === 'ok' ? 'allow' : 'deny',
        decidedBy: 'policy',
        outcome,
        costUsd,
        durationMs: outcome === 'ok' ? 25 : 0,
        result: null,
      });
    };
    await request('2026-05-01T10:00:00.000Z', 'key_a', 'gpt-4o', 1200, 300, 0.006);
    await request('2026-05-01T11:00:00.000Z', 'key_b', 'gpt-4o-mini', 800, 100, 0.00018);
    await request('2026-05-03T09:00:00.000Z', 'key_a', 'gpt-4o', 5000, 900, 0.0215);
    await call('2026-05-01T10:30:00.000Z', 'every', 'echo', 'ok', null);
    await call('2026-05-03T10:30:00.000Z', 'every', 'echo', 'ok', null);
    await call('2026-05-03T10:31:00.000Z', 'every', 'get-annotated-message', 'ok', 0.3);
    await call('2026-05-03T10:32:00.000Z', 'x', HOSTILE_TOOL, 'refused', null);
    return await gatherReport((p) => Promise.resolve(usageReport(db, p, { now: () => new Date('2026-05-05T12:00:00.000Z') })), { groupBy, ...range }, () => new Date('2026-05-05T12:00:00.000Z'));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('gatherReport', () => {
  it('reads the asked-for grouping and the four breakdowns over one range, an open `to` pinned to now', async () => {
    const reads: UsageReportParams[] = [];
    const fake = (p: UsageReportParams): Promise<UsageReport> => {
      reads.push(p);
      return Promise.resolve({ from: null, to: null, groupBy: p.groupBy, generatedAt: 'x', rows: [], totals: {} as UsageReport['totals'] });
    };
    const now = () => new Date('2026-05-05T12:00:00.000Z');
    const data = await gatherReport(fake, { groupBy: 'session', from: '2026-05-01' }, now);
    expect(reads).toEqual(['session', 'day', 'model', 'key', 'tool'].map((groupBy) => ({ groupBy, from: '2026-05-01', to: '2026-05-05T12:00:00.000Z' })));
    expect([data.report, data.byDay, data.byModel, data.byKey, data.byTool].map((r) => r.groupBy)).toEqual(['session', 'day', 'model', 'key', 'tool']);
    // A grouping that is also a breakdown is read once; a given `to` is kept.
    reads.length = 0;
    await gatherReport(fake, { groupBy: 'model', to: '2026-05-02' }, now);
    expect(reads.map((p) => [p.groupBy, p.to])).toEqual([
      ['model', '2026-05-02'],
      ['day', '2026-05-02'],
      ['key', '2026-05-02'],
      ['tool', '2026-05-02'],
    ]);
    // A `from` still to come stays open-ended instead of failing as "from after to".
    reads.length = 0;
    await gatherReport(fake, { groupBy: 'key', from: '2027-01-01' }, now);
    expect(reads[0]).toEqual({ groupBy: 'key', from: '2027-01-01' });
  });

  it('gives the charts and tables the same totals over real SQLite', async () => {
    const data = await reportData();
    expect(data.byDay.totals).toEqual(data.byKey.totals);
    expect(data.byModel.totals).toEqual(data.report.totals);
    expect(data.byDay.totals).toMatchObject({ requests: 3, costUsd: 0.02768 });
    expect(data.byTool.totals).toMatchObject({ requests: 4, costUsd: 0.3, refused: 1, errors: 1 });
    expect(data.byDay.rows.map((r) => [r.group, r.requests])).toEqual([
      ['2026-05-01', 2],
      ['2026-05-02', 0],
      ['2026-05-03', 1],
      ['2026-05-04', 0],
    ]);
  });
});

describe('charts and tables', () => {
  it('charts spend per day, spend by model, keys by spend and tools by calls', async () => {
    const charts = chartSpecs(await reportData());
    expect(charts.map((c) => [c.id, c.kind, c.unit])).toEqual([
      ['spend-per-day', 'columns', 'usd'],
      ['spend-by-model', 'bars', 'usd'],
      ['top-keys', 'bars', 'usd'],
      ['top-tools', 'bars', 'calls'],
    ]);
    expect(charts[0]).toMatchObject({ labels: ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04'], values: [0.00618, 0, 0.0215, 0] });
    expect(charts[1]).toMatchObject({ labels: ['openai/gpt-4o', 'openai/gpt-4o-mini'], values: [0.0275, 0.00018] });
    // Keys by name.
    expect(charts[2]).toMatchObject({ labels: [HOSTILE_KEY, 'ci'], values: [0.0275, 0.00018] });
    expect(charts[3]).toMatchObject({ labels: ['every__echo', 'every__get-annotated-message', `x__${HOSTILE_TOOL}`], values: [2, 1, 1] });
  });

  it(`keeps the top ${TOP} bars and sums the rest into one`, async () => {
    const data = await reportData();
    const rows = Array.from({ length: TOP + 3 }, (_, i) => ({ ...data.byModel.rows[0]!, group: `m${String(i).padStart(2, '0')}`, costUsd: i + 1 }));
    const spec = chartSpecs({ ...data, byModel: { ...data.byModel, rows } })[1]!;
    expect(spec.labels).toHaveLength(TOP + 1);
    expect(spec.labels[0]).toBe(`m${String(TOP + 2)}`);
    expect(spec.labels.at(-1)).toBe('(3 others)');
    expect(spec.values.at(-1)).toBe(1 + 2 + 3);
  });

  it('writes money as dollars and cents, small amounts to three digits, never in exponent form', () => {
    expect([0, 0.006, 0.0215, 0.3, 0.02768, 1234.5, 1, 0.000000123, 0.01].map(formatUsd)).toEqual(['$0.00', '$0.006', '$0.0215', '$0.30', '$0.0277', '$1,234.50', '$1.00', '$0.000000123', '$0.01']);
  });

  it('says the range in words', async () => {
    const r = (from: string | null, to: string | null) => rangeText({ from, to } as UsageReport);
    expect(r('2026-05-01T00:00:00.000Z', '2026-05-04T00:00:00.000Z')).toBe('From 2026-05-01 through 2026-05-03 (UTC)');
    expect(r(null, '2026-05-05T12:00:00.000Z')).toBe('From the first record until 2026-05-05 12:00:00 UTC');
    expect(r('2026-05-01T09:30:00.000Z', null)).toBe('From 2026-05-01 09:30:00 UTC to now');
  });

  it('has a table for the asked-for grouping, then day, model, key and tool, each with a total row', async () => {
    const tables = reportTables(await reportData('session'));
    expect(tables.map((t) => t.title)).toEqual(['By session', 'By day', 'By model', 'By key', 'MCP tool calls']);
    expect(tables[0]!.rows).toEqual([
      ['sess-1', '2', '6,200', '1,200', '20', '0', '$0.0275', '0'],
      ['(none)', '1', '800', '100', '10', '0', '$0.00018', '0'],
    ]);
    expect(tables[3]!.columns.map((c) => c.title)).toEqual(['Key', 'Name', 'Requests', 'Input tokens', 'Output tokens', 'Cache read', 'Cache write', 'Cost', 'Errors']);
    expect(tables[4]!.columns.map((c) => c.title)).toEqual(['Tool', 'Calls', 'Errors', 'Refused', 'Cost', 'Time', 'Avg time']);
    expect(tables[4]!.total).toEqual(['(total)', '4', '1', '1', '$0.30', '75 ms', '18.8 ms']);
    expect(reportTables(await reportData('tool')).map((t) => t.title)).toEqual(['By tool', 'By day', 'By model', 'By key']);
  });
});

/** The JSON the page script reads, and the page with that block taken out. */
function split(html: string): { data: HtmlReportData; rest: string } {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error('no data block');
  return { data: JSON.parse(m[1]!) as HtmlReportData, rest: html.replace(m[0], '') };
}

describe('renderHtml', () => {
  it('is one file that loads nothing: no http(s) src or href, and a CSP that allows no fetch', async () => {
    const html = renderHtml(await reportData());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script\b[^>]*\bsrc=/i);
    expect(html).toContain(`content="default-src 'none'; script-src 'sha256-`);
    // Chart.js is inlined, and each inline script is allowed by its own hash.
    expect(html).toContain('Chart.js v4');
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    for (const s of scripts) expect(html).toContain(`'sha256-${createHash('sha256').update(s).digest('base64')}'`);
    for (const id of ['spend-per-day', 'spend-by-model', 'top-keys', 'top-tools']) expect(html).toContain(`<figure class="chart" id="chart-${id}">`);
    expect(html).toMatch(/@media \(prefers-color-scheme: dark\)/);
  });

  it('carries labels only as JSON text with < escaped, never as markup', async () => {
    const html = renderHtml(await reportData());
    const { data, rest } = split(html);
    // The names that hold markup appear nowhere outside the data block, and inside it only with < escaped.
    for (const bad of ['<img src=x', 'alert(1)', 'alert(2)']) expect(rest).not.toContain(bad);
    expect(html).not.toContain(HOSTILE_KEY);
    expect(html).toContain('\\u003cimg src=x onerror=alert(1)> \\"laptop\\" & \\u003c/script>');
    // Parsed back, the data holds them exactly.
    expect(data.charts.find((c) => c.id === 'top-keys')!.labels).toContain(HOSTILE_KEY);
    expect(data.tables.find((t) => t.title === 'MCP tool calls')!.rows.map((r) => r[0])).toContain(`x__${HOSTILE_TOOL}`);
    expect(data.headline).toContainEqual({ label: 'Spend', value: '$0.0277' });
    expect(data.range).toBe('From 2026-05-01 through 2026-05-04 (UTC)');
    // The page script builds text nodes only.
    expect(rest).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});

/** The text a PDF shows, from its page streams (pdfkit writes text as hex strings in TJ arrays). */
function pdfShownText(pdf: Buffer): string {
  return [...pdf.toString('latin1').matchAll(/\[((?:<[0-9a-f]*>\s*-?[\d.]*\s*)+)\] TJ/g)]
    .map((m) => [...m[1]!.matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''))
    .join('\n');
}

describe('renderPdf', () => {
  it('writes a PDF with the title, range, totals, charts and tables', async () => {
    const pdf = await renderPdf(await reportData(), { compress: false });
    const raw = pdf.toString('latin1');
    expect(raw.startsWith('%PDF-1.')).toBe(true);
    expect(raw.trimEnd().endsWith('%%EOF')).toBe(true);
    // Every object the cross-reference table lists starts where it says.
    const xref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(raw)![1]);
    const table = /^xref\s+0 (\d+)\s+([\s\S]*?)trailer/.exec(raw.slice(xref))!;
    const offsets = [...table[2]!.matchAll(/(\d{10}) \d{5} n/g)].map((m) => Number(m[1]));
    expect(offsets.length).toBe(Number(table[1]) - 1);
    offsets.forEach((o, i) => expect(raw.slice(o, o + 20)).toMatch(new RegExp(`^${i + 1} 0 obj`)));
    expect(raw.match(/\/Type \/Page\b/g)!.length).toBeGreaterThanOrEqual(1);

    const text = pdfShownText(pdf);
    for (const s of ['Gatehouse usage report', 'From 2026-05-01 through 2026-05-04 (UTC)', 'Spend', '$0.0277', 'Tool calls', 'Spend per day (USD)', 'Spend by model (USD)', 'Top keys by spend (USD)', 'Top MCP tools by calls', 'By key', 'MCP tool calls', 'openai/gpt-4o-mini', 'every__get-annotated-message', '(total)']) {
      expect(text, s).toContain(s);
    }
    // The charts are vector bars: filled rectangles in the page stream.
    expect(raw.match(/ re\n(?:[^\n]*\n){0,3}f\n/g)!.length).toBeGreaterThan(8);
  });

  it('compresses by default, and prints untrusted text in the standard font as Latin-1 or ?', async () => {
    const pdf = await renderPdf(await reportData());
    expect(pdf.toString('latin1')).toMatch(/\/Filter \/FlateDecode/);
    expect(pdfText('naïve 名前 🙂 – ok\t\n')).toBe('naïve ?? ? – ok  ');
  });
});
