// The usage report over a real SQLite file, with rows written through the real ledger.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageTotals } from '../../shared/contract.js';
import { openDatabase, type Db } from './db.js';
import { keyRow } from '../../../test/fixtures/key-row.js';
import { insertKey } from './keys.js';
import { insertTeam, insertUser } from './users.js';
import { createLedger, type Ledger } from './ledger.js';
import { usageRange, usageReport, UsageParamsError } from './usage.js';

let dir: string;
let db: Db;
let ledger: Ledger;
let clock: Date;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-usage-'));
  db = openDatabase(join(dir, 'u.sqlite'));
  clock = new Date('2026-05-01T10:00:00.000Z');
  ledger = createLedger(db, { now: () => clock });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function key(id: string, name: string, userId: string | null, teamId: string | null): void {
  insertKey(db, keyRow(id, { name, userId, teamId, createdAt: clock.toISOString() }));
}

interface Req {
  at?: string;
  requestId?: string;
  keyId?: string;
  session?: string | null;
  route?: string;
  provider?: string;
  model?: string;
  status?: number;
  outcome?: string;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  estimated?: boolean;
  costUsd?: number | null;
  client?: string | null;
  credential?: 'gateway' | 'caller';
}

let nextId = 0;
/** An `llm.request` event shaped as the data path writes it (src/gateway/http/llm.ts). */
async function request(r: Req = {}): Promise<string> {
  if (r.at) clock = new Date(r.at);
  const requestId = r.requestId ?? `req_${String(++nextId).padStart(4, '0')}`;
  await ledger.append({
    type: 'llm.request',
    requestId,
    keyId: r.keyId ?? 'key_a',
    api: 'openai-chat',
    session: r.session === undefined ? null : r.session,
    client: r.client === undefined ? null : r.client,
    route: r.route ?? 'fast',
    provider: r.provider ?? 'openai',
    model: r.model ?? 'gpt-4o-mini',
    requestedModel: r.route ?? 'fast',
    translated: false,
    credential: r.credential ?? 'gateway',
    stream: false,
    status: r.status ?? 200,
    outcome: r.outcome ?? 'ok',
    usage: { inputTokens: r.input ?? 0, outputTokens: r.output ?? 0, cacheReadTokens: r.cacheRead ?? 0, cacheWriteTokens: r.cacheWrite ?? 0, reasoningTokens: r.reasoning ?? 0 },
    usageEstimated: r.estimated ?? false,
    costUsd: r.costUsd === undefined ? 0.001 : r.costUsd,
    pricing: r.costUsd === null ? null : 'config',
    latencyMs: 12.5,
    ttftMs: null,
    attempts: [],
    request: { bytes: 100, sha256: 'a'.repeat(64) },
    response: { bytes: 200, sha256: 'b'.repeat(64) },
  });
  return requestId;
}

const ZERO: UsageTotals = {
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  costUsd: 0,
  unpricedRequests: 0,
  estimatedRequests: 0,
  errors: 0,
  subscriptionCostUsd: 0,
};

