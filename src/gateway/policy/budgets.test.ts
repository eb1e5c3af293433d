// Budget reservations: windows, clamping, refusal, settling, rollover with requests in flight, alerts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BudgetAlert, BudgetSpec } from '../../shared/contract.js';
import { createBudgets, windowOf, type BudgetStore, type Reservation } from './budgets.js';

function memoryStore(spent: Record<string, number> = {}): BudgetStore & { held: Map<string, number> } {
  const held = new Map<string, number>();
  return {
    held,
    spentSince: (id) => spent[id] ?? 0,
    hold: (requestId, _keyId, amount) => void held.set(requestId, amount),
    forget: (requestId) => void held.delete(requestId),
  };
}

const subject = (budgets: BudgetSpec[], id = 'key:k1') => ({ id, label: `key "${id}"`, budgets, raise: 'gatehouse keys update' });
const request = (budgets: BudgetSpec[], over: Partial<Parameters<ReturnType<typeof createBudgets>['reserve']>[0]> = {}) => ({
  requestId: `r${Math.random()}`,
  keyId: 'k1',
  subjects: [subject(budgets)],
  inputUsd: 0.01,
  outputUsdPerToken: 0.001,
  wantedOutputTokens: 100,
  minOutputTokens: 10,
  ...over,
});

