// Pinned MCP tool definitions (what a tool was when first seen or last accepted).
import type { Db } from './db.js';

export interface PinRow {
  server: string;
  tool: string;
  hash: string;
  /** The pinned definition as JSON text. */
  definition: string;
  serverVersion: string | null;
  pinnedAt: string;
  pinnedBy: string;
}

export function getPin(db: Db, server: string, tool: string): PinRow | undefined {
  return db
    .prepare('SELECT server, tool, hash, definition, server_version AS serverVersion, pinned_at AS pinnedAt, pinned_by AS pinnedBy FROM mcp_tool_pins WHERE server = ? AND tool = ?')
    .get(server, tool) as PinRow | undefined;
}

export function listPins(db: Db): PinRow[] {
  return db
    .prepare('SELECT server, tool, hash, definition, server_version AS serverVersion, pinned_at AS pinnedAt, pinned_by AS pinnedBy FROM mcp_tool_pins ORDER BY server, tool')
    .all() as PinRow[];
}

export function upsertPin(db: Db, p: PinRow): void {
  db.prepare(
    `INSERT INTO mcp_tool_pins (server, tool, hash, definition, server_version, pinned_at, pinned_by) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (server, tool) DO UPDATE SET hash = excluded.hash, definition = excluded.definition, server_version = excluded.server_version,
       pinned_at = excluded.pinned_at, pinned_by = excluded.pinned_by`,
  ).run(p.server, p.tool, p.hash, p.definition, p.serverVersion, p.pinnedAt, p.pinnedBy);
}