describe('usageReport grouping', () => {
  it("keeps calls paid by the caller's own subscription out of costUsd, in subscriptionCostUsd", async () => {
    await request({ keyId: 'key_s', input: 10, output: 5, costUsd: 0.004 });
    await request({ keyId: 'key_s', input: 10, output: 5, costUsd: 0.25, credential: 'caller' });
    await request({ keyId: 'key_s', input: 10, output: 5, costUsd: null, credential: 'caller' });
    const r = usageReport(db, { groupBy: 'key' });
    expect(r.totals).toMatchObject({ requests: 3, costUsd: 0.004, subscriptionCostUsd: 0.25, unpricedRequests: 1 });
    expect(r.rows[0]).toMatchObject({ group: 'key_s', costUsd: 0.004, subscriptionCostUsd: 0.25 });
  });

  it('an empty ledger gives no rows and zero totals, with the range, grouping and time it was read', () => {
    expect(usageReport(db, { groupBy: 'key' }, { now: () => clock })).toEqual({ from: null, to: null, groupBy: 'key', generatedAt: '2026-05-01T10:00:00.000Z', rows: [], totals: ZERO });
    expect(usageReport(db, { groupBy: 'model', from: '2026-04-01', to: '2026-04-30T12:00+02:00' })).toMatchObject({
      from: '2026-04-01T00:00:00.000Z',
      to: '2026-04-30T10:00:00.000Z',
      groupBy: 'model',
      generatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
    });
  });

  it('groups by key with its name, highest cost first, and sums every count', async () => {
    key('key_a', 'laptop', 'ann', 'core');
    key('key_b', 'ci', null, null);
    ledger.appendNow({ type: 'admin.key.created', actor: 'cli' });
    await request({ keyId: 'key_a', input: 100, output: 20, cacheRead: 50, cacheWrite: 10, reasoning: 5, costUsd: 0.002 });
    await request({ keyId: 'key_a', input: 1, output: 2, costUsd: 0.003 });
    await request({ keyId: 'key_b', input: 7, output: 3, costUsd: 0.01 });
    await request({ keyId: 'key_gone', input: 1, output: 1, costUsd: 0.01 });
    ledger.appendNow({ type: 'http.refused', status: 401 });

    const r = usageReport(db, { groupBy: 'key' });
    expect(r.rows.map((x) => [x.group, x.label, x.costUsd])).toEqual([
      ['key_b', 'ci', 0.01],
      // Equal cost: ordered by group.
      ['key_gone', null, 0.01],
      ['key_a', 'laptop', 0.005],
    ]);
    expect(r.rows[2]).toEqual({
      group: 'key_a',
      label: 'laptop',
      requests: 2,
      inputTokens: 101,
      outputTokens: 22,
      cacheReadTokens: 50,
      cacheWriteTokens: 10,
      reasoningTokens: 5,
      costUsd: 0.005,
      unpricedRequests: 0,
      estimatedRequests: 0,
      errors: 0,
      subscriptionCostUsd: 0,
    });
    // Field order is the documented one: group first, then the counts.
    expect(Object.keys(r.rows[0]!)).toEqual(['group', 'label', ...Object.keys(ZERO)]);
    expect(r.totals).toEqual({ ...ZERO, requests: 4, inputTokens: 109, outputTokens: 26, cacheReadTokens: 50, cacheWriteTokens: 10, reasoningTokens: 5, costUsd: 0.025 });
  });

  it('groups by the user and team of the key, labelled with their names, "(none)" where the key has none', async () => {
    const policy = { models: [], mcpTools: [], budgets: [], rpm: null, tpm: null, maxConcurrency: null, createdAt: clock.toISOString(), disabledAt: null };
    insertUser(db, { id: 'ann', name: 'Ann', email: null, ...policy });
    insertTeam(db, { id: 'core', name: 'Core', ...policy });
    key('key_a', 'a', 'ann', 'core');
    key('key_b', 'b', 'bob', 'core');
    key('key_c', 'c', null, null);
    await request({ keyId: 'key_a', costUsd: 0.5 });
    await request({ keyId: 'key_b', costUsd: 0.25 });
    await request({ keyId: 'key_c', costUsd: 1 });
    expect(usageReport(db, { groupBy: 'user' }).rows.map((x) => [x.group, x.costUsd])).toEqual([
      ['(none)', 1],
      ['ann', 0.5],
      ['bob', 0.25],
    ]);
    expect(usageReport(db, { groupBy: 'team' }).rows.map((x) => [x.group, x.requests, x.costUsd])).toEqual([
      ['(none)', 1, 1],
      ['core', 2, 0.75],
    ]);
    // Bob's user record is gone: his group keeps its id and has no name.
    expect(usageReport(db, { groupBy: 'user' }).rows.map((x) => [x.group, x.label])).toEqual([
      ['(none)', null],
      ['ann', 'Ann'],
      ['bob', null],
    ]);
    expect(usageReport(db, { groupBy: 'team' }).rows.map((x) => x.label)).toEqual([null, 'Core']);
  });

  it('counts what a crash left reserved (charged in full at the next start) as a request of its key', async () => {
    key('key_a', 'a', null, null);
    await request({ keyId: 'key_a', costUsd: 0.5 });
    ledger.appendNow({ type: 'budget.reconciled', requestId: 'req_lost', keyId: 'key_a', costUsd: 0.125, reservedAt: clock.toISOString() });
    const r = usageReport(db, { groupBy: 'key' });
    expect(r.rows).toEqual([expect.objectContaining({ group: 'key_a', requests: 2, costUsd: 0.625, estimatedRequests: 1, errors: 1 })]);
    expect(usageReport(db, { groupBy: 'request' }).rows.map((x) => [x.group, x.outcome])).toEqual([
      [expect.any(String), 'ok'],
      ['req_lost', 'reconciled'],
    ]);
  });

  it('groups by provider/model, provider, route and session', async () => {
    await request({ provider: 'openai', model: 'gpt-4o', route: 'smart', session: 's1', costUsd: 0.3 });
    await request({ provider: 'openai', model: 'gpt-4o-mini', route: 'fast', session: 's1', costUsd: 0.1 });
    await request({ provider: 'anthropic', model: 'claude-haiku-4-5', route: 'fast', session: null, costUsd: 0.2 });
    expect(usageReport(db, { groupBy: 'model' }).rows.map((x) => x.group)).toEqual(['openai/gpt-4o', 'anthropic/claude-haiku-4-5', 'openai/gpt-4o-mini']);
    expect(usageReport(db, { groupBy: 'provider' }).rows.map((x) => [x.group, x.costUsd])).toEqual([
      ['openai', 0.4],
      ['anthropic', 0.2],
    ]);
    expect(usageReport(db, { groupBy: 'route' }).rows.map((x) => [x.group, x.requests])).toEqual([
      // 0.3 each: a tie, ordered by name.
      ['fast', 2],
      ['smart', 1],
    ]);
    expect(usageReport(db, { groupBy: 'session' }).rows.map((x) => [x.group, x.requests])).toEqual([
      ['s1', 2],
      ['(none)', 1],
    ]);
  });

  it('groups by the calling program (its user-agent)', async () => {
    await request({ client: 'claude-cli/2.0.0 (external, cli)', costUsd: 0.2 });
    await request({ client: 'claude-cli/2.0.0 (external, cli)', costUsd: 0.2 });
    await request({ client: 'OpenAI/JS 6.49.0', costUsd: 0.1 });
    await request({ client: null, costUsd: 0.05 });
    expect(usageReport(db, { groupBy: 'client' }).rows.map((x) => [x.group, x.requests, x.costUsd])).toEqual([
      ['claude-cli/2.0.0 (external, cli)', 2, 0.4],
      ['OpenAI/JS 6.49.0', 1, 0.1],
      ['(none)', 1, 0.05],
    ]);
  });

  it('groups by UTC day in date order, whatever the cost, a day with nothing as a zero row', async () => {
    await request({ at: '2026-05-01T23:59:59.999Z', costUsd: 0.01 });
    await request({ at: '2026-05-02T00:00:00.000Z', costUsd: 5 });
    await request({ at: '2026-05-04T08:00:00.000Z', costUsd: 1 });
    await request({ at: '2026-05-04T09:00:00.000Z', costUsd: 1 });
    const r = usageReport(db, { groupBy: 'day' });
    expect(r.rows.map((x) => [x.group, x.requests, x.costUsd])).toEqual([
      ['2026-05-01', 1, 0.01],
      ['2026-05-02', 1, 5],
      ['2026-05-03', 0, 0],
      ['2026-05-04', 2, 2],
    ]);
    expect(r.rows[2]).toEqual({ group: '2026-05-03', ...ZERO });
    expect(r.totals).toMatchObject({ requests: 4, costUsd: 7.01 });
  });

  it('by day, a given end of the range bounds the days; an open end stops at the first or last day with a request', async () => {
    await request({ at: '2026-05-03T12:00:00.000Z', costUsd: 1 });
    await request({ at: '2026-05-05T12:00:00.000Z', costUsd: 2 });
    const days = (p: { from?: string; to?: string }): string[] => usageReport(db, { groupBy: 'day', ...p }).rows.map((x) => x.group);
    expect(days({})).toEqual(['2026-05-03', '2026-05-04', '2026-05-05']);
    expect(days({ from: '2026-05-01' })).toEqual(['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05']);
    expect(days({ to: '2026-05-06' })).toEqual(['2026-05-03', '2026-05-04', '2026-05-05', '2026-05-06']);
    // `to` as a time is excluded: midnight ends the day before; a time in the day takes that day in.
    expect(days({ from: '2026-05-04', to: '2026-05-06T00:00:00Z' })).toEqual(['2026-05-04', '2026-05-05']);
    expect(days({ from: '2026-05-04T18:00Z', to: '2026-05-06T00:00:01Z' })).toEqual(['2026-05-04', '2026-05-05', '2026-05-06']);
    // Both ends given and nothing in them: every day, at zero. One end open and nothing: no days.
    expect(usageReport(db, { groupBy: 'day', from: '2026-06-01', to: '2026-06-02' }).rows).toEqual([
      { group: '2026-06-01', ...ZERO },
      { group: '2026-06-02', ...ZERO },
    ]);
    expect(days({ from: '2026-06-01' })).toEqual([]);
    expect(days({ to: '2026-05-01' })).toEqual([]);
    expect(days({ from: '2026-05-01', to: '2026-05-01T00:00Z' })).toEqual([]);
  });

  it('lists each request in time order with when, where and how it ended', async () => {
    const a = await request({ at: '2026-05-01T10:00:00.000Z', provider: 'openai', model: 'gpt-4o', costUsd: 0.001, input: 3, output: 4 });
    const b = await request({ at: '2026-05-01T10:00:01.000Z', status: 502, outcome: 'upstream_error', costUsd: null });
    const c = await request({ at: '2026-05-01T10:00:02.000Z', costUsd: 9 });
    const rows = usageReport(db, { groupBy: 'request' }).rows;
    expect(rows.map((x) => x.group)).toEqual([a, b, c]);
    expect(rows[0]).toEqual({
      group: a,
      at: '2026-05-01T10:00:00.000Z',
      provider: 'openai',
      model: 'gpt-4o',
      status: 200,
      outcome: 'ok',
      ...ZERO,
      requests: 1,
      inputTokens: 3,
      outputTokens: 4,
      costUsd: 0.001,
    });
    expect(rows[1]).toMatchObject({ status: 502, outcome: 'upstream_error', errors: 1, costUsd: 0, unpricedRequests: 0 });
  });
});

