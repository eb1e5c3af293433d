// The user and team repositories: plain functions over the `users` and `teams` tables (one shape, one file).
import type { BudgetSpec } from '../../shared/contract.js';
import type { Db } from './db.js';
import { policyFromRaw } from './keys.js';

/** The grants, budgets and limits a user or team carries, parsed; the same fields as a key's. */
export interface PolicyRow {
  id: string;
  name: string;
  models: string[];
  mcpTools: string[];
  budgets: BudgetSpec[];
  rpm: number | null;
  tpm: number | null;
  maxConcurrency: number | null;
  createdAt: string;
  /** Set while disabled: all the user's (team's) keys are refused. */
  disabledAt: string | null;
}

export interface UserRow extends PolicyRow {
  email: string | null;
}

export type TeamRow = PolicyRow;

/** The fields an update may change. */
export type UserChanges = Partial<Omit<UserRow, 'id' | 'createdAt' | 'disabledAt'>>;
export type TeamChanges = Partial<Omit<TeamRow, 'id' | 'createdAt' | 'disabledAt'>>;

interface RawRow {
  id: string;
  name: string;
  email?: string | null;
  models: string;
  mcp_tools: string;
  budgets: string;
  rpm: number | null;
  tpm: number | null;
  max_concurrency: number | null;
  created_at: string;
  disabled_at: string | null;
}

type Table = 'users' | 'teams';

function fromRaw(r: RawRow): PolicyRow {
  return {
    id: r.id,
    name: r.name,
    ...policyFromRaw(r),
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
  };
}

const userFromRaw = (r: RawRow): UserRow => ({ ...fromRaw(r), email: r.email ?? null });

const COLUMN: Record<keyof UserChanges, string> = {
  name: 'name',
  email: 'email',
  models: 'models',
  mcpTools: 'mcp_tools',
  budgets: 'budgets',
  rpm: 'rpm',
  tpm: 'tpm',
  maxConcurrency: 'max_concurrency',
};

function insert(db: Db, table: Table, row: UserRow | TeamRow): void {
  const withEmail = table === 'users';
  db.prepare(
    `INSERT INTO ${table} (id, name, ${withEmail ? 'email, ' : ''}models, mcp_tools, budgets, rpm, tpm, max_concurrency, created_at, disabled_at)
     VALUES (@id, @name, ${withEmail ? '@email, ' : ''}@models, @mcpTools, @budgets, @rpm, @tpm, @maxConcurrency, @createdAt, @disabledAt)`,
  ).run({ ...row, models: JSON.stringify(row.models), mcpTools: JSON.stringify(row.mcpTools), budgets: JSON.stringify(row.budgets) });
}

function byId(db: Db, table: Table, id: string): RawRow | undefined {
  return db.prepare(`SELECT * FROM ${table} WHERE id = ?`).get(id) as RawRow | undefined;
}

/** By id first, then by the unique name. */
function byIdOrName(db: Db, table: Table, ref: string): RawRow | undefined {
  return byId(db, table, ref) ?? (db.prepare(`SELECT * FROM ${table} WHERE name = ?`).get(ref) as RawRow | undefined);
}

function all(db: Db, table: Table): RawRow[] {
  return db.prepare(`SELECT * FROM ${table} ORDER BY created_at, id`).all() as RawRow[];
}

function update(db: Db, table: Table, id: string, changes: UserChanges): void {
  const entries = Object.entries(changes).filter(([, v]) => v !== undefined) as [keyof UserChanges, unknown][];
  if (entries.length === 0) return;
  const sets = entries.map(([k]) => `${COLUMN[k]} = ?`).join(', ');
  const values = entries.map(([, v]) => (Array.isArray(v) ? JSON.stringify(v) : v));
  db.prepare(`UPDATE ${table} SET ${sets} WHERE id = ?`).run(...values, id);
}

function setDisabled(db: Db, table: Table, id: string, disabledAt: string | null): void {
  // Disabling keeps the first time; enabling clears it.
  if (disabledAt === null) db.prepare(`UPDATE ${table} SET disabled_at = NULL WHERE id = ?`).run(id);
  else db.prepare(`UPDATE ${table} SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?`).run(disabledAt, id);
}

/** Keys not revoked, per user (team) id. */
function keyCounts(db: Db, column: 'user_id' | 'team_id'): Map<string, number> {
  const rows = db.prepare(`SELECT ${column} AS owner, COUNT(*) AS n FROM keys WHERE ${column} IS NOT NULL AND revoked_at IS NULL GROUP BY ${column}`).all() as {
    owner: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.owner, r.n]));
}

export function insertUser(db: Db, row: UserRow): void {
  insert(db, 'users', row);
}

export function getUser(db: Db, id: string): UserRow | undefined {
  const r = byId(db, 'users', id);
  return r && userFromRaw(r);
}

/** The user whose id, else whose name, is `ref`. */
export function findUser(db: Db, ref: string): UserRow | undefined {
  const r = byIdOrName(db, 'users', ref);
  return r && userFromRaw(r);
}

export function listUsers(db: Db): UserRow[] {
  return all(db, 'users').map(userFromRaw);
}

export function updateUser(db: Db, id: string, changes: UserChanges): void {
  update(db, 'users', id, changes);
}

/** A time disables (keeping an earlier one); null enables. */
export function setUserDisabled(db: Db, id: string, disabledAt: string | null): void {
  setDisabled(db, 'users', id, disabledAt);
}

export function userKeyCounts(db: Db): Map<string, number> {
  return keyCounts(db, 'user_id');
}

export function insertTeam(db: Db, row: TeamRow): void {
  insert(db, 'teams', row);
}

export function getTeam(db: Db, id: string): TeamRow | undefined {
  const r = byId(db, 'teams', id);
  return r && fromRaw(r);
}

/** The team whose id, else whose name, is `ref`. */
export function findTeam(db: Db, ref: string): TeamRow | undefined {
  const r = byIdOrName(db, 'teams', ref);
  return r && fromRaw(r);
}

export function listTeams(db: Db): TeamRow[] {
  return all(db, 'teams').map(fromRaw);
}

export function updateTeam(db: Db, id: string, changes: TeamChanges): void {
  update(db, 'teams', id, changes);
}

/** A time disables (keeping an earlier one); null enables. */
export function setTeamDisabled(db: Db, id: string, disabledAt: string | null): void {
  setDisabled(db, 'teams', id, disabledAt);
}

export function teamKeyCounts(db: Db): Map<string, number> {
  return keyCounts(db, 'team_id');
}
