// The reports area: a range (a preset or two UTC days) and a grouping, the report and its spend per
// day, and the export in the formats `gatehouse report` writes.
import { createStore } from 'zustand/vanilla';
import type { ControlEvent, ReportExport, ReportFormat, UsageGroupBy, UsageReport, UsageReportParams } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export const RANGE_PRESETS = [
  ['today', 'Today'],
  ['7d', 'Last 7 days'],
  ['month', 'This month'],
  ['last-month', 'Last month'],
  ['custom', 'Custom'],
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number][0];

const day = (d: Date): string => d.toISOString().slice(0, 10);

/** A preset as UTC days, both included (as reports count days): `7d` is today and the 6 days before. */
export function presetRange(preset: Exclude<RangePreset, 'custom'>, now: Date): { from: string; to: string } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const today = day(now);
  if (preset === 'today') return { from: today, to: today };
  if (preset === '7d') return { from: day(new Date(Date.UTC(y, m, now.getUTCDate() - 6))), to: today };
  if (preset === 'month') return { from: day(new Date(Date.UTC(y, m, 1))), to: today };
  return { from: day(new Date(Date.UTC(y, m - 1, 1))), to: day(new Date(Date.UTC(y, m, 0))) };
}

export interface ReportsState {
  preset: RangePreset;
  /** UTC days `YYYY-MM-DD`, both included; '' leaves that end open. */
  from: string;
  to: string;
  groupBy: UsageGroupBy;
  report: UsageReport | null;
  /** Spend per day over the same range, for the chart (the report itself when grouped by day). */
  byDay: UsageReport | null;
  loading: boolean;
  error: string | null;
  exporting: ReportFormat | null;
  exportError: string | null;
  setPreset(p: RangePreset): Promise<void>;
  setRange(from: string, to: string): Promise<void>;
  setGroupBy(g: UsageGroupBy): Promise<void>;
  load(): Promise<void>;
  /** The rendered file, or null when it could not be made (exportError says why). */
  exportAs(format: ReportFormat): Promise<ReportExport | null>;
  onEvent(e: ControlEvent): void;
}

/** The file's bytes, ready for a download link. */
export function exportBlob(x: ReportExport): Blob {
  if (x.encoding === 'utf8') return new Blob([x.content], { type: x.mimeType });
  const binary = atob(x.content);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: x.mimeType });
}

export function createReportsStore(client: ControlClient, now: () => Date = () => new Date()) {
  let generation = 0;
  return createStore<ReportsState>()((set, get) => {
    const params = (): UsageReportParams => {
      const { from, to, groupBy } = get();
      return { groupBy, ...(from ? { from } : {}), ...(to ? { to } : {}) };
    };
    const load = async (): Promise<void> => {
      const gen = ++generation;
      set({ loading: true, error: null });
      try {
        const p = params();
        const [report, byDay] = await Promise.all([client.call('report:usage', p), p.groupBy === 'day' ? undefined : client.call('report:usage', { ...p, groupBy: 'day' })]);
        if (gen === generation) set({ report, byDay: byDay ?? report });
      } catch (e) {
        if (gen === generation) set({ error: (e as Error).message, report: null, byDay: null });
      } finally {
        if (gen === generation) set({ loading: false });
      }
    };
    return {
      preset: 'month',
      ...presetRange('month', now()),
      groupBy: 'model',
      report: null,
      byDay: null,
      loading: false,
      error: null,
      exporting: null,
      exportError: null,
      async setPreset(preset) {
        set(preset === 'custom' ? { preset } : { preset, ...presetRange(preset, now()) });
        await load();
      },
      async setRange(from, to) {
        set({ preset: 'custom', from, to });
        await load();
      },
      async setGroupBy(groupBy) {
        set({ groupBy });
        await load();
      },
      load,
      async exportAs(format) {
        set({ exporting: format, exportError: null });
        try {
          return await client.call('report:export', { ...params(), format });
        } catch (e) {
          set({ exportError: (e as Error).message });
          return null;
        } finally {
          set({ exporting: null });
        }
      },
      onEvent() {
        // A report is read when asked for: new traffic does not move the figures under the reader.
      },
    };
  });
}

export type ReportsStore = ReturnType<typeof createReportsStore>;
