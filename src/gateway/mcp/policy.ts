// Which tools a key may see and call (its grants, and its user's and team's), and what the config
// says to do with a call: allow it, ask a person first, or deny it.
import { globMatch } from '../policy/keys.js';

export type ToolDecision = 'allow' | 'ask' | 'deny';

/** The rule that decided, for records and refusals, e.g. `tools["write_*"] = ask`. */
export interface ToolVerdict {
  decision: ToolDecision;
  rule: string;
}

/**
 * A server's `tools:` map decides: every pattern that matches the tool counts, deny over ask over
 * allow; a tool no pattern matches is asked about.
 */
export function toolVerdict(policies: Record<string, ToolDecision>, tool: string): ToolVerdict {
  let best: ToolVerdict | undefined;
  const rank: Record<ToolDecision, number> = { allow: 0, ask: 1, deny: 2 };
  for (const [pattern, decision] of Object.entries(policies)) {
    if (!globMatch(pattern, tool)) continue;
    if (!best || rank[decision] > rank[best.decision]) best = { decision, rule: `tools["${pattern}"] = ${decision}` };
  }
  return best ?? { decision: 'ask', rule: 'not listed under tools (unlisted tools are asked about)' };
}

/** Whether grants (globs over `server__tool`; none means all) cover a tool. */
export function toolGranted(grants: readonly string[], serverId: string, tool: string): boolean {
  if (grants.length === 0) return true;
  const name = `${serverId}__${tool}`;
  return grants.some((g) => globMatch(g, name));
}

/** The price of a call (USD) from a server's `prices:` map: the highest of the patterns that match; undefined when none does. */
export function toolPrice(prices: Record<string, number>, tool: string): number | undefined {
  let price: number | undefined;
  for (const [pattern, usd] of Object.entries(prices)) if (globMatch(pattern, tool)) price = Math.max(price ?? 0, usd);
  return price;
}
