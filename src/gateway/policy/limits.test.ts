// The rate limiter against an injected clock: exact counts, sliding windows, reservations, all-or-nothing, and a model-checked property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONCURRENCY_RETRY_MS, createRateLimiter, WINDOW_MS, type Admission, type Limits, type LimitSubject, type Refusal } from './limits.js';

const T0 = 1_700_000_000_000;

function setup() {
  let t = T0;
  const limiter = createRateLimiter({ now: () => t });
  return {
    limiter,
    advance: (ms: number) => {
      t += ms;
    },
    at: (ms: number) => {
      t = T0 + ms;
    },
  };
}

const key = (limits: Limits, id = 'k1'): LimitSubject => ({ id: `key:${id}`, label: `key "${id === 'k1' ? 'laptop' : id}"`, limits });
const team = (limits: Limits, id = 't1'): LimitSubject => ({ id: `team:${id}`, label: `team "${id}"`, limits });

function admitted(r: Admission | Refusal): Admission {
  if (!r.ok) throw new Error(`expected an admission, got: ${r.message}`);
  return r;
}

function refused(r: Admission | Refusal): Refusal {
  if (r.ok) throw new Error('expected a refusal, got an admission');
  return r;
}

describe('requests per minute', () => {
  it('admits exactly rpm of many simultaneous requests, and the refusals take nothing', () => {
    const { limiter, at } = setup();
    const k = key({ rpm: 30 });
    const results = Array.from({ length: 100 }, () => limiter.admit([k], 0));
    expect(results.filter((r) => r.ok)).toHaveLength(30);
    expect(refused(results[30]!)).toEqual({
      ok: false,
      subject: 'key:k1',
      label: 'key "laptop"',
      limit: 'rpm',
      limitValue: 30,
      used: 30,
      retryAfterMs: 60_000,
      message: 'key "laptop": 30 requests per minute used of 30; retry in 60 s',
    });

    // Refusals half a minute later: had they counted, they would block until 90 s.
    at(30_000);
    for (let i = 0; i < 70; i += 1) refused(limiter.admit([k], 0));
    at(60_000);
    const next = Array.from({ length: 40 }, () => limiter.admit([k], 0));
    expect(next.filter((r) => r.ok)).toHaveLength(30);
  });

  it('slides: the 31st is admitted exactly when the first is 60 s old, not before', () => {
    const { limiter, at } = setup();
    const k = key({ rpm: 30 });
    admitted(limiter.admit([k], 0));
    at(20_000);
    for (let i = 0; i < 29; i += 1) admitted(limiter.admit([k], 0));

    at(48_000);
    const early = refused(limiter.admit([k], 0));
    expect(early.retryAfterMs).toBe(12_000);
    expect(early.message).toBe('key "laptop": 30 requests per minute used of 30; retry in 12 s');
    at(59_999);
    expect(refused(limiter.admit([k], 0)).retryAfterMs).toBe(1);

    at(60_000);
    admitted(limiter.admit([k], 0));
    // The next room comes when the 29 from 20 s leave.
    expect(refused(limiter.admit([k], 0)).retryAfterMs).toBe(20_000);
    at(80_000);
    for (let i = 0; i < 29; i += 1) admitted(limiter.admit([k], 0));
    refused(limiter.admit([k], 0));
  });

  it('applies a changed limit from the next admit, with the retry time of the request that makes room', () => {
    const { limiter, at } = setup();
    for (let i = 0; i < 5; i += 1) {
      at(i * 1000);
      admitted(limiter.admit([key({ rpm: 5 })], 0));
    }
    at(10_000);
    const lowered = refused(limiter.admit([key({ rpm: 3 })], 0));
    // 5 counted, 2 may stay: the third oldest (admitted at 2 s) must leave.
    expect(lowered).toMatchObject({ limit: 'rpm', limitValue: 3, used: 5, retryAfterMs: 52_000 });
    admitted(limiter.admit([key({ rpm: 10 })], 0));
    admitted(limiter.admit([key({})], 0));
  });
});

