-- 008: "always" answers to MCP tool-call approvals: this tool of this server may run for this key
-- without asking again. Deleting the row (or revoking the key) takes the permission back.
CREATE TABLE mcp_approval_rules (
  id         TEXT PRIMARY KEY,
  server     TEXT NOT NULL,
  tool       TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (server, tool, key_id)
);
