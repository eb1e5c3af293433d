// The config file as the console reads it: config:get's text parsed (read-only) into the parts the
// Providers and MCP views show, and the helpers both use to write it back through config:edit.
import { parse } from 'yaml';
import type { ConfigSnapshot } from '../../../shared/contract';

export type ToolPolicy = 'allow' | 'ask' | 'deny';
export const TOOL_POLICIES: readonly ToolPolicy[] = ['allow', 'ask', 'deny'];

export interface ProviderEntry {
  id: string;
  type: string;
  preset: string | null;
  baseUrl: string | null;
  apiKey: string | null;
}

export interface RouteEntry {
  name: string;
  targets: { provider: string; model: string }[];
}

export interface McpServerEntry {
  id: string;
  command: string | null;
  args: string[];
  url: string | null;
  transport: string | null;
  tools: Record<string, ToolPolicy>;
}

export interface ConfigView {
  providers: ProviderEntry[];
  routes: RouteEntry[];
  mcpServers: McpServerEntry[];
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Reads what the views show; a file that does not parse reads as empty (the gateway reports why). */
export function readConfig(text: string): ConfigView {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = {};
  }
  const root = obj(doc);
  return {
    providers: list(root.providers).map((p) => {
      const o = obj(p);
      return { id: str(o.id) ?? '', type: str(o.type) ?? '', preset: str(o.preset), baseUrl: str(o.baseUrl), apiKey: str(o.apiKey) };
    }),
    routes: list(root.models).map((r) => {
      const o = obj(r);
      return { name: str(o.name) ?? '', targets: list(o.targets).map((t) => ({ provider: str(obj(t).provider) ?? '', model: str(obj(t).model) ?? '' })) };
    }),
    mcpServers: list(root.mcpServers).map((s) => {
      const o = obj(s);
      const tools = Object.fromEntries(Object.entries(obj(o.tools)).filter((e): e is [string, ToolPolicy] => TOOL_POLICIES.includes(e[1] as ToolPolicy)));
      return { id: str(o.id) ?? '', command: str(o.command), args: list(o.args).map(String), url: str(o.url), transport: str(o.transport), tools };
    }),
  };
}

/** Whether a config:edit failed because the file changed since it was read. */
export const isConflict = (e: unknown): boolean => (e as { code?: string } | null)?.code === 'conflict';

export const CONFLICT_TEXT = 'The config file changed since it was read (edited elsewhere), so nothing was written. It has been reloaded: check and try again.';

/**
 * The message a failed config:edit leaves: after a conflict (the edit was made against an old copy
 * of the file) the file is re-read first and the message says so; otherwise `prefix: why`.
 */
export async function editFailure(e: unknown, refresh: () => Promise<void>, prefix: string): Promise<string> {
  if (!isConflict(e)) return `${prefix}: ${(e as Error).message}`;
  await refresh();
  return CONFLICT_TEXT;
}

/** What the gateway decides for `tool` under a server's `tools:` map: every matching pattern counts, deny over ask over allow; unlisted tools ask. */
export function toolVerdict(tools: Record<string, ToolPolicy>, tool: string): { policy: ToolPolicy; rule: string } {
  const rank: Record<ToolPolicy, number> = { allow: 0, ask: 1, deny: 2 };
  let best: { policy: ToolPolicy; rule: string } | undefined;
  for (const [pattern, policy] of Object.entries(tools)) {
    const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (re.test(tool) && (!best || rank[policy] > rank[best.policy])) best = { policy, rule: `tools["${pattern}"] = ${policy}` };
  }
  return best ?? { policy: 'ask', rule: 'not listed (unlisted tools ask)' };
}

/** A command line as a shell would need it typed: each word quoted when it holds anything but safe characters. */
export function commandLine(command: string, args: readonly string[]): string {
  const quote = (w: string): string => (w !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
  return [command, ...args].map(quote).join(' ');
}

/** Arguments as typed in a form: one per line, kept exactly (blank lines dropped). */
export function parseArgs(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

export interface Loaded {
  snapshot: ConfigSnapshot;
  view: ConfigView;
}