describe('tokens per minute', () => {
  it('reserves the estimate, then corrects it to the actual usage either way', () => {
    const { limiter, at } = setup();
    const k = key({ tpm: 1000 });
    const a = admitted(limiter.admit([k], 400));
    const b = admitted(limiter.admit([k], 400));
    const full = refused(limiter.admit([k], 400));
    expect(full).toMatchObject({ limit: 'tpm', limitValue: 1000, used: 800, retryAfterMs: 60_000 });
    expect(full.message).toBe('key "laptop": 800 tokens per minute used or reserved of 1000, and this request needs about 400; retry in 60 s');

    a.settle(100); // fewer than reserved: room for another 400
    expect(limiter.usage('key:k1').tokens).toBe(500);
    at(10_000);
    const c = admitted(limiter.admit([k], 400));
    b.settle(700); // more than reserved: counts more, over the limit
    expect(limiter.usage('key:k1').tokens).toBe(1200);

    // 300 must leave for 100 to fit: a and b (800, settled, admitted at 0) go at 60 s.
    expect(refused(limiter.admit([k], 100))).toMatchObject({ used: 1200, retryAfterMs: 50_000 });
    at(59_999);
    refused(limiter.admit([k], 100));
    at(60_000);
    // The settled tokens stayed at their admission time and left with it; c (400, in flight) stays.
    expect(limiter.usage('key:k1').tokens).toBe(400);
    admitted(limiter.admit([k], 600));
    c.settle(400);
  });

  it('keeps an in-flight reservation counted past its minute, until it settles', () => {
    const { limiter, at } = setup();
    const k = key({ tpm: 1000 });
    const long = admitted(limiter.admit([k], 900));
    at(90_000);
    const r = refused(limiter.admit([k], 200));
    // Its settle can't be foreseen: the hint is the earliest it could be.
    expect(r).toMatchObject({ used: 900, retryAfterMs: CONCURRENCY_RETRY_MS });
    long.settle(5000);
    // Counted at its admission time, which has left the window.
    expect(limiter.usage('key:k1').tokens).toBe(0);
    admitted(limiter.admit([k], 1000));
  });

  it('refuses a request that can never fit, saying so, whatever else refuses', () => {
    const { limiter } = setup();
    admitted(limiter.admit([key({ tpm: 1000 }), team({ rpm: 1 })], 0));
    const r = refused(limiter.admit([team({ rpm: 1 }), key({ tpm: 1000 })], 1001));
    expect(r).toMatchObject({ subject: 'key:k1', limit: 'tpm', limitValue: 1000, retryAfterMs: null });
    expect(r.message).toBe(`key "laptop": this request's estimated 1001 tokens exceed the limit of 1000 tokens per minute, so it can never fit; shorten it or raise the limit`);
    // Exactly the limit fits an empty window.
    admitted(limiter.admit([key({ tpm: 1000 }, 'k2')], 1000));
  });
});

describe('concurrency', () => {
  it('frees a slot on settle and on release', () => {
    const { limiter } = setup();
    const k = key({ maxConcurrency: 2 });
    const a = admitted(limiter.admit([k], 0));
    const b = admitted(limiter.admit([k], 0));
    expect(refused(limiter.admit([k], 0))).toEqual({
      ok: false,
      subject: 'key:k1',
      label: 'key "laptop"',
      limit: 'concurrency',
      limitValue: 2,
      used: 2,
      retryAfterMs: 1000,
      message: 'key "laptop": 2 of 2 requests in flight; retry in 1 s',
    });
    a.settle(10);
    const c = admitted(limiter.admit([k], 0));
    refused(limiter.admit([k], 0));
    b.release();
    admitted(limiter.admit([k], 0));
    refused(limiter.admit([k], 0));
    c.settle(0);
    expect(limiter.usage('key:k1').inFlight).toBe(1);
  });

  it('release gives back the tokens and the slot, but the request still counts per minute', () => {
    const { limiter } = setup();
    const k = key({ rpm: 2, tpm: 100, maxConcurrency: 1 });
    admitted(limiter.admit([k], 100)).release();
    expect(limiter.usage('key:k1')).toEqual({ requests: 1, tokens: 0, inFlight: 0 });
    admitted(limiter.admit([k], 100)).release();
    expect(refused(limiter.admit([k], 0)).limit).toBe('rpm');
  });
});

