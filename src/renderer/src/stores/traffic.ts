// The traffic list: recent model and tool calls from the ledger, then each new one as its event
// arrives (held while paused), under the filter bar's filters; at most MAX_TRAFFIC_ROWS kept.
import { createStore } from 'zustand/vanilla';
import type { ControlEvent, TrafficDetail, TrafficListParams, TrafficRow } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export type TrafficFilters = Omit<TrafficListParams, 'before' | 'limit'>;

/** Rows kept in memory at most (shown, and held while paused): older ones fall off the end. */
export const MAX_TRAFFIC_ROWS = 5_000;
const PAGE = 500;

export interface TrafficState {
  filters: TrafficFilters;
  /** Newest first. */
  rows: TrafficRow[];
  nextBefore: number | null;
  loading: boolean;
  loaded: boolean;
  error: string | null;
  /** While paused, arriving rows wait in `held` so the list stays still under the reader. */
  paused: boolean;
  held: TrafficRow[];
  selected: TrafficRow | null;
  detail: TrafficDetail | null;
  detailLoading: boolean;
  detailError: string | null;
  /** Reads the first page unless it was read already. */
  load(): Promise<void>;
  setFilters(f: TrafficFilters): Promise<void>;
  refresh(): Promise<void>;
  loadMore(): Promise<void>;
  pause(): void;
  resume(): void;
  select(row: TrafficRow | null): Promise<void>;
  onEvent(e: ControlEvent): void;
}

/** Filters with empty fields left out: what traffic:list is sent. */
export function cleanTrafficFilters(f: TrafficFilters): TrafficFilters {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f) as [string, string | undefined][]) if (v !== undefined && v.trim() !== '') out[k] = v.trim();
  return out as TrafficFilters;
}

/** A live event as a row (not read from the ledger yet: no seq; `at` is when it arrived). */
export function rowFromEvent(e: ControlEvent, at: string): TrafficRow | null {
  if (e.event === 'request:completed') {
    const d = e.data;
    return { requestId: d.requestId, seq: null, at, kind: 'llm', keyId: d.keyId, model: d.model, provider: d.provider, tool: null, status: d.status, outcome: d.outcome, latencyMs: d.latencyMs, inputTokens: d.inputTokens, outputTokens: d.outputTokens, costUsd: d.costUsd };
  }
  if (e.event === 'tool:completed') {
    const d = e.data;
    return { requestId: d.requestId, seq: null, at, kind: 'mcp', keyId: d.keyId, model: null, provider: d.server, tool: d.name, status: null, outcome: d.outcome, latencyMs: d.durationMs, inputTokens: 0, outputTokens: 0, costUsd: d.costUsd };
  }
  return null;
}

const has = (text: string | null, part: string): boolean => text !== null && text.toLowerCase().includes(part.toLowerCase());

/**
 * Whether a live row belongs under the filters, as traffic:list would decide. The text filter
 * searches the row's own fields here (the server searches the whole record).
 */
export function matchesTraffic(row: TrafficRow, filters: TrafficFilters): boolean {
  const f = cleanTrafficFilters(filters);
  if (f.kind && row.kind !== f.kind) return false;
  if (f.keyId && row.keyId !== f.keyId) return false;
  if (f.model && !has(row.model, f.model) && !has(row.tool, f.model)) return false;
  if (f.outcome && (f.outcome === '!ok' ? row.outcome === 'ok' : row.outcome !== f.outcome)) return false;
  if (f.q && ![row.requestId, row.model, row.tool, row.provider, row.outcome, row.keyId].some((t) => has(t, f.q!))) return false;
  return true;
}

/** `fresh` on top of `rows`, each request once (the first seen wins), cut to the bound. */
function mergeNewest(fresh: TrafficRow[], rows: TrafficRow[]): TrafficRow[] {
  const seen = new Set<string>();
  const out: TrafficRow[] = [];
  for (const r of [...fresh, ...rows]) {
    if (seen.has(r.requestId)) continue;
    seen.add(r.requestId);
    out.push(r);
    if (out.length >= MAX_TRAFFIC_ROWS) break;
  }
  return out;
}

