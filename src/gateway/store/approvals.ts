// Remembered "always" approvals of MCP tools, per key, optionally only for matching arguments.
import type { Db } from './db.js';

export interface ApprovalRuleRow {
  id: string;
  server: string;
  tool: string;
  keyId: string;
  /** Argument name -> glob its value must match; empty: any arguments. */
  arguments: Record<string, string>;
  createdAt: string;
  createdBy: string;
}

export function insertApprovalRule(db: Db, r: ApprovalRuleRow): void {
  db.prepare('INSERT OR IGNORE INTO mcp_approval_rules (id, server, tool, key_id, arguments, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    r.id,
    r.server,
    r.tool,
    r.keyId,
    JSON.stringify(r.arguments),
    r.createdAt,
    r.createdBy,
  );
}

/** The argument patterns of every "always" rule for this tool and key. */
export function approvalRulePatterns(db: Db, server: string, tool: string, keyId: string): Record<string, string>[] {
  const rows = db.prepare('SELECT arguments FROM mcp_approval_rules WHERE server = ? AND tool = ? AND key_id = ?').all(server, tool, keyId) as { arguments: string }[];
  return rows.map((r) => JSON.parse(r.arguments) as Record<string, string>);
}
