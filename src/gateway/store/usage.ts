// The usage report: tokens and cost summed from the ledger's `llm_usage` view (MCP tool calls: `mcp_usage`) over a time range.
import { TOOL_COUNT_FIELDS, USAGE_COUNT_FIELDS, USAGE_GROUP_BYS, type UsageGroupBy, type UsageReport, type UsageReportParams, type UsageRow, type UsageTotals } from '../../shared/contract.js';
import type { Db } from './db.js';

/** Report parameters it cannot read (a bad `from`/`to`, an unknown grouping); the message names the value. */
export class UsageParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageParamsError';
  }
}

const NONE = '(none)';
const FORMS = 'expected a UTC day like 2026-05-01 or an ISO timestamp with a zone like 2026-05-01T09:30:00Z';
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// A zone is required: a bare local time would mean something different on every machine.
const STAMP = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

function isRealDay(day: string): boolean {
  const m = DAY.exec(day);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2026-02-30 over to March; a real day survives the round trip unchanged.
  return Number(m[1]) >= 1 && new Date(t).toISOString().slice(0, 10) === day;
}

/**
 * One bound as the ledger writes `at` (`Date#toISOString`, UTC, milliseconds), so plain string
 * comparison orders it correctly. A day means its start; as an inclusive `to`, the next day's start.
 */
