// Keys & people: the virtual keys, users and teams (create, edit grants, limits and budgets, rotate,
// revoke, disable), and a new or rotated key's secret (shown once).
import { createStore } from 'zustand/vanilla';
import { BUDGET_WINDOWS, type BudgetSpec, type BudgetWindow, type ControlEvent, type KeyCreateParams, type KeySummary, type KeyUpdateParams, type KeyWithSecret, type PolicyFields, type TeamCreateParams, type TeamSummary, type TeamUpdateParams, type UserCreateParams, type UserSummary } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export type PersonKind = 'user' | 'team';

export interface KeysState {
  keys: KeySummary[];
  users: UserSummary[];
  teams: TeamSummary[];
  loaded: boolean;
  error: string | null;
  /** The key just created or rotated, with its secret: kept in memory until dismissed, never stored. */
  created: (KeyWithSecret & { how: 'created' | 'rotated' }) | null;
  /** A save (create or edit) in flight, and why the last one failed. */
  saving: boolean;
  saveError: string | null;
  refresh(): Promise<void>;
  create(params: KeyCreateParams): Promise<boolean>;
  update(params: KeyUpdateParams): Promise<boolean>;
  rotate(id: string): Promise<void>;
  dismissSecret(): void;
  revoke(id: string): Promise<void>;
  /** Creates (no `id`) or edits a user or team. */
  savePerson(kind: PersonKind, params: (UserCreateParams | TeamCreateParams) & { id?: string }): Promise<boolean>;
  setPersonDisabled(kind: PersonKind, id: string, disabled: boolean): Promise<void>;
  clearSaveError(): void;
  onEvent(e: ControlEvent): void;
}

