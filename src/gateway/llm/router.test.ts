// Tests for the stateful router: strategy order, circuit breakers, session affinity, backoff and pruning, on an injected clock and random source.
import { describe, expect, it } from 'vitest';
import { configSchema, type GatehouseConfig } from '../config/schema.js';
import type { Family } from './canonical.js';
import { createRouter, MAX_TRACKED_TARGETS, type RoutePlan, type Router } from './router.js';

const FAMILIES: Record<string, Family> = { anth: 'anthropic', oai: 'openai', gem: 'gemini' };
const familyOf = (providerId: string): Family | undefined => FAMILIES[providerId];

function config(opts: { models?: unknown[]; routing?: Record<string, unknown> } = {}): GatehouseConfig {
  return configSchema.parse({
    version: 1,
    providers: [
      { id: 'anth', type: 'anthropic' },
      { id: 'oai', type: 'openai' },
      { id: 'gem', type: 'gemini' },
      { id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' },
    ],
    models: opts.models ?? [
      {
        name: 'chain',
        targets: [
          { provider: 'anth', model: 'claude-sonnet-4-5' },
          { provider: 'oai', model: 'gpt-4.1' },
          { provider: 'anth', model: 'claude-haiku-4-5' },
        ],
      },
      {
        name: 'spread',
        strategy: 'weighted',
        targets: [
          { provider: 'anth', model: 'claude-sonnet-4-5', weight: 1 },
          { provider: 'oai', model: 'gpt-4.1', weight: 2 },
          { provider: 'gem', model: 'gemini-2.5-pro', weight: 1 },
        ],
      },
      {
        name: 'quick',
        strategy: 'least-latency',
        targets: [
          { provider: 'oai', model: 'gpt-4o-mini' },
          { provider: 'gem', model: 'gemini-2.5-flash' },
          { provider: 'anth', model: 'claude-haiku-4-5' },
        ],
      },
    ],
    routing: { breakerFailures: 2, breakerCooldownMs: 1_000, affinityTtlMs: 10_000, ...opts.routing },
  });
}

/** A clock the test moves by hand, and a random source that plays back given values. */
function harness(randoms: number[] = [], maxSessions?: number): { router: Router; advance: (ms: number) => void; clock: () => number; queue: number[] } {
  let t = 1_000_000;
  const queue = [...randoms];
  const router = createRouter({
    now: () => t,
    random: () => {
      const v = queue.shift();
      if (v === undefined) throw new Error('the test gave no more random values');
      return v;
    },
    ...(maxSessions === undefined ? {} : { maxSessions }),
  });
  return { router, advance: (ms) => (t += ms), clock: () => t, queue };
}

function ids(plan: RoutePlan | null): string[] {
  if (!plan) throw new Error('expected a plan');
  return plan.targets.map((t) => t.targetId);
}

describe('plan', () => {
  it('returns null for a name that does not resolve', () => {
    expect(harness().router.plan(config(), 'nothing', undefined, familyOf)).toBeNull();
  });

  it('keeps config order for fallback and takes timeouts and retries from routing', () => {
    const cfg = config();
    const plan = harness().router.plan(cfg, 'chain', undefined, familyOf);
    expect(ids(plan)).toEqual(['chain#0', 'chain#1', 'chain#2']);
    expect(plan).toMatchObject({ route: 'chain', strategy: 'fallback', retries: 2, attemptTimeoutMs: 120_000, totalTimeoutMs: 300_000, backoffMs: 250, maxBackoffMs: 8_000 });
    expect(plan?.pinnedTo).toBeUndefined();
  });

  it('lets route options override the routing defaults', () => {
    const cfg = config({
      models: [{ name: 'r', retries: 0, attemptTimeoutMs: 5_000, totalTimeoutMs: 9_000, targets: [{ provider: 'oai', model: 'gpt-4.1' }] }],
      routing: { retries: 4, backoffMs: 10, maxBackoffMs: 20 },
    });
    expect(harness().router.plan(cfg, 'r', undefined, familyOf)).toMatchObject({ retries: 0, attemptTimeoutMs: 5_000, totalTimeoutMs: 9_000, backoffMs: 10, maxBackoffMs: 20 });
  });

  it('plans a directly addressed provider/model as a one-target fallback route', () => {
    const plan = harness().router.plan(config(), 'oai/gpt-5', undefined, familyOf);
    expect(plan).toMatchObject({ route: 'oai/gpt-5', strategy: 'fallback' });
    expect(ids(plan)).toEqual(['oai/gpt-5']);
  });
});

describe('weighted strategy', () => {
  it('draws the first target by weight, then the rest among those left', () => {
    // weights 1, 2, 1 (sum 4): 0.6 × 4 = 2.4 falls in the second target's share [1, 3);
    // then weights 1, 1 (sum 2): 0.0 picks the first of those left.
    expect(ids(harness([0.6, 0]).router.plan(config(), 'spread', undefined, familyOf))).toEqual(['spread#1', 'spread#0', 'spread#2']);
    // 0.1 × 4 = 0.4 → first; then 0.99 × 3 = 2.97 → the last of [#1 (2), #2 (1)].
    expect(ids(harness([0.1, 0.99]).router.plan(config(), 'spread', undefined, familyOf))).toEqual(['spread#0', 'spread#2', 'spread#1']);
    // 0.75 × 4 = 3.0 is the start of the third target's share.
    expect(ids(harness([0.75, 0.5]).router.plan(config(), 'spread', undefined, familyOf))[0]).toBe('spread#2');
  });

  it('puts each target first in proportion to its weight', () => {
    // A fixed linear congruential sequence, so the counts are the same on every run.
    let seed = 12345;
    const lcg = (): number => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const router = createRouter({ now: () => 0, random: lcg });
    const firsts: Record<string, number> = {};
    const runs = 20_000;
    for (let i = 0; i < runs; i++) {
      const first = ids(router.plan(config(), 'spread', undefined, familyOf))[0] ?? '';
      firsts[first] = (firsts[first] ?? 0) + 1;
    }
    expect((firsts['spread#0'] ?? 0) / runs).toBeCloseTo(0.25, 1);
    expect((firsts['spread#1'] ?? 0) / runs).toBeCloseTo(0.5, 1);
    expect((firsts['spread#2'] ?? 0) / runs).toBeCloseTo(0.25, 1);
  });
});

describe('least-latency strategy', () => {
  it('tries unmeasured targets first, then ascending average time to first byte, ties in config order', () => {
    const { router } = harness();
    const cfg = config();
    expect(ids(router.plan(cfg, 'quick', undefined, familyOf))).toEqual(['quick#0', 'quick#1', 'quick#2']);
    router.succeeded('quick#0', 300);
    expect(ids(router.plan(cfg, 'quick', undefined, familyOf))).toEqual(['quick#1', 'quick#2', 'quick#0']);
    router.succeeded('quick#1', 200);
    router.succeeded('quick#2', 200);
    expect(ids(router.plan(cfg, 'quick', undefined, familyOf))).toEqual(['quick#1', 'quick#2', 'quick#0']);
    router.succeeded('quick#1', 400); // 0.3 × 400 + 0.7 × 200 = 260
    expect(ids(router.plan(cfg, 'quick', undefined, familyOf))).toEqual(['quick#2', 'quick#1', 'quick#0']);
  });

  it('keeps an exponentially weighted average of time to first byte', () => {
    const { router } = harness();
    router.succeeded('quick#0', 100);
    router.succeeded('quick#0', 200);
    expect(router.health().find((h) => h.targetId === 'quick#0')?.ewmaTtfbMs).toBeCloseTo(130, 9);
    router.succeeded('quick#0', Number.NaN);
    expect(router.health().find((h) => h.targetId === 'quick#0')?.ewmaTtfbMs).toBeCloseTo(130, 9);
  });
});

describe('circuit breaker', () => {
  it('opens after breakerFailures consecutive failures and moves the target to the end', () => {
    const { router, clock } = harness();
    const cfg = config();
    router.plan(cfg, 'chain', undefined, familyOf);
    router.failed('chain#0');
    expect(ids(router.plan(cfg, 'chain', undefined, familyOf))[0]).toBe('chain#0');
    router.failed('chain#0');
    expect(ids(router.plan(cfg, 'chain', undefined, familyOf))).toEqual(['chain#1', 'chain#2', 'chain#0']);
    expect(router.health()).toEqual([{ targetId: 'chain#0', state: 'open', consecutiveFailures: 2, ewmaTtfbMs: null, openUntil: clock() + 1_000 }]);
  });

  it('resets the count on a success in between', () => {
    const { router } = harness();
    const cfg = config();
    router.plan(cfg, 'chain', undefined, familyOf);
    router.failed('chain#0');
    router.succeeded('chain#0', 10);
    router.failed('chain#0');
    expect(router.health()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
  });

  it('still plans every target when all are open, in strategy order', () => {
    const { router } = harness();
    const cfg = config();
    router.plan(cfg, 'chain', undefined, familyOf);
    for (const id of ['chain#0', 'chain#1', 'chain#2']) {
      router.failed(id);
      router.failed(id);
    }
    expect(ids(router.plan(cfg, 'chain', undefined, familyOf))).toEqual(['chain#0', 'chain#1', 'chain#2']);
  });

  it('goes half-open after the cooldown: one success closes it, one failure reopens it', () => {
    const { router, advance, clock } = harness();
    const cfg = config();
    router.plan(cfg, 'chain', undefined, familyOf);
    router.failed('chain#0');
    router.failed('chain#0');
    advance(999);
    expect(router.health()[0]?.state).toBe('open');
    advance(1);
    expect(router.health()[0]?.state).toBe('half-open');
    expect(ids(router.plan(cfg, 'chain', undefined, familyOf))[0]).toBe('chain#0');
    router.failed('chain#0');
    expect(router.health()[0]).toMatchObject({ state: 'open', openUntil: clock() + 1_000 });
    advance(1_000);
    router.succeeded('chain#0', 50);
    expect(router.health()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0, openUntil: null });
  });

  it('cools for the retry-after when it is longer than the cooldown, and extends an open breaker', () => {
    const { router, advance, clock } = harness();
    const cfg = config();
    router.plan(cfg, 'chain', undefined, familyOf);
    router.failed('chain#1', 5_000);
    expect(router.health()[0]).toMatchObject({ state: 'closed', openUntil: null });
    advance(100);
    router.failed('chain#1');
    // opened now, and cools until the announced deadline, 4,900 ms from here
    expect(router.health()[0]).toMatchObject({ state: 'open', openUntil: clock() + 4_900 });
    advance(1_000);
    router.failed('chain#1', 8_000);
    expect(router.health()[0]?.openUntil).toBe(clock() + 8_000);
    router.failed('chain#1', 10);
    expect(router.health()[0]?.openUntil).toBe(clock() + 8_000);
  });

  it('forgets an announced retry-after once the target answers', () => {
    const { router, clock } = harness();
    router.plan(config(), 'chain', undefined, familyOf);
    router.failed('chain#1', 60_000);
    router.succeeded('chain#1', 30);
    router.failed('chain#1');
    router.failed('chain#1');
    expect(router.health()[0]?.openUntil).toBe(clock() + 1_000);
  });

  it('uses the cooldown when the retry-after is shorter', () => {
    const { router, clock } = harness();
    router.plan(config(), 'chain', undefined, familyOf);
    router.failed('chain#2');
    router.failed('chain#2', 200);
    expect(router.health()[0]?.openUntil).toBe(clock() + 1_000);
  });

  it('takes the thresholds from the config it last planned with', () => {
    const { router } = harness();
    router.plan(config({ routing: { breakerFailures: 1, breakerCooldownMs: 400 } }), 'chain', undefined, familyOf);
    router.failed('chain#0');
    expect(router.health()[0]?.state).toBe('open');
  });
});

describe('session affinity', () => {
  it('puts the target that last answered for the session first', () => {
    const { router } = harness();
    const cfg = config();
    router.succeeded('chain#2', 40, 'sess');
    const plan = router.plan(cfg, 'chain', 'sess', familyOf);
    expect(ids(plan)).toEqual(['chain#2', 'chain#0']);
    expect(plan?.pinnedTo).toBe('chain#2');
    expect(ids(router.plan(cfg, 'chain', 'other', familyOf))).toEqual(['chain#0', 'chain#1', 'chain#2']);
  });

  it('drops targets of another family while pinned, unless cross-family fallback is allowed', () => {
    const { router } = harness();
    router.succeeded('chain#0', 40, 'sess');
    expect(ids(router.plan(config(), 'chain', 'sess', familyOf))).toEqual(['chain#0', 'chain#2']);
    expect(ids(router.plan(config({ routing: { crossFamilyFallback: true } }), 'chain', 'sess', familyOf))).toEqual(['chain#0', 'chain#1', 'chain#2']);
    const routeSays = (allow: boolean): GatehouseConfig =>
      config({
        models: [
          {
            name: 'chain',
            crossFamilyFallback: allow,
            targets: [
              { provider: 'anth', model: 'claude-sonnet-4-5' },
              { provider: 'oai', model: 'gpt-4.1' },
            ],
          },
        ],
        routing: { crossFamilyFallback: !allow },
      });
    expect(ids(router.plan(routeSays(true), 'chain', 'sess', familyOf))).toEqual(['chain#0', 'chain#1']);
    expect(ids(router.plan(routeSays(false), 'chain', 'sess', familyOf))).toEqual(['chain#0']);
  });

  it('keeps an open pinned target in the plan but not first', () => {
    const { router } = harness();
    const cfg = config();
    router.succeeded('chain#0', 40, 'sess');
    router.plan(cfg, 'chain', 'sess', familyOf);
    router.failed('chain#0');
    router.failed('chain#0');
    const plan = router.plan(cfg, 'chain', 'sess', familyOf);
    expect(ids(plan)).toEqual(['chain#2', 'chain#0']);
    expect(plan?.pinnedTo).toBe('chain#0');
  });

  it('applies the family of a pin made on another route', () => {
    const { router } = harness();
    router.succeeded('oai/gpt-4o-mini', 40, 'sess');
    const plan = router.plan(config(), 'quick', 'sess', familyOf);
    expect(ids(plan)).toEqual(['quick#0']);
    expect(plan?.pinnedTo).toBe('oai/gpt-4o-mini');
  });

  it('does not filter a route that has no target of the pinned family (the client switched on purpose)', () => {
    const { router } = harness();
    router.succeeded('gem/gemini-2.5-pro', 40, 'sess');
    const plan = router.plan(config(), 'chain', 'sess', familyOf);
    expect(ids(plan)).toEqual(['chain#0', 'chain#1', 'chain#2']);
    expect(plan?.pinnedTo).toBeUndefined();
  });

  it('does not filter when the pinned provider has no known family', () => {
    const { router } = harness();
    router.succeeded('local/llama3', 40, 'sess');
    expect(ids(router.plan(config(), 'chain', 'sess', familyOf))).toEqual(['chain#0', 'chain#1', 'chain#2']);
  });

  it('forgets a pin affinityTtlMs after its last use, and each use extends it', () => {
    const { router, advance } = harness();
    const cfg = config();
    router.succeeded('chain#2', 40, 'sess');
    advance(10_000);
    expect(router.plan(cfg, 'chain', 'sess', familyOf)?.pinnedTo).toBe('chain#2');
    advance(10_000);
    expect(router.plan(cfg, 'chain', 'sess', familyOf)?.pinnedTo).toBe('chain#2');
    advance(10_001);
    const plan = router.plan(cfg, 'chain', 'sess', familyOf);
    expect(plan?.pinnedTo).toBeUndefined();
    expect(ids(plan)).toEqual(['chain#0', 'chain#1', 'chain#2']);
  });

  it('moves the pin to the latest target that answered', () => {
    const { router } = harness();
    router.succeeded('chain#0', 40, 'sess');
    router.succeeded('chain#2', 40, 'sess');
    expect(router.plan(config(), 'chain', 'sess', familyOf)?.pinnedTo).toBe('chain#2');
  });

  it('remembers a bounded number of sessions, forgetting the least recently used', () => {
    const { router } = harness([], 2);
    const cfg = config();
    router.succeeded('chain#2', 1, 'a');
    router.succeeded('chain#2', 1, 'b');
    expect(router.plan(cfg, 'chain', 'a', familyOf)?.pinnedTo).toBe('chain#2'); // a is now the most recent
    router.succeeded('chain#2', 1, 'c');
    expect(router.plan(cfg, 'chain', 'b', familyOf)?.pinnedTo).toBeUndefined();
    expect(router.plan(cfg, 'chain', 'a', familyOf)?.pinnedTo).toBe('chain#2');
    expect(router.plan(cfg, 'chain', 'c', familyOf)?.pinnedTo).toBe('chain#2');
  });
});

describe('backoff', () => {
  const plan = (backoffMs: number, maxBackoffMs: number): RoutePlan => ({
    route: 'r',
    strategy: 'fallback',
    targets: [],
    retries: 3,
    attemptTimeoutMs: 1_000,
    totalTimeoutMs: 10_000,
    backoffMs,
    maxBackoffMs,
  });

  it('doubles the ceiling per retry with full jitter, capped by maxBackoffMs', () => {
    const { router } = harness([0.5, 0.5, 0.5, 0.5, 0.999, 0]);
    expect(router.backoff(plan(100, 1_000), 1)).toBe(50);
    expect(router.backoff(plan(100, 1_000), 2)).toBe(100);
    expect(router.backoff(plan(100, 1_000), 3)).toBe(200);
    expect(router.backoff(plan(100, 1_000), 20)).toBe(500);
    expect(router.backoff(plan(100, 1_000), 4)).toBe(799);
    expect(router.backoff(plan(100, 1_000), 4)).toBe(0);
  });

  it('never waits less than the retry-after', () => {
    const { router } = harness([0.5, 0.5]);
    expect(router.backoff(plan(100, 1_000), 1, 2_500)).toBe(2_500);
    expect(router.backoff(plan(100, 1_000), 4, 10)).toBe(400);
  });

  it('is zero with a zero base, however many retries', () => {
    const { router } = harness([0.7]);
    expect(router.backoff(plan(0, 1_000), 1_000)).toBe(0);
  });
});

describe('health', () => {
  it('keeps at most MAX_TRACKED_TARGETS targets, forgetting the oldest closed one first', () => {
    const { router } = harness();
    router.plan(config(), 'chain', undefined, familyOf);
    router.failed('oai/first');
    router.failed('oai/first');
    for (let i = 1; i < MAX_TRACKED_TARGETS; i++) router.failed(`oai/m${i}`);
    expect(router.health()).toHaveLength(MAX_TRACKED_TARGETS);
    router.failed('oai/newest');
    const ids = new Set(router.health().map((h) => h.targetId));
    expect(ids.size).toBe(MAX_TRACKED_TARGETS);
    expect(ids.has('oai/first')).toBe(true);
    expect(ids.has('oai/m1')).toBe(false);
    expect(ids.has('oai/m2')).toBe(true);
    expect(ids.has('oai/newest')).toBe(true);
  });
});

describe('prune', () => {
  it('forgets health and sessions of targets that left the config or now mean another model', () => {
    const { router } = harness();
    const before = config();
    router.plan(before, 'chain', undefined, familyOf);
    router.plan(before, 'oai/gpt-5', undefined, familyOf);
    router.failed('chain#0');
    router.failed('chain#1');
    router.failed('chain#2');
    router.failed('oai/gpt-5');
    router.failed('gem/gemini-2.5-pro');
    router.succeeded('chain#2', 5, 's-gone');
    router.succeeded('chain#0', 5, 's-kept');

    // chain now has two targets, and its second is a different model than before; gemini is gone.
    const after = configSchema.parse({
      version: 1,
      providers: [
        { id: 'anth', type: 'anthropic' },
        { id: 'oai', type: 'openai' },
      ],
      models: [
        {
          name: 'chain',
          targets: [
            { provider: 'anth', model: 'claude-sonnet-4-5' },
            { provider: 'oai', model: 'gpt-5' },
          ],
        },
      ],
    });
    router.prune(after);
    expect(router.health().map((h) => h.targetId)).toEqual(['chain#0', 'oai/gpt-5']);
    expect(router.plan(after, 'chain', 's-gone', familyOf)?.pinnedTo).toBeUndefined();
    expect(router.plan(after, 'chain', 's-kept', familyOf)?.pinnedTo).toBe('chain#0');
  });
});
