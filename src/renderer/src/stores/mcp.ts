// MCP servers: the configured servers (config:get), their pinned and quarantined tools (pins:list),
// tool policies written back with config:edit, quarantined changes accepted, and servers added.
import { createStore } from 'zustand/vanilla';
import type { ConfigEditOp, ConfigSnapshot, ControlEvent, PinnedTool, QuarantinedTool } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';
import { CONFLICT_TEXT, isConflict, readConfig, type McpServerEntry, type ToolPolicy } from './config';

/** A server to add: a stdio command with its arguments, or a Streamable HTTP URL. */
export type McpServerDraft = { id: string; kind: 'stdio'; command: string; args: string[] } | { id: string; kind: 'http'; url: string };

export interface McpState {
  snapshot: ConfigSnapshot | null;
  servers: McpServerEntry[];
  pinned: PinnedTool[];
  quarantined: QuarantinedTool[];
  loaded: boolean;
  error: string | null;
  /** What the last change did, for a status line. */
  notice: string | null;
  /** `server/tool` being written, or `add`. */
  busy: string | null;
  refresh(): Promise<void>;
  setPolicy(server: string, tool: string, policy: ToolPolicy): Promise<boolean>;
  accept(server: string, tool: string): Promise<boolean>;
  addServer(draft: McpServerDraft): Promise<boolean>;
  onEvent(e: ControlEvent): void;
}

/** The config entry a draft becomes. */
export function serverEntry(d: McpServerDraft): Record<string, unknown> {
  return d.kind === 'stdio' ? { id: d.id, command: d.command, args: d.args } : { id: d.id, url: d.url };
}

export function createMcpStore(client: ControlClient) {
  return createStore<McpState>()((set, get) => {
    const edit = async (busy: string, ops: ConfigEditOp[], done: string): Promise<boolean> => {
      const snapshot = get().snapshot;
      if (!snapshot) return false;
      set({ busy, error: null, notice: null });
      try {
        const next = await client.call('config:edit', { baseHash: snapshot.hash, ops });
        set({ snapshot: next, servers: readConfig(next.text).mcpServers, notice: done });
        return true;
      } catch (e) {
        if (isConflict(e)) {
          await get().refresh();
          set({ error: CONFLICT_TEXT });
        } else set({ error: `Could not change the config: ${(e as Error).message}` });
        return false;
      } finally {
        set({ busy: null });
      }
    };
    return {
      snapshot: null,
      servers: [],
      pinned: [],
      quarantined: [],
      loaded: false,
      error: null,
      notice: null,
      busy: null,
      async refresh() {
        try {
          const [snapshot, pins] = await Promise.all([client.call('config:get', {}), client.call('pins:list', {})]);
          set({ snapshot, servers: readConfig(snapshot.text).mcpServers, pinned: pins.pinned, quarantined: pins.quarantined, loaded: true, error: null });
        } catch (e) {
          set({ error: `Could not read the MCP servers: ${(e as Error).message}`, loaded: true });
        }
      },
      async setPolicy(server, tool, policy) {
        const i = get().servers.findIndex((s) => s.id === server);
        if (i < 0) return false;
        return edit(`${server}/${tool}`, [{ op: 'set', path: ['mcpServers', i, 'tools', tool], value: policy }], `${server}/${tool} is now "${policy}".`);
      },
      async accept(server, tool) {
        set({ busy: `${server}/${tool}`, error: null, notice: null });
        try {
          await client.call('pins:accept', { server, tool });
          set((s) => ({ quarantined: s.quarantined.filter((q) => !(q.server === server && q.tool === tool)), notice: `Accepted the new definition of ${server}/${tool}.` }));
          const pins = await client.call('pins:list', {});
          set({ pinned: pins.pinned, quarantined: pins.quarantined });
          return true;
        } catch (e) {
          set({ error: `Could not accept ${server}/${tool}: ${(e as Error).message}` });
          return false;
        } finally {
          set({ busy: null });
        }
      },
      async addServer(draft) {
        if (get().servers.some((s) => s.id === draft.id)) {
          set({ error: `A server named "${draft.id}" is already configured.` });
          return false;
        }
        return edit('add', [{ op: 'set', path: ['mcpServers', get().servers.length], value: serverEntry(draft) }], `Added MCP server "${draft.id}". It starts on first use.`);
      },
      onEvent(e) {
        if (e.event === 'config:applied' || e.event === 'pins:changed') {
          if (e.event === 'config:applied' && e.data.hash === get().snapshot?.hash) return;
          void get().refresh();
        }
      },
    };
  });
}

export type McpStore = ReturnType<typeof createMcpStore>;
