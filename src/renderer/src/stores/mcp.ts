// MCP servers: the configured servers (config:get), their pinned and quarantined tools (pins:list),
// tool policies written back with config:edit, quarantined changes accepted, servers added and
// removed, and a server's timeout and sessions mode changed.
import { parse } from 'yaml';
import { createStore } from 'zustand/vanilla';
import type { ConfigEditOp, ConfigSnapshot, ControlEvent, PinnedTool, QuarantinedTool } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';
import { editFailure, readConfig, toolVerdict, type McpServerEntry, type ToolPolicy } from './config';

/** A server to add: a stdio command with its arguments, or a Streamable HTTP URL. */
export type McpServerDraft = { id: string; kind: 'stdio'; command: string; args: string[] } | { id: string; kind: 'http'; url: string };

export type SessionsMode = 'shared' | 'per-session';

/** A server's settings the console edits besides its tools: the tool-call timeout (null: the 120 s default) and the sessions mode. */
export interface ServerSettings {
  timeoutSeconds: number | null;
  sessions: SessionsMode;
}

/** One tool of a server as its table shows it: its policy, and its pin or quarantine. */
export interface ToolRow {
  tool: string;
  policy: ToolPolicy;
  rule: string;
  pin: PinnedTool | null;
  quarantine: QuarantinedTool | null;
}

export type ToolSortKey = 'tool' | 'policy' | 'status' | 'pinnedAt';
export interface ToolSort {
  key: ToolSortKey;
  dir: 'asc' | 'desc';
}

export interface McpState {
  snapshot: ConfigSnapshot | null;
  servers: McpServerEntry[];
  /** By server id. */
  settings: Record<string, ServerSettings>;
  pinned: PinnedTool[];
  quarantined: QuarantinedTool[];
  loaded: boolean;
  error: string | null;
  /** What the last change did, for a status line. */
  notice: string | null;
  /** What is being written: `server/tool`, `add`, `remove:ID` or `settings:ID`. */
  busy: string | null;
  refresh(): Promise<void>;
  setPolicy(server: string, tool: string, policy: ToolPolicy): Promise<boolean>;
  accept(server: string, tool: string): Promise<boolean>;
  addServer(draft: McpServerDraft): Promise<boolean>;
  removeServer(id: string): Promise<boolean>;
  /** Writes the server's timeoutSeconds (null: removed, the default applies) and sessions mode. */
  setServerSettings(id: string, next: { timeoutSeconds: number | null; sessions: SessionsMode }): Promise<boolean>;
  onEvent(e: ControlEvent): void;
}

/** Each server's timeoutSeconds and sessions, by id, from the config text (a file that does not parse reads as none). */
export function readServerSettings(text: string): Record<string, ServerSettings> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = {};
  }
  const servers = (doc as { mcpServers?: unknown } | null)?.mcpServers;
  const out: Record<string, ServerSettings> = {};
  for (const s of Array.isArray(servers) ? (servers as Record<string, unknown>[]) : []) {
    if (!s || typeof s !== 'object' || typeof s.id !== 'string') continue;
    out[s.id] = {
      timeoutSeconds: typeof s.timeoutSeconds === 'number' ? s.timeoutSeconds : null,
      sessions: s.sessions === 'per-session' ? 'per-session' : 'shared',
    };
  }
  return out;
}

/** A server's tools: every pinned or quarantined one, with the policy the gateway would apply. */
export function toolRows(server: McpServerEntry, pinned: readonly PinnedTool[], quarantined: readonly QuarantinedTool[]): ToolRow[] {
  const names = new Set([...pinned.filter((p) => p.server === server.id).map((p) => p.tool), ...quarantined.filter((q) => q.server === server.id).map((q) => q.tool)]);
  return [...names].map((tool) => {
    const verdict = toolVerdict(server.tools, tool);
    return {
      tool,
      policy: verdict.policy,
      rule: verdict.rule,
      pin: pinned.find((p) => p.server === server.id && p.tool === tool) ?? null,
      quarantine: quarantined.find((q) => q.server === server.id && q.tool === tool) ?? null,
    };
  });
}

