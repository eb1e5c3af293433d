// The tables of the HTML and PDF reports, as text cells: both documents show the same numbers written the same way.
import type { UsageGroupBy, UsageReport, UsageRow, UsageTotals } from '../../shared/contract.js';
import type { ReportData } from './data.js';

export interface TableColumn {
  title: string;
  /** Numbers are right-aligned. */
  numeric: boolean;
}

export interface Table {
  title: string;
  columns: TableColumn[];
  rows: string[][];
  /** The `(total)` row: the report's totals under the same columns. */
  total: string[];
}

/** 12,345 */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** $1,234.57 from a dollar up; below that three significant digits ($0.0277, $0.000123), never 1e-7. */
export function formatUsd(n: number): string {
  if (n === 0) return '$0.00';
  if (Math.abs(n) >= 1) return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const digits = Math.min(9, 2 - Math.floor(Math.log10(Math.abs(n))));
  return `$${n.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

/** 1,234.5 ms */
export function formatMs(n: number): string {
  return `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`;
}

type Kind = 'text' | 'count' | 'usd' | 'ms';
interface Column {
  field: keyof UsageRow;
  title: string;
  kind: Kind;
}

const GROUP_TITLES: Record<UsageGroupBy, string> = {
  key: 'Key',
  user: 'User',
  team: 'Team',
  model: 'Model',
  provider: 'Provider',
  route: 'Route',
  session: 'Session',
  client: 'Client',
  day: 'Day (UTC)',
  request: 'Request',
  tool: 'Tool',
};

const MODEL_COUNTS: Column[] = [
  { field: 'requests', title: 'Requests', kind: 'count' },
  { field: 'inputTokens', title: 'Input tokens', kind: 'count' },
  { field: 'outputTokens', title: 'Output tokens', kind: 'count' },
  { field: 'cacheReadTokens', title: 'Cache read', kind: 'count' },
  { field: 'cacheWriteTokens', title: 'Cache write', kind: 'count' },
  { field: 'costUsd', title: 'Cost', kind: 'usd' },
  { field: 'errors', title: 'Errors', kind: 'count' },
];

const TOOL_COUNTS: Column[] = [
  { field: 'requests', title: 'Calls', kind: 'count' },
  { field: 'errors', title: 'Errors', kind: 'count' },
  { field: 'refused', title: 'Refused', kind: 'count' },
  { field: 'costUsd', title: 'Cost', kind: 'usd' },
  { field: 'durationMs', title: 'Time', kind: 'ms' },
  { field: 'avgDurationMs', title: 'Avg time', kind: 'ms' },
];

function columnsFor(report: UsageReport): Column[] {
  const g = report.groupBy;
  const group: Column = { field: 'group', title: GROUP_TITLES[g], kind: 'text' };
  if (g === 'tool') return [group, ...TOOL_COUNTS];
  const details: Column[] =
    g === 'key' || g === 'user' || g === 'team'
      ? [{ field: 'label', title: 'Name', kind: 'text' }]
      : g === 'request'
        ? [
            { field: 'at', title: 'At (UTC)', kind: 'text' },
            { field: 'model', title: 'Model', kind: 'text' },
            { field: 'outcome', title: 'Outcome', kind: 'text' },
          ]
        : [];
  // Only where there is some: most installs never use a caller's own subscription.
  const subscription: Column[] = report.totals.subscriptionCostUsd > 0 ? [{ field: 'subscriptionCostUsd', title: 'Subscription value', kind: 'usd' }] : [];
  return [group, ...details, ...MODEL_COUNTS, ...subscription];
}

function cell(kind: Kind, v: unknown): string {
  if (kind === 'text') return v == null ? '' : String(v);
  const n = typeof v === 'number' ? v : 0;
  return kind === 'usd' ? formatUsd(n) : kind === 'ms' ? formatMs(n) : formatCount(n);
}

export function tableOf(report: UsageReport, title = `By ${GROUP_TITLES[report.groupBy].replace(/ \(UTC\)$/, '').toLowerCase()}`): Table {
  const columns = columnsFor(report);
  const totals = report.totals as UsageTotals & Partial<UsageRow>;
  return {
    title,
    columns: columns.map((c) => ({ title: c.title, numeric: c.kind !== 'text' })),
    rows: report.rows.map((r) => columns.map((c) => cell(c.kind, r[c.field]))),
    total: columns.map((c, i) => (i === 0 ? '(total)' : c.kind === 'text' ? '' : cell(c.kind, totals[c.field]))),
  };
}

/** The asked-for grouping first, then each breakdown the charts draw on that is not the same grouping. */
export function reportTables(data: ReportData): Table[] {
  const seen = new Set<UsageGroupBy>([data.report.groupBy]);
  const tables = [tableOf(data.report)];
  for (const r of [data.byDay, data.byModel, data.byKey, data.byTool]) {
    if (seen.has(r.groupBy)) continue;
    seen.add(r.groupBy);
    tables.push(tableOf(r, r.groupBy === 'tool' ? 'MCP tool calls' : undefined));
  }
  return tables;
}

/** The headline numbers, as label and text: model requests and spend, then tool calls. */
export function headline(data: ReportData): { label: string; value: string }[] {
  const t = data.byDay.totals;
  const tools = data.byTool.totals;
  return [
    { label: 'Spend', value: formatUsd(t.costUsd) },
    { label: 'Requests', value: formatCount(t.requests) },
    { label: 'Input tokens', value: formatCount(t.inputTokens) },
    { label: 'Output tokens', value: formatCount(t.outputTokens) },
    { label: 'Cache read tokens', value: formatCount(t.cacheReadTokens) },
    { label: 'Errors', value: formatCount(t.errors) },
    { label: 'Tool calls', value: formatCount(tools.requests) },
    { label: 'Tool spend', value: formatUsd(tools.costUsd) },
  ];
}

const MIDNIGHT = /T00:00:00\.000Z$/;
const stamp = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/** The range in words: whole UTC days as days (the last one included), other bounds as times. */
export function rangeText(report: UsageReport): string {
  const from = report.from === null ? 'the first record' : MIDNIGHT.test(report.from) ? report.from.slice(0, 10) : stamp(report.from);
  if (report.to === null) return `From ${from} to now`;
  if (MIDNIGHT.test(report.to)) return `From ${from} through ${new Date(Date.parse(report.to) - 1).toISOString().slice(0, 10)} (UTC)`;
  return `From ${from} until ${stamp(report.to)}`;
}
