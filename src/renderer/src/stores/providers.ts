// Providers: the configured providers and routes (config:get), which keychain secrets exist
// (secrets:list), and a provider added from a preset with its key stored in the keychain first.
import { createStore } from 'zustand/vanilla';
import type { ConfigSnapshot, ControlEvent, SecretInfo } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';
import { CONFLICT_TEXT, isConflict, readConfig, type ProviderEntry, type RouteEntry } from './config';

export type ProviderPreset = 'openai' | 'anthropic' | 'gemini' | 'openai-compatible';

export const PROVIDER_PRESETS: { id: ProviderPreset; label: string; needsBaseUrl: boolean }[] = [
  { id: 'openai', label: 'OpenAI', needsBaseUrl: false },
  { id: 'anthropic', label: 'Anthropic', needsBaseUrl: false },
  { id: 'gemini', label: 'Google Gemini', needsBaseUrl: false },
  { id: 'openai-compatible', label: 'OpenAI-compatible (any base URL)', needsBaseUrl: true },
];

export interface ProviderDraft {
  preset: ProviderPreset;
  id: string;
  baseUrl?: string;
  /** Typed once, sent to secrets:set, never kept. Empty: no key (e.g. a local server). */
  apiKey: string;
  secretName: string;
}

export interface ProvidersState {
  snapshot: ConfigSnapshot | null;
  providers: ProviderEntry[];
  routes: RouteEntry[];
  secrets: SecretInfo[];
  loaded: boolean;
  error: string | null;
  notice: string | null;
  adding: boolean;
  refresh(): Promise<void>;
  add(draft: ProviderDraft): Promise<boolean>;
  onEvent(e: ControlEvent): void;
}

/** Where a provider's key lives, and whether it is there. */
export function keyStatus(apiKey: string | null, secrets: readonly SecretInfo[]): { kind: 'keychain' | 'env' | 'none'; name: string | null; present: boolean | null } {
  if (!apiKey) return { kind: 'none', name: null, present: null };
  const [kind, ...rest] = apiKey.split(':');
  const name = rest.join(':');
  if (kind === 'keychain') return { kind, name, present: secrets.some((s) => s.name === name) };
  if (kind === 'env') return { kind, name, present: null };
  return { kind: 'none', name: null, present: null };
}

/** The keychain name proposed for a provider's key: `<id>-api-key`. */
export const proposedSecretName = (id: string): string => (id ? `${id}-api-key` : '');

/** The config entry a draft becomes (the key only as a keychain reference). */
export function providerEntry(d: ProviderDraft): Record<string, unknown> {
  const entry: Record<string, unknown> = { id: d.id, type: d.preset };
  if (d.baseUrl) entry.baseUrl = d.baseUrl;
  if (d.apiKey) entry.apiKey = `keychain:${d.secretName}`;
  return entry;
}

export function createProvidersStore(client: ControlClient) {
  return createStore<ProvidersState>()((set, get) => ({
    snapshot: null,
    providers: [],
    routes: [],
    secrets: [],
    loaded: false,
    error: null,
    notice: null,
    adding: false,
    async refresh() {
      try {
        const [snapshot, secrets] = await Promise.all([client.call('config:get', {}), client.call('secrets:list', {})]);
        set({ snapshot, ...readConfig(snapshot.text), secrets, loaded: true, error: null });
      } catch (e) {
        set({ error: `Could not read the providers: ${(e as Error).message}`, loaded: true });
      }
    },
    async add(draft) {
      const snapshot = get().snapshot;
      if (!snapshot) return false;
      if (get().providers.some((p) => p.id === draft.id)) {
        set({ error: `A provider named "${draft.id}" is already configured.` });
        return false;
      }
      set({ adding: true, error: null, notice: null });
      try {
        // The key first: a config naming a secret that is not there yet would fail its first call.
        if (draft.apiKey) {
          const info = await client.call('secrets:set', { name: draft.secretName, value: draft.apiKey });
          set((s) => ({ secrets: [...s.secrets.filter((x) => x.name !== info.name), info] }));
        }
        const next = await client.call('config:edit', { baseHash: snapshot.hash, ops: [{ op: 'set', path: ['providers', get().providers.length], value: providerEntry(draft) }] });
        set({ snapshot: next, ...readConfig(next.text), notice: `Added provider "${draft.id}"${draft.apiKey ? `; its key is in the keychain as "${draft.secretName}"` : ''}. Add a route under models: to use it.` });
        return true;
      } catch (e) {
        if (isConflict(e)) {
          await get().refresh();
          set({ error: CONFLICT_TEXT });
        } else set({ error: `Could not add the provider: ${(e as Error).message}` });
        return false;
      } finally {
        set({ adding: false });
      }
    },
    onEvent(e) {
      if (e.event === 'secrets:changed' || (e.event === 'config:applied' && e.data.hash !== get().snapshot?.hash)) void get().refresh();
    },
  }));
}

export type ProvidersStore = ReturnType<typeof createProvidersStore>;
