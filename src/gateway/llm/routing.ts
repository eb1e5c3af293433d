// Resolves the model name a client asked for to a provider and upstream model.
import type { GatehouseConfig, Pricing } from '../config/schema.js';
import { globMatch } from '../policy/keys.js';

export interface ResolvedTarget {
  /** The name the client sent. */
  requested: string;
  /** The route that matched (a `models:` entry, or `provider/model` when addressed directly). */
  route: string;
  provider: string;
  model: string;
  pricing: Pricing | undefined;
}

/**
 * Order: an exact route name; then `provider/model` for a configured provider; then the first
 * alias whose glob matches, followed once. Returns the route's targets in order (the fallback
 * order; weighted and least-latency routing come with the data-path work).
 */
export function resolveModel(config: GatehouseConfig, requested: string): ResolvedTarget[] {
  const direct = (name: string): ResolvedTarget[] | null => {
    const route = config.models.find((r) => r.name === name);
    if (route) return route.targets.map((t) => ({ requested, route: route.name, provider: t.provider, model: t.model, pricing: t.pricing }));
    const slash = name.indexOf('/');
    if (slash > 0) {
      const provider = name.slice(0, slash);
      if (config.providers.some((p) => p.id === provider)) {
        return [{ requested, route: name, provider, model: name.slice(slash + 1), pricing: undefined }];
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
