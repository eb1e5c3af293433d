// The traffic and reports stores against a fake control client: what each asks the gateway and how live events change the list.
import { describe, expect, it } from 'vitest';
import type { ControlEvent, ReportExport, TrafficListParams, TrafficRow, UsageReport, UsageReportParams } from '../../../shared/contract';
import { ControlError } from '../../../shared/control-client';
import { createReportsStore, exportBlob, presetRange } from './reports';
import { createTrafficStore, matchesTraffic, MAX_TRAFFIC_ROWS, rowFromEvent, trafficStatus } from './traffic';
import { fakeClient } from './fake-client';


function row(requestId: string, seq: number | null, over: Partial<TrafficRow> = {}): TrafficRow {
  return { requestId, seq, at: '2026-11-24T10:00:00.000Z', kind: 'llm', keyId: 'key_a', model: 'gpt-4o-mini', provider: 'mock', tool: null, status: 200, outcome: 'ok', latencyMs: 40, inputTokens: 10, outputTokens: 5, costUsd: 0.001, ...over };
}

const completed = (requestId: string, over: Partial<Extract<ControlEvent, { event: 'request:completed' }>['data']> = {}): ControlEvent => ({
  event: 'request:completed',
  data: { requestId, keyId: 'key_a', model: 'gpt-4o-mini', provider: 'mock', status: 200, outcome: 'ok', latencyMs: 12, costUsd: 0.002, inputTokens: 30, outputTokens: 7, ...over },
});

const toolDone = (requestId: string, outcome = 'ok'): ControlEvent => ({
  event: 'tool:completed',
  data: { requestId, keyId: 'key_b', server: 'every', tool: 'echo', name: 'every__echo', decision: 'allow', outcome, durationMs: 3.5, costUsd: null },
});

const NOW = new Date('2026-11-24T10:05:00.000Z');

