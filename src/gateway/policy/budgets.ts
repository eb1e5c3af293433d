// Budgets that cannot be overspent: admission reserves a request's worst-case cost across every
// budget of its chain at once (synchronously: the gateway is one process), clamping the output
// allowance to what remains; completion settles the real cost and releases the rest.
import type { BudgetAlert, BudgetSpec, BudgetWindow } from '../../shared/contract.js';

/**
 * Windows are calendar periods in UTC: a day from 00:00, a week from Monday 00:00 (ISO), a month
 * from the 1st; `total` never resets. `instance` names the current period; `resetsAt` is when the
 * next begins (null for total).
 */
export function windowOf(window: BudgetWindow, now: Date): { instance: string; start: string; resetsAt: string | null } {
  // Every request asks for each of its budgets' windows: they change once a UTC day at most.
  const day = Math.floor(now.getTime() / 86_400_000);
  if (day !== windowsDay) {
    windowsDay = day;
    windows.clear();
  }
  let w = windows.get(window);
  if (!w) windows.set(window, (w = computeWindow(window, now)));
  return w;
}

let windowsDay = Number.NaN;
const windows = new Map<BudgetWindow, { instance: string; start: string; resetsAt: string | null }>();

function computeWindow(window: BudgetWindow, now: Date): { instance: string; start: string; resetsAt: string | null } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (window) {
    case 'day': {
      const start = new Date(Date.UTC(y, m, d));
      return { instance: start.toISOString().slice(0, 10), start: start.toISOString(), resetsAt: new Date(Date.UTC(y, m, d + 1)).toISOString() };
    }
    case 'week': {
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      const start = new Date(Date.UTC(y, m, d - sinceMonday));
      return { instance: `week-of-${start.toISOString().slice(0, 10)}`, start: start.toISOString(), resetsAt: new Date(Date.UTC(y, m, d - sinceMonday + 7)).toISOString() };
    }
    case 'month': {
      const start = new Date(Date.UTC(y, m, 1));
      return { instance: start.toISOString().slice(0, 7), start: start.toISOString(), resetsAt: new Date(Date.UTC(y, m + 1, 1)).toISOString() };
    }
    case 'total':
      return { instance: 'total', start: '', resetsAt: null };
  }
}

/** The subject of the config's `budgets`: everything the gateway spends through its own provider keys. */
export const GLOBAL_BUDGET = 'global';

/** Whose budgets a request draws on, e.g. `key:ID` labelled `key "laptop"`. */
export interface BudgetSubject {
  id: string;
  label: string;
  budgets: readonly BudgetSpec[];
  /** How a person raises this subject's budgets, e.g. `gatehouse keys update`. */
  raise: string;
}

export interface BudgetStore {
  /** USD the subject spent at or after `since` ('' for all time), from the ledger. */
  spentSince(subjectId: string, since: string): number;
  /**
   * Durably notes a reservation before the request goes upstream: resolved once it is committed
   * (notes of concurrent requests share one commit). A note that could not be written rejects.
   */
  hold(requestId: string, keyId: string, amountUsd: number): Promise<void> | void;
  /** Forgets it: run in the transaction that commits the request's own record. */
  forget(requestId: string): void;
}

export interface ReserveRequest {
  requestId: string;
  keyId: string;
  subjects: readonly BudgetSubject[];
  /** The worst-case cost of the input (an upper bound on its tokens at the highest input price). */
  inputUsd: number;
  /** USD per output token at the highest output price among the request's targets. */
  outputUsdPerToken: number;
  /** The output the client asked for (its max_tokens), or the default allowance. */
  wantedOutputTokens: number;
  /** Below this, an answer is not worth starting: the request is refused instead. */
  minOutputTokens: number;
}

export interface Reservation {
  /** The output allowance: the tokens asked for, or fewer when the budget left cannot cover them. */
  outputTokens: number;
  clamped: boolean;
  reservedUsd: number;
  /**
   * Resolved once the reservation's note is durable: nothing may go upstream before. Rejected when
   * it could not be written, and the reservation is then released.
   */
  held: Promise<void>;
  /** Charges the real cost and releases the rest of the reservation (at most once). */
  settle(costUsd: number): void;
  /** The request cost nothing: releases everything (at most once). */
  release(): void;
  /**
   * Forgets the durable note. Given to the ledger as the write of the request's own record
   * (`append(event, { with })`), so the record and the note's removal are committed together.
   */
  recorded(): void;
}

export interface BudgetRefusal {
  ok: false;
  subject: string;
  message: string;
}

interface WindowState {
  instance: string;
  spent: number;
  reserved: number;
}

/** USD to 1e-9, so sums carry no float noise into comparisons with the limit. */
const round = (usd: number): number => Math.round(usd * 1e9) / 1e9;
const dollars = (usd: number): string => `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 0.01 ? 4 : 2)}`;

export interface Budgets {
  reserve(req: ReserveRequest): Reservation | BudgetRefusal;
  /** Reserved USD in flight, per subject: zero once every request has settled. */
  inFlight(): Map<string, number>;
  /**
   * USD a subject spent in the current period of `window`, as admission counts it: read from the
   * ledger once, then kept by every settle. Readers (meters, metrics) use it instead of summing the
   * ledger, which on a large one blocks the gateway for hundreds of milliseconds.
   */
  spent(subjectId: string, window: BudgetWindow): number;
}

export interface BudgetAlerts {
  /** Percentages of a budget at which to alert, read at each settle (the config may change). */
  thresholds(): readonly number[];
  fire(alert: BudgetAlert): void;
}

