// The stateful router: orders a route's targets per request (strategy, circuit breakers, session affinity) and paces retries.
import { routingSchema, type GatehouseConfig, type RoutingConfig } from '../config/schema.js';
import type { Family } from './canonical.js';
import { resolveModel, type ResolvedTarget } from './routing.js';

export interface RouterDeps {
  now?: () => number;
  /** Uniform in [0, 1), as Math.random. */
  random?: () => number;
  /** Most sessions remembered for affinity; the least recently used is forgotten first (default 10,000). */
  maxSessions?: number;
}

export interface RoutePlan {
  route: string;
  strategy: 'fallback' | 'weighted' | 'least-latency';
  /** Targets in the order to try them for this request (length ≥ 1). */
  targets: ResolvedTarget[];
  /** Total attempts allowed = 1 + retries; attempts go down `targets` and wrap around. */
  retries: number;
  attemptTimeoutMs: number;
  totalTimeoutMs: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Set when the session was pinned: the target it was pinned to. */
  pinnedTo?: string;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface TargetHealth {
  targetId: string;
  state: BreakerState;
  consecutiveFailures: number;
  ewmaTtfbMs: number | null;
  openUntil: number | null;
}

export interface Router {
  plan(config: GatehouseConfig, requested: string, session: string | undefined, familyOf: (providerId: string) => Family | undefined): RoutePlan | null;
  /** A target answered (first byte in time): closes its breaker, feeds least-latency (EWMA of time to first byte), and pins `session` to it. */
  succeeded(targetId: string, ttfbMs: number, session?: string): void;
  /**
   * A retryable failure (429, 5xx, connect error, timeout): counts toward its breaker; `retryAfterMs` (from a 429/503) keeps it cooling at least that long.
   * A retry-after alone does not open a closed breaker; it is remembered (until a success) and lengthens the cooling once the breaker opens, or while it is open.
   * The thresholds (breakerFailures, breakerCooldownMs) are those of the config last given to plan() or prune().
   */
  failed(targetId: string, retryAfterMs?: number): void;
  /** Delay before attempt number `attempt` (1 = the first retry): full-jitter exponential backoff from the plan's backoffMs, capped by maxBackoffMs, but never less than retryAfterMs when given (capped at the plan's remaining total time by the caller). */
  backoff(plan: RoutePlan, attempt: number, retryAfterMs?: number): number;
  /** Per target health for status displays. */
  health(): TargetHealth[];
  /** Forget sessions and health of targets that are no longer in the config. */
  prune(config: GatehouseConfig): void;
}

/** Weight of the newest time-to-first-byte sample in the moving average. */
export const EWMA_ALPHA = 0.3;
export const DEFAULT_MAX_SESSIONS = 10_000;
/** Most targets whose health is kept; past it the oldest closed one is forgotten (direct provider/model names are open-ended). */
export const MAX_TRACKED_TARGETS = 10_000;

interface Health {
  consecutiveFailures: number;
  /** When the breaker opened until; null when closed. Past this instant the breaker is half-open. */
  openUntil: number | null;
  /** The latest retry-after deadline a failure announced; an opening breaker cools at least until then. */
  retryUntil: number;
  ewmaTtfbMs: number | null;
}

interface Pin {
  targetId: string;
  lastUsed: number;
}

/** `provider/model` a target id stands for in this config, or undefined when it is not in it. */
function identityOf(config: GatehouseConfig, targetId: string): { provider: string; model: string } | undefined {
  const hash = targetId.lastIndexOf('#');
  if (hash > 0) {
    const route = config.models.find((r) => r.name === targetId.slice(0, hash));
    const index = targetId.slice(hash + 1);
    const t = route && /^\d+$/.test(index) ? route.targets[Number(index)] : undefined;
    if (t) return { provider: t.provider, model: t.model };
  }
  const slash = targetId.indexOf('/');
  if (slash > 0 && slash < targetId.length - 1 && config.providers.some((p) => p.id === targetId.slice(0, slash))) {
    return { provider: targetId.slice(0, slash), model: targetId.slice(slash + 1) };
  }
  return undefined;
}

export function createRouter(deps: RouterDeps = {}): Router {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const maxSessions = Math.max(1, deps.maxSessions ?? DEFAULT_MAX_SESSIONS);
  const healthById = new Map<string, Health>();
  /** Session -> pin, in least-recently-used-first order (a touched entry is re-inserted at the end). */
  const sessions = new Map<string, Pin>();
  /** What each target id stood for when last planned, so a reordered route does not inherit old health. */
  const identities = new Map<string, string>();
  /** Breaker settings of the config last seen (the schema defaults until then). */
  let breaker: Pick<RoutingConfig, 'breakerFailures' | 'breakerCooldownMs'> = routingSchema.parse({});

  const healthOf = (id: string): Health => {
    let h = healthById.get(id);
    if (!h) {
      if (healthById.size >= MAX_TRACKED_TARGETS) {
        let victim: string | undefined;
        for (const [key, other] of healthById) {
          victim ??= key;
          if (other.openUntil === null) {
            victim = key;
            break;
          }
        }
        if (victim !== undefined) healthById.delete(victim);
      }
      h = { consecutiveFailures: 0, openUntil: null, retryUntil: 0, ewmaTtfbMs: null };
      healthById.set(id, h);
    }
    return h;
  };

  const stateOf = (h: Health | undefined, at: number): BreakerState => {
    if (!h || h.openUntil === null) return 'closed';
    return at < h.openUntil ? 'open' : 'half-open';
  };

  const touchSession = (session: string, targetId: string, at: number): void => {
    sessions.delete(session);
    sessions.set(session, { targetId, lastUsed: at });
    while (sessions.size > maxSessions) {
      const oldest = sessions.keys().next();
      if (oldest.done) break;
      sessions.delete(oldest.value);
    }
  };

  const livePin = (session: string | undefined, ttlMs: number, at: number): Pin | undefined => {
    if (session === undefined) return undefined;
    const pin = sessions.get(session);
    if (!pin) return undefined;
    if (at - pin.lastUsed > ttlMs) {
      sessions.delete(session);
      return undefined;
    }
    return pin;
  };

  /** target 0 first with probability w0/Σw, then the rest the same way among those left. */
  const weightedOrder = (targets: ResolvedTarget[]): ResolvedTarget[] => {
    const left = [...targets];
    const out: ResolvedTarget[] = [];
    while (left.length > 1) {
      const total = left.reduce((s, t) => s + t.weight, 0);
      let r = random() * total;
      let pick = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        r -= left[i]?.weight ?? 0;
        if (r < 0) {
          pick = i;
          break;
        }
      }
      out.push(...left.splice(pick, 1));
    }
    out.push(...left);
    return out;
  };

