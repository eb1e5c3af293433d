// The HTML report: one self-contained file (Chart.js and the data inlined, a CSP that allows no fetch), readable offline.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chartSpecs, type ChartSpec, type ReportData } from './data.js';
import { headline, rangeText, reportTables, type Table } from './tables.js';

/** What the page script reads from its JSON block: text and numbers only, never markup. */
export interface HtmlReportData {
  range: string;
  generated: string;
  headline: { label: string; value: string }[];
  charts: ChartSpec[];
  tables: Table[];
  notes: string[];
}

/** Chart.js's UMD build from node_modules, read when a report is written: the file never loads anything. */
function chartJs(): string {
  const dist = dirname(createRequire(import.meta.url).resolve('chart.js'));
  const source = readFileSync(join(dist, 'chart.umd.min.js'), 'utf8');
  // Either would end or change the parsing of the <script> element it is inlined in.
  if (/<\/script|<!--/i.test(source)) throw new Error('chart.js/dist/chart.umd.min.js cannot be inlined: it contains </script or <!--');
  return source;
}

/**
 * Builds the page from the JSON block with textContent only (labels are key names, sessions and
 * tool names: untrusted text); Chart.js draws on canvas, which runs no markup either.
 */
const PAGE_SCRIPT = String.raw`(() => {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  document.getElementById('range').textContent = data.range;
  document.getElementById('generated').textContent = data.generated;
  const cards = document.getElementById('totals');
  for (const h of data.headline) {
    const card = el('div', 'card');
    card.append(el('div', 'value', h.value), el('div', 'label', h.label));
    cards.append(card);
  }
  const tables = document.getElementById('tables');
  for (const t of data.tables) {
    const section = el('section', 'table');
    section.append(el('h2', '', t.title));
    const scroll = el('div', 'scroll');
    const table = el('table');
    const head = table.createTHead().insertRow();
    for (const c of t.columns) {
      const th = el('th', c.numeric ? 'num' : '', c.title);
      th.scope = 'col';
      head.append(th);
    }
    const fill = (tr, cells) => cells.forEach((v, i) => {
      const td = tr.insertCell();
      td.textContent = v;
      if (t.columns[i].numeric) td.className = 'num';
    });
    const body = table.createTBody();
    if (t.rows.length === 0) {
      const td = body.insertRow().insertCell();
      td.colSpan = t.columns.length;
      td.className = 'none';
      td.textContent = 'Nothing in this range';
    }
    for (const r of t.rows) fill(body.insertRow(), r);
    fill(table.createTFoot().insertRow(), t.total);
    scroll.append(table);
    section.append(scroll);
    tables.append(section);
  }
  for (const n of data.notes) document.getElementById('notes').append(el('li', '', n));

  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  // As the tables write money (tables.ts formatUsd): cents from a dollar up, else three significant digits.
  const usd = (v) => {
    if (v === 0) return '$0';
    if (Math.abs(v) >= 1) return '$' + v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return '$' + v.toFixed(Math.min(9, 2 - Math.floor(Math.log10(Math.abs(v))))).replace(/(\.\d\d\d*?)0+$/, '$1');
  };
  const format = (unit, v) => unit === 'usd' ? usd(v) : v.toLocaleString('en-US');
  const short = (s) => s.length > 32 ? s.slice(0, 31) + '\u2026' : s;
  Chart.defaults.color = color('--muted');
  Chart.defaults.borderColor = color('--grid');
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  for (const spec of data.charts) {
    const figure = document.getElementById('chart-' + spec.id);
    const box = figure.querySelector('.box');
    if (spec.values.length === 0) {
      box.replaceChildren(el('p', 'none', 'Nothing in this range'));
      figure.dataset.rendered = 'empty';
      continue;
    }
    const horizontal = spec.kind === 'bars';
    if (horizontal) box.style.height = (48 + 28 * spec.values.length) + 'px';
    const valueAxis = horizontal ? 'x' : 'y';
    const labelAxis = horizontal ? 'y' : 'x';
    new Chart(box.querySelector('canvas'), {
      type: 'bar',
      data: { labels: spec.labels, datasets: [{ data: spec.values, backgroundColor: color('--bar'), borderRadius: 3, maxBarThickness: 40 }] },
      options: {
        indexAxis: labelAxis,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => items[0].label, label: (c) => format(spec.unit, c.parsed[valueAxis]) } },
        },
        scales: {
          [valueAxis]: { beginAtZero: true, ticks: { callback: (v) => format(spec.unit, Number(v)) } },
          [labelAxis]: { grid: { display: false }, ticks: { autoSkip: !horizontal, callback(v) { return short(String(this.getLabelForValue(v))); } } },
        },
      },
    });
    figure.dataset.rendered = 'chart';
  }
})();
`;

