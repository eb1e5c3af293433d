// Resolves the model name a client asked for to a provider and upstream model, and suggests names for a misspelt one.
import type { GatehouseConfig, Pricing } from '../config/schema.js';
import { globMatch } from '../policy/keys.js';
import { catalogVendor, maxOutputFor, priceFor } from './pricing.js';

export interface ResolvedTarget {
  /** The name the client sent. */
  requested: string;
  /** The route that matched (a `models:` entry, or `provider/model` when addressed directly). */
  route: string;
  provider: string;
  model: string;
  /** The target's `pricing:` from the config, else the catalog's price for its provider and model. */
  pricing: Pricing | undefined;
  /** Where `pricing` came from; absent when the target is unpriced. */
  pricingSource?: 'config' | 'catalog';
  /** The most output one call can produce (the config's `maxOutputTokens`, else the catalog's); absent when unknown. */
  maxOutputTokens?: number;
  /** The target's weight for weighted routes (1 unless configured). */
  weight: number;
  /** Stable id for health and session affinity: `${route}#${index}` for a route target, `${provider}/${model}` when addressed directly. */
  targetId: string;
}

function priced(
  config: GatehouseConfig,
  providerId: string,
  model: string,
  configured: Pricing | undefined,
  maxOutput: number | undefined,
): Pick<ResolvedTarget, 'pricing' | 'pricingSource' | 'maxOutputTokens'> {
  const provider = config.providers.find((p) => p.id === providerId);
  const vendor = provider ? catalogVendor(provider) : undefined;
  const price = priceFor(vendor ?? '', model, configured);
  const maxOutputTokens = maxOutputFor(vendor ?? '', model, maxOutput);
  return { ...(price ? { pricing: price.pricing, pricingSource: price.source } : { pricing: undefined }), ...(maxOutputTokens ? { maxOutputTokens } : {}) };
}

/**
 * Order: an exact route name; then `provider/model` for a configured provider (priced from the
 * catalog); then the first alias whose glob matches, followed once. Returns the route's targets in
 * config order; the router (router.ts) decides the order to try them in.
 */
export function resolveModel(config: GatehouseConfig, requested: string): ResolvedTarget[] {
  const direct = (name: string): ResolvedTarget[] | null => {
    const route = config.models.find((r) => r.name === name);
    if (route) {
      return route.targets.map((t, i) => ({
        requested,
        route: route.name,
        provider: t.provider,
        model: t.model,
        ...priced(config, t.provider, t.model, t.pricing, t.maxOutputTokens),
        weight: t.weight ?? 1,
        targetId: `${route.name}#${i}`,
      }));
    }
    const slash = name.indexOf('/');
    if (slash > 0) {
      const provider = name.slice(0, slash);
      const model = name.slice(slash + 1);
      if (model !== '' && config.providers.some((p) => p.id === provider)) {
        return [{ requested, route: name, provider, model, ...priced(config, provider, model, undefined, undefined), weight: 1, targetId: name }];
      }
    }
    return null;
  };
  const hit = direct(requested);
  if (hit) return hit;
  for (const [pattern, target] of Object.entries(config.aliases)) {
    if (globMatch(pattern, requested)) return direct(target) ?? [];
  }
  return [];
}

/** The names a client can ask for: every route, then provider/model for each route target. */
export function listModelNames(config: GatehouseConfig): string[] {
  const names = new Set<string>();
  for (const r of config.models) names.add(r.name);
  for (const r of config.models) for (const t of r.targets) names.add(`${t.provider}/${t.model}`);
  return [...names];
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? Math.max(a.length, b.length);
}

/**
 * Names close to a misspelt `requested`, for "unknown model" errors: route names, alias names (not
 * glob patterns) and provider/model names whose edit distance (case-insensitive, against the whole
 * name or the part after `provider/`) is at most a third of the name's length (at least 2), or that
 * contain it or are contained in it (3 characters or more). Nearest first, at most `limit`.
 */
export function closeMatches(config: GatehouseConfig, requested: string, limit = 5): string[] {
  const want = requested.trim().toLowerCase();
  if (want === '' || limit <= 0) return [];
  const candidates = new Set<string>(listModelNames(config));
  for (const alias of Object.keys(config.aliases)) if (!alias.includes('*')) candidates.add(alias);
  const maxDistance = Math.max(2, Math.floor(want.length / 3));
  const scored: { name: string; score: number; order: number }[] = [];
  let order = 0;
  for (const name of candidates) {
    const full = name.toLowerCase();
    const slash = full.indexOf('/');
    const forms = slash > 0 ? [full, full.slice(slash + 1)] : [full];
    const distance = Math.min(...forms.map((f) => editDistance(want, f)));
    const contains = want.length >= 3 && forms.some((f) => f.length >= 3 && (f.includes(want) || want.includes(f)));
    // A containment hit ranks by how much it differs in length, after any closer edit-distance hit.
    const score = distance <= maxDistance ? distance : contains ? maxDistance + 1 + distance / 1000 : Infinity;
    if (score !== Infinity) scored.push({ name, score, order: order++ });
  }
  scored.sort((x, y) => x.score - y.score || x.order - y.order);
  return scored.slice(0, limit).map((s) => s.name);
}

/** The API family each provider type speaks (its adapter's `family`), known before any provider is built. */
export const FAMILY_OF_TYPE = {
  openai: 'openai',
  'openai-compatible': 'openai',
  'azure-openai': 'openai',
  anthropic: 'anthropic',
  gemini: 'gemini',
} as const satisfies Record<GatehouseConfig['providers'][number]['type'], 'openai' | 'anthropic' | 'gemini'>;

/**
 * The route an agent of `family` is best pointed at: the first route whose first target is a
 * provider of that family (no translation), else the first route; undefined with no routes.
 */
export function routeForFamily(config: GatehouseConfig, family: 'openai' | 'anthropic' | 'gemini'): { route: string; sameFamily: boolean } | undefined {
  const typeOf = new Map(config.providers.map((p) => [p.id, p.type]));
  const familyOf = (route: GatehouseConfig['models'][number]): string | undefined => {
    const type = typeOf.get(route.targets[0]?.provider ?? '');
    return type ? FAMILY_OF_TYPE[type] : undefined;
  };
  const same = config.models.find((m) => familyOf(m) === family);
  if (same) return { route: same.name, sameFamily: true };
  const first = config.models[0];
  return first ? { route: first.name, sameFamily: false } : undefined;
}
