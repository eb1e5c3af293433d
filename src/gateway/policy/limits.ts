// Rate limits for keys, users and teams: requests and tokens per sliding minute, and requests in flight.

/** Both per-minute limits look back this far. */
export const WINDOW_MS = 60_000;
/** A slot frees whenever any request in flight ends, which can't be foreseen: a short, fixed hint. */
export const CONCURRENCY_RETRY_MS = 1_000;

/** A missing or null limit is no limit (null is how the store keeps "none"). */
export interface Limits {
  rpm?: number | null;
  tpm?: number | null;
  maxConcurrency?: number | null;
}

export interface LimitSubject {
  /** Stable and unique across kinds, e.g. `key:ID`, `user:ID`, `team:ID`. */
  id: string;
  /** How messages name the subject, e.g. `key "laptop"`. */
  label: string;
  /** Read on every admit, so a changed limit applies from the next request. */
  limits: Limits;
}

export type LimitName = 'rpm' | 'tpm' | 'concurrency';

/**
 * An admitted request. Exactly one of settle/release takes effect; later calls of either do nothing,
 * so the caller may call release() in a `finally` after settle() without double counting.
 */
export interface Admission {
  ok: true;
  /** The request finished: its tokens become `actualTokens` (still counted at admission time) and its slot frees. */
  settle(actualTokens: number): void;
  /**
   * The request failed before using anything: its token reservation and slot are given back. Its
   * place in the requests-per-minute window stays: a request was made.
   */
  release(): void;
}

export interface Refusal {
  ok: false;
  /** The id of the subject that refused. */
  subject: string;
  label: string;
  limit: LimitName;
  limitValue: number;
  /** Requests in the window, tokens used or reserved in it, or requests in flight. */
  used: number;
  /** When a retry may succeed; null when waiting cannot help (the request can never fit). */
  retryAfterMs: number | null;
  message: string;
}

export interface RateLimiter {
  /**
   * Checks every subject, then takes from all of them or from none. Synchronous on purpose: in one
   * Node process no other admit can interleave, so the counts are exact under any concurrency.
   */
  admit(subjects: readonly LimitSubject[], estimatedTokens: number): Admission | Refusal;
  /** A subject's current figures (zeros if it holds nothing), e.g. for rate-limit headers. */
  usage(subjectId: string): { requests: number; tokens: number; inFlight: number };
  /** How many subjects hold state, after dropping the idle ones. */
  size(): number;
}

export interface RateLimiterDeps {
  /** Milliseconds; a monotonic clock (performance.now) is best, but one that steps back is tolerated. */
  now: () => number;
}

/** One admitted request as one subject sees it. */
interface Entry {
  at: number;
  /** The reservation until settled, then the actual amount. */
  tokens: number;
  settled: boolean;
  /** Older than the window but still in flight (see prune). */
  overdue: boolean;
}

interface SubjectState {
  /** Admitted requests of the last minute, oldest first: the RPM count is its length. */
  window: Fifo<Entry>;
  overdue: Set<Entry>;
  /** Tokens of `window` and `overdue`, kept as a running sum so an admit costs no scan. */
  tokens: number;
  inFlight: number;
}

/** A queue with O(1) shift and indexed reads; entries arrive in time order. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  at(i: number): T | undefined {
    return i < 0 ? undefined : this.items[this.head + i];
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): void {
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Compact now and then so the dead prefix never outgrows the live part.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.head; i < this.items.length; i += 1) yield this.items[i] as T;
  }
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
const isLimit = (v: number | null | undefined): v is number => typeof v === 'number';

/**
 * Drops entries that left the window. A request still in flight keeps its reservation counted
 * (as overdue) until it settles: its real usage is unknown yet, and counting nothing for a long
 * stream would let a key start any number of them.
 */
function prune(state: SubjectState, t: number): void {
  for (let e = state.window.at(0); e && e.at + WINDOW_MS <= t; e = state.window.at(0)) {
    state.window.shift();
    if (e.settled) {
      state.tokens -= e.tokens;
    } else {
      e.overdue = true;
      state.overdue.add(e);
    }
  }
}