const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --grid: #d8dee4; --card: #f6f8fa; --bar: #2f6fdf; --stripe: #f6f8fa; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1216; --fg: #e6edf3; --muted: #9aa4ae; --grid: #30363d; --card: #161b22; --bar: #5b9bff; --stripe: #131820; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 8px; }
header p { margin: 0; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 20px 0; }
@media (max-width: 640px) { .cards { grid-template-columns: repeat(2, 1fr); } }
.card { background: var(--card); border: 1px solid var(--grid); border-radius: 8px; padding: 10px 12px; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--grid); border-radius: 8px; padding: 12px; }
figcaption { font-weight: 600; margin-bottom: 8px; }
.box { position: relative; height: 260px; }
.none { color: var(--muted); font-style: italic; }
section.table { margin-top: 24px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--grid); text-align: left; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
td { max-width: 360px; overflow: hidden; text-overflow: ellipsis; }
tbody tr:nth-child(even) { background: var(--stripe); }
tfoot td { font-weight: 600; border-top: 2px solid var(--grid); }
.num { text-align: right; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
@media print { body { max-width: none; } figure, section.table { break-inside: avoid; } }
`;

/** The <script type="application/json"> body: `<` escaped, so no value can end the element. */
function jsonBlock(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function htmlReportData(data: ReportData): HtmlReportData {
  return {
    range: rangeText(data.report),
    generated: `Generated ${data.report.generatedAt.slice(0, 19).replace('T', ' ')} UTC by Gatehouse`,
    headline: headline(data),
    charts: chartSpecs(data),
    tables: reportTables(data),
    notes: [
      "Spend is what was paid through the gateway's provider keys; calls made on a caller's own subscription are listed as subscription value, not spend.",
      'MCP tool calls are counted apart from model requests: their cost is the price the config gives a tool, and they carry no tokens.',
    ],
  };
}

/** The whole document. Only the two scripts' hashes may run; nothing may be fetched. */
export function renderHtml(data: ReportData): string {
  const library = chartJs();
  const csp = [`default-src 'none'`, `script-src ${sha256(library)} ${sha256(PAGE_SCRIPT)}`, `style-src 'unsafe-inline'`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  const figure = (id: ChartSpec['id'], title: string): string =>
    `<figure class="chart" id="chart-${id}"><figcaption>${title}</figcaption><div class="box"><canvas role="img" aria-label="${title}"></canvas></div></figure>`;
  const titles = Object.fromEntries(chartSpecs(data).map((c) => [c.id, c.title])) as Record<ChartSpec['id'], string>;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>Gatehouse usage report</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Gatehouse usage report</h1><p id="range"></p></header>
<noscript><p>This report draws its tables and charts with JavaScript: open it in a browser with scripts on.</p></noscript>
<section id="totals" class="cards" aria-label="Totals"></section>
<section class="charts">
${figure('spend-per-day', titles['spend-per-day'])}
${figure('spend-by-model', titles['spend-by-model'])}
${figure('top-keys', titles['top-keys'])}
${figure('top-tools', titles['top-tools'])}
</section>
<div id="tables"></div>
<footer><p id="generated"></p><ul id="notes"></ul></footer>
<script type="application/json" id="report-data">${jsonBlock(htmlReportData(data))}</script>
<script>${library}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
