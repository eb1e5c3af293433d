// Providers: the configured providers and routes (config:get), which keychain secrets exist
// (secrets:list), a provider added from a preset with its key stored in the keychain first, its
// connection tested (providers:test), providers removed, and routes added, edited and removed.
import { parse } from 'yaml';
import { createStore } from 'zustand/vanilla';
import type { ConfigEditOp, ConfigSnapshot, ControlEvent, ProviderTestResult, SecretInfo } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';
import { editFailure, readConfig, type ProviderEntry } from './config';

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

export type RouteStrategy = 'fallback' | 'weighted' | 'least-latency';

/** How a route picks among its targets, as the config's `strategy` means it. */
export const ROUTE_STRATEGIES: { id: RouteStrategy; label: string }[] = [
  { id: 'fallback', label: 'Fallback: the first target, then the next when one fails' },
  { id: 'weighted', label: 'Weighted: spread over the targets by weight' },
  { id: 'least-latency', label: 'Least latency: the fastest target first' },
];

export interface RouteTarget {
  provider: string;
  model: string;
  /** The target's other fields (pricing, weight, maxOutputTokens), kept as written when the route is edited. */
  rest: Record<string, unknown>;
}

export interface Route {
  name: string;
  strategy: RouteStrategy;
  /** Whether the file writes `strategy` (a route without it is a fallback route). */
  strategyWritten: boolean;
  targets: RouteTarget[];
}

/** A route as the form edits it: its name, strategy and targets in order. */
export interface RouteDraft {
  name: string;
  strategy: RouteStrategy;
  targets: { provider: string; model: string }[];
}

/** What else in the config names routes or providers: removing what they name would break them. */
export interface ConfigReferences {
  /** Alias pattern -> route or `provider/model`. */
  aliases: Record<string, string>;
  /** The guardrail classifier's route or `provider/model`. */
  classifierRoute: string | null;
  /** MCP servers whose sampling requests go to a route. */
  samplingRoutes: { server: string; route: string }[];
}

export type ProviderTest = { status: 'running' } | { status: 'done'; result: ProviderTestResult } | { status: 'failed'; message: string };