interface Call {
  at?: string;
  keyId?: string;
  server?: string;
  tool?: string;
  outcome?: 'ok' | 'tool_error' | 'refused' | 'upstream_error' | 'cancelled';
  costUsd?: number | null;
  durationMs?: number;
}

/** An `mcp.call` event shaped as the MCP endpoint writes it (src/gateway/mcp/downstream.ts). */
async function call(c: Call = {}): Promise<void> {
  if (c.at) clock = new Date(c.at);
  const server = c.server ?? 'every';
  const tool = c.tool ?? 'echo';
  const refused = c.outcome === 'refused';
  await ledger.append({
    type: 'mcp.call',
    requestId: `mcp_${String(++nextId).padStart(4, '0')}`,
    keyId: c.keyId ?? 'key_a',
    session: 'sess-mcp',
    server,
    tool,
    name: `${server}__${tool}`,
    arguments: { bytes: 10, sha256: 'c'.repeat(64) },
    decision: refused ? 'deny' : 'allow',
    decidedBy: refused ? 'policy: tools["*"] = deny' : 'policy: tools["*"] = allow',
    outcome: c.outcome ?? 'ok',
    costUsd: c.costUsd === undefined ? null : c.costUsd,
    durationMs: c.durationMs ?? (refused ? 0 : 10),
    result: refused ? null : { bytes: 20, sha256: 'd'.repeat(64) },
  });
}

