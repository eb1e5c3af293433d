// The PDF report (pdfkit): the same totals, charts and tables as the HTML one, the charts drawn as vector bars.
import PDFDocument from 'pdfkit';
import { chartSpecs, type ChartSpec, type ReportData } from './data.js';
import { formatCount, formatUsd, headline, rangeText, reportTables, type Table } from './tables.js';

const INK = '#1b1f24';
const MUTED = '#57606a';
const GRID = '#d8dee4';
const BAR = '#2f6fdf';
const STRIPE = '#f6f8fa';
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const MARGIN = 40;

// The standard fonts have only Windows-1252's characters; pdfkit would write others as wrong bytes.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** Untrusted text (key names, tool names) made printable in a standard font: other characters become `?`. */
export function pdfText(s: string): string {
  return [...s].map((c) => (c.length === 1 && ((c >= ' ' && c <= '~') || (c >= '\u00a0' && c <= '\u00ff')) ? c : WIN_ANSI_EXTRA.has(c) ? c : /\s/.test(c) ? ' ' : '?')).join('');
}

type Doc = PDFKit.PDFDocument;

/** `text` cut with an ellipsis to fit `width` at the current font and size. */
function fit(doc: Doc, text: string, width: number): string {
  const s = pdfText(text);
  if (doc.widthOfString(s) <= width) return s;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (doc.widthOfString(`${s.slice(0, mid)}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${s.slice(0, lo)}…`;
}

/** One line at (x, y), never wrapped and never starting a page of its own. */
function line(doc: Doc, text: string, x: number, y: number, width: number, align: 'left' | 'right' | 'center' = 'left'): void {
  doc.text(fit(doc, text, width), x, y, { width, align, lineBreak: false });
}

const axisValue = (unit: ChartSpec['unit'], v: number): string => (unit === 'usd' ? formatUsd(v) : formatCount(v));

/** A value axis's top: a round number at or above the largest value. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

function chart(doc: Doc, spec: ChartSpec, x: number, y: number, w: number, h: number): void {
  doc.font(BOLD).fontSize(9).fillColor(INK);
  line(doc, spec.title, x, y, w);
  const top = y + 16;
  const height = h - 16;
  doc.rect(x, top, w, height).lineWidth(0.5).strokeColor(GRID).stroke();
  doc.font(FONT).fontSize(7).fillColor(MUTED);
  if (spec.values.length === 0) {
    line(doc, 'Nothing in this range', x, top + height / 2 - 4, w, 'center');
    return;
  }
  const max = niceMax(Math.max(...spec.values));
  if (spec.kind === 'columns') {
    const left = x + 44;
    const bottom = top + height - 16;
    const plotW = x + w - 8 - left;
    const plotH = bottom - (top + 8);
    for (const f of [0, 0.5, 1]) {
      const gy = bottom - f * plotH;
      doc.moveTo(left, gy).lineTo(left + plotW, gy).lineWidth(0.3).strokeColor(GRID).stroke();
      doc.fillColor(MUTED);
      line(doc, axisValue(spec.unit, max * f), x + 2, gy - 3, 40, 'right');
    }
    const slot = plotW / spec.values.length;
    const barW = Math.max(0.5, Math.min(24, slot * 0.7));
    spec.values.forEach((v, i) => {
      const bh = (v / max) * plotH;
      if (bh > 0) doc.rect(left + i * slot + (slot - barW) / 2, bottom - bh, barW, bh).fill(BAR);
    });
    // The first, middle and last days: enough to read the axis, never overlapping.
    const marks = [...new Set([0, Math.floor((spec.labels.length - 1) / 2), spec.labels.length - 1])];
    doc.fillColor(MUTED);
    for (const i of marks) line(doc, spec.labels[i] ?? '', left + i * slot + slot / 2 - 28, bottom + 4, 56, 'center');
    return;
  }
  const labelW = Math.min(110, w * 0.4);
  const valueW = 48;
  const left = x + 6 + labelW;
  const plotW = x + w - 6 - valueW - left;
  const rowH = Math.min(18, (height - 8) / spec.values.length);
  spec.values.forEach((v, i) => {
    const ry = top + 4 + i * rowH;
    doc.fillColor(INK);
    line(doc, spec.labels[i] ?? '', x + 4, ry + rowH / 2 - 3.5, labelW - 4, 'right');
    const bw = (v / max) * plotW;
    doc.rect(left, ry + rowH * 0.15, Math.max(0.5, bw), rowH * 0.7).fill(BAR);
    doc.fillColor(MUTED);
    line(doc, axisValue(spec.unit, v), left + bw + 3, ry + rowH / 2 - 3.5, valueW);
  });
}

/** Column widths from their content, scaled down to the page; text columns give way first. */
function widths(doc: Doc, t: Table, total: number): number[] {
  // Headers and the total row are bold: measured so.
  const measure = (font: string, text: string): number => doc.font(font).fontSize(7.5).widthOfString(pdfText(text));
  const want = t.columns.map((c, i) =>
    Math.min(c.numeric ? 90 : 200, Math.max(measure(BOLD, c.title), measure(BOLD, t.total[i] ?? ''), ...t.rows.slice(0, 200).map((r) => measure(FONT, r[i] ?? ''))) + 10),
  );
  const sum = want.reduce((a, b) => a + b, 0);
  if (sum <= total) return want.map((w, i) => (i === 0 ? w + total - sum : w));
  // Too wide: cap the text columns at one width, the widest giving way first (numbers never do).
  const room = total - want.reduce((a, w, i) => a + (t.columns[i]!.numeric ? w : 0), 0);
  const text = want.filter((_, i) => !t.columns[i]!.numeric);
  let lo = 0;
  let hi = Math.max(...text);
  for (let k = 0; k < 30; k++) {
    const cap = (lo + hi) / 2;
    if (text.reduce((a, w) => a + Math.min(w, cap), 0) <= room) lo = cap;
    else hi = cap;
  }
  return want.map((w, i) => (t.columns[i]!.numeric ? w : Math.min(w, lo)));
}

function table(doc: Doc, t: Table): void {
  const pageBottom = () => doc.page.height - MARGIN - 14;
  const x0 = MARGIN;
  const width = doc.page.width - 2 * MARGIN;
  const rowH = 12;
  const cols = widths(doc, t, width);
  const drawRow = (cells: string[], y: number, font: string, fill?: string): void => {
    if (fill) doc.rect(x0, y, width, rowH).fill(fill);
    doc.font(font).fontSize(7.5).fillColor(INK);
    let x = x0;
    cells.forEach((c, i) => {
      line(doc, c, x + 4, y + 3, cols[i]! - 8, t.columns[i]!.numeric ? 'right' : 'left');
      x += cols[i]!;
    });
  };
  const header = (y: number): number => {
    doc.font(BOLD).fontSize(7.5).fillColor(MUTED);
    let x = x0;
    t.columns.forEach((c, i) => {
      line(doc, c.title, x + 4, y + 3, cols[i]! - 8, c.numeric ? 'right' : 'left');
      x += cols[i]!;
    });
    doc.moveTo(x0, y + rowH).lineTo(x0 + width, y + rowH).lineWidth(0.5).strokeColor(GRID).stroke();
    return y + rowH + 1;
  };
  let y = doc.y;
  if (y + 20 + 3 * rowH > pageBottom()) {
    doc.addPage();
    y = MARGIN;
  }
  doc.font(BOLD).fontSize(11).fillColor(INK);
  line(doc, t.title, x0, y, width);
  y = header(y + 16);
  if (t.rows.length === 0) {
    doc.font(FONT).fontSize(7.5).fillColor(MUTED);
    line(doc, 'Nothing in this range', x0 + 4, y + 3, width - 8);
    y += rowH;
  }
  t.rows.forEach((r, i) => {
    if (y + rowH > pageBottom()) {
      doc.addPage();
      y = header(MARGIN);
    }
    drawRow(r, y, FONT, i % 2 === 1 ? STRIPE : undefined);
    y += rowH;
  });
  if (y + rowH + 2 > pageBottom()) {
    doc.addPage();
    y = header(MARGIN);
  }
  doc.moveTo(x0, y + 1).lineTo(x0 + width, y + 1).lineWidth(0.8).strokeColor(GRID).stroke();
  drawRow(t.total, y + 2, BOLD);
  doc.y = y + rowH + 22;
}

/** The document as bytes. `compress: false` leaves the page streams readable (tests look at the text). */
export function renderPdf(data: ReportData, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const generated = new Date(data.report.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    compress: opts.compress ?? true,
    bufferPages: true,
    info: { Title: 'Gatehouse usage report', Creator: 'Gatehouse', Producer: 'Gatehouse (pdfkit)', CreationDate: generated, ModDate: generated },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;
  doc.font(BOLD).fontSize(18).fillColor(INK);
  line(doc, 'Gatehouse usage report', MARGIN, MARGIN, width);
  doc.font(FONT).fontSize(10).fillColor(INK);
  line(doc, rangeText(data.report), MARGIN, MARGIN + 24, width);
  doc.fontSize(8).fillColor(MUTED);
  line(doc, `Generated ${data.report.generatedAt.slice(0, 19).replace('T', ' ')} UTC`, MARGIN, MARGIN + 38, width);

  // The headline numbers: two rows of four.
  const cards = headline(data);
  const cardW = (width - 3 * 8) / 4;
  cards.forEach((c, i) => {
    const cx = MARGIN + (i % 4) * (cardW + 8);
    const cy = MARGIN + 56 + Math.floor(i / 4) * 44;
    doc.roundedRect(cx, cy, cardW, 38, 4).fillAndStroke(STRIPE, GRID);
    doc.font(BOLD).fontSize(13).fillColor(INK);
    line(doc, c.value, cx + 8, cy + 6, cardW - 16);
    doc.font(FONT).fontSize(7.5).fillColor(MUTED);
    line(doc, c.label, cx + 8, cy + 25, cardW - 16);
  });

  // The charts: two rows of two.
  const charts = chartSpecs(data);
  const chartW = (width - 16) / 2;
  const chartsTop = MARGIN + 56 + 2 * 44 + 12;
  charts.forEach((c, i) => chart(doc, c, MARGIN + (i % 2) * (chartW + 16), chartsTop + Math.floor(i / 2) * 190, chartW, 176));
  doc.y = chartsTop + 2 * 190 + 8;

  for (const t of reportTables(data)) table(doc, t);

  // Page numbers, written last (bufferPages) below the bottom margin, which must not start a page.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font(FONT).fontSize(7).fillColor(MUTED);
    line(doc, `Gatehouse usage report · page ${i + 1} of ${range.count}`, MARGIN, doc.page.height - MARGIN + 10, width, 'center');
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
