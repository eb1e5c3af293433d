-- 011: an "always" approval may be limited to arguments matching patterns (argument name -> glob,
-- JSON; '{}' for any arguments), so one tool can have several such rules per key.
CREATE TABLE mcp_approval_rules_next (
  id         TEXT PRIMARY KEY,
  server     TEXT NOT NULL,
  tool       TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  arguments  TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (server, tool, key_id, arguments)
);
INSERT INTO mcp_approval_rules_next (id, server, tool, key_id, arguments, created_at, created_by)
  SELECT id, server, tool, key_id, '{}', created_at, created_by FROM mcp_approval_rules;
DROP TABLE mcp_approval_rules;
ALTER TABLE mcp_approval_rules_next RENAME TO mcp_approval_rules;