describe('usageReport by MCP tool', () => {
  const TOOL_ZERO = { ...ZERO, refused: 0, durationMs: 0, avgDurationMs: 0 };

  it('sums mcp.call events per server__tool: calls, errors, refusals, price and time', async () => {
    await call({ tool: 'echo', durationMs: 12.25 });
    await call({ tool: 'echo', outcome: 'tool_error', durationMs: 7.5 });
    await call({ tool: 'echo', outcome: 'refused' });
    await call({ tool: 'get-annotated-message', costUsd: 0.3, durationMs: 40 });
    await call({ tool: 'get-annotated-message', costUsd: 0.3, durationMs: 20 });
    await call({ server: 'fs', tool: 'read_file', outcome: 'upstream_error', durationMs: 3 });
    await call({ server: 'fs', tool: 'list', durationMs: 1 });
    // Model requests and other events are not tool calls.
    await request({ costUsd: 9 });
    ledger.appendNow({ type: 'config.applied', hash: 'x' });

    const r = usageReport(db, { groupBy: 'tool' });
    // Highest cost first, then most calls, then name.
    expect(r.rows.map((x) => [x.group, x.requests, x.costUsd])).toEqual([
      ['every__get-annotated-message', 2, 0.6],
      ['every__echo', 3, 0],
      ['fs__list', 1, 0],
      ['fs__read_file', 1, 0],
    ]);
    expect(r.rows[1]).toEqual({ group: 'every__echo', server: 'every', tool: 'echo', ...TOOL_ZERO, requests: 3, errors: 2, refused: 1, durationMs: 19.75, avgDurationMs: 6.6 });
    // Field order: group, server and tool, the shared counts (tokens 0), then the tool's own.
    expect(Object.keys(r.rows[0]!)).toEqual(['group', 'server', 'tool', ...Object.keys(ZERO), 'refused', 'durationMs', 'avgDurationMs']);
    expect(r.rows[0]).toMatchObject({ durationMs: 60, avgDurationMs: 30 });
    expect(r.totals).toEqual({ ...TOOL_ZERO, requests: 7, costUsd: 0.6, errors: 3, refused: 1, durationMs: 83.75, avgDurationMs: 12 });
    expect(r.groupBy).toBe('tool');

    // The model report is unchanged by tool calls, and carries no tool fields.
    expect(usageReport(db, { groupBy: 'key' }).totals).toEqual({ ...ZERO, requests: 1, costUsd: 9 });
  });

  it('takes the same ranges, and gives zero totals with no calls', async () => {
    expect(usageReport(db, { groupBy: 'tool' })).toMatchObject({ rows: [], totals: TOOL_ZERO });
    await call({ at: '2026-05-01T10:00:00.000Z', tool: 'a' });
    await call({ at: '2026-05-02T10:00:00.000Z', tool: 'b' });
    await call({ at: '2026-05-03T10:00:00.000Z', tool: 'c' });
    const tools = (p: { from?: string; to?: string }): string[] => usageReport(db, { groupBy: 'tool', ...p }).rows.map((x) => x.tool!);
    expect(tools({ from: '2026-05-02', to: '2026-05-02' })).toEqual(['b']);
    expect(tools({ from: '2026-05-02T10:00:00.001Z' })).toEqual(['c']);
    expect(tools({ to: '2026-05-02T10:00:00Z' })).toEqual(['a']);
  });
});

