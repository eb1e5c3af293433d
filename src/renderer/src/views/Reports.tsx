// Reports: usage over a range grouped one way, as totals, charts and a sortable table, exported in
// the formats `gatehouse report` writes (the gateway renders them; the browser saves the file).
import { useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { REPORT_FORMATS, USAGE_GROUP_BYS, type ReportFormat, type UsageGroupBy, type UsageReport, type UsageRow } from '../../../shared/contract';
import { useStores } from '../stores';
import { exportBlob, RANGE_PRESETS, type RangePreset } from '../stores/reports';
import { EmptyState } from '../widgets/EmptyState';
import { count, usd } from '../widgets/format';
import { ReportChart } from '../widgets/ReportChart';
import { VirtualTable, type Column } from '../widgets/VirtualTable';

const GROUP_LABELS: Record<UsageGroupBy, string> = {
  key: 'key',
  user: 'user',
  team: 'team',
  model: 'model',
  provider: 'provider',
  route: 'route',
  session: 'session',
  client: 'client (user-agent)',
  day: 'day (UTC)',
  request: 'request (one row each)',
  tool: 'MCP tool',
};

/** The most bars a ranking chart shows; the rest are one `(others)` bar, as in the exported documents. */
const TOP = 8;

/** Rows ranked by a value, the top ones and the rest summed: what the grouping's chart draws. */
export function rankedBars(rows: readonly UsageRow[], value: (r: UsageRow) => number, label: (r: UsageRow) => string): { labels: string[]; values: number[] } {
  const sorted = rows.filter((r) => value(r) > 0).sort((a, b) => value(b) - value(a));
  const labels = sorted.slice(0, TOP).map(label);
  const values = sorted.slice(0, TOP).map(value);
  const rest = sorted.slice(TOP).reduce((s, r) => s + value(r), 0);
  if (rest > 0) {
    labels.push(`(${sorted.length - TOP} others)`);
    values.push(rest);
  }
  return { labels, values };
}

const rowLabel = (r: UsageRow): string => (r.label ? `${r.label} (${r.group})` : r.group);
const ms = (n: number | undefined): string => `${(n ?? 0).toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`;

function columnsFor(report: UsageReport): Column<UsageRow>[] {
  const g = report.groupBy;
  const group: Column<UsageRow> = { id: 'group', header: GROUP_LABELS[g].replace(/ \(.*\)$/, '').replace(/^./, (c) => c.toUpperCase()), width: 'minmax(10rem, 2fr)', cell: (r) => <span className="mono">{r.group}</span>, sortValue: (r) => r.group };
  const num = (id: keyof UsageRow, header: string, show: (r: UsageRow) => string, width = '7rem'): Column<UsageRow> => ({
    id,
    header,
    width,
    align: 'right',
    cell: show,
    sortValue: (r) => (typeof r[id] === 'number' ? (r[id] as number) : null),
  });
  if (g === 'tool') {
    return [
      group,
      num('requests', 'Calls', (r) => count(r.requests)),
      num('errors', 'Errors', (r) => count(r.errors)),
      num('refused', 'Refused', (r) => count(r.refused ?? 0)),
      num('costUsd', 'Cost', (r) => usd(r.costUsd)),
      num('durationMs', 'Time', (r) => ms(r.durationMs), '8rem'),
      num('avgDurationMs', 'Avg time', (r) => ms(r.avgDurationMs)),
    ];
  }
  const details: Column<UsageRow>[] =
    g === 'key' || g === 'user' || g === 'team'
      ? [{ id: 'label', header: 'Name', width: 'minmax(7rem, 1fr)', cell: (r) => r.label ?? '', sortValue: (r) => r.label }]
      : g === 'request'
        ? [
            { id: 'at', header: 'At (UTC)', width: '11rem', cell: (r) => <span className="mono">{r.at?.slice(0, 19).replace('T', ' ')}</span>, sortValue: (r) => r.at },
            { id: 'model', header: 'Model', width: 'minmax(7rem, 1fr)', cell: (r) => r.model ?? '', sortValue: (r) => r.model },
            { id: 'outcome', header: 'Outcome', width: '7rem', cell: (r) => r.outcome ?? '', sortValue: (r) => r.outcome },
          ]
        : [];
  return [
    group,
    ...details,
    num('requests', 'Requests', (r) => count(r.requests)),
    num('inputTokens', 'Input tokens', (r) => count(r.inputTokens), '8rem'),
    num('outputTokens', 'Output tokens', (r) => count(r.outputTokens), '8rem'),
    num('cacheReadTokens', 'Cache read', (r) => count(r.cacheReadTokens)),
    num('costUsd', 'Cost', (r) => usd(r.costUsd)),
    num('errors', 'Errors', (r) => count(r.errors), '5rem'),
  ];
}

function Totals({ report }: { report: UsageReport }) {
  const t = report.totals;
  const items: [string, string][] =
    report.groupBy === 'tool'
      ? [
          ['Tool calls', count(t.requests)],
          ['Errors', count(t.errors)],
          ['Refused', count(t.refused ?? 0)],
          ['Spend', usd(t.costUsd)],
          ['Time', ms(t.durationMs)],
        ]
      : [
          ['Spend', usd(t.costUsd)],
          ['Requests', count(t.requests)],
          ['Input tokens', count(t.inputTokens)],
          ['Output tokens', count(t.outputTokens)],
          ['Cache read tokens', count(t.cacheReadTokens)],
          ['Errors', count(t.errors)],
          ...(t.unpricedRequests ? ([['Unpriced requests', count(t.unpricedRequests)]] as [string, string][]) : []),
          ...(t.subscriptionCostUsd ? ([['Subscription value', usd(t.subscriptionCostUsd)]] as [string, string][]) : []),
        ];
  return (
    <dl className="report-totals" aria-label="Totals">
      {items.map(([label, value]) => (
        <div key={label} className="card">
          <dt className="muted small">{label}</dt>
          <dd className="big num">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Saves the file through a temporary object URL: the content never becomes a page. */
function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Reports() {
  const { reports } = useStores();
  const { preset, from, to, groupBy, report, byDay, loading, error, exporting, exportError, setPreset, setRange, setGroupBy, load, exportAs } = useStore(reports);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => void load(), [load]);

  const onExport = async (format: ReportFormat): Promise<void> => {
    setSaved(null);
    const file = await exportAs(format);
    if (!file) return;
    download(exportBlob(file), file.fileName);
    setSaved(`Saved ${file.fileName} (${count(Math.max(1, Math.round(file.bytes / 1024)))} KB).`);
  };

  // Made once per report read: a chart is redrawn when its data changes, not on every render.
  const grouping = useMemo(
    () => (report && report.groupBy !== 'day' && report.groupBy !== 'request' ? (report.groupBy === 'tool' ? rankedBars(report.rows, (r) => r.requests, (r) => r.group) : rankedBars(report.rows, (r) => r.costUsd, rowLabel)) : null),
    [report],
  );
  const perDay = useMemo(() => (byDay ? { labels: byDay.rows.map((r) => r.group), values: byDay.rows.map((r) => r.costUsd) } : null), [byDay]);

  return (
    <section aria-labelledby="area-title" className="reports">
      <div className="area-head">
        <h1 id="area-title">Reports</h1>
        <div className="buttons" role="group" aria-label="Export">
          {REPORT_FORMATS.map((f) => (
            <button key={f} type="button" onClick={() => void onExport(f)} disabled={exporting !== null}>
              {exporting === f ? `Preparing ${f.toUpperCase()}…` : `Export ${f.toUpperCase()}`}
            </button>
          ))}
        </div>
      </div>
      <form className="filters" aria-label="Report range and grouping" onSubmit={(e) => e.preventDefault()}>
        <label>
          Range
          <select value={preset} onChange={(e) => void setPreset(e.target.value as RangePreset)}>
            {RANGE_PRESETS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (UTC day)
          <input type="date" value={from} onChange={(e) => void setRange(e.target.value, to)} />
        </label>
        <label>
          To (UTC day, included)
          <input type="date" value={to} onChange={(e) => void setRange(from, e.target.value)} />
        </label>
        <label>
          Group by
          <select value={groupBy} onChange={(e) => void setGroupBy(e.target.value as UsageGroupBy)}>
            {USAGE_GROUP_BYS.map((g) => (
              <option key={g} value={g}>
                {GROUP_LABELS[g]}
              </option>
            ))}
          </select>
        </label>
      </form>
      {exportError && (
        <p role="alert" className="banner banner-danger">
          Could not export: {exportError}
        </p>
      )}
      {saved && (
        <p role="status" className="banner banner-ok">
          {saved}
        </p>
      )}
      {error && (
        <p role="alert" className="banner banner-danger">
          Could not read the report: {error}
        </p>
      )}
      <p className="muted small" aria-live="polite">
        {loading ? 'Reading the ledger…' : report ? `${count(report.rows.length)} row${report.rows.length === 1 ? '' : 's'} · ${report.from ? report.from.slice(0, 10) : 'the first record'} to ${report.to ? new Date(Date.parse(report.to) - 1).toISOString().slice(0, 10) : 'now'} (UTC)` : ''}
      </p>
      {report && <Totals report={report} />}
      {report && report.rows.length === 0 && report.totals.requests === 0 ? (
        <EmptyState title="Nothing was used in this range">
          <p>Widen the range (try “Last month”), or send traffic through the gateway: every model and tool call is counted here.</p>
        </EmptyState>
      ) : (
        report && (
          <>
            <div className="report-charts">
              {perDay && <ReportChart title="Spend per day (USD)" kind="columns" unit="usd" labels={perDay.labels} values={perDay.values} />}
              {grouping && <ReportChart title={report.groupBy === 'tool' ? 'Top MCP tools by calls' : `Spend by ${GROUP_LABELS[report.groupBy]} (USD)`} kind="bars" unit={report.groupBy === 'tool' ? 'calls' : 'usd'} labels={grouping.labels} values={grouping.values} />}
            </div>
            {/* As tall as its rows (a header and 28 px each), between a few rows and a screenful. */}
            <div className="report-table" style={{ height: Math.min(480, Math.max(240, 34 + 28 * report.rows.length)) }}>
              <VirtualTable<UsageRow> label={`Usage by ${GROUP_LABELS[report.groupBy]}`} columns={columnsFor(report)} rows={report.rows} rowKey={(r) => r.group} onOpen={() => undefined} />
            </div>
          </>
        )
      )}
    </section>
  );
}