function bound(end: 'from' | 'to', name: string, value: string): string {
  if (isRealDay(value)) {
    const start = new Date(`${value}T00:00:00.000Z`);
    if (end === 'to') start.setUTCDate(start.getUTCDate() + 1);
    return start.toISOString();
  }
  const m = STAMP.exec(value);
  if (m && isRealDay(m[1]!)) {
    const t = Date.parse(value.toUpperCase());
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  throw new UsageParamsError(`${name} "${value}" is not a date or time the report understands: ${FORMS}`);
}

/**
 * The range as [from, to) in the ledger's `at` format; either end may be open. `names` are what
 * errors call the two ends (the CLI says `--from`).
 */
export function usageRange(params: { from?: string; to?: string }, names = { from: 'from', to: 'to' }): { from?: string; to?: string } {
  const from = params.from === undefined ? undefined : bound('from', names.from, params.from);
  const to = params.to === undefined ? undefined : bound('to', names.to, params.to);
  if (from !== undefined && to !== undefined && from > to) {
    throw new UsageParamsError(`${names.from} "${params.from}" is after ${names.to} "${params.to}"`);
  }
  return { from, to };
}

/** The group column per grouping; fixed SQL text, never built from input. */
const GROUP_SQL: Record<UsageGroupBy, string> = {
  key: `coalesce(u.key_id, '${NONE}')`,
  user: `coalesce(k.user_id, '${NONE}')`,
  team: `coalesce(k.team_id, '${NONE}')`,
  model: `CASE WHEN u.model IS NULL THEN '${NONE}' ELSE coalesce(u.provider, '${NONE}') || '/' || u.model END`,
  provider: `coalesce(u.provider, '${NONE}')`,
  route: `coalesce(u.route, '${NONE}')`,
  session: `coalesce(u.session, '${NONE}')`,
  client: `coalesce(u.client, '${NONE}')`,
  day: 'substr(u.at, 1, 10)',
  // One group per ledger row: the per-request listing shares the aggregate query below.
  request: 'u.seq',
  // Over mcp_usage, not llm_usage: the name /mcp offers the tool by.
  tool: `coalesce(u.server, '${NONE}') || '__' || coalesce(u.tool, '${NONE}')`,
};

/** Where a group's name comes from, as `named`: keys, users and teams are reported by id and labelled by name. */
const LABEL_JOINS: Partial<Record<UsageGroupBy, string>> = {
  key: 'LEFT JOIN keys named ON named.id = u.key_id',
  user: 'LEFT JOIN users named ON named.id = k.user_id',
  team: 'LEFT JOIN teams named ON named.id = k.team_id',
};

// Summed in SQL and rounded once, so a total is never the sum of already-rounded parts and
// carries no float noise (costs are recorded to 1e-9 USD).
const SUMS = `
  count(*)                                      AS requests,
  coalesce(sum(u.input_tokens), 0)              AS inputTokens,
  coalesce(sum(u.output_tokens), 0)             AS outputTokens,
  coalesce(sum(u.cache_read_tokens), 0)         AS cacheReadTokens,
  coalesce(sum(u.cache_write_tokens), 0)        AS cacheWriteTokens,
  coalesce(sum(u.reasoning_tokens), 0)          AS reasoningTokens,
  round(coalesce(sum(CASE WHEN u.credential = 'caller' THEN NULL ELSE u.cost_usd END), 0), 9) AS costUsd,
  round(coalesce(sum(CASE WHEN u.credential = 'caller' THEN u.cost_usd END), 0), 9) AS subscriptionCostUsd,
  coalesce(sum(u.cost_usd IS NULL AND coalesce(u.input_tokens, 0) + coalesce(u.output_tokens, 0)
    + coalesce(u.cache_read_tokens, 0) + coalesce(u.cache_write_tokens, 0) > 0), 0) AS unpricedRequests,
  coalesce(sum(u.usage_estimated = 1), 0)       AS estimatedRequests,
  coalesce(sum(coalesce(u.outcome, '') <> 'ok'), 0) AS errors`;

// The same columns over MCP tool calls: a call is a request with no tokens; its cost is the
// server's configured price. `refused` and `durationMs` are tool reports' own.
const TOOL_SUMS = `
  count(*)                                      AS requests,
  0 AS inputTokens, 0 AS outputTokens, 0 AS cacheReadTokens, 0 AS cacheWriteTokens, 0 AS reasoningTokens,
  round(coalesce(sum(u.cost_usd), 0), 9)        AS costUsd,
  0 AS unpricedRequests, 0 AS estimatedRequests,
  coalesce(sum(coalesce(u.outcome, '') <> 'ok'), 0) AS errors,
  0 AS subscriptionCostUsd,
  coalesce(sum(u.outcome = 'refused'), 0)       AS refused,
  round(coalesce(sum(u.duration_ms), 0), 3)     AS durationMs`;

function totalsOf(r: Record<string, unknown>, tool: boolean): UsageTotals {
  const out = {} as UsageTotals;
  for (const f of USAGE_COUNT_FIELDS) out[f] = Number(r[f] ?? 0);
  if (tool) {
    for (const f of TOOL_COUNT_FIELDS) out[f] = Number(r[f] ?? 0);
    out.avgDurationMs = out.requests === 0 ? 0 : Math.round((out.durationMs! / out.requests) * 10) / 10;
  }
  return out;
}

/** Every UTC day from `first` to `last` (both `YYYY-MM-DD`, included), in order. */
function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00.000Z`), end = Date.parse(`${last}T00:00:00.000Z`); t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/**
 * Day rows with the days that had no request filled in at zero, so a chart's axis is time. A
 * given end of the range bounds the days; an open end stops at the first or last day with a request.
 */
function fillDays(rows: UsageRow[], range: { from?: string; to?: string }): UsageRow[] {
  const first = range.from?.slice(0, 10) ?? rows[0]?.group;
  // `to` is excluded: the last day is the one its previous millisecond falls on.
  const last = range.to === undefined ? rows.at(-1)?.group : new Date(Date.parse(range.to) - 1).toISOString().slice(0, 10);
  if (first === undefined || last === undefined) return rows;
  const byDay = new Map(rows.map((r) => [r.group, r]));
  const zero = totalsOf({}, false);
  return daysBetween(first, last).map((day) => byDay.get(day) ?? { group: day, ...zero });
}

/**
 * The `events` table has no index on `at` (each index would slow every request's insert), but
 * `at` grows with `seq`: the first seq at or after a time is found by binary search on the
 * primary key, so a range reads only its own rows. Returns `last + 1` when no row is that late.
 */
export function firstSeqAtOrAfter(db: Db, at: string, first: number, last: number): number {
  const rowAtOrAfter = db.prepare('SELECT seq, at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1');
  let lo = first;
  let hi = last + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = rowAtOrAfter.get(mid) as { seq: number; at: string };
    if (row.at >= at) hi = mid;
    else lo = row.seq + 1;
  }
  return lo;
}

function isGroupBy(v: unknown): v is UsageGroupBy {
  return typeof v === 'string' && (USAGE_GROUP_BYS as readonly string[]).includes(v);
}

/** Usage over [from, to), grouped; throws UsageParamsError for parameters it cannot read. `now` stamps `generatedAt`. */
export function usageReport(db: Db, params: UsageReportParams, opts: { now?: () => Date } = {}): UsageReport {
  if (!isGroupBy(params.groupBy)) throw new UsageParamsError(`groupBy "${String(params.groupBy)}" is not one of ${USAGE_GROUP_BYS.join(', ')}`);
  const range = usageRange(params);
  const generatedAt = (opts.now?.() ?? new Date()).toISOString();
  // One read snapshot, so the rows and the totals agree even while another connection writes.
  const { rows, totals } = db.transaction(() => readReport(db, params.groupBy, range))();
  return { from: range.from ?? null, to: range.to ?? null, groupBy: params.groupBy, generatedAt, rows, totals };
}

function readReport(db: Db, groupBy: UsageGroupBy, range: { from?: string; to?: string }): Pick<UsageReport, 'rows' | 'totals'> {
  const span = db.prepare('SELECT min(seq) AS first, max(seq) AS last FROM events').get() as { first: number | null; last: number | null };
  const first = span.first ?? 1;
  const last = span.last ?? 0;
  const where = ['u.seq >= @fromSeq', 'u.seq < @toSeq'];
  const args: Record<string, string | number> = {
    fromSeq: range.from === undefined ? first : firstSeqAtOrAfter(db, range.from, first, last),
    toSeq: range.to === undefined ? last + 1 : firstSeqAtOrAfter(db, range.to, first, last),
  };
  // The seq range is the fast path; the `at` test keeps the result exact even if the clock
  // stepped back near a boundary.
  if (range.from !== undefined) {
    where.push('u.at >= @from');
    args.from = range.from;
  }
  if (range.to !== undefined) {
    where.push('u.at < @to');
    args.to = range.to;
  }
  const tool = groupBy === 'tool';
  const source = tool
    ? `FROM mcp_usage u WHERE ${where.join(' AND ')}`
    : `FROM llm_usage u LEFT JOIN keys k ON k.id = u.key_id ${LABEL_JOINS[groupBy] ?? ''} WHERE ${where.join(' AND ')}`;
  const sums = tool ? TOOL_SUMS : SUMS;

  const extra =
    groupBy === 'key' || groupBy === 'user' || groupBy === 'team'
      ? ', max(named.name) AS label'
      : groupBy === 'request'
        ? ', max(u.request_id) AS requestId, max(u.at) AS at, max(u.provider) AS provider, max(u.model) AS model, max(u.status) AS status, max(u.outcome) AS outcome'
        : tool
          ? ', max(u.server) AS server, max(u.tool) AS tool'
          : '';
  const order = groupBy === 'day' ? 'grp' : groupBy === 'request' ? 'min(u.seq)' : tool ? 'costUsd DESC, requests DESC, grp' : 'costUsd DESC, grp';
  const grouped = db.prepare(`SELECT ${GROUP_SQL[groupBy]} AS grp${extra}, ${sums} ${source} GROUP BY grp ORDER BY ${order}`).all(args) as Record<string, unknown>[];

  const rows = grouped.map((r): UsageRow => {
    const totals = totalsOf(r, tool);
    if (groupBy === 'key' || groupBy === 'user' || groupBy === 'team') return { group: String(r.grp), label: (r.label as string | null) ?? null, ...totals };
    if (tool) return { group: String(r.grp), server: (r.server as string | null) ?? NONE, tool: (r.tool as string | null) ?? NONE, ...totals };
    if (groupBy === 'request') {
      return {
        group: (r.requestId as string | null) ?? NONE,
        at: String(r.at),
        provider: (r.provider as string | null) ?? null,
        model: (r.model as string | null) ?? null,
        status: (r.status as number | null) ?? null,
        outcome: (r.outcome as string | null) ?? null,
        ...totals,
      };
    }
    return { group: String(r.grp), ...totals };
  });
  const totals = totalsOf(db.prepare(`SELECT ${sums} ${source}`).get(args) as Record<string, unknown>, tool);
  return { rows: groupBy === 'day' ? fillDays(rows, range) : rows, totals };
}