describe('usageReport counts', () => {
  it('counts unpriced requests (tokens used, no price), estimated usage and errors', async () => {
    await request({ input: 10, output: 5, costUsd: null });
    // Failed with nothing used: an error, not an unpriced request.
    await request({ status: 502, outcome: 'upstream_error', costUsd: null });
    await request({ input: 30, output: 40, estimated: true, outcome: 'upstream_cut', costUsd: 0.2 });
    await request({ input: 1, output: 1, outcome: 'client_aborted', estimated: true, costUsd: null });
    await request({ input: 1, output: 1, costUsd: 0.1 });
    expect(usageReport(db, { groupBy: 'route' }).totals).toEqual({
      ...ZERO,
      requests: 5,
      inputTokens: 42,
      outputTokens: 47,
      costUsd: 0.3,
      unpricedRequests: 2,
      estimatedRequests: 2,
      errors: 3,
    });
  });

  it('sums cost in SQL and rounds to 1e-9 USD, so totals carry no float noise', async () => {
    // 0.1 + 0.2 is 0.30000000000000004 in floating point.
    await request({ costUsd: 0.1 });
    await request({ costUsd: 0.2 });
    for (let i = 0; i < 10; i++) await request({ route: 'tiny', costUsd: 0.000000123 });
    const r = usageReport(db, { groupBy: 'route' });
    expect(r.rows.map((x) => [x.group, x.costUsd])).toEqual([
      ['fast', 0.3],
      ['tiny', 0.00000123],
    ]);
    expect(r.totals.costUsd).toBe(0.30000123);
  });
});

