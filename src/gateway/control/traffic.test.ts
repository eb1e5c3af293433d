// traffic:list, traffic:get, the tool:completed announcement and report:export, through the control service over real SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlEvents } from '../../shared/contract.js';
import { KeyIndex } from '../policy/keys.js';
import { usageCsv } from '../report/csv.js';
import { openDatabase, type Db } from '../store/db.js';
import { listKeys } from '../store/keys.js';
import { createLedger, type Ledger, type LedgerEventInput } from '../store/ledger.js';
import { usageReport } from '../store/usage.js';
import { exportReport } from './report-export.js';
import { createControlService, type ControlService } from './service.js';
import { announcingToolCalls } from './traffic.js';

let dir: string;
let db: Db;
let ledger: Ledger;
let control: ControlService;
let clock: Date;

function unused(): never {
  throw new Error('not used by these tests');
}

function llmRecord(i: number, over: Record<string, unknown> = {}): LedgerEventInput {
  return {
    type: 'llm.request',
    requestId: `req_${i}`,
    keyId: i % 2 ? 'key_a' : 'key_b',
    api: 'openai-chat',
    session: null,
    client: 'claude-cli/2.0.1',
    route: 'fast',
    provider: 'mock',
    model: i % 4 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
    requestedModel: 'fast',
    status: 200,
    outcome: 'ok',
    usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 5, cacheWriteTokens: 1, reasoningTokens: 0 },
    costUsd: 0.001,
    latencyMs: 40 + i,
    ttftMs: 12,
    attempts: [],
    ...over,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-traffic-'));
  db = openDatabase(join(dir, 't.sqlite'));
  clock = new Date('2026-11-24T10:00:00.000Z');
  ledger = createLedger(db, { now: () => clock });
  control = createControlService({
    db,
    ledger,
    keys: new KeyIndex(() => listKeys(db)),
    now: () => clock,
    secrets: unused,
    onSecretChanged: unused,
    config: { snapshot: unused, validate: unused, edit: unused },
    status: unused,
    consoleLoginUrl: unused,
    approvals: { pending: unused, decide: unused },
    pins: { quarantined: unused, accept: unused },
    audit: { key: () => null, unkeyedReason: () => 'no keychain in these tests', lookup: async () => null },
  });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('traffic:list', () => {
  beforeEach(() => {
    for (let i = 1; i <= 30; i++) {
      clock = new Date(Date.UTC(2026, 10, 24, 10, i));
      if (i % 5 === 0) ledger.appendNow({ type: 'admin.key.updated', actor: 'cli', keyId: 'key_a', changes: {} });
      else if (i % 3 === 0)
        ledger.appendNow({ type: 'mcp.call', requestId: `mcp_${i}`, keyId: 'key_a', session: 's', server: 'every', tool: 'echo', name: 'every__echo', decision: 'allow', decidedBy: 'policy', outcome: i === 9 ? 'refused' : 'ok', costUsd: null, durationMs: 3.5, result: null });
      else ledger.appendNow(llmRecord(i, i === 7 ? { status: 502, outcome: 'upstream_error', costUsd: null } : {}));
    }
  });

  it('lists model and tool calls newest first as rows, other records left out', async () => {
    const { rows, nextBefore } = await control.call('traffic:list', {}, 'console');
    expect(rows.map((r) => r.requestId)).toEqual(['req_29', 'req_28', 'mcp_27', 'req_26', 'mcp_24', 'req_23', 'req_22', 'mcp_21', 'req_19', 'mcp_18', 'req_17', 'req_16', 'req_14', 'req_13', 'mcp_12', 'req_11', 'mcp_9', 'req_8', 'req_7', 'mcp_6', 'req_4', 'mcp_3', 'req_2', 'req_1']);
    expect(nextBefore).toBeNull();
    expect(rows[0]).toEqual({
      requestId: 'req_29',
      seq: 29,
      at: '2026-11-24T10:29:00.000Z',
      kind: 'llm',
      keyId: 'key_a',
      model: 'gpt-4o-mini',
      provider: 'mock',
      tool: null,
      status: 200,
      outcome: 'ok',
      latencyMs: 69,
      inputTokens: 106,
      outputTokens: 20,
      costUsd: 0.001,
    });
    expect(rows.find((r) => r.requestId === 'mcp_27')).toMatchObject({ kind: 'mcp', provider: 'every', tool: 'every__echo', status: null, latencyMs: 3.5, inputTokens: 0, costUsd: null });
  });

  it('pages with nextBefore and filters by kind, key, model or tool, outcome and text', async () => {
    const first = await control.call('traffic:list', { limit: 5 }, 'console');
    const second = await control.call('traffic:list', { limit: 5, before: first.nextBefore! }, 'console');
    expect(second.rows[0]!.requestId).toBe('req_23');
    expect((await control.call('traffic:list', { kind: 'mcp' }, 'console')).rows.every((r) => r.kind === 'mcp')).toBe(true);
    expect((await control.call('traffic:list', { keyId: 'key_b' }, 'console')).rows.map((r) => r.requestId)).toEqual(['req_28', 'req_26', 'req_22', 'req_16', 'req_14', 'req_8', 'req_4', 'req_2']);
    expect((await control.call('traffic:list', { model: 'GPT-4O', kind: 'llm', keyId: 'key_b' }, 'console')).rows).toHaveLength(8);
    expect((await control.call('traffic:list', { model: 'every__' }, 'console')).rows.every((r) => r.tool === 'every__echo')).toBe(true);
    expect((await control.call('traffic:list', { outcome: '!ok' }, 'console')).rows.map((r) => r.requestId)).toEqual(['mcp_9', 'req_7']);
    expect((await control.call('traffic:list', { outcome: 'upstream_error' }, 'console')).rows.map((r) => [r.requestId, r.status])).toEqual([['req_7', 502]]);
    expect((await control.call('traffic:list', { q: 'REQ_13' }, 'console')).rows.map((r) => r.requestId)).toEqual(['req_13']);
    expect((await control.call('traffic:list', { q: "' OR 1=1 --" }, 'console')).rows).toEqual([]);
    await expect(control.call('traffic:list', { kind: 'sql' } as never, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
    await expect(control.call('traffic:list', { limit: 1001 }, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
  });
});

describe('traffic:get', () => {
  it("returns the call's record and the guardrail findings written for it, by request id or seq", async () => {
    ledger.appendNow({ type: 'guardrail.findings', requestId: 'req_1', keyId: 'key_a', location: 'llm.input', masked: 1, findings: [{ type: 'secret', rule: 'aws-key', action: 'mask' }] });
    ledger.appendNow({ type: 'guardrail.findings', requestId: 'req_other', keyId: 'key_a', location: 'llm.input', masked: 0, findings: [] });
    clock = new Date('2026-11-24T10:00:01.000Z');
    const { seq } = ledger.appendNow(llmRecord(1));
    const detail = await control.call('traffic:get', { requestId: 'req_1' }, 'console');
    expect(detail.record).toMatchObject({ seq, type: 'llm.request', body: { client: 'claude-cli/2.0.1', ttftMs: 12 } });
    expect(detail.findings.map((f) => f.body.findings)).toEqual([[{ type: 'secret', rule: 'aws-key', action: 'mask' }]]);
    expect((await control.call('traffic:get', { requestId: 'req_1', seq }, 'console')).record.seq).toBe(seq);
    await expect(control.call('traffic:get', { requestId: 'req_1', seq: 1 }, 'console')).rejects.toMatchObject({ code: 'not_found' });
    await expect(control.call('traffic:get', { requestId: 'nope' }, 'console')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('"nope"') });
  });
});

describe('tool:completed', () => {
  it('is announced once an mcp.call record is committed, and only for those', async () => {
    const seen: ControlEvents['tool:completed'][] = [];
    const announcing = announcingToolCalls(ledger, (e) => seen.push(e));
    const pending = announcing.append({ type: 'mcp.call', requestId: 'mcp_1', keyId: 'key_a', server: 'every', tool: 'echo', name: 'every__echo', decision: 'once', outcome: 'ok', costUsd: 0.01, durationMs: 12.5 });
    await announcing.append({ type: 'llm.request', requestId: 'req_1' });
    await pending;
    expect(seen).toEqual([{ requestId: 'mcp_1', keyId: 'key_a', server: 'every', tool: 'echo', name: 'every__echo', decision: 'once', outcome: 'ok', durationMs: 12.5, costUsd: 0.01 }]);
    // The record is in the ledger by the time the event is out.
    expect((await control.call('traffic:get', { requestId: 'mcp_1' }, 'console')).record.type).toBe('mcp.call');
  });
});

describe('report:export', () => {
  beforeEach(() => {
    for (let i = 1; i <= 6; i++) {
      clock = new Date(Date.UTC(2026, 10, 20 + (i % 3), 9));
      ledger.appendNow(llmRecord(i, { credential: 'gateway', name: `=HYPERLINK("x")${i}` }));
    }
  });

  it('renders CSV exactly as the CLI does, and JSON, HTML and PDF from the same reads', async () => {
    const range = { from: '2026-11-20', to: '2026-11-22', groupBy: 'model' } as const;
    const csv = await control.call('report:export', { ...range, format: 'csv' }, 'console');
    expect(csv).toMatchObject({ fileName: 'gatehouse-usage-by-model-2026-11-20-to-2026-11-22.csv', mimeType: 'text/csv; charset=utf-8', encoding: 'utf8' });
    expect(csv.content).toBe(usageCsv(usageReport(db, range, { now: () => clock }), 'model'));
    expect(csv.content.split('\r\n')[0]).toBe('group,requests,inputTokens,outputTokens,cacheReadTokens,cacheWriteTokens,reasoningTokens,costUsd,unpricedRequests,estimatedRequests,errors,subscriptionCostUsd');
    expect(csv.bytes).toBe(Buffer.byteLength(csv.content));
    const json = await control.call('report:export', { ...range, format: 'json' }, 'console');
    expect(JSON.parse(json.content)).toMatchObject({ groupBy: 'model', totals: { requests: 6 } });
    const html = await control.call('report:export', { ...range, format: 'html' }, 'console');
    expect(html).toMatchObject({ mimeType: 'text/html; charset=utf-8', encoding: 'utf8' });
    expect(html.content).toMatch(/^<!doctype html>/i);
    const pdf = await control.call('report:export', { ...range, format: 'pdf' }, 'console');
    expect(pdf).toMatchObject({ mimeType: 'application/pdf', encoding: 'base64', fileName: 'gatehouse-usage-by-model-2026-11-20-to-2026-11-22.pdf' });
    const bytes = Buffer.from(pdf.content, 'base64');
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.bytes).toBe(bytes.length);
  });

  it('refuses a report past the size limit, naming the CLI command that writes it, and bad ranges clearly', async () => {
    const read = async (p: Parameters<typeof usageReport>[1]) => usageReport(db, p, { now: () => clock });
    await expect(exportReport(read, { groupBy: 'request', from: '2026-11-01', format: 'csv' }, () => clock, 200)).rejects.toMatchObject({
      code: 'invalid_params',
      message: expect.stringContaining('gatehouse report --group-by request --from 2026-11-01 --format csv --out gatehouse-usage-by-request-2026-11-01-to-now.csv'),
    });
    await expect(control.call('report:export', { groupBy: 'model', from: 'yesterday', format: 'csv' }, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
    await expect(control.call('report:export', { groupBy: 'model', format: 'xlsx' } as never, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
  });
});
