// Budget meters: every budget's spend, reservations and reset, re-read after traffic (at most once a second).
import { createStore } from 'zustand/vanilla';
import type { BudgetMeter, ControlEvent } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export interface BudgetsState {
  meters: BudgetMeter[];
  loaded: boolean;
  error: string | null;
  refresh(): Promise<void>;
  onEvent(e: ControlEvent): void;
}

export function createBudgetsStore(client: ControlClient, debounceMs = 1000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return createStore<BudgetsState>()((set, get) => ({
    meters: [],
    loaded: false,
    error: null,
    async refresh() {
      try {
        set({ meters: await client.call('budgets:list', {}), loaded: true, error: null });
      } catch (e) {
        set({ error: (e as Error).message, loaded: true });
      }
    },
    onEvent(e) {
      const moves = e.event === 'request:completed' || e.event === 'budget:alert' || e.event === 'keys:changed' || e.event === 'users:changed' || e.event === 'teams:changed' || e.event === 'config:applied';
      if (!moves || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void get().refresh();
      }, debounceMs);
    },
  }));
}

export type BudgetsStore = ReturnType<typeof createBudgetsStore>;

/** How full a meter is, and its colour: amber from 80 %, red at 100 % (reservations count). */
export function meterLevel(m: Pick<BudgetMeter, 'spentUsd' | 'reservedUsd' | 'limitUsd'>): { spent: number; reserved: number; level: 'ok' | 'warn' | 'over' } {
  const limit = m.limitUsd > 0 ? m.limitUsd : 1;
  const spent = Math.min(1, m.spentUsd / limit);
  const reserved = Math.min(1 - spent, m.reservedUsd / limit);
  const used = (m.spentUsd + m.reservedUsd) / limit;
  return { spent, reserved, level: used >= 1 ? 'over' : used >= 0.8 ? 'warn' : 'ok' };
}