describe('several subjects', () => {
  it('is all-or-nothing: a key with room but its team full is refused, and the key keeps its quota', () => {
    const { limiter } = setup();
    const k = key({ rpm: 3, tpm: 300, maxConcurrency: 3 });
    const t = team({ maxConcurrency: 1 });
    admitted(limiter.admit([k, t], 100));
    for (let i = 0; i < 5; i += 1) expect(refused(limiter.admit([k, t], 100))).toMatchObject({ subject: 'team:t1', limit: 'concurrency' });
    // Exactly full on all three of the key's limits: any taken by a refusal would show here.
    admitted(limiter.admit([k], 100));
    admitted(limiter.admit([k], 100));
    expect(limiter.usage('key:k1')).toEqual({ requests: 3, tokens: 300, inFlight: 3 });
    refused(limiter.admit([k], 0));
  });

  it('reports the longest wait when several limits refuse', () => {
    const { limiter, at } = setup();
    const k = key({ rpm: 1 });
    const t = team({ maxConcurrency: 1 });
    admitted(limiter.admit([k, t], 0));
    at(15_000);
    expect(refused(limiter.admit([t, k], 0))).toMatchObject({ subject: 'key:k1', limit: 'rpm', retryAfterMs: 45_000 });
  });

  it('rejects a subject listed twice, which would count double', () => {
    const { limiter } = setup();
    expect(() => limiter.admit([key({ rpm: 2 }), key({ rpm: 2 })], 0)).toThrow(RangeError);
    expect(() => limiter.admit([key({})], Number.NaN)).toThrow(RangeError);
    expect(limiter.size()).toBe(0);
  });
});

describe('settle and release', () => {
  it('take effect once: a second call of either does nothing', () => {
    const { limiter } = setup();
    const k = key({ tpm: 1000, maxConcurrency: 5 });
    const a = admitted(limiter.admit([k], 500));
    const b = admitted(limiter.admit([k], 100));
    a.settle(200);
    a.settle(900);
    a.release();
    expect(limiter.usage('key:k1')).toEqual({ requests: 2, tokens: 300, inFlight: 1 });
    b.release();
    b.release();
    b.settle(700);
    expect(limiter.usage('key:k1')).toEqual({ requests: 2, tokens: 200, inFlight: 0 });
  });

  it('keeps the estimate when the actual usage is unknown', () => {
    const { limiter } = setup();
    admitted(limiter.admit([key({ tpm: 1000 })], 300)).settle(Number.NaN);
    expect(limiter.usage('key:k1').tokens).toBe(300);
  });
});

describe('memory', () => {
  it('drops subjects with nothing in their windows and nothing in flight', () => {
    const { limiter, at } = setup();
    for (let i = 0; i < 1000; i += 1) admitted(limiter.admit([key({ rpm: 5 }, `k${i}`)], 10)).settle(10);
    const inFlight = admitted(limiter.admit([key({}, 'busy')], 10));
    expect(limiter.size()).toBe(1001);
    at(59_999);
    expect(limiter.size()).toBe(1001);
    at(60_000);
    expect(limiter.size()).toBe(1);
    inFlight.settle(10);
    expect(limiter.size()).toBe(0);
  });

  it('keeps exact counts over a long, busy window (the queue compacts as it goes)', () => {
    const { limiter, at } = setup();
    for (let i = 0; i < 5000; i += 1) {
      at(i * 20);
      admitted(limiter.admit([key({ tpm: 1_000_000 })], 3)).settle(2);
    }
    // At 99 980 ms the window holds those admitted after 39 980 ms: the 2000th to the 4999th (0-based).
    expect(limiter.usage('key:k1')).toEqual({ requests: 3000, tokens: 6000, inFlight: 0 });
  });

  it('sweeps idle subjects on admit too, and a refusal creates no state', () => {
    const { limiter, at } = setup();
    for (let i = 0; i < 100; i += 1) admitted(limiter.admit([key({}, `k${i}`)], 0));
    at(WINDOW_MS);
    admitted(limiter.admit([team({ rpm: 1 })], 0));
    refused(limiter.admit([key({}, 'new'), team({ rpm: 1 })], 0));
    expect(limiter.usage('key:new')).toEqual({ requests: 0, tokens: 0, inFlight: 0 });
    // 100 keys in flight are kept; none was added by the refusal.
    expect(limiter.size()).toBe(101);
  });
});