  const latencyOrder = (targets: ResolvedTarget[]): ResolvedTarget[] =>
    targets
      .map((t, i) => ({ t, i, ewma: healthById.get(t.targetId)?.ewmaTtfbMs ?? null }))
      .sort((a, b) => {
        if (a.ewma === null || b.ewma === null) return a.ewma === b.ewma ? a.i - b.i : a.ewma === null ? -1 : 1;
        return a.ewma - b.ewma || a.i - b.i;
      })
      .map((x) => x.t);

  return {
    plan(config, requested, session, familyOf) {
      const resolved = resolveModel(config, requested);
      const first = resolved[0];
      if (!first) return null;
      const at = now();
      const routing = config.routing;
      breaker = routing;
      const route = config.models.find((r) => r.name === first.route);
      // Route target ids stand for whatever sits at that index; a direct provider/model id names itself.
      if (route) for (const t of resolved) identities.set(t.targetId, `${t.provider}/${t.model}`);
      const strategy = route?.strategy ?? 'fallback';
      const crossFamily = route?.crossFamilyFallback ?? routing.crossFamilyFallback;

      let order = strategy === 'weighted' ? weightedOrder(resolved) : strategy === 'least-latency' ? latencyOrder(resolved) : [...resolved];
      // Open breakers go last, not away: when every target is open, one of them is still tried.
      const isOpen = (t: ResolvedTarget): boolean => stateOf(healthById.get(t.targetId), at) === 'open';
      order = [...order.filter((t) => !isOpen(t)), ...order.filter(isOpen)];

      let pinnedTo: string | undefined;
      const pin = livePin(session, routing.affinityTtlMs, at);
      if (pin && session !== undefined) {
        const pinned = order.find((t) => t.targetId === pin.targetId);
        if (pinned && !isOpen(pinned)) order = [pinned, ...order.filter((t) => t !== pinned)];
        const pinnedProvider = pinned?.provider ?? identityOf(config, pin.targetId)?.provider;
        const family = pinnedProvider === undefined ? undefined : familyOf(pinnedProvider);
        let applied = pinned !== undefined;
        if (!crossFamily && family !== undefined) {
          const same = order.filter((t) => familyOf(t.provider) === family);
          // A route with no target of the session's family is a deliberate switch by the client, not a fallback.
          if (same.length > 0) {
            applied ||= same.length < order.length;
            order = same;
          }
        }
        if (applied) {
          pinnedTo = pin.targetId;
          touchSession(session, pin.targetId, at);
        }
      }

      const plan: RoutePlan = {
        route: first.route,
        strategy,
        targets: order,
        retries: route?.retries ?? routing.retries,
        attemptTimeoutMs: route?.attemptTimeoutMs ?? routing.attemptTimeoutMs,
        totalTimeoutMs: route?.totalTimeoutMs ?? routing.totalTimeoutMs,
        backoffMs: routing.backoffMs,
        maxBackoffMs: routing.maxBackoffMs,
      };
      if (pinnedTo !== undefined) plan.pinnedTo = pinnedTo;
      return plan;
    },

    succeeded(targetId, ttfbMs, session) {
      const h = healthOf(targetId);
      h.consecutiveFailures = 0;
      h.openUntil = null;
      h.retryUntil = 0;
      if (Number.isFinite(ttfbMs) && ttfbMs >= 0) h.ewmaTtfbMs = h.ewmaTtfbMs === null ? ttfbMs : EWMA_ALPHA * ttfbMs + (1 - EWMA_ALPHA) * h.ewmaTtfbMs;
      if (session !== undefined) touchSession(session, targetId, now());
    },

    failed(targetId, retryAfterMs) {
      const at = now();
      const h = healthOf(targetId);
      const state = stateOf(h, at);
      h.consecutiveFailures += 1;
      if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0) h.retryUntil = Math.max(h.retryUntil, at + retryAfterMs);
      if (state === 'half-open' || (state === 'closed' && h.consecutiveFailures >= breaker.breakerFailures)) {
        h.openUntil = Math.max(at + breaker.breakerCooldownMs, h.retryUntil);
      } else if (state === 'open') {
        h.openUntil = Math.max(h.openUntil ?? at, h.retryUntil);
      }
    },

