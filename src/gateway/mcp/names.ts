// Tool names on the aggregated endpoint: `server__tool`. Names that collide or exceed what clients
// accept are reported and left out, never silently shadowed.

export const SEPARATOR = '__';
/** The longest tool name the common clients accept (Anthropic's and OpenAI's tool-name limit). */
export const MAX_TOOL_NAME = 64;

export function namespaced(serverId: string, tool: string): string {
  return `${serverId}${SEPARATOR}${tool}`;
}

export interface ExposedTool {
  /** The name clients see. */
  name: string;
  serverId: string;
  /** The upstream's own name. */
  tool: string;
}

export interface NameProblem {
  name: string;
  serverId: string;
  tool: string;
  problem: 'collision' | 'too-long';
  /** For a collision: the other servers' tools that produce the same name. */
  with?: { serverId: string; tool: string }[];
}

/**
 * Names for every (server, tool): `server__tool` when `prefixed`, else the upstream's own name
 * (one server's endpoint). A name two tools would share is given to neither; a name over
 * MAX_TOOL_NAME characters is not given either. Both are reported.
 */
export function exposeTools(tools: { serverId: string; tool: string }[], prefixed: boolean): { exposed: Map<string, ExposedTool>; problems: NameProblem[] } {
  const byName = new Map<string, { serverId: string; tool: string }[]>();
  for (const t of tools) {
    const name = prefixed ? namespaced(t.serverId, t.tool) : t.tool;
    const list = byName.get(name);
    if (list) list.push(t);
    else byName.set(name, [t]);
  }
  const exposed = new Map<string, ExposedTool>();
  const problems: NameProblem[] = [];
  for (const [name, list] of byName) {
    if (list.length > 1) {
      for (const t of list) problems.push({ name, ...t, problem: 'collision', with: list.filter((o) => o !== t) });
      continue;
    }
    const t = list[0]!;
    if (name.length > MAX_TOOL_NAME) {
      problems.push({ name, ...t, problem: 'too-long' });
      continue;
    }
    exposed.set(name, { name, ...t });
  }
  return { exposed, problems };
}
