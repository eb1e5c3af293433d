// Admission of a model call under the rate limits and budgets of its key, the key's user and team: a slot and the worst-case
// cost are taken before any upstream call, and the answer's length is capped to what the budget can pay for.
import { GatewayError } from '../errors.js';
import { chainOf, type Owners } from '../policy/owners.js';
import { modelGranted } from '../policy/keys.js';
import type { RoutePlan } from '../llm/router.js';
import { GLOBAL_BUDGET, type Budgets, type Reservation } from '../policy/budgets.js';
import type { Admission, RateLimiter } from '../policy/limits.js';
import type { KeyRow } from '../store/keys.js';
import type { BudgetSubject } from '../policy/budgets.js';
import type { BudgetSpec } from '../../shared/contract.js';
import type { LimitSubject } from '../policy/limits.js';
import type { InboundApi } from './llm.js';

/** The output allowance reserved (and set upstream) when a request under a budget names none. */
export const DEFAULT_OUTPUT_TOKENS = 32_768;
/** The smallest answer worth starting: below it a request under a budget is refused, not clamped. */
export const MIN_OUTPUT_TOKENS = 64;

/** The first link of the chain whose model grants do not cover any of `names`; undefined when all do. */
export function missingGrant(key: KeyRow, owners: Owners, names: string[]): { label: string; grants: string[] } | undefined {
  for (const link of chainOf(key, owners)) if (!modelGranted(link.row, names)) return { label: link.label, grants: link.row.models };
  return undefined;
}

/** Every budget a key's call draws on: its own, its user's, its team's, and the global ones from the config. */
export function budgetSubjects(key: KeyRow, owners: Owners, global: readonly BudgetSpec[]): BudgetSubject[] {
  const subjects: BudgetSubject[] = chainOf(key, owners)
    .filter((l) => l.row.budgets.length > 0)
    .map((l) => ({ id: l.id, label: l.label, budgets: l.row.budgets, raise: l.raise }));
  if (global.length > 0) subjects.push({ id: GLOBAL_BUDGET, label: 'the gateway (budgets in the config)', budgets: global, raise: 'the budgets section of the config' });
  return subjects;
}

function limitSubjects(key: KeyRow, owners: Owners): LimitSubject[] {
  return chainOf(key, owners)
    .filter((l) => l.row.rpm || l.row.tpm || l.row.maxConcurrency)
    .map((l) => ({ id: l.id, label: l.label, limits: { rpm: l.row.rpm, tpm: l.row.tpm, maxConcurrency: l.row.maxConcurrency } }));
}

/** The highest USD per token any target of the plan may charge, for input (cache writes included) and output. */
function worstPrices(plan: RoutePlan): { input: number; output: number } {
  let input = 0;
  let output = 0;
  for (const t of plan.targets) {
    const p = t.pricing;
    if (!p) continue;
    const tiers = [p, ...(p.longContext ? [p.longContext] : [])];
    for (const tier of tiers) {
      input = Math.max(input, tier.inputPerMTok, tier.cacheWritePerMTok ?? 0);
      output = Math.max(output, tier.outputPerMTok);
    }
  }
  return { input: input / 1e6, output: output / 1e6 };
}

/**
 * The output a call that names no limit may produce at worst: the largest max output of the plan's
 * targets, when every one is known; else DEFAULT_OUTPUT_TOKENS, which must then be written into the
 * request for the reservation to hold.
 */
function defaultAllowance(plan: RoutePlan): { tokens: number; mustWrite: boolean } {
  const known = plan.targets.map((t) => t.maxOutputTokens);
  if (known.every((n): n is number => n !== undefined)) return { tokens: Math.max(...known), mustWrite: false };
  return { tokens: DEFAULT_OUTPUT_TOKENS, mustWrite: true };
}

/**
 * Reserves the request's worst-case cost on every budget of its chain: input at most one token per
 * byte of the body, at the highest input price of any target it may go to, plus its output
 * allowance at the highest output price. The allowance is what the client asked for, else the
 * models' max output (DEFAULT_OUTPUT_TOKENS where unknown), clamped to what the budget has left;
 * a clamped (or otherwise unbounded) allowance is written into the request, so the provider itself
 * stops there. Throws BUDGET_EXCEEDED when not even MIN_OUTPUT_TOKENS fit. Returns undefined for a
 * call under no budget.
 */
export function reserveBudget(
  budgets: Budgets,
  call: { key: KeyRow; requestId: string },
  owners: Owners,
  api: InboundApi,
  json: Record<string, unknown>,
  bytes: number,
  plan: RoutePlan,
  global: readonly BudgetSpec[],
): Reservation | undefined {
  const { key } = call;
  const subjects = budgetSubjects(key, owners, global);
  if (subjects.length === 0) return undefined;
  const prices = worstPrices(plan);
  const limit = api.outputLimit;
  const asked = limit?.read(json);
  const fallback = defaultAllowance(plan);
  const r = budgets.reserve({
    requestId: call.requestId,
    keyId: key.id,
    subjects,
    inputUsd: bytes * prices.input,
    outputUsdPerToken: prices.output,
    wantedOutputTokens: limit ? (asked ?? fallback.tokens) : 0,
    minOutputTokens: MIN_OUTPUT_TOKENS,
  });
  if ('ok' in r) throw new GatewayError('BUDGET_EXCEEDED', r.message);
  if (limit && (r.clamped || (asked === undefined && fallback.mustWrite))) limit.write(json, r.outputTokens);
  return r;
}

/**
 * Takes the request's place under its key's rate limits (requests and tokens per minute, requests
 * in flight), all or nothing; refused with 429 and retry-after, having taken nothing. The token
 * estimate is a quarter of the body's bytes, corrected with the real usage when the request
 * settles. Returns undefined for a key without limits.
 */
export function admitLimits(limits: RateLimiter, key: KeyRow, owners: Owners, bytes: number): Admission | undefined {
  const subjects = limitSubjects(key, owners);
  if (subjects.length === 0) return undefined;
  const r = limits.admit(subjects, Math.ceil(bytes / 4));
  if (r.ok) return r;
  if (r.retryAfterMs === null) throw new GatewayError('BAD_REQUEST', `${r.message}: this request alone is larger than the limit`);
  throw new GatewayError('RATE_LIMITED', r.message, { retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) });
}