const POLICY_RANK: Record<ToolPolicy, number> = { allow: 0, ask: 1, deny: 2 };

/** Rows filtered by a case-insensitive part of the tool's name, then sorted (ties by name). */
export function sortTools(rows: readonly ToolRow[], sort: ToolSort, filter = ''): ToolRow[] {
  const needle = filter.trim().toLowerCase();
  const key = (r: ToolRow): number | string => {
    if (sort.key === 'policy') return POLICY_RANK[r.policy];
    if (sort.key === 'status') return r.quarantine ? 0 : 1;
    if (sort.key === 'pinnedAt') return r.pin?.pinnedAt ?? '';
    return r.tool;
  };
  const sign = sort.dir === 'asc' ? 1 : -1;
  return rows
    .filter((r) => !needle || r.tool.toLowerCase().includes(needle))
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const byKey = ka < kb ? -1 : ka > kb ? 1 : 0;
      return byKey * sign || a.tool.localeCompare(b.tool);
    });
}

/** The config entry a draft becomes. */
export function serverEntry(d: McpServerDraft): Record<string, unknown> {
  return d.kind === 'stdio' ? { id: d.id, command: d.command, args: d.args } : { id: d.id, url: d.url };
}

export function createMcpStore(client: ControlClient) {
  return createStore<McpState>()((set, get) => {
    const fromSnapshot = (snapshot: ConfigSnapshot) => ({ snapshot, servers: readConfig(snapshot.text).mcpServers, settings: readServerSettings(snapshot.text) });
    const edit = async (busy: string, ops: ConfigEditOp[], done: string): Promise<boolean> => {
      const snapshot = get().snapshot;
      if (!snapshot) return false;
      set({ busy, error: null, notice: null });
      try {
        const next = await client.call('config:edit', { baseHash: snapshot.hash, ops });
        set({ ...fromSnapshot(next), notice: done });
        return true;
      } catch (e) {
        set({ error: await editFailure(e, () => get().refresh(), 'Could not change the config') });
        return false;
      } finally {
        set({ busy: null });
      }
    };
    return {
      snapshot: null,
      servers: [],
      settings: {},
      pinned: [],
      quarantined: [],
      loaded: false,
      error: null,
      notice: null,
      busy: null,
      async refresh() {
        try {
          const [snapshot, pins] = await Promise.all([client.call('config:get', {}), client.call('pins:list', {})]);
          set({ ...fromSnapshot(snapshot), pinned: pins.pinned, quarantined: pins.quarantined, loaded: true, error: null });
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
      async removeServer(id) {
        const i = get().servers.findIndex((s) => s.id === id);
        if (i < 0) return false;
        return edit(`remove:${id}`, [{ op: 'delete', path: ['mcpServers', i] }], `Removed MCP server "${id}": agents no longer see its tools, and a running process of it is stopped.`);
      },
      async setServerSettings(id, next) {
        const i = get().servers.findIndex((s) => s.id === id);
        const current = get().settings[id];
        if (i < 0 || !current) return false;
        const t = next.timeoutSeconds;
        if (t !== null && !(Number.isFinite(t) && t >= 1 && t <= 3600)) {
          set({ error: 'The tool-call timeout is a number of seconds from 1 to 3600 (empty: the 120 s default).', notice: null });
          return false;
        }
        const ops: ConfigEditOp[] = [];
        if (t !== current.timeoutSeconds) ops.push(t === null ? { op: 'delete', path: ['mcpServers', i, 'timeoutSeconds'] } : { op: 'set', path: ['mcpServers', i, 'timeoutSeconds'], value: t });
        if (next.sessions !== current.sessions) ops.push({ op: 'set', path: ['mcpServers', i, 'sessions'], value: next.sessions });
        if (ops.length === 0) {
          set({ notice: `Nothing to change on "${id}".`, error: null });
          return true;
        }
        const timeout = t === null ? 'the default 120 s' : `${t} s`;
        return edit(`settings:${id}`, ops, `Saved "${id}": tool calls time out after ${timeout}; sessions ${next.sessions}.`);
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