describe('usageReport ranges', () => {
  beforeEach(async () => {
    await request({ at: '2026-04-30T23:59:59.999Z', requestId: 'apr30' });
    ledger.appendNow({ type: 'config.applied', hash: 'x' });
    await request({ at: '2026-05-01T00:00:00.000Z', requestId: 'may1-start' });
    await request({ at: '2026-05-01T12:00:00.000Z', requestId: 'may1-noon' });
    await request({ at: '2026-05-02T00:00:00.000Z', requestId: 'may2-start' });
    await request({ at: '2026-05-03T00:00:00.000Z', requestId: 'may3' });
  });
  const ids = (p: { from?: string; to?: string }): string[] => usageReport(db, { groupBy: 'request', ...p }).rows.map((r) => r.group);

  it('takes UTC days, the `to` day included', () => {
    expect(ids({ from: '2026-05-01', to: '2026-05-01' })).toEqual(['may1-start', 'may1-noon']);
    expect(ids({ from: '2026-05-01', to: '2026-05-02' })).toEqual(['may1-start', 'may1-noon', 'may2-start']);
    expect(ids({ from: '2026-05-02' })).toEqual(['may2-start', 'may3']);
    expect(ids({ to: '2026-04-30' })).toEqual(['apr30']);
    expect(ids({})).toHaveLength(5);
    expect(ids({ from: '2027-01-01' })).toEqual([]);
    expect(ids({ to: '2020-01-01' })).toEqual([]);
  });

  it('takes ISO timestamps with a zone, the `to` time excluded', () => {
    expect(ids({ from: '2026-05-01T00:00:00Z', to: '2026-05-01T12:00:00Z' })).toEqual(['may1-start']);
    expect(ids({ from: '2026-05-01T00:00:00.001Z', to: '2026-05-02T00:00:00.001Z' })).toEqual(['may1-noon', 'may2-start']);
    // 14:00 at +02:00 is 12:00 UTC.
    expect(ids({ from: '2026-05-01T14:00+02:00', to: '2026-05-01T21:00:01-03:00' })).toEqual(['may1-noon', 'may2-start']);
    expect(ids({ from: '2026-05-01t12:00:00z' })).toEqual(['may1-noon', 'may2-start', 'may3']);
  });

  it('refuses anything else, naming the value and the accepted forms', () => {
    for (const bad of ['yesterday', '2026-13-01', '2026-02-30', '2026-5-1', '2026-05-01T10:00:00', '2026-05-01 10:00Z', '1714550400', '', '2026-05-01T25:00Z']) {
      expect(() => usageReport(db, { groupBy: 'day', from: bad }), bad).toThrow(UsageParamsError);
    }
    expect(() => usageRange({ to: '2026-05-01T10:00:00' })).toThrow(/^to "2026-05-01T10:00:00" is not a date or time .*2026-05-01T09:30:00Z/);
    expect(() => usageRange({ from: '2026-05-03', to: '2026-05-01' })).toThrow(/from "2026-05-03" is after to "2026-05-01"/);
    expect(() => usageReport(db, { groupBy: 'colour' as never })).toThrow(/groupBy "colour" is not one of key, user, .*, tool$/);
    expect(usageRange({ from: '2026-12-31', to: '2026-12-31' })).toEqual({ from: '2026-12-31T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
  });

  it('finds the same rows as a plain scan for any range (the seq binary search)', async () => {
    // Many rows, with other events between them and several in the same millisecond.
    const start = Date.parse('2026-06-01T00:00:00.000Z');
    const times: number[] = [];
    let t = start;
    for (let i = 0; i < 300; i++) {
      t += [0, 1, 997, 60_000, 3_600_000][i % 5]!;
      times.push(t);
      await request({ at: new Date(t).toISOString(), requestId: `r${i}`, input: i });
      if (i % 7 === 0) ledger.appendNow({ type: 'admin.key.updated', actor: 'cli' });
    }
    const span = t - start;
    const instant = fc.integer({ min: -Math.floor(span / 10), max: span + Math.floor(span / 10) }).map((ms) => new Date(start + ms).toISOString());
    fc.assert(
      fc.property(fc.option(instant), fc.option(instant), (from, to) => {
        fc.pre(!from || !to || from <= to);
        const expected = times.map((x) => new Date(x).toISOString()).filter((at) => (!from || at >= from) && (!to || at < to)).length;
        const got = usageReport(db, { groupBy: 'route', ...(from ? { from } : {}), ...(to ? { to } : {}) }).totals.requests;
        // The five rows of beforeEach are all earlier than June.
        const early = from ? 0 : 5;
        return got === expected + early;
      }),
      { numRuns: 300 },
    );
  });
});