/** Nothing counted and nothing in flight (an overdue entry is always in flight). */
const isIdle = (s: SubjectState): boolean => s.window.length === 0 && s.inFlight === 0;

/**
 * When enough tokens will have left the window for `needed` more to fit. A settled entry leaves at
 * its admission time + 60 s. An unsettled one leaves at that time or at its settle, whichever is
 * later, and the settle can't be known: it is counted at the earliest it could go (never sooner
 * than the concurrency hint). So this is a hint, not a promise; a too-early retry gets a new one.
 */
function tokensFreedAfter(state: SubjectState, needed: number, t: number): number {
  const earliestSettle = t + CONCURRENCY_RETRY_MS;
  const leaving: { at: number; tokens: number }[] = [];
  for (const e of state.window) {
    if (e.tokens > 0) leaving.push({ at: e.settled ? e.at + WINDOW_MS : Math.max(e.at + WINDOW_MS, earliestSettle), tokens: e.tokens });
  }
  for (const e of state.overdue) if (e.tokens > 0) leaving.push({ at: earliestSettle, tokens: e.tokens });
  leaving.sort((a, b) => a.at - b.at);
  let freed = 0;
  for (const l of leaving) {
    freed += l.tokens;
    if (freed >= needed) return l.at - t;
  }
  // Unreachable while the estimate fits the limit (everything counted can leave); a safe fallback.
  return WINDOW_MS;
}

/** Every limit this subject refuses on, checked without changing anything. */
function check(subject: LimitSubject, state: SubjectState | undefined, estimated: number, t: number): Refusal[] {
  const { id, label, limits } = subject;
  const requests = state?.window.length ?? 0;
  const tokens = state?.tokens ?? 0;
  const inFlight = state?.inFlight ?? 0;
  const refusals: Refusal[] = [];
  const refuse = (limit: LimitName, limitValue: number, used: number, retryAfterMs: number | null, message: string): void => {
    refusals.push({ ok: false, subject: id, label, limit, limitValue, used, retryAfterMs, message: `${label}: ${message}` });
  };

  if (isLimit(limits.rpm) && limits.rpm <= 0) {
    refuse('rpm', limits.rpm, requests, null, `a limit of ${limits.rpm} requests per minute admits none; raise the limit`);
  } else if (isLimit(limits.rpm) && requests >= limits.rpm && state) {
    // Room comes when all but rpm - 1 of the counted requests have left: the (requests - rpm)th oldest.
    const freeing = state.window.at(requests - Math.ceil(limits.rpm)) as Entry;
    const retryAfterMs = freeing.at + WINDOW_MS - t;
    refuse('rpm', limits.rpm, requests, retryAfterMs, `${requests} requests per minute used of ${limits.rpm}; retry in ${seconds(retryAfterMs)} s`);
  }

  if (isLimit(limits.tpm) && estimated > limits.tpm) {
    refuse('tpm', limits.tpm, tokens, null, `this request's estimated ${estimated} tokens exceed the limit of ${limits.tpm} tokens per minute, so it can never fit; shorten it or raise the limit`);
  } else if (isLimit(limits.tpm) && tokens + estimated > limits.tpm && state) {
    const retryAfterMs = tokensFreedAfter(state, tokens + estimated - limits.tpm, t);
    refuse('tpm', limits.tpm, tokens, retryAfterMs, `${tokens} tokens per minute used or reserved of ${limits.tpm}, and this request needs about ${estimated}; retry in ${seconds(retryAfterMs)} s`);
  }

  if (isLimit(limits.maxConcurrency) && limits.maxConcurrency <= 0) {
    refuse('concurrency', limits.maxConcurrency, inFlight, null, `a limit of ${limits.maxConcurrency} requests in flight admits none; raise the limit`);
  } else if (isLimit(limits.maxConcurrency) && inFlight >= limits.maxConcurrency) {
    refuse('concurrency', limits.maxConcurrency, inFlight, CONCURRENCY_RETRY_MS, `${inFlight} of ${limits.maxConcurrency} requests in flight; retry in ${seconds(CONCURRENCY_RETRY_MS)} s`);
  }
  return refusals;
}

