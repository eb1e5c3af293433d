-- 009: pins of MCP tool definitions. The hash covers the tool's name, title, description, input and
-- output schemas and annotations, and the server's reported version; `definition` keeps what was
-- pinned so a change can be shown as a diff. A tool is pinned when first seen and re-pinned when a
-- person accepts a changed definition.
CREATE TABLE mcp_tool_pins (
  server         TEXT NOT NULL,
  tool           TEXT NOT NULL,
  hash           TEXT NOT NULL,
  definition     TEXT NOT NULL,
  server_version TEXT,
  pinned_at      TEXT NOT NULL,
  pinned_by      TEXT NOT NULL,
  PRIMARY KEY (server, tool)
);
