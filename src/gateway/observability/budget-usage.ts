// Budget use for the metrics gauges: each budgeted subject's spend in its current periods, read from the store.
import type { BudgetSpec, BudgetWindow } from '../../shared/contract.js';
import type { GatehouseConfig } from '../config/schema.js';
import { GLOBAL_BUDGET, windowOf } from '../policy/budgets.js';
import { allSpentSince, keySpentSince, ownerSpentSince } from '../store/budgets.js';
import type { Db } from '../store/db.js';
import { listKeys } from '../store/keys.js';
import { listTeams, listUsers } from '../store/users.js';
import type { BudgetReading } from './metrics.js';

/** The running gateway's spend per subject and window (Budgets.spent): no ledger sum at scrape time. */
export type LiveSpend = (subjectId: string, window: BudgetWindow) => number;

/**
 * At most `limit` subjects, in a fixed order (the global budgets, then teams, users and keys that
 * have budgets; disabled, revoked and expired ones left out), so the exported series stay bounded
 * and stable between scrapes. With `live` (the serving gateway) spend comes from the budgets' own state; otherwise one ledger sum per subject and window.
 */
export function budgetUsage(db: Db, config: GatehouseConfig, now: Date, limit: number, live?: LiveSpend): BudgetReading[] {
  const out: BudgetReading[] = [];
  let subjects = 0;
  const add = (subject: string, budgets: readonly BudgetSpec[], spent: (since: string) => number): boolean => {
    if (budgets.length === 0) return true;
    if (subjects >= limit) return false;
    subjects++;
    for (const b of budgets) out.push({ subject, window: b.window, spentUsd: live ? live(subject, b.window) : spent(windowOf(b.window, now).start), limitUsd: b.amountUsd });
    return true;
  };
  if (!add(GLOBAL_BUDGET, config.budgets, (since) => allSpentSince(db, since))) return out;
  for (const t of listTeams(db)) if (!t.disabledAt && !add(`team:${t.id}`, t.budgets, (since) => ownerSpentSince(db, 'team', t.id, since))) return out;
  for (const u of listUsers(db)) if (!u.disabledAt && !add(`user:${u.id}`, u.budgets, (since) => ownerSpentSince(db, 'user', u.id, since))) return out;
  const at = now.toISOString();
  for (const k of listKeys(db)) {
    if (k.revokedAt || (k.expiresAt && k.expiresAt <= at)) continue;
    if (!add(`key:${k.id}`, k.budgets, (since) => keySpentSince(db, k.id, since))) return out;
  }
  return out;
}