describe('traffic store', () => {
  it('reads the first page once, with the filters, then puts each live call on top', async () => {
    const { client, calls } = fakeClient({ 'traffic:list': () => ({ rows: [row('r2', 2), row('r1', 1)], nextBefore: null }) });
    const s = createTrafficStore(client, () => NOW);
    await s.getState().load();
    await s.getState().load();
    expect(calls).toEqual([{ method: 'traffic:list', params: { limit: 500 } }]);
    s.getState().onEvent(completed('r3'));
    s.getState().onEvent(toolDone('m1', 'refused'));
    s.getState().onEvent(completed('r3'));
    s.getState().onEvent({ event: 'keys:changed', data: { id: 'k', change: 'created' } });
    expect(s.getState().rows.map((r) => r.requestId)).toEqual(['m1', 'r3', 'r2', 'r1']);
    expect(s.getState().rows[0]).toEqual({ requestId: 'm1', seq: null, at: NOW.toISOString(), kind: 'mcp', keyId: 'key_b', model: null, provider: 'every', tool: 'every__echo', status: null, outcome: 'refused', latencyMs: 3.5, inputTokens: 0, outputTokens: 0, costUsd: null });
    expect(trafficStatus(s.getState().rows[1]!)).toBe('200 ok');
    expect(trafficStatus(s.getState().rows[0]!)).toBe('refused');
  });

  it('keeps live rows that arrive while the first page is read, without doubling those the page has', async () => {
    let answer: (v: unknown) => void = () => undefined;
    const { client } = fakeClient({ 'traffic:list': () => new Promise((r) => (answer = r)) });
    const s = createTrafficStore(client, () => NOW);
    const loading = s.getState().load();
    s.getState().onEvent(completed('r3'));
    s.getState().onEvent(completed('r2'));
    answer({ rows: [row('r2', 2), row('r1', 1)], nextBefore: null });
    await loading;
    expect(s.getState().rows.map((r) => [r.requestId, r.seq])).toEqual([
      ['r3', null],
      ['r2', 2],
      ['r1', 1],
    ]);
  });

  it('applies the filters to live calls as the gateway does to the list', async () => {
    const lists: TrafficListParams[] = [];
    const { client } = fakeClient({ 'traffic:list': (p: TrafficListParams) => (lists.push(p), { rows: [], nextBefore: null }) });
    const s = createTrafficStore(client, () => NOW);
    await s.getState().setFilters({ kind: 'llm', model: ' GPT-4O ', outcome: '!ok', q: '' });
    expect(lists).toEqual([{ kind: 'llm', model: 'GPT-4O', outcome: '!ok', limit: 500 }]);
    s.getState().onEvent(completed('ok-one'));
    s.getState().onEvent(completed('failed', { status: 502, outcome: 'upstream_error' }));
    s.getState().onEvent(toolDone('tool-failed', 'tool_error'));
    expect(s.getState().rows.map((r) => r.requestId)).toEqual(['failed']);
    const tool = rowFromEvent(toolDone('t'), NOW.toISOString())!;
    expect(matchesTraffic(tool, { model: 'every__' })).toBe(true);
    expect(matchesTraffic(tool, { keyId: 'key_a' })).toBe(false);
    expect(matchesTraffic(tool, { q: 'EVERY' })).toBe(true);
    expect(matchesTraffic(tool, { q: 'nothing like it' })).toBe(false);
  });

  it('holds live calls while paused and shows them on resume', async () => {
    const { client } = fakeClient({ 'traffic:list': () => ({ rows: [row('r1', 1)], nextBefore: null }) });
    const s = createTrafficStore(client, () => NOW);
    await s.getState().load();
    s.getState().pause();
    s.getState().onEvent(completed('r2'));
    s.getState().onEvent(completed('r3'));
    expect(s.getState().rows.map((r) => r.requestId)).toEqual(['r1']);
    expect(s.getState().held.map((r) => r.requestId)).toEqual(['r3', 'r2']);
    s.getState().resume();
    expect(s.getState().rows.map((r) => r.requestId)).toEqual(['r3', 'r2', 'r1']);
    expect(s.getState().held).toEqual([]);
  });

  it(`keeps at most ${MAX_TRAFFIC_ROWS} rows, dropping the oldest, and stops paging there`, async () => {
    const page = Array.from({ length: 500 }, (_, i) => row(`h${i}`, 10_000 - i));
    let reads = 0;
    const { client } = fakeClient({ 'traffic:list': () => (reads++, { rows: page.map((r) => ({ ...r, requestId: `${r.requestId}-${reads}` })), nextBefore: 1 }) });
    const s = createTrafficStore(client, () => NOW);
    await s.getState().load();
    for (let i = 0; i < 12; i++) await s.getState().loadMore();
    expect(s.getState().rows).toHaveLength(MAX_TRAFFIC_ROWS);
    expect(reads).toBe(10);
    for (let i = 0; i < 3; i++) s.getState().onEvent(completed(`live${i}`));
    expect(s.getState().rows).toHaveLength(MAX_TRAFFIC_ROWS);
    expect(s.getState().rows[0]!.requestId).toBe('live2');
    expect(s.getState().rows.at(-1)!.requestId).toBe('h496-10');
  });

  it('opens a call: traffic:get by seq when the row has one, by request id for a live row; errors kept for the drawer', async () => {
    const { client, calls } = fakeClient({
      'traffic:list': () => ({ rows: [row('r1', 7)], nextBefore: null }),
      'traffic:get': (p: { requestId: string }) => {
        if (p.requestId === 'gone') throw new ControlError('not_found', 'no model or tool call "gone"');
        return { record: { seq: 7, at: '', type: 'llm.request', hash: 'h', body: {} }, findings: [] };
      },
    });
    const s = createTrafficStore(client, () => NOW);
    await s.getState().load();
    await s.getState().select(s.getState().rows[0]!);
    expect(s.getState().detail?.record.seq).toBe(7);
    expect(s.getState().detailLoading).toBe(false);
    await s.getState().select(rowFromEvent(completed('gone'), NOW.toISOString()));
    expect(calls.filter((c) => c.method === 'traffic:get').map((c) => c.params)).toEqual([{ requestId: 'r1', seq: 7 }, { requestId: 'gone' }]);
    expect(s.getState().detail).toBeNull();
    expect(s.getState().detailError).toBe('no model or tool call "gone"');
    await s.getState().select(null);
    expect(s.getState().selected).toBeNull();
  });
});