describe('windowOf', () => {
  it('uses calendar periods in UTC', () => {
    const at = new Date('2026-11-26T23:30:00Z'); // a Thursday
    expect(windowOf('day', at)).toEqual({ instance: '2026-11-26', start: '2026-11-26T00:00:00.000Z', resetsAt: '2026-11-27T00:00:00.000Z' });
    expect(windowOf('week', at)).toEqual({ instance: 'week-of-2026-11-23', start: '2026-11-23T00:00:00.000Z', resetsAt: '2026-11-30T00:00:00.000Z' });
    expect(windowOf('month', at)).toEqual({ instance: '2026-11', start: '2026-11-01T00:00:00.000Z', resetsAt: '2026-12-01T00:00:00.000Z' });
    expect(windowOf('total', at)).toEqual({ instance: 'total', start: '', resetsAt: null });
    // A Sunday belongs to the week that began the Monday before.
    expect(windowOf('week', new Date('2026-11-29T12:00:00Z')).instance).toBe('week-of-2026-11-23');
    expect(windowOf('month', new Date('2026-12-31T23:59:59Z')).resetsAt).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('reserve', () => {
  it('reserves the worst case, clamps the allowance to what is left, and refuses below a minimal answer', () => {
    const store = memoryStore({ 'key:k1': 0.8 });
    const b = createBudgets(store);
    const budget = [{ amountUsd: 1, window: 'total' as const }];
    const first = b.reserve(request(budget)) as Reservation;
    expect(first).toMatchObject({ outputTokens: 100, clamped: false, reservedUsd: 0.11 });
    // $1 - 0.8 spent - 0.11 reserved = 0.09 left: input 0.01, then 80 tokens.
    const second = b.reserve(request(budget)) as Reservation;
    expect(second).toMatchObject({ outputTokens: 80, clamped: true, reservedUsd: 0.09 });
    const third = b.reserve(request(budget));
    expect(third).toMatchObject({ ok: false, subject: 'key:k1' });
    expect((third as { message: string }).message).toBe(
      'budget of key "key:k1" ($1.00 per all time) cannot cover this request: spent $0.80, reserved $0.20 by requests in flight, $0.00 left; even a minimal answer needs $0.02. A total budget does not reset: raise it with gatehouse keys update.',
    );
    expect(store.held.size).toBe(2);
    first.settle(0.03);
    first.recorded();
    second.release();
    second.recorded();
    expect(store.held.size).toBe(0);
    expect(b.inFlight().get('key:k1')).toBe(0);
    // Spent is now 0.83: 0.17 left.
    expect(b.reserve(request(budget))).toMatchObject({ outputTokens: 100, reservedUsd: 0.11 });
  });

  it('refuses a call with no output (an embedding, a priced tool call) whose input or price alone does not fit', () => {
    const b = createBudgets(memoryStore({ 'key:k1': 0.95 }));
    const budget = [{ amountUsd: 1, window: 'total' as const }];
    const noOutput = { outputUsdPerToken: 0, wantedOutputTokens: 0, minOutputTokens: 0 };
    expect(b.reserve(request(budget, { ...noOutput, inputUsd: 0.04 }))).toMatchObject({ outputTokens: 0, reservedUsd: 0.04 });
    expect(b.reserve(request(budget, { ...noOutput, inputUsd: 0.02 }))).toMatchObject({ ok: false, subject: 'key:k1' });
  });

  it('checks every budget of every subject, and the tightest decides', () => {
    const b = createBudgets(memoryStore({ 'team:t': 4.95 }));
    const r = b.reserve({
      ...request([]),
      subjects: [subject([{ amountUsd: 10, window: 'month' }, { amountUsd: 2, window: 'day' }]), subject([{ amountUsd: 5, window: 'total' }], 'team:t')],
    }) as Reservation;
    // The team has 0.05 left: 0.01 input, 40 tokens.
    expect(r.outputTokens).toBe(40);
  });

  it('tells what a subject spent in a window: read from the store once, then kept by settles', () => {
    let reads = 0;
    const store = { ...memoryStore(), spentSince: () => (reads++, 1.5) };
    const b = createBudgets(store, () => new Date('2026-11-25T10:00:00Z'));
    expect(b.spent('key:k1', 'day')).toBe(1.5);
    const r = b.reserve(request([{ amountUsd: 10, window: 'day' }])) as Reservation;
    r.settle(0.25);
    expect(b.spent('key:k1', 'day')).toBeCloseTo(1.75, 9);
    expect(reads).toBe(1);
  });

  it('a key without budgets reserves nothing and holds no note', () => {
    const store = memoryStore();
    const r = createBudgets(store).reserve(request([])) as Reservation;
    expect(r).toMatchObject({ outputTokens: 100, clamped: false });
    expect(store.held.size).toBe(0);
  });

  it('keeps reservations in flight across a rollover, and charges the settle to the new period', () => {
    let clock = new Date('2026-11-24T23:59:59Z');
    const b = createBudgets(memoryStore(), () => clock);
    const daily = [{ amountUsd: 0.2, window: 'day' as const }];
    const r = b.reserve(request(daily)) as Reservation;
    clock = new Date('2026-11-25T00:00:01Z');
    // The new day starts at zero spent, but the request in flight still holds 0.11 of it.
    expect(b.reserve(request(daily))).toMatchObject({ outputTokens: 80 });
    r.settle(0.05);
    expect(b.inFlight().get('key:k1')).toBeCloseTo(0.09, 9);
  });

  it('a note that cannot be written rejects `held`, releases the reservation and leaves nothing to forget', async () => {
    const store = memoryStore();
    let forgotten = 0;
    const failing: BudgetStore = { ...store, hold: () => Promise.reject(new Error('disk full')), forget: () => void (forgotten += 1) };
    const budgets = createBudgets(failing, () => new Date('2026-11-24T10:00:00Z'));
    const spec: BudgetSpec[] = [{ window: 'day', amountUsd: 1 }];
    const r = budgets.reserve(request(spec)) as Reservation;
    expect(budgets.inFlight().get('key:k1')).toBeGreaterThan(0);
    await expect(r.held).rejects.toThrow('disk full');
    expect(budgets.inFlight().get('key:k1')).toBe(0);
    r.recorded();
    expect(forgotten).toBe(0);
    // A store that throws at once is treated the same.
    const throwing = createBudgets({ ...store, hold: () => { throw new Error('locked'); } }, () => new Date('2026-11-24T10:00:00Z'));
    const t = throwing.reserve(request(spec)) as Reservation;
    await expect(t.held).rejects.toThrow('locked');
    expect(throwing.inFlight().get('key:k1')).toBe(0);
  });

  it('settle and release act once', () => {
    const b = createBudgets(memoryStore());
    const r = b.reserve(request([{ amountUsd: 1, window: 'total' }])) as Reservation;
    r.settle(0.5);
    r.settle(0.5);
    r.release();
    expect(b.reserve(request([{ amountUsd: 1, window: 'total' }]))).toMatchObject({ outputTokens: 100 });
    expect(b.reserve(request([{ amountUsd: 1, window: 'total' }]))).toMatchObject({ outputTokens: 100 });
    expect(b.reserve(request([{ amountUsd: 1, window: 'total' }]))).toMatchObject({ outputTokens: 100 });
    expect(b.reserve(request([{ amountUsd: 1, window: 'total' }]))).toMatchObject({ outputTokens: 100 });
    // Spent 0.5 once (not three times), four reservations of 0.11 held: 0.06 left.
    expect(b.reserve(request([{ amountUsd: 1, window: 'total' }]))).toMatchObject({ outputTokens: 50 });
  });

  it('never lets spent plus reserved pass the budget, whatever the interleaving, when each settle is within its reservation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ op: fc.constant('reserve' as const), want: fc.integer({ min: 1, max: 500 }) }), fc.record({ op: fc.constant('end' as const), which: fc.nat(), share: fc.double({ min: 0, max: 1, noNaN: true }) })), {
          maxLength: 200,
        }),
        (ops) => {
          const b = createBudgets(memoryStore());
          const budget = [{ amountUsd: 0.5, window: 'total' as const }];
          const open: Reservation[] = [];
          let spent = 0;
          for (const o of ops) {
            if (o.op === 'reserve') {
              const r = b.reserve(request(budget, { wantedOutputTokens: o.want }));
              if ('ok' in r) continue;
              open.push(r);
            } else if (open.length > 0) {
              const [r] = open.splice(o.which % open.length, 1);
              const cost = r!.reservedUsd * o.share;
              spent += cost;
              r!.settle(cost);
            }
            const reserved = open.reduce((n, r) => n + r.reservedUsd, 0);
            expect(spent + reserved).toBeLessThanOrEqual(0.5 + 1e-9);
          }
        },
      ),
    );
  });
});

describe('alerts', () => {
  it('fires each threshold once, when spend crosses it', () => {
    const fired: BudgetAlert[] = [];
    const b = createBudgets(memoryStore(), () => new Date('2026-11-24T10:00:00Z'), { thresholds: () => [50, 80, 100], fire: (a) => fired.push(a) });
    const budget = [{ amountUsd: 1, window: 'month' as const }];
    const spend = (usd: number): void => (b.reserve(request(budget, { inputUsd: 0, outputUsdPerToken: 0.0001 })) as Reservation).settle(usd);
    spend(0.3);
    expect(fired).toEqual([]);
    spend(0.55);
    expect(fired.map((a) => a.thresholdPercent)).toEqual([50, 80]);
    expect(fired[0]).toEqual({ subject: 'key:k1', label: 'key "key:k1"', window: 'month', period: '2026-11', amountUsd: 1, spentUsd: 0.85, thresholdPercent: 50, at: '2026-11-24T10:00:00.000Z' });
    spend(0.01);
    expect(fired).toHaveLength(2);
  });
});