/** The refusal worth reporting: one that can never fit, else the longest wait (an earlier retry would be refused again). */
function worst(refusals: Refusal[]): Refusal | undefined {
  let pick: Refusal | undefined;
  for (const r of refusals) {
    if (!pick || (pick.retryAfterMs !== null && (r.retryAfterMs === null || r.retryAfterMs > pick.retryAfterMs))) pick = r;
  }
  return pick;
}

export function createRateLimiter(deps: RateLimiterDeps): RateLimiter {
  const states = new Map<string, SubjectState>();
  let last = -Infinity;
  let lastSweep = -Infinity;

  /** Never earlier than a time already seen: the windows rely on entries arriving in order. */
  function now(): number {
    last = Math.max(last, deps.now());
    return last;
  }

  function dropIfIdle(id: string, state: SubjectState): void {
    if (isIdle(state) && states.get(id) === state) states.delete(id);
  }

  /** Subjects nobody asks about again are pruned only here; once a window is enough to keep the map bounded. */
  function sweep(t: number, force: boolean): void {
    if (!force && t - lastSweep < WINDOW_MS) return;
    lastSweep = t;
    for (const [id, state] of states) {
      prune(state, t);
      dropIfIdle(id, state);
    }
  }

  function admit(subjects: readonly LimitSubject[], estimatedTokens: number): Admission | Refusal {
    if (!Number.isFinite(estimatedTokens) || estimatedTokens < 0) throw new RangeError(`estimatedTokens must be a finite number >= 0, got ${estimatedTokens}`);
    // The same subject twice would be counted twice, and refuse at half its limit.
    if (new Set(subjects.map((s) => s.id)).size !== subjects.length) throw new RangeError(`a subject appears twice: ${subjects.map((s) => s.id).join(', ')}`);
    const t = now();
    sweep(t, false);

    const refusals: Refusal[] = [];
    for (const subject of subjects) {
      const state = states.get(subject.id);
      if (state) prune(state, t);
      refusals.push(...check(subject, state, estimatedTokens, t));
    }
    const refused = worst(refusals);
    if (refused) return refused;

    const taken = subjects.map((subject) => {
      let state = states.get(subject.id);
      if (!state) {
        state = { window: new Fifo(), overdue: new Set(), tokens: 0, inFlight: 0 };
        states.set(subject.id, state);
      }
      const entry: Entry = { at: t, tokens: estimatedTokens, settled: false, overdue: false };
      state.window.push(entry);
      state.tokens += estimatedTokens;
      state.inFlight += 1;
      return { id: subject.id, state, entry };
    });

    let done = false;
    const finish = (tokens: number): void => {
      if (done) return;
      done = true;
      for (const { id, state, entry } of taken) {
        state.inFlight -= 1;
        if (entry.overdue) {
          // Its admission time has left the window: the tokens no longer count.
          state.overdue.delete(entry);
          state.tokens -= entry.tokens;
        } else {
          state.tokens += tokens - entry.tokens;
        }
        entry.tokens = tokens;
        entry.settled = true;
        dropIfIdle(id, state);
      }
    };

    return {
      ok: true,
      settle(actualTokens: number): void {
        // Usage a provider failed to report must not poison the sums: keep the estimate then.
        finish(Number.isFinite(actualTokens) ? Math.max(0, actualTokens) : estimatedTokens);
      },
      release(): void {
        finish(0);
      },
    };
  }

  function usage(subjectId: string): { requests: number; tokens: number; inFlight: number } {
    const state = states.get(subjectId);
    if (!state) return { requests: 0, tokens: 0, inFlight: 0 };
    prune(state, now());
    return { requests: state.window.length, tokens: state.tokens, inFlight: state.inFlight };
  }

  function size(): number {
    sweep(now(), true);
    return states.size;
  }

  return { admit, usage, size };
}
