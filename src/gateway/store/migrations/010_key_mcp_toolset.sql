-- 010: a key may name an MCP toolset (the config's `toolsets`): the tools its sessions are offered,
-- so an agent's context is not flooded by every tool of every server.
ALTER TABLE keys ADD COLUMN mcp_toolset TEXT;
