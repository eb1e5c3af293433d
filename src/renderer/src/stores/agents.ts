// Agents: each coding agent's files and last sighting (agents:list), the keys to pick from, and a
// setup's result per agent (agents:setup: the snippets, a created key's secret, the files written).
import { createStore } from 'zustand/vanilla';
import type { AgentSetupParams, AgentSetupResult, AgentsOverview, ControlEvent, KeySummary } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

/** How the settings get their key: a new one for this agent, an existing one (its secret pasted), or the placeholder. */
export type KeyChoice = { kind: 'create' } | { kind: 'existing'; keyId: string; secret: string } | { kind: 'none' };

export interface SetupDraft {
  key: KeyChoice;
  model: string;
  smallModel: string;
  subscription: boolean;
}

export interface AgentsState {
  overview: AgentsOverview | null;
  /** Live keys, for the key picker. */
  keys: KeySummary[];
  loaded: boolean;
  error: string | null;
  /** Per agent: the last setup's result (a created key's secret lives here, in memory only, until dismissed). */
  results: Record<string, AgentSetupResult>;
  busy: Record<string, 'preview' | 'write' | undefined>;
  errors: Record<string, string | undefined>;
  refresh(): Promise<void>;
  setup(agent: string, draft: SetupDraft, write: { confirmPaths: string[] } | null): Promise<boolean>;
  dismiss(agent: string): void;
  onEvent(e: ControlEvent): void;
}

/** The agents:setup params a draft becomes; a pasted secret is trimmed, an empty small model left out. */
export function setupParams(agent: string, d: SetupDraft, write: { confirmPaths: string[] } | null): AgentSetupParams {
  const p: AgentSetupParams = { agent };
  if (d.key.kind === 'create') p.createKey = true;
  if (d.key.kind === 'existing') {
    p.keyId = d.key.keyId;
    if (d.key.secret.trim() !== '') p.key = d.key.secret.trim();
  }
  if (d.model) p.model = d.model;
  if (d.smallModel) p.smallModel = d.smallModel;
  if (d.subscription) p.subscription = true;
  if (write) {
    p.write = true;
    p.confirmPaths = write.confirmPaths;
  }
  return p;
}

/** Whether "Write config" can run: the settings need a real key. */
export function canWrite(d: SetupDraft): boolean {
  return d.key.kind === 'create' || (d.key.kind === 'existing' && d.key.secret.trim() !== '');
}

/** Sightings refresh on traffic at most this often: the first agents:list reads up to 100,000 ledger records. */
const TRAFFIC_REFRESH_MS = 15_000;

export function createAgentsStore(client: ControlClient, now: () => number = Date.now) {
  let lastRead = 0;
  return createStore<AgentsState>()((set, get) => ({
    overview: null,
    keys: [],
    loaded: false,
    error: null,
    results: {},
    busy: {},
    errors: {},
    async refresh() {
      lastRead = now();
      try {
        const [overview, keys] = await Promise.all([client.call('agents:list', {}), client.call('keys:list', {})]);
        set({ overview, keys: keys.filter((k) => k.status === 'active'), loaded: true, error: null });
      } catch (e) {
        set({ error: (e as Error).message, loaded: true });
      }
    },
    async setup(agent, draft, write) {
      set((s) => ({ busy: { ...s.busy, [agent]: write ? 'write' : 'preview' }, errors: { ...s.errors, [agent]: undefined } }));
      try {
        const result = await client.call('agents:setup', setupParams(agent, draft, write));
        set((s) => ({ results: { ...s.results, [agent]: result } }));
        // Files written, or a key created: what the list shows has changed.
        if (write || result.created) void get().refresh();
        return true;
      } catch (e) {
        set((s) => ({ errors: { ...s.errors, [agent]: (e as Error).message } }));
        return false;
      } finally {
        set((s) => ({ busy: { ...s.busy, [agent]: undefined } }));
      }
    },
    dismiss(agent) {
      set((s) => {
        const { [agent]: _gone, ...rest } = s.results;
        return { results: rest };
      });
    },
    onEvent(e) {
      if (!get().loaded) return;
      if (e.event === 'keys:changed' || e.event === 'config:applied') void get().refresh();
      else if (e.event === 'request:completed' && now() - lastRead >= TRAFFIC_REFRESH_MS) void get().refresh();
    },
  }));
}

export type AgentsStore = ReturnType<typeof createAgentsStore>;
