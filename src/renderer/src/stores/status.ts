// The Overview's data: the gateway's status, this month's usage by day, and live request events.
import { createStore } from 'zustand/vanilla';
import type { BudgetAlert, ControlEvent, ControlEvents, GatewayStatus, UsageReport } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export type RequestDone = ControlEvents['request:completed'] & { receivedAt: number };

export interface StatusState {
  status: GatewayStatus | null;
  /** This month so far, grouped by UTC day. */
  usage: UsageReport | null;
  /** When status was last read (ms). */
  readAt: number | null;
  error: string | null;
  /** The last requests completed while this page was open, oldest first (at most 500). */
  recent: RequestDone[];
  alerts: BudgetAlert[];
  refresh(): Promise<void>;
  onEvent(e: ControlEvent): void;
}

/** `YYYY-MM-01` of the UTC month `at` is in. */
export function monthStart(at: Date): string {
  return `${at.toISOString().slice(0, 7)}-01`;
}

export function createStatusStore(client: ControlClient, now: () => Date = () => new Date(), debounceMs = 2000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return createStore<StatusState>()((set, get) => ({
    status: null,
    usage: null,
    readAt: null,
    error: null,
    recent: [],
    alerts: [],
    async refresh() {
      try {
        const [status, usage] = await Promise.all([client.call('status:get', {}), client.call('report:usage', { from: monthStart(now()), groupBy: 'day' })]);
        set({ status, usage, readAt: now().getTime(), error: null });
      } catch (e) {
        set({ error: (e as Error).message });
      }
    },
    onEvent(e) {
      if (e.event === 'request:completed') {
        set((s) => ({ recent: [...s.recent, { ...e.data, receivedAt: now().getTime() }].slice(-500) }));
        // Today's totals come from the ledger: re-read them once traffic pauses for a moment.
        if (!timer) {
          timer = setTimeout(() => {
            timer = undefined;
            void get().refresh();
          }, debounceMs);
        }
      } else if (e.event === 'budget:alert') set((s) => ({ alerts: [e.data, ...s.alerts].slice(0, 20) }));
    },
  }));
}

export type StatusStore = ReturnType<typeof createStatusStore>;

/** Requests per minute over the last `minutes` (from the events seen), and their median latency. */
export function liveRates(recent: readonly RequestDone[], nowMs: number, minutes = 5): { perMinute: number; errors: number; p50Ms: number | null } {
  const since = nowMs - minutes * 60_000;
  const window = recent.filter((r) => r.receivedAt >= since);
  const latencies = window.map((r) => r.latencyMs).sort((a, b) => a - b);
  return {
    perMinute: Math.round((window.length / minutes) * 10) / 10,
    errors: window.filter((r) => r.status >= 400 || r.outcome !== 'ok').length,
    p50Ms: latencies.length ? latencies[Math.floor((latencies.length - 1) / 2)]! : null,
  };
}

/** Requests in each of the last `buckets` minutes, oldest first: the sparkline. */
export function perMinute(recent: readonly RequestDone[], nowMs: number, buckets = 30): number[] {
  const out = new Array<number>(buckets).fill(0);
  for (const r of recent) {
    const age = Math.floor((nowMs - r.receivedAt) / 60_000);
    if (age >= 0 && age < buckets) out[buckets - 1 - age]!++;
  }
  return out;
}
