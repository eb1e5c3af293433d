// The virtual-key repository: plain functions over the `keys` table. Secrets arrive already hashed.
import type { BudgetSpec } from '../../shared/contract.js';
import type { Db } from './db.js';

export interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  secretHash: Buffer;
  userId: string | null;
  teamId: string | null;
  models: string[];
  mcpTools: string[];
  budgets: BudgetSpec[];
  rpm: number | null;
  tpm: number | null;
  maxConcurrency: number | null;
  /** The route for model names the config does not resolve; null: such names are refused. */
  defaultRoute: string | null;
  /** The config toolset its MCP sessions are offered (null: every granted tool). */
  mcpToolset: string | null;
  /** The guardrail profile (under guardrails.profiles in the config) its calls run with; null: the global settings. */
  guardrails: string | null;
  expiresAt: string | null;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

interface RawKeyRow {
  id: string;
  name: string;
  prefix: string;
  secret_hash: Buffer;
  user_id: string | null;
  team_id: string | null;
  models: string;
  mcp_tools: string;
  budgets: string;
  rpm: number | null;
  tpm: number | null;
  max_concurrency: number | null;
  default_route: string | null;
  mcp_toolset: string | null;
  guardrails: string | null;
  expires_at: string | null;
  created_at: string;
  rotated_at: string | null;
  revoked_at: string | null;
}

/** The grants, budgets and limits columns keys, users and teams share, parsed. */
export function policyFromRaw(r: { models: string; mcp_tools: string; budgets: string; rpm: number | null; tpm: number | null; max_concurrency: number | null }): {
  models: string[];
  mcpTools: string[];
  budgets: BudgetSpec[];
  rpm: number | null;
  tpm: number | null;
  maxConcurrency: number | null;
} {
  return {
    models: JSON.parse(r.models) as string[],
    mcpTools: JSON.parse(r.mcp_tools) as string[],
    budgets: JSON.parse(r.budgets) as BudgetSpec[],
    rpm: r.rpm,
    tpm: r.tpm,
    maxConcurrency: r.max_concurrency,
  };
}

function fromRaw(r: RawKeyRow): KeyRow {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    secretHash: r.secret_hash,
    userId: r.user_id,
    teamId: r.team_id,
    ...policyFromRaw(r),
    defaultRoute: r.default_route,
    mcpToolset: r.mcp_toolset,
    guardrails: r.guardrails ?? null,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    rotatedAt: r.rotated_at,
    revokedAt: r.revoked_at,
  };
}

export function insertKey(db: Db, k: KeyRow): void {
  db.prepare(
    `INSERT INTO keys (id, name, prefix, secret_hash, user_id, team_id, models, mcp_tools, budgets, rpm, tpm,
       max_concurrency, default_route, mcp_toolset, guardrails, expires_at, created_at, rotated_at, revoked_at)
     VALUES (@id, @name, @prefix, @secretHash, @userId, @teamId, @models, @mcpTools, @budgets, @rpm, @tpm,
       @maxConcurrency, @defaultRoute, @mcpToolset, @guardrails, @expiresAt, @createdAt, @rotatedAt, @revokedAt)`,
  ).run({ ...k, models: JSON.stringify(k.models), mcpTools: JSON.stringify(k.mcpTools), budgets: JSON.stringify(k.budgets) });
}

export function getKey(db: Db, id: string): KeyRow | undefined {
  const r = db.prepare('SELECT * FROM keys WHERE id = ?').get(id) as RawKeyRow | undefined;
  return r && fromRaw(r);
}

export function listKeys(db: Db): KeyRow[] {
  return (db.prepare('SELECT * FROM keys ORDER BY created_at, id').all() as RawKeyRow[]).map(fromRaw);
}

/** The fields an update may change; the secret changes only through `setKeySecret`. */
export type KeyChanges = Partial<Omit<KeyRow, 'id' | 'prefix' | 'secretHash' | 'createdAt' | 'rotatedAt' | 'revokedAt'>>;

const COLUMN: Record<keyof KeyChanges, string> = {
  name: 'name',
  userId: 'user_id',
  teamId: 'team_id',
  models: 'models',
  mcpTools: 'mcp_tools',
  budgets: 'budgets',
  rpm: 'rpm',
  tpm: 'tpm',
  maxConcurrency: 'max_concurrency',
  defaultRoute: 'default_route',
  mcpToolset: 'mcp_toolset',
  guardrails: 'guardrails',
  expiresAt: 'expires_at',
};

export function updateKey(db: Db, id: string, changes: KeyChanges): void {
  const entries = Object.entries(changes).filter(([, v]) => v !== undefined) as [keyof KeyChanges, unknown][];
  if (entries.length === 0) return;
  const sets = entries.map(([k]) => `${COLUMN[k]} = ?`).join(', ');
  const values = entries.map(([, v]) => (Array.isArray(v) ? JSON.stringify(v) : v));
  db.prepare(`UPDATE keys SET ${sets} WHERE id = ?`).run(...values, id);
}

export function setKeySecret(db: Db, id: string, prefix: string, secretHash: Buffer, rotatedAt: string): void {
  db.prepare('UPDATE keys SET prefix = ?, secret_hash = ?, rotated_at = ? WHERE id = ?').run(prefix, secretHash, rotatedAt, id);
}

export function revokeKey(db: Db, id: string, revokedAt: string): void {
  db.prepare('UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(revokedAt, id);
}
