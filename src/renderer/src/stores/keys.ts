// Keys & people: the virtual keys, users and teams, and a newly created key's secret (shown once).
import { createStore } from 'zustand/vanilla';
import type { ControlEvent, KeyCreateParams, KeySummary, KeyWithSecret, TeamSummary, UserSummary } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export interface KeysState {
  keys: KeySummary[];
  users: UserSummary[];
  teams: TeamSummary[];
  loaded: boolean;
  error: string | null;
  /** The key just created, with its secret: kept in memory until dismissed, never stored. */
  created: KeyWithSecret | null;
  creating: boolean;
  createError: string | null;
  refresh(): Promise<void>;
  create(params: KeyCreateParams): Promise<boolean>;
  dismissSecret(): void;
  revoke(id: string): Promise<void>;
  onEvent(e: ControlEvent): void;
}

export function createKeysStore(client: ControlClient) {
  return createStore<KeysState>()((set, get) => ({
    keys: [],
    users: [],
    teams: [],
    loaded: false,
    error: null,
    created: null,
    creating: false,
    createError: null,
    async refresh() {
      try {
        const [keys, users, teams] = await Promise.all([client.call('keys:list', {}), client.call('users:list', {}), client.call('teams:list', {})]);
        set({ keys, users, teams, loaded: true, error: null });
      } catch (e) {
        set({ error: (e as Error).message, loaded: true });
      }
    },
    async create(params) {
      set({ creating: true, createError: null });
      try {
        const created = await client.call('keys:create', params);
        set({ created, keys: [...get().keys.filter((k) => k.id !== created.key.id), created.key] });
        return true;
      } catch (e) {
        set({ createError: (e as Error).message });
        return false;
      } finally {
        set({ creating: false });
      }
    },
    dismissSecret() {
      set({ created: null });
    },
    async revoke(id) {
      try {
        const k = await client.call('keys:revoke', { id });
        set((s) => ({ keys: s.keys.map((x) => (x.id === id ? k : x)) }));
      } catch (e) {
        set({ error: (e as Error).message });
      }
    },
    onEvent(e) {
      if (e.event === 'keys:changed' || e.event === 'users:changed' || e.event === 'teams:changed') void get().refresh();
    },
  }));
}

export type KeysStore = ReturnType<typeof createKeysStore>;

/** `models` as typed in a form: comma- or space-separated globs. */
export function parseGlobs(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