export function createBudgets(store: BudgetStore, now: () => Date = () => new Date(), alerts?: BudgetAlerts): Budgets {
  const state = new Map<string, Map<BudgetWindow, WindowState>>();

  /**
   * The subject's state for a window, rolled over to the current period. Reservations in flight
   * stay counted across a rollover: they will be charged in the period they settle in.
   */
  function windowState(subjectId: string, window: BudgetWindow, at: Date): WindowState {
    let windows = state.get(subjectId);
    if (!windows) state.set(subjectId, (windows = new Map()));
    const w = windowOf(window, at);
    let s = windows.get(window);
    if (!s) {
      s = { instance: w.instance, spent: store.spentSince(subjectId, w.start), reserved: 0 };
      windows.set(window, s);
    } else if (s.instance !== w.instance) {
      s.instance = w.instance;
      s.spent = 0;
    }
    return s;
  }

  /** Alerts for each budget whose spend went from below a threshold to at or above it: once per period. */
  function crossed(subjects: readonly BudgetSubject[], before: Map<string, number>, at: Date, a: BudgetAlerts): void {
    const thresholds = a.thresholds();
    for (const subject of subjects) {
      for (const spec of subject.budgets) {
        const was = before.get(`${subject.id}\n${spec.window}`);
        const s = state.get(subject.id)?.get(spec.window);
        if (was === undefined || !s || spec.amountUsd <= 0) continue;
        for (const t of thresholds) {
          const line = (spec.amountUsd * t) / 100;
          if (was < line && s.spent >= line) {
            a.fire({ subject: subject.id, label: subject.label, window: spec.window, period: s.instance, amountUsd: spec.amountUsd, spentUsd: s.spent, thresholdPercent: t, at: at.toISOString() });
          }
        }
      }
    }
  }

  return {
    reserve(req) {
      const at = now();
      // The tightest window of the whole chain decides; nothing is taken until all are checked.
      let left = Infinity;
      let tightest: { subject: BudgetSubject; spec: BudgetSpec; s: WindowState } | undefined;
      for (const subject of req.subjects) {
        for (const spec of subject.budgets) {
          const s = windowState(subject.id, spec.window, at);
          const room = round(spec.amountUsd - s.spent - s.reserved);
          if (room < left) {
            left = room;
            tightest = { subject, spec, s };
          }
        }
      }
      const affordable = req.outputUsdPerToken > 0 ? Math.floor(round(left - req.inputUsd) / req.outputUsdPerToken) : req.wantedOutputTokens;
      const outputTokens = Math.min(req.wantedOutputTokens, Math.max(0, affordable));
      // Refused when even the input (or a call's whole price) does not fit, or a minimal answer does not.
      if (tightest && (round(left - req.inputUsd) < 0 || outputTokens < Math.min(req.minOutputTokens, req.wantedOutputTokens))) {
        const { subject, spec, s } = tightest;
        const w = windowOf(spec.window, at);
        const needed = round(req.inputUsd + Math.min(req.minOutputTokens, req.wantedOutputTokens) * req.outputUsdPerToken);
        return {
          ok: false,
          subject: subject.id,
          message:
            `budget of ${subject.label} (${dollars(spec.amountUsd)} per ${spec.window === 'total' ? 'all time' : `${spec.window}, UTC`}) cannot cover this request: ` +
            `spent ${dollars(s.spent)}, reserved ${dollars(s.reserved)} by requests in flight, ${dollars(Math.max(0, left))} left; ` +
            `${req.wantedOutputTokens > 0 ? 'even a minimal answer needs' : 'this call needs'} ${dollars(needed)}. ${w.resetsAt ? `It resets at ${w.resetsAt}.` : `A total budget does not reset: raise it with ${subject.raise}.`}`,
        };
      }
      const reservedUsd = round(req.inputUsd + outputTokens * req.outputUsdPerToken);
      // Each (subject, window) once, however many budgets share that window.
      const held = new Map<string, { subjectId: string; window: BudgetWindow }>();
      for (const subject of req.subjects) for (const spec of subject.budgets) held.set(`${subject.id}\n${spec.window}`, { subjectId: subject.id, window: spec.window });
      for (const h of held.values()) {
        const s = windowState(h.subjectId, h.window, at);
        s.reserved = round(s.reserved + reservedUsd);
      }
      let open = held.size > 0;
      // Whether a durable note exists to forget: not when none was needed or it could not be written.
      let noted = held.size > 0;
      let durable: Promise<void> = Promise.resolve();
      if (noted) {
        try {
          durable = Promise.resolve(store.hold(req.requestId, req.keyId, reservedUsd));
        } catch (err) {
          durable = Promise.reject(err as Error);
        }
        durable.catch(() => {
          noted = false;
          end(0);
        });
      }
      const end = (costUsd: number): void => {
        if (!open) return;
        open = false;
        const settledAt = now();
        const before = new Map<string, number>();
        for (const [id, h] of held) {
          const s = windowState(h.subjectId, h.window, settledAt);
          before.set(id, s.spent);
          s.reserved = round(Math.max(0, s.reserved - reservedUsd));
          s.spent = round(s.spent + costUsd);
        }
        if (alerts && costUsd > 0) crossed(req.subjects, before, settledAt, alerts);
      };
      return {
        outputTokens,
        clamped: outputTokens < req.wantedOutputTokens,
        reservedUsd,
        held: durable,
        settle: (costUsd) => end(costUsd),
        release: () => end(0),
        recorded: () => {
          if (noted) store.forget(req.requestId);
        },
      };
    },
    spent(subjectId, window) {
      return windowState(subjectId, window, now()).spent;
    },
    inFlight() {
      const out = new Map<string, number>();
      for (const [id, windows] of state) {
        let max = 0;
        for (const s of windows.values()) max = Math.max(max, s.reserved);
        out.set(id, max);
      }
      return out;
    },
  };
}