    backoff(plan, attempt, retryAfterMs) {
      const n = Math.max(1, Math.floor(attempt));
      const ceiling = Math.min(plan.maxBackoffMs, plan.backoffMs * 2 ** Math.min(n - 1, 40));
      const jittered = Math.floor(random() * ceiling);
      const floor = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.ceil(retryAfterMs) : 0;
      return Math.max(jittered, floor);
    },

    health() {
      const at = now();
      return [...healthById.entries()]
        .map(([targetId, h]) => ({ targetId, state: stateOf(h, at), consecutiveFailures: h.consecutiveFailures, ewmaTtfbMs: h.ewmaTtfbMs, openUntil: h.openUntil }))
        .sort((a, b) => (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0));
    },

    prune(config) {
      breaker = config.routing;
      const stillMeans = (id: string): boolean => {
        const ident = identityOf(config, id);
        if (!ident) return false;
        const seen = identities.get(id);
        return seen === undefined || seen === `${ident.provider}/${ident.model}`;
      };
      for (const id of [...healthById.keys()]) if (!stillMeans(id)) healthById.delete(id);
      for (const [session, pin] of [...sessions]) if (!stillMeans(pin.targetId)) sessions.delete(session);
      for (const id of [...identities.keys()]) if (!stillMeans(id)) identities.delete(id);
    },
  };
}
