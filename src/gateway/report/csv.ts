// The CSV usage report: the header, one row per group and a `(total)` row, as `gatehouse report --format csv` writes it.
import { TOOL_COUNT_FIELDS, USAGE_COUNT_FIELDS, type UsageGroupBy, type UsageReport, type UsageRow, type UsageTotals } from '../../shared/contract.js';

/** The descriptive columns between `group` and the counts, per grouping. */
const CSV_DETAILS: Partial<Record<UsageGroupBy, readonly (keyof UsageRow)[]>> = {
  key: ['label'],
  user: ['label'],
  team: ['label'],
  request: ['at', 'provider', 'model', 'status', 'outcome'],
  tool: ['server', 'tool'],
};

/** The counts after the shared ones, per grouping: tool calls' refusals and time. */
const CSV_EXTRA_COUNTS: Partial<Record<UsageGroupBy, readonly (keyof UsageTotals)[]>> = {
  tool: TOOL_COUNT_FIELDS,
};

/**
 * One RFC 4180 field. Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first)
 * gets a leading apostrophe: session ids and key names come from clients and users.
 */
export function csvText(v: string | null | undefined): string {
  const s = v == null ? '' : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Plain decimals: JavaScript would print a small cost as 1e-7, which not every reader takes. */
export function csvNumber(n: number | null | undefined): string {
  if (n == null) return '';
  return Number.isInteger(n) ? String(n) : n.toFixed(9).replace(/\.?0+$/, '');
}

/** A header row, one row per group, and a `(total)` row; CRLF line ends as RFC 4180 has them. */
export function usageCsv(report: UsageReport, groupBy: UsageGroupBy): string {
  const details = CSV_DETAILS[groupBy] ?? [];
  const counts = [...USAGE_COUNT_FIELDS, ...(CSV_EXTRA_COUNTS[groupBy] ?? [])];
  const line = (cells: string[]): string => `${cells.join(',')}\r\n`;
  const detail = (r: UsageRow, f: keyof UsageRow): string => (typeof r[f] === 'number' ? csvNumber(r[f]) : csvText(r[f] as string | null | undefined));
  let out = line(['group', ...details, ...counts]);
  for (const r of report.rows) out += line([csvText(r.group), ...details.map((f) => detail(r, f)), ...counts.map((f) => csvNumber(r[f]))]);
  out += line(['(total)', ...details.map(() => ''), ...counts.map((f) => csvNumber(report.totals[f]))]);
  return out;
}
