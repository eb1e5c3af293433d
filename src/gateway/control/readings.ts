// Reads for the console: a filtered page of the ledger, and every budget's meter. Nothing here writes.
import { AUDIT_LIST_SCAN, type AuditListParams, type AuditListResult, type AuditRecord, type BudgetMeter, type BudgetSpec, type BudgetWindow } from '../../shared/contract.js';
import { GLOBAL_BUDGET, windowOf } from '../policy/budgets.js';
import { allSpentSince, keySpentSince, ownerSpentSince } from '../store/budgets.js';
import type { Db } from '../store/db.js';
import { listKeys } from '../store/keys.js';
import { firstSeqAtOrAfter } from '../store/usage.js';
import { listTeams, listUsers } from '../store/users.js';

const DEFAULT_PAGE = 100;

/**
 * The ledger newest first. `from`/`to` become a seq range by binary search (the `events` table has
 * no index but its primary key), and one call reads at most AUDIT_LIST_SCAN records of that range,
 * so a filter that rarely matches costs a bounded read per page rather than a scan of the ledger.
 */
/** The first and last seq. Two subqueries: SQLite reads min() or max() of the key directly, but scans for both in one. */
export function ledgerSpan(db: Db): { first: number | null; last: number | null } {
  return db.prepare('SELECT (SELECT min(seq) FROM events) AS first, (SELECT max(seq) FROM events) AS last').get() as { first: number | null; last: number | null };
}

export function listLedger(db: Db, p: AuditListParams): AuditListResult {
  const span = ledgerSpan(db);
  if (span.first === null || span.last === null) return { records: [], nextBefore: null };
  const { first, last } = span;
  // Stored times are UTC ISO strings: a bound with another offset is compared in that form.
  const utc = (t: string): string => new Date(t).toISOString();
  const low = p.from ? firstSeqAtOrAfter(db, utc(p.from), first, last) : first;
  let high = Math.min(last, p.before !== undefined ? p.before - 1 : last);
  if (p.to) high = Math.min(high, firstSeqAtOrAfter(db, utc(p.to), first, last) - 1);
  if (high < low) return { records: [], nextBefore: null };
  const scanLow = Math.max(low, high - AUDIT_LIST_SCAN + 1);
  const limit = p.limit ?? DEFAULT_PAGE;

  const where = ['seq BETWEEN ? AND ?'];
  const args: (string | number)[] = [scanLow, high];
  if (p.type) {
    const prefix = p.type.endsWith('*') ? p.type.slice(0, -1) : p.type.endsWith('.') ? p.type : undefined;
    if (prefix !== undefined) {
      where.push('substr(type, 1, ?) = ?');
      args.push(prefix.length, prefix);
    } else {
      where.push('type = ?');
      args.push(p.type);
    }
  }
  if (p.keyId) {
    where.push("json_extract(body, '$.keyId') = ?");
    args.push(p.keyId);
  }
  if (p.tool) {
    where.push("(json_extract(body, '$.tool') = ? OR json_extract(body, '$.name') = ?)");
    args.push(p.tool, p.tool);
  }
  if (p.decision) {
    where.push("json_extract(body, '$.decision') = ?");
    args.push(p.decision);
  }
  if (p.q) {
    where.push('instr(lower(body), lower(?)) > 0');
    args.push(p.q);
  }
  const rows = db.prepare(`SELECT seq, at, type, hash, body FROM events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args, limit) as {
    seq: number;
    at: string;
    type: string;
    hash: string;
    body: string;
  }[];
  const records: AuditRecord[] = rows.map((r) => ({ seq: r.seq, at: r.at, type: r.type, hash: r.hash, body: JSON.parse(r.body) as Record<string, unknown> }));
  // A full page continues below its last record; a short one below the run it read, if the range goes on.
  const lastRead = records.length === limit ? records[records.length - 1]!.seq : scanLow;
  return { records, nextBefore: lastRead > low ? lastRead : null };
}

/** Subjects read per call at most: the meters are for a person to look at, not an export. */
const MAX_SUBJECTS = 1000;

/**
 * Each budget of the config (`global`), the enabled teams and users, and the live keys, in that
 * order: spent in the current period (from the ledger, as admission counts it) and reserved by
 * requests in flight (`inFlight`: the budgets' own accounting, per subject).
 */
export function budgetMeters(db: Db, global: readonly BudgetSpec[], inFlight: ReadonlyMap<string, number>, now: Date, live?: (subjectId: string, window: BudgetWindow) => number | undefined): BudgetMeter[] {
  const out: BudgetMeter[] = [];
  let subjects = 0;
  const add = (subject: string, kind: BudgetMeter['kind'], name: string, budgets: readonly BudgetSpec[], spent: (since: string) => number): void => {
    if (budgets.length === 0 || subjects >= MAX_SUBJECTS) return;
    subjects++;
    for (const b of budgets) {
      const w = windowOf(b.window, now);
      out.push({
        subject,
        kind,
        name,
        window: b.window,
        period: w.instance,
        limitUsd: b.amountUsd,
        // The serving gateway's own count (no ledger sum); the ledger when none serves.
        spentUsd: live?.(subject, b.window) ?? spent(w.start),
        reservedUsd: inFlight.get(subject) ?? 0,
        resetsAt: w.resetsAt,
      });
    }
  };
  add(GLOBAL_BUDGET, 'global', 'gateway', global, (since) => allSpentSince(db, since));
  for (const t of listTeams(db)) if (!t.disabledAt) add(`team:${t.id}`, 'team', t.name, t.budgets, (since) => ownerSpentSince(db, 'team', t.id, since));
  for (const u of listUsers(db)) if (!u.disabledAt) add(`user:${u.id}`, 'user', u.name, u.budgets, (since) => ownerSpentSince(db, 'user', u.id, since));
  const at = now.toISOString();
  for (const k of listKeys(db)) {
    if (k.revokedAt || (k.expiresAt && k.expiresAt <= at)) continue;
    add(`key:${k.id}`, 'key', k.name, k.budgets, (since) => keySpentSince(db, k.id, since));
  }
  return out;
}
