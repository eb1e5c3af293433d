// report:export: a usage report rendered by the same code as `gatehouse report`, sized for a download.
import { REPORT_EXPORT_MAX_BYTES, type ReportExport, type ReportExportParams, type ReportFormat, type UsageReport, type UsageReportParams } from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import { usageCsv } from '../report/csv.js';
import { gatherReport } from '../report/data.js';
import { renderHtml } from '../report/html.js';

const MIME: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** `gatehouse-usage-by-model-2026-11-01-to-2026-11-30.csv`: the grouping and the range as asked (times shortened to their day). */
export function exportFileName(p: ReportExportParams): string {
  const day = (v: string | undefined, open: string): string => (v === undefined ? open : v.slice(0, 10).replace(/[^0-9A-Za-z-]/g, '-'));
  return `gatehouse-usage-by-${p.groupBy}-${day(p.from, 'start')}-to-${day(p.to, 'now')}.${p.format}`;
}

/** The command that writes the same report to a file: what to do when it is too large to download. */
function cliCommand(p: ReportExportParams): string {
  return ['gatehouse report', `--group-by ${p.groupBy}`, p.from ? `--from ${p.from}` : '', p.to ? `--to ${p.to}` : '', `--format ${p.format}`, `--out ${exportFileName(p)}`].filter(Boolean).join(' ');
}

/**
 * Renders the report as the CLI does: CSV and JSON from one `report:usage` read, HTML and PDF from
 * the grouping plus the breakdowns their charts draw (`read` is report:usage). Past
 * REPORT_EXPORT_MAX_BYTES it refuses, naming the command that writes the file instead.
 */
export async function exportReport(read: (p: UsageReportParams) => Promise<UsageReport>, p: ReportExportParams, now: () => Date, maxBytes = REPORT_EXPORT_MAX_BYTES): Promise<ReportExport> {
  const params: UsageReportParams = { groupBy: p.groupBy, ...(p.from !== undefined ? { from: p.from } : {}), ...(p.to !== undefined ? { to: p.to } : {}) };
  let body: string | Buffer;
  if (p.format === 'csv' || p.format === 'json') {
    const report = await read(params);
    body = p.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : usageCsv(report, p.groupBy);
  } else {
    const data = await gatherReport(read, params, now);
    // pdfkit and its fonts are loaded only when a PDF is asked for.
    body = p.format === 'html' ? renderHtml(data) : await (await import('../report/pdf.js')).renderPdf(data);
  }
  const bytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (bytes > maxBytes) {
    const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
    throw new ControlError('invalid_params', `report:export: the ${p.format.toUpperCase()} report is ${mb(bytes)}, over the ${mb(maxBytes)} the console downloads; narrow the range or choose a coarser grouping, or write it to a file with: ${cliCommand(p)}`);
  }
  return {
    fileName: exportFileName(p),
    mimeType: MIME[p.format],
    encoding: typeof body === 'string' ? 'utf8' : 'base64',
    content: typeof body === 'string' ? body : body.toString('base64'),
    bytes,
  };
}
