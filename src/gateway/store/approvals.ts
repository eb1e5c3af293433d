// Remembered "always" approvals of MCP tools, per key.
import type { Db } from './db.js';

export interface ApprovalRuleRow {
  id: string;
  server: string;
  tool: string;
  keyId: string;
  createdAt: string;
  createdBy: string;
}

export function insertApprovalRule(db: Db, r: ApprovalRuleRow): void {
  db.prepare('INSERT OR IGNORE INTO mcp_approval_rules (id, server, tool, key_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(r.id, r.server, r.tool, r.keyId, r.createdAt, r.createdBy);
}

export function approvalRuleExists(db: Db, server: string, tool: string, keyId: string): boolean {
  return db.prepare('SELECT 1 FROM mcp_approval_rules WHERE server = ? AND tool = ? AND key_id = ?').get(server, tool, keyId) !== undefined;
}
