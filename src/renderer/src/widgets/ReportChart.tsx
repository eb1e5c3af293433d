// A bar chart for the reports area (Chart.js on a <canvas>): labels go in as data and are drawn, never parsed as markup.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef, useState } from 'react';
import { count, usd } from './format';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export type ChartUnit = 'usd' | 'calls' | 'tokens';

export interface ReportChartProps {
  title: string;
  /** `columns`: vertical bars along time; `bars`: horizontal bars, largest first. */
  kind: 'columns' | 'bars';
  unit: ChartUnit;
  labels: string[];
  values: number[];
}

export function chartValue(unit: ChartUnit, v: number): string {
  return unit === 'usd' ? usd(v) : `${count(v)} ${unit}`;
}

/** The chart in words for its accessible name: the largest bars first, at most three. */
export function chartSummary(labels: readonly string[], values: readonly number[], unit: ChartUnit): string {
  const bars = labels.map((label, i) => ({ label, value: values[i] ?? 0 })).filter((b) => b.value > 0);
  if (bars.length === 0) return 'nothing to show';
  const top = [...bars].sort((a, b) => b.value - a.value).slice(0, 3);
  return `${bars.length} bar${bars.length === 1 ? '' : 's'}; largest: ${top.map((b) => `${b.label} ${chartValue(unit, b.value)}`).join(', ')}`;
}

/** A label cut to fit an axis: the whole text stays in the tooltip. */
const short = (s: string, n = 28): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Follows the OS theme, so the chart is redrawn in the other theme's colours. */
function useDarkScheme(): boolean {
  const query = '(prefers-color-scheme: dark)';
  const [dark, setDark] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const m = matchMedia(query);
    const on = (): void => setDark(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return dark;
}

export function ReportChart({ title, kind, unit, labels, values }: ReportChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const dark = useDarkScheme();
  useEffect(() => {
    if (!canvas.current) return;
    const css = getComputedStyle(document.documentElement);
    const color = (name: string): string => css.getPropertyValue(name).trim();
    const valueAxis = { beginAtZero: true, grid: { color: color('--line') }, ticks: { color: color('--muted'), callback: (v: string | number) => chartValue(unit, Number(v)) } };
    const labelAxis = { grid: { display: false }, ticks: { color: color('--muted'), autoSkip: true } };
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels, datasets: [{ label: title, data: values, backgroundColor: color('--accent'), borderRadius: 3, maxBarThickness: 28 }] },
      options: {
        indexAxis: kind === 'bars' ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => String(items[0]?.label ?? ''), label: (item) => chartValue(unit, Number(kind === 'bars' ? item.parsed.x : item.parsed.y)) } },
        },
        scales:
          kind === 'bars'
            ? { x: valueAxis, y: { ...labelAxis, ticks: { ...labelAxis.ticks, callback(v) { return short(String(this.getLabelForValue(Number(v)))); } } } }
            : { x: labelAxis, y: valueAxis },
      },
    });
    return () => chart.destroy();
  }, [title, kind, unit, labels, values, dark]);
  return (
    <figure className="report-chart">
      <figcaption>{title}</figcaption>
      <div className="report-chart-box" style={{ height: kind === 'bars' ? Math.max(120, 30 * labels.length + 40) : 220 }}>
        <canvas ref={canvas} role="img" aria-label={`${title}: ${chartSummary(labels, values, unit)}`} />
      </div>
    </figure>
  );
}
