// The audit view: ledger records newest first, a page at a time, under the filter bar's filters; and the chain check.
import { createStore } from 'zustand/vanilla';
import type { AuditListParams, AuditRecord, AuditVerifyResult, ControlEvent } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export type AuditFilters = Omit<AuditListParams, 'before' | 'limit'>;

export interface AuditState {
  filters: AuditFilters;
  records: AuditRecord[];
  nextBefore: number | null;
  loading: boolean;
  loaded: boolean;
  error: string | null;
  /** New records written since the list was read (from events): offers a refresh instead of moving rows under the pointer. */
  stale: boolean;
  selected: AuditRecord | null;
  verifying: boolean;
  verify: AuditVerifyResult | null;
  verifyError: string | null;
  setFilters(f: AuditFilters): Promise<void>;
  refresh(): Promise<void>;
  loadMore(): Promise<void>;
  select(r: AuditRecord | null): void;
  verifyChain(): Promise<void>;
  onEvent(e: ControlEvent): void;
}

const PAGE = 200;

/** Filters with empty fields left out: what audit:list is sent. */
export function cleanFilters(f: AuditFilters): AuditFilters {
  const out: AuditFilters = {};
  for (const [k, v] of Object.entries(f) as [keyof AuditFilters, string | undefined][]) if (v !== undefined && v.trim() !== '') out[k] = v.trim();
  return out;
}

export function createAuditStore(client: ControlClient) {
  /** Answers to an older read are dropped: only the latest filters' pages land. */
  let generation = 0;
  return createStore<AuditState>()((set, get) => {
    const read = async (before: number | undefined, append: boolean): Promise<void> => {
      const gen = append ? generation : ++generation;
      set({ loading: true, error: null });
      try {
        const page = await client.call('audit:list', { ...cleanFilters(get().filters), limit: PAGE, ...(before ? { before } : {}) });
        if (gen !== generation) return;
        set((s) => ({ records: append ? [...s.records, ...page.records] : page.records, nextBefore: page.nextBefore, loaded: true, stale: append ? s.stale : false }));
      } catch (e) {
        if (gen === generation) set({ error: (e as Error).message, loaded: true });
      } finally {
        if (gen === generation) set({ loading: false });
      }
    };
    return {
      filters: {},
      records: [],
      nextBefore: null,
      loading: false,
      loaded: false,
      error: null,
      stale: false,
      selected: null,
      verifying: false,
      verify: null,
      verifyError: null,
      async setFilters(filters) {
        set({ filters, selected: null });
        await read(undefined, false);
      },
      refresh: () => read(undefined, false),
      async loadMore() {
        const { nextBefore, loading } = get();
        if (nextBefore === null || loading) return;
        await read(nextBefore, true);
      },
      select(selected) {
        set({ selected });
      },
      async verifyChain() {
        set({ verifying: true, verifyError: null });
        try {
          set({ verify: await client.call('audit:verify', {}) });
        } catch (e) {
          set({ verifyError: (e as Error).message });
        } finally {
          set({ verifying: false });
        }
      },
      onEvent(e) {
        // Most events are also ledger records; the list says so rather than shifting under the reader.
        if (e.event === 'request:completed' || e.event === 'approval:resolved' || e.event.endsWith(':changed') || e.event === 'config:applied') set({ stale: true });
      },
    };
  });
}

export type AuditStore = ReturnType<typeof createAuditStore>;

/** One line about a record for the table: what was called and how it ended. */
export function recordSummary(r: AuditRecord): string {
  const b = r.body;
  const s = (k: string): string | undefined => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
  if (r.type === 'mcp.call') return `${s('server') ?? '?'}/${s('tool') ?? '?'} · ${s('decision') ?? ''}${s('decidedBy') ? ` (${s('decidedBy')})` : ''} · ${s('outcome') ?? ''}`;
  if (r.type === 'llm.request') return `${s('model') ?? s('requestedModel') ?? '?'} · ${String(b.status ?? '')} ${s('outcome') ?? ''}`;
  if (r.type.startsWith('approval.')) return `${s('server') ? `${s('server')}/${s('tool')} · ` : ''}${s('outcome') ?? s('reason') ?? ''}${s('by') ? ` by ${s('by')}` : ''}`;
  if (r.type.startsWith('admin.')) return `${s('actor') ?? ''}${s('keyId') ? ` · ${s('keyId')}` : ''}${s('name') ? ` · ${s('name')}` : ''}`;
  return Object.keys(b)
    .filter((k) => k !== 'type' && k !== 'at')
    .slice(0, 4)
    .map((k) => `${k}: ${typeof b[k] === 'object' ? '…' : String(b[k])}`)
    .join(' · ');
}

/** The record's cost in USD, when it has one. */
export function recordCost(r: AuditRecord): number | null {
  return typeof r.body.costUsd === 'number' ? r.body.costUsd : null;
}