export function createKeysStore(client: ControlClient) {
  const saving = async (set: (p: Partial<KeysState>) => void, run: () => Promise<unknown>): Promise<boolean> => {
    set({ saving: true, saveError: null });
    try {
      await run();
      return true;
    } catch (e) {
      set({ saveError: (e as Error).message });
      return false;
    } finally {
      set({ saving: false });
    }
  };
  return createStore<KeysState>()((set, get) => ({
    keys: [],
    users: [],
    teams: [],
    loaded: false,
    error: null,
    created: null,
    saving: false,
    saveError: null,
    async refresh() {
      try {
        const [keys, users, teams] = await Promise.all([client.call('keys:list', {}), client.call('users:list', {}), client.call('teams:list', {})]);
        set({ keys, users, teams, loaded: true, error: null });
      } catch (e) {
        set({ error: (e as Error).message, loaded: true });
      }
    },
    create(params) {
      return saving(set, async () => {
        const created = await client.call('keys:create', params);
        set({ created: { ...created, how: 'created' }, keys: [...get().keys.filter((k) => k.id !== created.key.id), created.key] });
      });
    },
    update(params) {
      return saving(set, async () => {
        const k = await client.call('keys:update', params);
        set((s) => ({ keys: s.keys.map((x) => (x.id === k.id ? k : x)) }));
      });
    },
    async rotate(id) {
      try {
        const rotated = await client.call('keys:rotate', { id });
        set((s) => ({ created: { ...rotated, how: 'rotated' }, keys: s.keys.map((x) => (x.id === id ? rotated.key : x)) }));
      } catch (e) {
        set({ error: (e as Error).message });
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
    savePerson(kind, { id, ...params }) {
      return saving(set, async () => {
        if (kind === 'user') {
          const u = id ? await client.call('users:update', { id, ...params }) : await client.call('users:create', params as UserCreateParams);
          set((s) => ({ users: [...s.users.filter((x) => x.id !== u.id), u].sort(byName) }));
        } else {
          const { email: _email, ...teamParams } = params as UserCreateParams;
          const t = id ? await client.call('teams:update', { id, ...teamParams } as TeamUpdateParams) : await client.call('teams:create', teamParams);
          set((s) => ({ teams: [...s.teams.filter((x) => x.id !== t.id), t].sort(byName) }));
        }
      });
    },
    async setPersonDisabled(kind, id, disabled) {
      try {
        if (kind === 'user') {
          const u = await client.call(disabled ? 'users:disable' : 'users:enable', { id });
          set((s) => ({ users: s.users.map((x) => (x.id === id ? u : x)) }));
        } else {
          const t = await client.call(disabled ? 'teams:disable' : 'teams:enable', { id });
          set((s) => ({ teams: s.teams.map((x) => (x.id === id ? t : x)) }));
        }
      } catch (e) {
        set({ error: (e as Error).message });
      }
    },
    clearSaveError() {
      set({ saveError: null });
    },
    onEvent(e) {
      if (e.event === 'keys:changed' || e.event === 'users:changed' || e.event === 'teams:changed') void get().refresh();
    },
  }));
}

const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);

export type KeysStore = ReturnType<typeof createKeysStore>;

/** `models` as typed in a form: comma- or space-separated globs. */
export function parseGlobs(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Grants, limits and budgets as a form holds them: text, as typed. */
export interface PolicyForm {
  models: string;
  mcpTools: string;
  budgets: { amount: string; window: BudgetWindow }[];
  rpm: string;
  tpm: string;
  maxConcurrency: string;
}

export const emptyPolicyForm = (): PolicyForm => ({ models: '', mcpTools: '', budgets: [{ amount: '', window: 'month' }], rpm: '', tpm: '', maxConcurrency: '' });

export function policyFormOf(p: PolicyFields): PolicyForm {
  const limit = (n: number | null): string => (n === null ? '' : String(n));
  return {
    models: p.models.join(', '),
    mcpTools: p.mcpTools.join(', '),
    budgets: p.budgets.length ? p.budgets.map((b) => ({ amount: String(b.amountUsd), window: b.window })) : [{ amount: '', window: 'month' }],
    rpm: limit(p.rpm),
    tpm: limit(p.tpm),
    maxConcurrency: limit(p.maxConcurrency),
  };
}

const LIMIT_LABELS = { rpm: 'Requests per minute', tpm: 'Tokens per minute', maxConcurrency: 'Concurrent requests' } as const;

/**
 * The form as PolicyFields, or what is wrong with it. Every field is present (an empty one clears
 * it), so an edit can remove a grant, a budget or a limit.
 */
export function policyOfForm(f: PolicyForm): { ok: true; value: PolicyFields } | { ok: false; error: string } {
  const budgets: BudgetSpec[] = [];
  for (const b of f.budgets) {
    if (b.amount.trim() === '') continue;
    const amountUsd = Number(b.amount);
    if (!Number.isFinite(amountUsd) || amountUsd <= 0) return { ok: false, error: `The ${b.window} budget must be an amount in USD above 0 (got "${b.amount}").` };
    if (!BUDGET_WINDOWS.includes(b.window)) return { ok: false, error: `Unknown budget window "${b.window}".` };
    if (budgets.some((x) => x.window === b.window)) return { ok: false, error: `Two budgets per ${b.window}: keep one.` };
    budgets.push({ amountUsd, window: b.window });
  }
  const limits = {} as Record<keyof typeof LIMIT_LABELS, number | null>;
  for (const field of Object.keys(LIMIT_LABELS) as (keyof typeof LIMIT_LABELS)[]) {
    const text = f[field].trim();
    if (text === '') {
      limits[field] = null;
      continue;
    }
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) return { ok: false, error: `${LIMIT_LABELS[field]} must be a whole number of 1 or more, or empty for no limit (got "${text}").` };
    limits[field] = n;
  }
  return { ok: true, value: { models: parseGlobs(f.models), mcpTools: parseGlobs(f.mcpTools), budgets, ...limits } };
}

/** For a new key, user or team: only what was filled in (the gateway's defaults stand for the rest). */
export function filledPolicy(p: PolicyFields): Partial<PolicyFields> {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))) as Partial<PolicyFields>;
}