export function createTrafficStore(client: ControlClient, now: () => Date = () => new Date()) {
  /** Answers to an older read are dropped: only the latest filters' pages land. */
  let generation = 0;
  let detailFor = '';
  return createStore<TrafficState>()((set, get) => {
    const read = async (before: number | undefined): Promise<void> => {
      const append = before !== undefined;
      const gen = append ? generation : ++generation;
      set({ loading: true, error: null });
      try {
        const page = await client.call('traffic:list', { ...cleanTrafficFilters(get().filters), limit: PAGE, ...(append ? { before } : {}) });
        if (gen !== generation) return;
        set((s) => {
          if (append) return { rows: mergeNewest(s.rows, page.rows), nextBefore: page.nextBefore, loaded: true };
          // Rows that arrived live while the page was read stay on top unless the page has them.
          const read = new Set(page.rows.map((r) => r.requestId));
          return { rows: mergeNewest(s.rows.filter((r) => r.seq === null && !read.has(r.requestId)), page.rows), nextBefore: page.nextBefore, loaded: true };
        });
      } catch (e) {
        if (gen === generation) set({ error: (e as Error).message, loaded: true });
      } finally {
        if (gen === generation) set({ loading: false });
      }
    };
    return {
      filters: {},
      rows: [],
      nextBefore: null,
      loading: false,
      loaded: false,
      error: null,
      paused: false,
      held: [],
      selected: null,
      detail: null,
      detailLoading: false,
      detailError: null,
      async load() {
        if (!get().loaded && !get().loading) await read(undefined);
      },
      async setFilters(filters) {
        set({ filters, rows: [], held: [], nextBefore: null });
        await read(undefined);
      },
      refresh: () => read(undefined),
      async loadMore() {
        const { nextBefore, loading, rows } = get();
        if (nextBefore === null || loading || rows.length >= MAX_TRAFFIC_ROWS) return;
        await read(nextBefore);
      },
      pause() {
        set({ paused: true });
      },
      resume() {
        set((s) => ({ paused: false, held: [], rows: mergeNewest(s.held, s.rows) }));
      },
      async select(row) {
        detailFor = row?.requestId ?? '';
        set({ selected: row, detail: null, detailError: null, detailLoading: row !== null });
        if (!row) return;
        try {
          const detail = await client.call('traffic:get', { requestId: row.requestId, ...(row.seq !== null ? { seq: row.seq } : {}) });
          if (detailFor === row.requestId) set({ detail });
        } catch (e) {
          if (detailFor === row.requestId) set({ detailError: (e as Error).message });
        } finally {
          if (detailFor === row.requestId) set({ detailLoading: false });
        }
      },
      onEvent(e) {
        const row = rowFromEvent(e, now().toISOString());
        if (!row || !matchesTraffic(row, get().filters)) return;
        // An event seen twice (a reconnecting stream) leaves its row where it is.
        const { rows, held } = get();
        if (rows.some((r) => r.requestId === row.requestId) || held.some((r) => r.requestId === row.requestId)) return;
        if (get().paused) set((s) => ({ held: mergeNewest([row], s.held) }));
        else set((s) => ({ rows: mergeNewest([row], s.rows) }));
      },
    };
  });
}

export type TrafficStore = ReturnType<typeof createTrafficStore>;

/** `gpt-4o-mini` for a model call, `every__echo` for a tool call. */
export function trafficTarget(r: TrafficRow): string {
  return (r.kind === 'mcp' ? r.tool : r.model) ?? '';
}

/** `200 ok`, `upstream_error`, `refused`: the status when there is one, and how it ended. */
export function trafficStatus(r: TrafficRow): string {
  return r.status !== null && r.status > 0 ? `${r.status} ${r.outcome}` : r.outcome;
}