describe('properties', () => {
  type Op =
    | { kind: 'admit'; subjects: number[]; tokens: number }
    | { kind: 'settle'; pick: number; tokens: number }
    | { kind: 'release'; pick: number }
    | { kind: 'advance'; ms: number };

  const limitsArb: fc.Arbitrary<Limits> = fc.record(
    { rpm: fc.integer({ min: 1, max: 6 }), tpm: fc.integer({ min: 50, max: 400 }), maxConcurrency: fc.integer({ min: 1, max: 4 }) },
    { requiredKeys: [] },
  );
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('admit' as const), subjects: fc.subarray([0, 1, 2], { minLength: 1 }), tokens: fc.integer({ min: 0, max: 150 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), tokens: fc.integer({ min: 0, max: 300 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.constantFrom(0, 1, 999, 59_999, 60_000), fc.integer({ min: 0, max: 40_000 })) }) },
  );

  /** What each subject has been given, written the plain way: a list, not a running sum. */
  interface Model {
    admits: number[];
    requests: { at: number; tokens: number; settled: boolean }[];
  }

  it('never admits more than rpm in any 60 s, nor more than maxConcurrency at once, and refuses only when a limit is reached', () => {
    fc.assert(
      fc.property(fc.tuple(limitsArb, limitsArb, limitsArb), fc.array(opArb, { maxLength: 120 }), (limits, ops) => {
        const { limiter, advance } = setup();
        let now = T0;
        const subjects = limits.map((l, i) => ({ id: `s:${i}`, label: `s${i}`, limits: l }));
        const models: Model[] = subjects.map(() => ({ admits: [], requests: [] }));
        const open: { admission: Admission; parts: { at: number; tokens: number; settled: boolean }[] }[] = [];

        const counted = (m: Model): number => m.requests.filter((r) => !r.settled || r.at + WINDOW_MS > now).reduce((sum, r) => sum + r.tokens, 0);
        const inWindow = (m: Model): number => m.admits.filter((a) => a + WINDOW_MS > now).length;
        const inFlight = (m: Model): number => m.requests.filter((r) => !r.settled).length;

        for (const op of ops) {
          if (op.kind === 'advance') {
            advance(op.ms);
            now += op.ms;
          } else if (op.kind === 'admit') {
            const chosen = op.subjects.map((i) => subjects[i]!);
            const blocked = op.subjects.filter((i) => {
              const { rpm, tpm, maxConcurrency } = subjects[i]!.limits;
              const m = models[i]!;
              return (rpm != null && inWindow(m) >= rpm) || (tpm != null && counted(m) + op.tokens > tpm) || (maxConcurrency != null && inFlight(m) >= maxConcurrency);
            });
            const r = limiter.admit(chosen, op.tokens);
            expect(r.ok).toBe(blocked.length === 0);
            if (r.ok) {
              const parts = op.subjects.map((i) => {
                models[i]!.admits.push(now);
                const part = { at: now, tokens: op.tokens, settled: false };
                models[i]!.requests.push(part);
                return part;
              });
              open.push({ admission: r, parts });
            } else {
              expect(blocked.map((i) => subjects[i]!.id)).toContain(r.subject);
              expect(r.retryAfterMs === null || r.retryAfterMs > 0).toBe(true);
            }
          } else if (open.length > 0) {
            const [o] = open.splice(op.pick % open.length, 1);
            const tokens = op.kind === 'settle' ? op.tokens : 0;
            if (op.kind === 'settle') o!.admission.settle(tokens);
            else o!.admission.release();
            for (const p of o!.parts) Object.assign(p, { tokens, settled: true });
          }

          models.forEach((m, i) => {
            const { rpm, maxConcurrency } = subjects[i]!.limits;
            // Any 60 s span holds at most rpm admissions: the one rpm places later is a full window on.
            if (rpm != null) for (let j = 0; j + rpm < m.admits.length; j += 1) expect(m.admits[j + rpm]! - m.admits[j]!).toBeGreaterThanOrEqual(WINDOW_MS);
            if (maxConcurrency != null) expect(inFlight(m)).toBeLessThanOrEqual(maxConcurrency);
            expect(limiter.usage(subjects[i]!.id)).toEqual({ requests: inWindow(m), tokens: counted(m), inFlight: inFlight(m) });
          });
        }
        const live = models.filter((m) => inWindow(m) > 0 || inFlight(m) > 0).length;
        expect(limiter.size()).toBe(live);
      }),
      { numRuns: 300 },
    );
  });
});
