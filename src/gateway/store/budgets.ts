// Budget state in SQLite: reservations in flight (written before the upstream call, deleted once
// the request's record is committed) and what a key has spent since a time, read from the ledger.
import { statement, type Db } from './db.js';
import { firstSeqAtOrAfter } from './usage.js';

export interface ReservationRow {
  requestId: string;
  keyId: string;
  amountUsd: number;
  at: string;
}

/** Written before the upstream call, at once: after a crash it is what charges a call that may have been billed. */
export function insertReservation(db: Db, r: ReservationRow): void {
  statement(db, 'INSERT INTO budget_reservations (request_id, key_id, amount_usd, at) VALUES (?, ?, ?, ?)').run(r.requestId, r.keyId, r.amountUsd, r.at);
}

export function deleteReservation(db: Db, requestId: string): void {
  statement(db, 'DELETE FROM budget_reservations WHERE request_id = ?').run(requestId);
}

export function listReservations(db: Db): ReservationRow[] {
  return db.prepare('SELECT request_id AS requestId, key_id AS keyId, amount_usd AS amountUsd, at FROM budget_reservations ORDER BY at').all() as ReservationRow[];
}

function seqSpan(db: Db): { first: number; last: number } {
  const span = statement(db, 'SELECT (SELECT min(seq) FROM events) AS first, (SELECT max(seq) FROM events) AS last').get() as { first: number | null; last: number | null };
  return { first: span.first ?? 1, last: span.last ?? 0 };
}

/** Whether the ledger holds the request's own record (written at or after `since`). */
export function requestRecorded(db: Db, requestId: string, since: string): boolean {
  const { first, last } = seqSpan(db);
  const from = firstSeqAtOrAfter(db, since, first, last);
  const row = db
    .prepare("SELECT 1 FROM events WHERE seq >= ? AND type IN ('llm.request', 'mcp.call', 'budget.reconciled') AND json_extract(body, '$.requestId') = ? LIMIT 1")
    .get(from, requestId);
  return row !== undefined;
}

/**
 * USD spent at or after `since` (an ISO time; '' for all time) by the keys `keyFilter` selects (SQL
 * over `keyId`, with `?` for `arg`): their priced requests paid through the gateway's provider keys, their priced MCP tool calls,
 * (a caller's own subscription is not the budget's money) and the reservations a crash left, charged in full.
 */
function spentSince(db: Db, keyFilter: string, arg: string, since: string): number {
  const { first, last } = seqSpan(db);
  const from = since === '' ? first : firstSeqAtOrAfter(db, since, first, last);
  const row = db
    .prepare(
      `SELECT coalesce(sum(json_extract(body, '$.costUsd')), 0) AS spent FROM events
       WHERE seq >= ? AND at >= ? AND type IN ('llm.request', 'mcp.call', 'budget.reconciled')
         AND ${keyFilter}
         AND (type <> 'llm.request' OR coalesce(json_extract(body, '$.credential'), 'gateway') <> 'caller')`,
    )
    .get(from, since, arg) as { spent: number };
  return row.spent;
}

/** What every key spent: the gateway's own spend, for the config's global budgets. */
export function allSpentSince(db: Db, since: string): number {
  return spentSince(db, "coalesce(?, '') = ''", '', since);
}

export function keySpentSince(db: Db, keyId: string, since: string): number {
  return spentSince(db, "json_extract(body, '$.keyId') = ?", keyId, since);
}

/** What the keys of a user or team spent, counted as one key's is. */
export function ownerSpentSince(db: Db, owner: 'user' | 'team', ownerId: string, since: string): number {
  const column = owner === 'user' ? 'user_id' : 'team_id';
  return spentSince(db, `json_extract(body, '$.keyId') IN (SELECT id FROM keys WHERE ${column} = ?)`, ownerId, since);
}
