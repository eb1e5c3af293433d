// One zustand store per feature, made once for the page and handed to the views through context.
import { createContext, useContext } from 'react';
import type { ControlEvent } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';
import { createAgentsStore } from './agents';
import { createApprovalsStore } from './approvals';
import { createAuditStore } from './audit';
import { createBudgetsStore } from './budgets';
import { createKeysStore } from './keys';
import { createMcpStore } from './mcp';
import { createProvidersStore } from './providers';
import { createReportsStore } from './reports';
import { createSettingsStore } from './settings';
import { createStatusStore } from './status';
import { createTrafficStore } from './traffic';

export function createStores(client: ControlClient) {
  const stores = {
    status: createStatusStore(client),
    approvals: createApprovalsStore(client),
    agents: createAgentsStore(client),
    settings: createSettingsStore(client),
    keys: createKeysStore(client),
    budgets: createBudgetsStore(client),
    audit: createAuditStore(client),
    mcp: createMcpStore(client),
    providers: createProvidersStore(client),
    traffic: createTrafficStore(client),
    reports: createReportsStore(client),
  };
  return {
    ...stores,
    /** Routes one event to every store that shows something it changes. */
    dispatch(e: ControlEvent): void {
      for (const s of Object.values(stores)) s.getState().onEvent(e);
    },
    /** Re-reads what the events keep current: after (re)connecting, events may have been missed. */
    resync(): void {
      void stores.status.getState().refresh();
      void stores.approvals.getState().refresh();
      void stores.budgets.getState().refresh();
      // The traffic list only once it was read: live rows missed while disconnected are in the ledger.
      if (stores.traffic.getState().loaded) void stores.traffic.getState().refresh();
    },
  };
}

export type Stores = ReturnType<typeof createStores>;

export const StoresContext = createContext<Stores | null>(null);

export function useStores(): Stores {
  const s = useContext(StoresContext);
  if (!s) throw new Error('useStores outside StoresContext');
  return s;
}
