// What the HTML and PDF reports show: the asked-for grouping plus the breakdowns their charts need, read over one range.
import type { UsageGroupBy, UsageReport, UsageReportParams, UsageRow } from '../../shared/contract.js';
import { usageRange } from '../store/usage.js';

/** The asked-for report and the four every document charts, all over the same [from, to). */
export interface ReportData {
  report: UsageReport;
  byDay: UsageReport;
  byModel: UsageReport;
  byKey: UsageReport;
  byTool: UsageReport;
}

const BREAKDOWNS = { byDay: 'day', byModel: 'model', byKey: 'key', byTool: 'tool' } as const satisfies Record<string, UsageGroupBy>;

/**
 * Reads the report and its breakdowns with `read` (one `report:usage` call each). An open `to` is
 * pinned to `now` first: every read then covers the same rows, since the ledger only appends later
 * ones, so the charts and the tables add up to the same totals.
 */
export async function gatherReport(read: (params: UsageReportParams) => Promise<UsageReport>, params: UsageReportParams, now: () => Date): Promise<ReportData> {
  let to = params.to;
  if (to === undefined) {
    const at = now().toISOString();
    const from = usageRange({ from: params.from }).from;
    // A `from` still to come keeps the range open (and empty) rather than "from after to".
    if (from === undefined || from <= at) to = at;
  }
  const range = { ...(params.from !== undefined ? { from: params.from } : {}), ...(to !== undefined ? { to } : {}) };
  const cache = new Map<UsageGroupBy, Promise<UsageReport>>();
  const get = (groupBy: UsageGroupBy): Promise<UsageReport> => {
    let r = cache.get(groupBy);
    if (!r) cache.set(groupBy, (r = read({ ...range, groupBy })));
    return r;
  };
  const [report, byDay, byModel, byKey, byTool] = await Promise.all([get(params.groupBy), ...Object.values(BREAKDOWNS).map(get)]);
  return { report: report!, byDay: byDay!, byModel: byModel!, byKey: byKey!, byTool: byTool! };
}

/** One bar chart: a label and a value per bar; `unit` says how values read. */
export interface ChartSpec {
  id: 'spend-per-day' | 'spend-by-model' | 'top-keys' | 'top-tools';
  title: string;
  /** `columns`: vertical bars along a time axis; `bars`: horizontal bars, largest first. */
  kind: 'columns' | 'bars';
  unit: 'usd' | 'calls';
  labels: string[];
  values: number[];
}

/** The most bars a ranking chart shows; the rest are summed into one `(others)` bar. */
export const TOP = 8;

function ranked(rows: UsageRow[], value: (r: UsageRow) => number, label: (r: UsageRow) => string): { labels: string[]; values: number[] } {
  const sorted = [...rows].filter((r) => value(r) > 0).sort((a, b) => value(b) - value(a) || (a.group < b.group ? -1 : 1));
  const top = sorted.slice(0, TOP);
  const rest = sorted.slice(TOP).reduce((s, r) => s + value(r), 0);
  const labels = top.map(label);
  const values = top.map(value);
  if (rest > 0) {
    labels.push(`(${sorted.length - TOP} others)`);
    values.push(Math.round(rest * 1e9) / 1e9);
  }
  return { labels, values };
}

/** A key by its name when it has one, else its id. */
export const keyLabel = (r: UsageRow): string => r.label ?? r.group;

/**
 * The four charts: spend per day, spend by model, the keys that spent most, the tools called most
 * (by calls, not cost: most tools have no price).
 */
export function chartSpecs(data: ReportData): ChartSpec[] {
  return [
    { id: 'spend-per-day', title: 'Spend per day (USD)', kind: 'columns', unit: 'usd', labels: data.byDay.rows.map((r) => r.group), values: data.byDay.rows.map((r) => r.costUsd) },
    { id: 'spend-by-model', title: 'Spend by model (USD)', kind: 'bars', unit: 'usd', ...ranked(data.byModel.rows, (r) => r.costUsd, (r) => r.group) },
    { id: 'top-keys', title: 'Top keys by spend (USD)', kind: 'bars', unit: 'usd', ...ranked(data.byKey.rows, (r) => r.costUsd, keyLabel) },
    { id: 'top-tools', title: 'Top MCP tools by calls', kind: 'bars', unit: 'calls', ...ranked(data.byTool.rows, (r) => r.requests, (r) => r.group) },
  ];
}