function usage(groupBy: UsageReport['groupBy'], rows: number): UsageReport {
  const totals = { requests: rows, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0, unpricedRequests: 0, estimatedRequests: 0, errors: 0, subscriptionCostUsd: 0 };
  return { from: null, to: null, groupBy, generatedAt: '', rows: Array.from({ length: rows }, (_, i) => ({ ...totals, requests: 1, group: `g${i}` })), totals };
}

describe('reports store', () => {
  it('turns presets into UTC days, both ends included', () => {
    expect(presetRange('today', NOW)).toEqual({ from: '2026-11-24', to: '2026-11-24' });
    expect(presetRange('7d', NOW)).toEqual({ from: '2026-11-18', to: '2026-11-24' });
    expect(presetRange('month', NOW)).toEqual({ from: '2026-11-01', to: '2026-11-24' });
    expect(presetRange('last-month', NOW)).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(presetRange('last-month', new Date('2026-01-10T00:00:00Z'))).toEqual({ from: '2025-12-01', to: '2025-12-31' });
    expect(presetRange('7d', new Date('2026-03-03T23:59:00Z'))).toEqual({ from: '2026-02-25', to: '2026-03-03' });
  });

  it('reads the grouping and the spend per day over the chosen range', async () => {
    const reads: UsageReportParams[] = [];
    const { client } = fakeClient({ 'report:usage': (p: UsageReportParams) => (reads.push(p), usage(p.groupBy, p.groupBy === 'day' ? 3 : 2)) });
    const s = createReportsStore(client, () => NOW);
    await s.getState().load();
    expect(reads).toEqual([
      { groupBy: 'model', from: '2026-11-01', to: '2026-11-24' },
      { groupBy: 'day', from: '2026-11-01', to: '2026-11-24' },
    ]);
    expect(s.getState().report?.rows).toHaveLength(2);
    expect(s.getState().byDay?.rows).toHaveLength(3);
    reads.length = 0;
    await s.getState().setGroupBy('day');
    expect(reads).toEqual([{ groupBy: 'day', from: '2026-11-01', to: '2026-11-24' }]);
    expect(s.getState().byDay).toBe(s.getState().report);
    reads.length = 0;
    await s.getState().setPreset('today');
    await s.getState().setRange('2026-11-02', '');
    expect(reads).toEqual([
      { groupBy: 'day', from: '2026-11-24', to: '2026-11-24' },
      { groupBy: 'day', from: '2026-11-02' },
    ]);
    expect(s.getState().preset).toBe('custom');
  });

  it('says why a report could not be read or exported', async () => {
    const { client, calls } = fakeClient({
      'report:usage': () => {
        throw new ControlError('invalid_params', 'report:usage: --from "x" is not a date');
      },
      'report:export': () => {
        throw new ControlError('invalid_params', 'report:export: the CSV report is 20.0 MB, over the 16.0 MB the console downloads');
      },
    });
    const s = createReportsStore(client, () => NOW);
    await s.getState().load();
    expect(s.getState().error).toContain('is not a date');
    expect(await s.getState().exportAs('csv')).toBeNull();
    expect(s.getState().exportError).toContain('over the 16.0 MB');
    expect(s.getState().exporting).toBeNull();
    expect(calls.at(-1)).toEqual({ method: 'report:export', params: { groupBy: 'model', from: '2026-11-01', to: '2026-11-24', format: 'csv' } });
  });

  it('makes a download of text as it is and of base64 as its bytes', async () => {
    const text: ReportExport = { fileName: 'r.csv', mimeType: 'text/csv; charset=utf-8', encoding: 'utf8', content: 'group,requests\r\n', bytes: 16 };
    expect(await exportBlob(text).text()).toBe('group,requests\r\n');
    const bytes = Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0xff, 0x00]);
    const pdf: ReportExport = { fileName: 'r.pdf', mimeType: 'application/pdf', encoding: 'base64', content: Buffer.from(bytes).toString('base64'), bytes: 7 };
    const blob = exportBlob(pdf);
    expect(blob.type).toBe('application/pdf');
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
  });
});