export interface ProvidersState {
  snapshot: ConfigSnapshot | null;
  providers: ProviderEntry[];
  routes: Route[];
  references: ConfigReferences;
  secrets: SecretInfo[];
  /** Why the keychain could not be listed (then `secrets` is empty and says nothing), or null. */
  keychainError: string | null;
  /** The last connection test of each provider, by id. */
  tests: Record<string, ProviderTest>;
  loaded: boolean;
  error: string | null;
  notice: string | null;
  adding: boolean;
  /** What is being written: `route:NAME`, `remove:ID`, `remove-route:NAME`. */
  busy: string | null;
  refresh(): Promise<void>;
  add(draft: ProviderDraft): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  test(id: string): Promise<void>;
  /** Adds a route, or replaces the targets and strategy of the route named `editing`. */
  saveRoute(draft: RouteDraft, editing?: string): Promise<boolean>;
  removeRoute(name: string): Promise<boolean>;
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

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const isStrategy = (v: unknown): v is RouteStrategy => ROUTE_STRATEGIES.some((s) => s.id === v);

function parsed(text: string): Record<string, unknown> {
  try {
    return obj(parse(text));
  } catch {
    // A file that does not parse reads as empty: the gateway reports why.
    return {};
  }
}

/** The routes under `models:`, with what the form does not edit kept aside. */
export function readRoutes(text: string): Route[] {
  return list(parsed(text).models).map((r) => {
    const o = obj(r);
    return {
      name: str(o.name) ?? '',
      strategy: isStrategy(o.strategy) ? o.strategy : 'fallback',
      strategyWritten: o.strategy !== undefined,
      targets: list(o.targets).map((t) => {
        const { provider, model, ...rest } = obj(t);
        return { provider: str(provider) ?? '', model: str(model) ?? '', rest };
      }),
    };
  });
}

export function readReferences(text: string): ConfigReferences {
  const root = parsed(text);
  const aliases = Object.fromEntries(Object.entries(obj(root.aliases)).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const classifierRoute = str(obj(obj(root.guardrails).classifier).route);
  const samplingRoutes = list(root.mcpServers).flatMap((s) => {
    const route = str(obj(obj(s).sampling).route);
    return route ? [{ server: str(obj(s).id) ?? '', route }] : [];
  });
  return { aliases, classifierRoute, samplingRoutes };
}

const quoted = (names: string[]): string => names.map((n) => `"${n}"`).join(', ');
const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/** Why a provider cannot be removed (the routes, aliases and classifier naming it), or null. */
export function providerInUse(id: string, routes: readonly Route[], refs: ConfigReferences): string | null {
  const routeNames = routes.filter((r) => r.targets.some((t) => t.provider === id)).map((r) => r.name);
  const direct = (target: string): boolean => target.startsWith(`${id}/`);
  const aliasNames = Object.entries(refs.aliases)
    .filter(([, to]) => direct(to))
    .map(([from]) => from);
  const users = [
    ...(routeNames.length ? [`${plural(routeNames.length, 'route', 'routes')} ${quoted(routeNames)}`] : []),
    ...(aliasNames.length ? [`${plural(aliasNames.length, 'alias', 'aliases')} ${quoted(aliasNames)}`] : []),
    ...(refs.classifierRoute && direct(refs.classifierRoute) ? ['the guardrail classifier'] : []),
  ];
  return users.length ? `Provider "${id}" is still used by ${users.join(' and ')}: change or remove ${users.length === 1 && routeNames.length === 1 ? 'that route' : 'those'} first.` : null;
}

/** Why a route cannot be removed (the aliases, classifier and MCP sampling naming it), or null. */
export function routeInUse(name: string, refs: ConfigReferences): string | null {
  const aliasNames = Object.entries(refs.aliases)
    .filter(([, to]) => to === name)
    .map(([from]) => from);
  const servers = refs.samplingRoutes.filter((s) => s.route === name).map((s) => s.server);
  const users = [
    ...(aliasNames.length ? [`${plural(aliasNames.length, 'alias', 'aliases')} ${quoted(aliasNames)}`] : []),
    ...(refs.classifierRoute === name ? ['the guardrail classifier'] : []),
    ...(servers.length ? [`the sampling of MCP ${plural(servers.length, 'server', 'servers')} ${quoted(servers)}`] : []),
  ];
  return users.length ? `Route "${name}" is still used by ${users.join(' and ')}: point ${users.length === 1 ? 'that' : 'those'} at another route first.` : null;
}

/** What is wrong with a route draft, or null. */
export function routeDraftProblem(d: RouteDraft, providers: readonly ProviderEntry[], routes: readonly Route[], editing?: string): string | null {
  if (!d.name.trim()) return 'Give the route a name: the model name clients will ask for.';
  if (editing === undefined && routes.some((r) => r.name === d.name.trim())) return `A route named "${d.name.trim()}" already exists: edit it instead.`;
  if (d.targets.length === 0) return 'A route needs at least one target.';
  for (const [i, t] of d.targets.entries()) {
    if (!providers.some((p) => p.id === t.provider)) return `Target ${i + 1}: choose one of the configured providers.`;
    if (!t.model.trim()) return `Target ${i + 1}: name the provider's model (e.g. gpt-4o-mini).`;
  }
  return null;
}

/**
 * The targets a draft becomes: each keeps the fields the form does not edit (pricing, weight...)
 * of the first unused target of the route with the same provider and model.
 */
export function routeTargets(draft: RouteDraft, before: readonly RouteTarget[]): Record<string, unknown>[] {
  const unused = [...before];
  return draft.targets.map((t) => {
    const model = t.model.trim();
    const i = unused.findIndex((u) => u.provider === t.provider && u.model === model);
    const rest = i >= 0 ? unused.splice(i, 1)[0]!.rest : {};
    return { provider: t.provider, model, ...rest };
  });
}

/** The config:edit ops that add a route or replace an existing one's strategy and targets. */
export function routeOps(draft: RouteDraft, routes: readonly Route[], editing?: string): ConfigEditOp[] {
  const i = editing === undefined ? -1 : routes.findIndex((r) => r.name === editing);
  if (i < 0) {
    const entry: Record<string, unknown> = { name: draft.name.trim() };
    if (draft.strategy !== 'fallback') entry.strategy = draft.strategy;
    entry.targets = routeTargets(draft, []);
    return [{ op: 'set', path: ['models', routes.length], value: entry }];
  }
  const route = routes[i]!;
  const ops: ConfigEditOp[] = [];
  // The default is left unwritten, as a person would write it.
  if (draft.strategy !== route.strategy && (route.strategyWritten || draft.strategy !== 'fallback')) ops.push({ op: 'set', path: ['models', i, 'strategy'], value: draft.strategy });
  ops.push({ op: 'set', path: ['models', i, 'targets'], value: routeTargets(draft, route.targets) });
  return ops;
}

export function createProvidersStore(client: ControlClient) {
  return createStore<ProvidersState>()((set, get) => {
    const fromSnapshot = (snapshot: ConfigSnapshot) => ({ snapshot, providers: readConfig(snapshot.text).providers, routes: readRoutes(snapshot.text), references: readReferences(snapshot.text) });

    /** One config:edit against the snapshot read; a conflict reloads and says so. */
    const edit = async (busy: string, ops: ConfigEditOp[], done: string, failed: string): Promise<boolean> => {
      const snapshot = get().snapshot;
      if (!snapshot) return false;
      set({ busy, error: null, notice: null });
      try {
        const next = await client.call('config:edit', { baseHash: snapshot.hash, ops });
        set({ ...fromSnapshot(next), notice: done });
        return true;
      } catch (e) {
        set({ error: await editFailure(e, () => get().refresh(), failed) });
        return false;
      } finally {
        set({ busy: null });
      }
    };

    return {
      snapshot: null,
      providers: [],
      routes: [],
      references: { aliases: {}, classifierRoute: null, samplingRoutes: [] },
      secrets: [],
      keychainError: null,
      tests: {},
      loaded: false,
      error: null,
      notice: null,
      adding: false,
      busy: null,
      async refresh() {
        // The keychain is read apart: without one (env:NAME keys, a headless box) the providers still show.
        const [config, names] = await Promise.allSettled([client.call('config:get', {}), client.call('secrets:list', {})]);
        const keychainError = names.status === 'rejected' ? `The OS keychain could not be read, so whether keys are in it is unknown: ${(names.reason as Error).message}` : null;
        if (config.status === 'rejected') {
          set({ error: `Could not read the providers: ${(config.reason as Error).message}`, keychainError, loaded: true });
          return;
        }
        set({ ...fromSnapshot(config.value), secrets: names.status === 'fulfilled' ? names.value : [], keychainError, loaded: true, error: null });
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
          set({ ...fromSnapshot(next), notice: `Added provider "${draft.id}"${draft.apiKey ? `; its key is in the keychain as "${draft.secretName}"` : ''}. Test its connection, then add a route to use it.` });
          return true;
        } catch (e) {
          set({ error: await editFailure(e, () => get().refresh(), 'Could not add the provider') });
          return false;
        } finally {
          set({ adding: false });
        }
      },
      async remove(id) {
        const i = get().providers.findIndex((p) => p.id === id);
        if (i < 0) return false;
        const inUse = providerInUse(id, get().routes, get().references);
        if (inUse) {
          set({ error: inUse, notice: null });
          return false;
        }
        const key = keyStatus(get().providers[i]!.apiKey, get().secrets);
        const keyNote = key.kind === 'keychain' && key.present ? ` Its key stays in the keychain as "${key.name}"; delete it with: gatehouse secrets delete ${key.name}` : '';
        const ok = await edit(`remove:${id}`, [{ op: 'delete', path: ['providers', i] }], `Removed provider "${id}".${keyNote}`, `Could not remove provider "${id}"`);
        if (ok)
          set((s) => {
            const { [id]: _gone, ...tests } = s.tests;
            return { tests };
          });
        return ok;
      },
      async test(id) {
        set((s) => ({ tests: { ...s.tests, [id]: { status: 'running' } } }));
        let outcome: ProviderTest;
        try {
          outcome = { status: 'done', result: await client.call('providers:test', { provider: id }) };
        } catch (e) {
          outcome = { status: 'failed', message: `Could not test "${id}": ${(e as Error).message}` };
        }
        set((s) => ({ tests: { ...s.tests, [id]: outcome } }));
      },
      async saveRoute(draft, editing) {
        const problem = routeDraftProblem(draft, get().providers, get().routes, editing);
        if (problem) {
          set({ error: problem, notice: null });
          return false;
        }
        const name = editing ?? draft.name.trim();
        if (editing !== undefined && !get().routes.some((r) => r.name === editing)) {
          set({ error: `Route "${editing}" is no longer in the config: it was removed elsewhere.`, notice: null });
          return false;
        }
        const order = draft.targets.map((t) => `${t.provider}/${t.model.trim()}`).join(' → ');
        return edit(`route:${name}`, routeOps(draft, get().routes, editing), `${editing === undefined ? 'Added' : 'Saved'} route "${name}": ${order}.`, `Could not save route "${name}"`);
      },
      async removeRoute(name) {
        const i = get().routes.findIndex((r) => r.name === name);
        if (i < 0) return false;
        const inUse = routeInUse(name, get().references);
        if (inUse) {
          set({ error: inUse, notice: null });
          return false;
        }
        return edit(`remove-route:${name}`, [{ op: 'delete', path: ['models', i] }], `Removed route "${name}". Clients asking for it now get "model not found".`, `Could not remove route "${name}"`);
      },
      onEvent(e) {
        if (e.event === 'secrets:changed' || (e.event === 'config:applied' && e.data.hash !== get().snapshot?.hash)) void get().refresh();
      },
    };
  });
}

export type ProvidersStore = ReturnType<typeof createProvidersStore>;
